// Catching up a large backlog stays within a small heap: nothing between the sources and the store grows with the input.
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { makeTempDir } from "../../harness/program.js";
import { ROOT, seqLines, SEQ_RULE, storedIncidents, writeConfig } from "./watch-process.js";

let tmp: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir("watch-memory");
});
afterAll(async () => {
  await tmp.remove();
});

// The claim is the heap, not the speed: 30-43 s on 2 quiet cores, past 120 s at load average 14, hence the room.
test("400,000 lines (30 MB) are caught up with a 80 MB heap", { timeout: 300_000 }, async () => {
  const rules = path.join(tmp.path, "rules");
  await mkdir(rules);
  await writeFile(path.join(rules, "seq.yaml"), SEQ_RULE);
  const log = path.join(tmp.path, "app.log");
  const TOTAL = 400_000;
  await writeFile(log, seqLines(1, TOTAL));
  const state = path.join(tmp.path, "state");
  const config = await writeConfig(path.join(tmp.path, "fw.yaml"), {
    sources: [{ kind: "file", name: "app", paths: [log], startAt: "beginning" }],
    rules: { dirs: [rules] },
    store: { url: `file:${state}` },
    outputs: { jsonLines: false },
  });
  // A merge queue that kept handed-out batches alive ran a 128 MB heap out of memory on this input.
  const child = spawn(process.execPath, ["--max-old-space-size=80", "--import", "tsx", path.join(ROOT, "src/cli.ts"), "watch", "--config", config, "--once-idle"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  expect(code, err.slice(-2000)).toBe(0);
  expect((await storedIncidents(state))[0]?.incident.findings[0]?.count).toBe(TOTAL);
});

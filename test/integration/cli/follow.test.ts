// `journalctl -f | firewatch analyze --follow -`: incidents print as they are found, and Ctrl-C loses none of them.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { expect, test } from "vitest";
import { REPO } from "../actions/act-helpers.js";

const line = (s: number) => `2025-12-26T16:42:0${s}-05:00 web1 api[42]: Error: listen EADDRINUSE: address already in use :::9003\n`;

test("an open pipe: the incident prints as it opens; SIGINT stops reading and prints the summary, exit 1", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "analyze", "--follow", "-"], { cwd: REPO, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  const exited = once(child, "exit");
  const opened = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (l) => {
      out += `${l}\n`;
      if (/^[+~] \S+ {2}fw-[0-9a-f]{8} {2}CRITICAL {2}open /.test(l)) resolve(l);
    });
    child.once("exit", () => reject(new Error(`exited before printing the incident\n${out}\n${err}`)));
  });
  for (const s of [1, 2, 3]) child.stdin.write(line(s));
  // The pipe stays open, as journalctl -f keeps it: the line above can only come from incremental output.
  expect(await opened).toContain("Crash loop: api cannot bind port 9003");
  child.kill("SIGINT");
  const [code] = await exited;
  expect(code, err).toBe(1);
  expect(err).toContain("firewatch: interrupted: reporting what was read so far");
  expect(out).toContain("eaddrinuse_loop  ×3");
  expect(out).toMatch(/1 incident \(1 open\), 1 finding \(1 firing, 0 observed\)\n$/);
}, 60_000);

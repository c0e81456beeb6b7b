import { watch } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect, test } from "vitest";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { spawnTs } from "../../harness/node-child.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const WRITER = fileURLToPath(new URL("./file-writer-child.ts", import.meta.url));
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-kill9-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("kill -9 of a writing process, five times over: the store always reopens whole, with every acknowledged write", async () => {
  let next = 0;
  for (let round = 0; round < 5; round++) {
    const child = spawnTs(WRITER, [dir, String(next)], { cwd: ROOT });
    expect(await child.nextLine()).toBe("ready");
    let acked = -1;
    // Let it get well into writing (a few hundred fsync'd changes), then kill it while a write is in flight: on the
    // (round+1)-th change the kernel reports in its directory (temp file created, written, renamed).
    for (let i = 0; i < 5 + round * 2; i++) acked = Number((await child.nextLine()).slice(3));
    const watcher = watch(dir);
    let seen = 0;
    await new Promise<void>((resolve) => watcher.on("change", () => { if (++seen > round) resolve(); }));
    child.child.kill("SIGKILL");
    watcher.close();
    expect((await child.exit()).signal).toBe("SIGKILL");

    // The lock of the dead writer is taken over; nothing is corrupt; every acknowledged write is there.
    const store = await FileStore.open(dir, { clock: systemClock });
    const ids = new Set((await store.list()).map((s) => s.incident.fingerprint));
    for (let k = 0; k <= acked; k++) expect(ids.has(`k-${k}`), `k-${k} (acknowledged up to ${acked})`).toBe(true);
    const cursor = Number(await store.getCursor("journald:mithrandir"));
    expect(cursor).toBeGreaterThanOrEqual(acked);
    expect((await store.listAudit({ action: "incident.created" })).length).toBeGreaterThanOrEqual(acked + 1);
    await store.close();
    next = Math.max(...[...ids].map((f) => Number(f.slice(2)))) + 1;
  }
  expect((await readdir(dir)).filter((n) => n.includes("tmp") || n.includes("corrupt"))).toEqual([]);
}, 90_000);

test("a second live process on the same directory is refused, naming the holder's pid", async () => {
  const child = spawnTs(WRITER, [dir, "0"], { cwd: ROOT });
  try {
    expect(await child.nextLine()).toBe("ready");
    await expect(FileStore.open(dir, { clock: systemClock })).rejects.toMatchObject({
      reason: "locked",
      message: expect.stringContaining(`in use by pid ${child.child.pid}`),
    });
  } finally {
    child.child.kill("SIGKILL");
    await child.exit();
  }
});

import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { acquireDirLock } from "../../../src/store/file-lock.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A process that has exited but is not reaped: a child of `sleep`, which never calls wait(). */
async function zombie(): Promise<{ pid: number; stop(): void }> {
  const parent = spawn("sh", ["-c", "sleep 0.05 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
  const line = await new Promise<string>((resolve) => createInterface({ input: parent.stdout }).once("line", resolve));
  const pid = Number(line);
  // Until it has exited, it is an ordinary live process.
  for (let i = 0; i < 200; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (stat.charAt(stat.lastIndexOf(")") + 2) === "Z") break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { pid, stop: () => void parent.kill("SIGKILL") };
}

describe.skipIf(process.platform !== "linux")("acquireDirLock", () => {
  it("takes over a lock whose holder is a zombie (killed, not reaped yet), and refuses one held by a live process", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fw-lock-"));
    dirs.push(dir);
    const lock = join(dir, "lock");
    const z = await zombie();
    try {
      await writeFile(lock, JSON.stringify({ pid: z.pid, host: hostname(), since: new Date(0).toISOString() }));
      const taken = await acquireDirLock(lock, new Date());
      expect(JSON.parse(await readFile(lock, "utf8"))).toMatchObject({ pid: process.pid });
      await taken.release();
    } finally {
      z.stop();
    }
    const live = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      await writeFile(lock, JSON.stringify({ pid: live.pid, host: hostname(), since: new Date(0).toISOString() }));
      await expect(acquireDirLock(lock, new Date())).rejects.toMatchObject({ code: "store_locked" });
    } finally {
      live.kill("SIGKILL");
    }
  });
});

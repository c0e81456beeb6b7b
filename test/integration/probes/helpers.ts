// Test helpers for probes against real processes: a listener on a free port, attached or detached (setsid -f).
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runProbe } from "../../../src/probes/index.js";
import type { Host } from "../../../src/hosts/index.js";

export interface Listener { readonly pid: number; stop(): void }

/** Polls (without sleeping a fixed time) until `check` holds or `ms` pass. */
export async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setImmediate(r));
  }
  return check();
}

async function listening(host: Host, port: number): Promise<boolean> {
  const r = await runProbe("port_owner", { port }, host);
  return r.ok && (r.evidence as { listening: boolean }).listening;
}

/** busybox nc listening on `port`, a child of this test process. */
export async function startListener(host: Host, port: number): Promise<Listener> {
  const child = spawn("busybox", ["nc", "-l", "-p", String(port)], { stdio: "ignore" });
  const pid = child.pid;
  if (pid === undefined) throw new Error("busybox nc did not start");
  if (!(await until(() => listening(host, port), 10_000))) throw new Error(`nothing listens on ${port}`);
  return { pid, stop: () => child.kill() };
}

/** busybox nc started through `setsid -f`: its parent exits at once, so it is reparented (PPID 1), as in seed 000. */
export async function startDetachedListener(host: Host, port: number, dir: string): Promise<Listener> {
  const pidFile = join(dir, `nc-${port}.pid`);
  // A fixed script: the port and the file are passed as positional arguments, never spliced into the text.
  const sh = spawn("setsid", ["-f", "sh", "-c", 'echo $$ > "$1"; exec busybox nc -l -p "$2"', "sh", pidFile, String(port)], { stdio: "ignore" });
  await new Promise((r) => sh.once("exit", r));
  let pid = 0;
  if (!(await until(async () => { pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim()); return pid > 0 && (await listening(host, port)); }, 10_000))) throw new Error(`detached nc never listened on ${port}`);
  return { pid, stop: () => { try { process.kill(pid); } catch { /* already gone */ } } };
}

// Seed 000 on this machine for the Slack click tests: a rogue listener, a stand-in systemctl, the crash loop's lines.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** Whether a process still exists: the act tests' helper, shared. */
export { alive } from "../actions/act-helpers.js";

/** A node process listening on 127.0.0.1:`port`, started by the test; resolves once it listens. */
export async function startRogue(port: number): Promise<ChildProcess> {
  const rogue = spawn(process.execPath, ["-e", `require("net").createServer().listen(${port}, "127.0.0.1", () => console.log("up"))`], { stdio: ["ignore", "pipe", "inherit"] });
  await once(rogue.stdout ?? rogue, "data");
  return rogue;
}

/**
 * No systemd runs here: writes `dir/systemctl`, a script that answers `systemctl show` like systemd would for `unit`
 * — restarting while `rogue` lives, active (running) once it is gone, as Restart= does when the port frees. Everything
 * else the tests use (ss, /proc, kill, the probes, guard and executor) is real. Returns the script's path.
 */
export async function writeStandInSystemctl(dir: string, rogue: number, unit: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const script = path.join(dir, "systemctl");
  await writeFile(
    script,
    `#!/bin/sh\nif kill -0 ${rogue} 2>/dev/null; then s=activating; sub=auto-restart; else s=active; sub=running; fi\n` +
      `printf 'MainPID=0\\nNRestarts=485\\nActiveState=%s\\nSubState=%s\\nResult=exit-code\\nLoadState=loaded\\nControlGroup=/system.slice/${unit}.service\\n' "$s" "$sub"\n`,
  );
  await chmod(script, 0o755);
  return script;
}

/** journalctl short-iso lines of seed 000's loop on mithrandir: `message(n)` then the restart counter n, 9 s apart, ending at `end`. */
export function crashLoop(unit: string, from: number, to: number, end: number, message: string): string {
  const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+0000");
  const lines: string[] = [];
  for (let n = from; n <= to; n++) {
    const t = end - (to - n) * 9_000;
    lines.push(`${at(t - 4_000)} mithrandir ${unit}[${4000 + n}]: ${message}`);
    lines.push(`${at(t)} mithrandir systemd[1722]: ${unit}.service: Scheduled restart job, restart counter is at ${n}.`);
  }
  return `${lines.join("\n")}\n`;
}

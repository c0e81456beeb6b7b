// Seed 000 on this machine for the Slack click tests: a rogue listener, a stand-in systemctl, the crash loop's lines.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import path from "node:path";

/** Whether a process still exists: the act tests' helper, shared. */
export { alive } from "../actions/act-helpers.js";

/** The rogue listener: its PID, whether it has ended, and a way to end it (cleanup). */
export interface Rogue {
  readonly pid: number;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  /** Resolves when it has ended: its exit code, or the signal that ended it (as `once(child, "exit")` would). */
  readonly exited: Promise<[number | null, string | null]>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * A node process listening on 127.0.0.1:`port`, resolves once it listens. It runs under a small shell, like a rogue
 * started by hand: its parent is not this process (kill_port_owner never stops firewatch's own children, and in these
 * tests firewatch runs in the test's process).
 */
export async function startRogue(port: number): Promise<Rogue> {
  const script = `require("net").createServer().listen(${port}, "127.0.0.1", () => console.log("up"))`;
  const sh: ChildProcess = spawn("sh", ["-c", `"$0" -e "$1" & p=$!; echo $p; wait $p`, process.execPath, script], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  let buffered = "";
  await new Promise<void>((resolve, reject) => {
    sh.stdout?.on("data", (d: Buffer) => {
      buffered += d.toString();
      lines.push(...buffered.split("\n").slice(0, -1));
      buffered = buffered.slice(buffered.lastIndexOf("\n") + 1);
      if (lines.includes("up")) resolve();
    });
    sh.once("exit", () => reject(new Error("the rogue's shell exited before it listened")));
  });
  const pid = Number(lines[0]);
  // The shell's `wait` ends with 128 + the signal number when the rogue was killed by a signal.
  const exited = once(sh, "exit").then(([code]): [number | null, string | null] => {
    const c = typeof code === "number" ? code : null;
    const name = c !== null && c > 128 ? Object.entries(osConstants.signals).find(([, n]) => n === c - 128)?.[0] : undefined;
    return name === undefined ? [c, null] : [null, name];
  });
  return {
    pid,
    exited,
    get exitCode() { return sh.exitCode; },
    get signalCode() { return sh.signalCode; },
    kill: (signal = "SIGTERM") => {
      try {
        process.kill(pid, signal);
      } catch {
        // Gone already.
      }
    },
  };
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

// Runs a TypeScript file as a separate node process (through tsx), to test what several real processes do together.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

export interface NodeChild {
  readonly child: ChildProcess;
  /** Resolves with the next line it prints on stdout (rejects if it exits first, with its stderr). */
  nextLine(): Promise<string>;
  send(line: string): void;
  /** Waits for it to exit; its exit code or signal. */
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function spawnTs(script: string, args: readonly string[], opts: { cwd: string }): NodeChild {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => { err += d.toString(); });
  const lines: string[] = [];
  const waiting: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  const exited = once(child, "exit").then(([code, signal]) => ({ code: typeof code === "number" ? code : null, signal: typeof signal === "string" ? (signal as NodeJS.Signals) : null }));
  if (!child.stdout) throw new Error("no stdout");
  createInterface({ input: child.stdout }).on("line", (l) => {
    const w = waiting.shift();
    if (w) w.resolve(l);
    else lines.push(l);
  });
  void exited.then(({ code, signal }) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${script} exited (${code ?? signal}) before printing a line\n${err}`));
  });
  return {
    child,
    nextLine: () => {
      const l = lines.shift();
      if (l !== undefined) return Promise.resolve(l);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`${script} has exited\n${err}`));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    send: (line) => { child.stdin?.write(line + "\n"); },
    exit: () => exited,
    stderr: () => err,
  };
}

// The machine firewatch runs on as a Host: child_process.spawn with an argv, never a shell.
import { spawn, type ChildProcess } from "node:child_process";
import {
  checkArgv, collectExec, createCapture, HostError,
  type ExecOptions, type ExecResult, type Host, type HostProcess, type ProcessExit, type SpawnOptions,
} from "./host.js";

function startError(host: string, argv: readonly string[], e: unknown): HostError {
  const code = typeof e === "object" && e !== null && "code" in e ? String(e.code) : "";
  if (code === "ENOENT") return new HostError(host, "command_not_found", `command not found: ${argv[0] ?? ""}`, { cause: e, hint: `install ${argv[0] ?? "it"} or fix its path` });
  if (code === "EACCES") return new HostError(host, "permission_denied", `permission denied running ${argv[0] ?? ""}`, { cause: e });
  return new HostError(host, "unreachable", `cannot start ${argv[0] ?? ""}: ${String(e)}`, { cause: e });
}

/** Resolves once the child has spawned, rejects with a HostError when it could not (ENOENT, EACCES). */
function spawned(host: string, argv: readonly string[], child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("spawn", () => resolve());
    child.once("error", (e) => reject(startError(host, argv, e)));
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  // "close" waits for stdio to end too, so every byte has been read when it fires.
  return new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
}

export class LocalHost implements Host {
  readonly name: string;
  private readonly children = new Set<ChildProcess>();

  constructor(opts: { name?: string } = {}) {
    this.name = opts.name ?? "local";
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const { child, exit } = await this.start(argv, opts.signal);
    return collectExec(this.name, argv, opts, (out, err) => {
      child.stdout?.on("data", (b: Buffer) => out.push(b));
      child.stderr?.on("data", (b: Buffer) => err.push(b));
      return { stop: () => child.kill("SIGTERM"), exit };
    });
  }

  async spawn(argv: readonly string[], opts: SpawnOptions = {}): Promise<HostProcess> {
    const { child, exit } = await this.start(argv, opts.signal);
    const err = createCapture(opts.maxStderrBytes ?? 64 * 1024);
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    const stdout = child.stdout;
    if (!stdout) throw new HostError(this.name, "unreachable", "child has no stdout");
    const kill = () => child.kill("SIGTERM");
    opts.signal?.addEventListener("abort", kill, { once: true });
    const exited: Promise<ProcessExit> = exit.then(({ code, signal }) => {
      opts.signal?.removeEventListener("abort", kill);
      return { code, signal, stderr: err.text() };
    });
    return {
      stdout,
      exited,
      close: async () => {
        kill();
        // Nobody reads any more: drop what is left in the pipe, or "close" (and so `exited`) never comes.
        stdout.destroy();
        await exited;
      },
    };
  }

  async close(): Promise<void> {
    const all = [...this.children];
    for (const c of all) {
      c.kill("SIGTERM");
      // A reader that stopped reading (a source given up at shutdown) leaves output in the pipe: drop it, or the
      // child's "close" never comes and this never resolves. (resume() is not enough: an abandoned async iterator
      // keeps a "readable" listener, which makes resume() a no-op.)
      c.stdout?.destroy();
    }
    await Promise.all(all.map(exitOf));
  }

  /** Spawns argv (no shell), tracked for close(); rejects with a HostError when it cannot start. */
  private async start(argv: readonly string[], signal: AbortSignal | undefined): Promise<{ child: ChildProcess; exit: Promise<{ code: number | null; signal: string | null }> }> {
    checkArgv(this.name, argv);
    signal?.throwIfAborted();
    const [cmd = "", ...args] = argv;
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.track(child);
    const exit = exitOf(child);
    await spawned(this.name, argv, child);
    return { child, exit };
  }

  private track(child: ChildProcess): void {
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    child.once("error", () => this.children.delete(child));
  }
}

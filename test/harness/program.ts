// Starts and stops real programs for integration tests: find the binary, a free loopback port, a temp dir, readiness, cleanup.
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** A program the tests need: found, or missing with the reason (and the Debian package that brings it). */
export type Availability = { readonly path: string; readonly missing?: undefined } | { readonly path?: undefined; readonly missing: string };

const SBIN = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

export function findProgram(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(delimiter), ...SBIN]) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Looks a program up for a test file. Missing under CI=true: throws (the suite fails loudly). Missing elsewhere:
 * warns loudly with the package to install and returns the reason, for `describe.skipIf` with that reason in its name.
 */
export function requireProgram(name: string, aptPackage: string): Availability {
  const path = findProgram(name);
  if (path) return { path };
  const missing = `${name} not found: install it with \`apt-get install ${aptPackage}\``;
  if (process.env.CI === "true") throw new Error(`${missing} (CI=true: integration tests must not be skipped)`);
  console.warn(`\n!!! SKIPPING tests that need ${name}: ${missing}\n`);
  return { missing };
}

/** A port free on 127.0.0.1 at the time of asking (the kernel picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export async function makeTempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `fw-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface Started {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then waits for it to exit (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, then waits for it to exit. */
  kill9(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Last resort if a test run dies without its afterAll: kill only what this harness started.
process.once("exit", () => {
  for (const c of running) c.kill("SIGKILL");
});

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Spawns `cmd args` and resolves once its output contains `readyWhen`; rejects with its output if it exits or stalls. */
export async function startProgram(cmd: string, args: readonly string[], opts: { readyWhen: string; timeoutMs?: number; cwd?: string }): Promise<Started> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], cwd: opts.cwd });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let out = "";
  const started: Started = {
    child,
    output: () => out,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited(child);
      clearTimeout(t);
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited(child);
    },
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${cmd} not ready after ${opts.timeoutMs ?? 15_000} ms`)), opts.timeoutMs ?? 15_000);
    const onData = (b: Buffer) => {
      out += b.toString("utf8");
      if (out.includes(opts.readyWhen)) done();
    };
    const onExit = (code: number | null, sig: string | null) => fail(new Error(`${cmd} exited (${code ?? sig}) before it was ready`));
    const cleanup = () => {
      clearTimeout(timer);
      child.off("exit", onExit);
    };
    const done = () => {
      cleanup();
      resolve();
    };
    const fail = (e: Error) => {
      cleanup();
      child.kill("SIGKILL");
      reject(new Error(`${e.message}\n--- ${cmd} ${args.join(" ")} said:\n${out}`));
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", (e) => fail(e));
  });
  return started;
}

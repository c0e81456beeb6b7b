// Runs the real `firewatch` CLI as a separate process, optionally as another OS user (setpriv), for the act tests.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Finding } from "../../../src/correlate/finding.js";
import type { Incident } from "../../../src/incidents/index.js";
import { until } from "../probes/helpers.js";

export const REPO = fileURLToPath(new URL("../../..", import.meta.url));

/** The token secret every firewatch process of these tests reads from FIREWATCH_GUARD__SECRET. */
export const SECRET = "a-test-secret-of-at-least-32-bytes-for-firewatch-act";

/** Whether a process still exists (the proof that a refused action ran nothing). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A real second account: `nobody` exists on every Debian-like system. */
export const NOBODY = { uid: 65534, name: "cli:nobody" } as const;
/** A third account that is on no allow-list. */
export const DAEMON = { uid: 1, name: "cli:daemon" } as const;

/**
 * These tests run processes as other real users (setpriv), which needs root. Not root: skipped here, and a loud
 * failure under CI=true, like a missing program (test/harness/program.ts).
 */
export function rootAvailability(): { missing?: string } {
  if (process.getuid?.() === 0) return {};
  if (process.env.CI === "true") throw new Error("the act tests run a second and third user with setpriv: run them as root");
  return { missing: "(not root: setpriv cannot switch users)" };
}

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Running {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line matching `re` (rejects when the process exits first). */
  lineMatching(re: RegExp): Promise<RegExpMatchArray>;
  done(): Promise<Run>;
}

const canRead = (uid: number, root: string): boolean =>
  spawnSync("setpriv", [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "test", "-r", join(root, "src/cli.ts"), "-a", "-x", join(root, "node_modules/tsx")]).status === 0;

let mirror: string | undefined;

/**
 * Where another user runs the CLI from: the checkout, or, when that user cannot read it (a clone in a 0700 home or
 * temporary directory), a copy of what the CLI needs (src, node_modules, package.json, tsconfig.json) under the
 * system temporary directory; node_modules is hard-linked where the file system allows.
 */
function checkoutFor(uid: number): string {
  if (canRead(uid, REPO)) return REPO;
  if (mirror === undefined || !canRead(uid, mirror)) {
    const dir = mkdtempSync(join(tmpdir(), "fw-act-checkout-"));
    chmodSync(dir, 0o755);
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    for (const f of ["src", "package.json", "tsconfig.json"]) cpSync(join(REPO, f), join(dir, f), { recursive: true });
    spawnSync("chmod", ["-R", "a+rX", dir]);
    // Hard links share the checkout's inodes, so their modes are left alone; a copy is made readable instead.
    if (spawnSync("cp", ["-al", join(REPO, "node_modules"), join(dir, "node_modules")]).status !== 0 || !canRead(uid, dir)) {
      rmSync(join(dir, "node_modules"), { recursive: true, force: true });
      cpSync(join(REPO, "node_modules"), join(dir, "node_modules"), { recursive: true, verbatimSymlinks: true });
      spawnSync("chmod", ["-R", "a+rX", join(dir, "node_modules")]);
    }
    if (!canRead(uid, dir)) throw new Error(`uid ${uid} can read neither the checkout (${REPO}) nor a copy of it in ${dir}: run the act tests from a directory every user can traverse`);
    mirror = dir;
  }
  return mirror;
}

/** Starts `firewatch ARGS` (through tsx) as `uid` (default: this process's user); stdin is closed, as in a script. */
export function startFirewatch(args: readonly string[], opts: { uid?: number; groups?: readonly number[]; env: NodeJS.ProcessEnv }): Running {
  const root = opts.uid === undefined ? REPO : checkoutFor(opts.uid);
  const node = [process.execPath, "--import", "tsx", join(root, "src/cli.ts"), ...args];
  // `groups`: supplementary groups the user runs with (the actuator socket's group), else none.
  const groups = opts.groups === undefined || opts.groups.length === 0 ? "--clear-groups" : `--groups=${opts.groups.join(",")}`;
  const argv = opts.uid === undefined ? node : ["setpriv", `--reuid=${opts.uid}`, `--regid=${opts.uid}`, groups, ...node];
  // HOME: another user cannot write ours (tsx and npm caches); PATH: the same programs for every user.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: opts.uid === undefined ? (process.env.HOME ?? "/tmp") : "/tmp", ...opts.env };
  const [cmd = "", ...rest] = argv;
  const child = spawn(cmd, rest, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const watchers: { re: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  child.stderr?.on("data", (d: Buffer) => { err += d.toString(); });
  if (!child.stdout) throw new Error("no stdout");
  createInterface({ input: child.stdout }).on("line", (l) => {
    out += `${l}\n`;
    for (const w of [...watchers]) {
      const m = l.match(w.re);
      if (m) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const exited = new Promise<Run>((resolve) => child.once("close", (code) => resolve({ code, stdout: out, stderr: err })));
  void exited.then((r) => {
    for (const w of watchers.splice(0)) w.reject(new Error(`firewatch ${args.join(" ")} exited (${r.code}) before printing ${w.re}\n${r.stdout}\n${r.stderr}`));
  });
  return {
    child,
    lineMatching: (re) => {
      const m = out.split("\n").map((l) => l.match(re)).find((x) => x !== null);
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => watchers.push({ re, resolve, reject }));
    },
    done: () => exited,
  };
}

/**
 * A firewatch.yaml's store and guard.actuator lines for a local actuator at `socket` whose socket group is nogroup
 * (nobody's primary group; firewatch's own in a real deployment); the guard's other keys follow.
 */
export const localActuatorYaml = (redisUrl: string, socket: string): string[] => [
  "store:", `  url: ${redisUrl}`, "guard:", "  actuator:", `    socket: ${socket}`, "    group: nogroup", "    user: nobody", "    hosts: [local]",
];

/** `firewatch actuator --config FILE` as root, resolved once its socket exists (fails loudly when it never does). */
export async function startActuator(config: string, socket: string, env: NodeJS.ProcessEnv): Promise<Running> {
  const actuator = startFirewatch(["actuator", "--config", config], { env });
  if (!(await until(async () => access(socket).then(() => true, () => false), 30_000))) {
    actuator.child.kill("SIGTERM");
    const r = await actuator.done();
    throw new Error(`the actuator never made its socket ${socket}\n${r.stderr}`);
  }
  return actuator;
}

/** Stops what startActuator started (SIGTERM: it closes its socket and store) and waits for it to exit. */
export async function stopActuator(actuator: Running | undefined): Promise<void> {
  actuator?.child.kill("SIGTERM");
  await actuator?.done();
}

export const firewatch = (args: readonly string[], opts: { uid?: number; groups?: readonly number[]; env: NodeJS.ProcessEnv }): Promise<Run> => startFirewatch(args, opts).done();

function finding(rule: string, host: string, service: string, fields: Record<string, string>, at: number): Finding {
  return {
    rule, severity: "critical", state: "firing", count: 5, firstSeen: at, lastSeen: at + 30_000, host, service,
    groupKey: `${rule}|${host}|${service}`, fields,
    evidence: [{ ref: { file: "docker", line: 1, endLine: 1 }, time: at, text: `listen EADDRINUSE: address already in use 0.0.0.0:${fields["port"] ?? "?"}` }],
    cadence: undefined, table: undefined, recoveredAt: undefined,
  };
}

/** Seed 000 with Docker host networking, as the pipeline concludes it: the port's bind failures and the restart loop. */
export function seed000Incident(o: { fingerprint: string; host: string; container: string; port: number; at: number }): Incident {
  return {
    id: `fw-${o.fingerprint.slice(0, 8)}`,
    fingerprint: o.fingerprint,
    title: `Crash loop: ${o.container} cannot bind port ${o.port} (already in use)`,
    severity: "critical",
    status: "open",
    host: o.host,
    service: o.container,
    firstSeen: o.at,
    lastSeen: o.at + 30_000,
    findings: [
      finding("eaddrinuse_loop", o.host, o.container, { port: String(o.port) }, o.at),
      finding("docker_restart_loop", o.host, o.container, { container: o.container, exit_code: "1" }, o.at),
    ],
  };
}

// The real Executor: an action's argv through Host.exec (never a shell), the job queue through the injected cleaner.
import type { Host } from "../hosts/index.js";
import { DockerHostValue } from "../probes/index.js";
import type { ActionCommand } from "./definitions.js";
import type { Executor, ExecutorResult } from "./execute.js";

export interface HostExecutorDeps {
  /** The configured host by name; undefined for a host firewatch does not know (nothing runs). */
  host(name: string): Host | undefined;
  /** Removes the failed jobs of a queue (src/jobs planClean/executeClean); injected: it talks to Redis, not a host. */
  cleanFailedJobs(host: string, queue: string): Promise<{ removed: number; detail: string }>;
  /** Per command; default 30 s. A kill or a restart that takes longer is stopped and reported as failed. */
  timeoutMs?: number;
  /** `docker -H` for docker commands (restart_container), from config: the daemon the probes asked; per host or one. */
  dockerHost?: string | ((host: string) => string | undefined);
  /** Hosts whose restarts (systemctl, docker) run through `sudo -n`, allowed there by generated sudoers rules. */
  sudo?: (host: string) => boolean;
}

// What an action prints is evidence for a person, not data: a few lines are plenty, and the audit stays small.
const MAX_OUTPUT_BYTES = 64 * 1024;
const MAX_DETAIL_CHARS = 500;

/** One line, control characters shown as spaces, at most MAX_DETAIL_CHARS: safe in a terminal, Slack and the audit. */
export function detailOf(text: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ").trim();
  return flat.length > MAX_DETAIL_CHARS ? `${flat.slice(0, MAX_DETAIL_CHARS - 1)}…` : flat;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function runArgv(host: Host, argv: readonly string[], timeoutMs: number): Promise<ExecutorResult> {
  const r = await host.exec(argv, { timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES });
  const where = `${argv[0] ?? ""} on ${host.name}`;
  if (r.timedOut) return { ok: false, detail: detailOf(`${where} took longer than ${timeoutMs} ms and was stopped`) };
  if (r.code !== 0) {
    const why = r.stderr.trim() || r.stdout.trim() || "(no output)";
    return { ok: false, detail: detailOf(`${where} ended with ${r.code === null ? `signal ${r.signal ?? "?"}` : `exit ${r.code}`}: ${why}`) };
  }
  const out = r.stdout.trim();
  return { ok: true, detail: detailOf(`${where}: exit 0${out ? `: ${out}` : ""}`) };
}

/**
 * Runs an ActionCommand for the guard. A command that could not start (unknown host, unreachable, not found) and a
 * non-zero exit are `ok: false` with the reason (stderr first) in `detail`; it never throws for those.
 */
export function createHostExecutor(deps: HostExecutorDeps): Executor {
  const timeoutMs = deps.timeoutMs ?? 30_000;
  return async (command: ActionCommand): Promise<ExecutorResult> => {
    try {
      if (command.kind === "clean_failed_jobs") {
        const r = await deps.cleanFailedJobs(command.host, command.queue);
        return { ok: true, detail: detailOf(`removed ${r.removed} failed jobs of ${command.queue}${r.detail ? `: ${r.detail}` : ""}`) };
      }
      const host = deps.host(command.host);
      if (!host) return { ok: false, detail: detailOf(`no configured host named ${JSON.stringify(command.host)}; nothing ran`) };
      // The action says `docker restart C`; which daemon is configuration, the same one the container probes asked.
      const docker = command.argv[0] !== "docker" ? undefined : typeof deps.dockerHost === "function" ? deps.dockerHost(command.host) : deps.dockerHost;
      if (docker !== undefined && !DockerHostValue.safeParse(docker).success) return { ok: false, detail: detailOf(`docker host ${JSON.stringify(docker)} is not unix://, tcp:// or ssh://; nothing ran`) };
      const argv = docker === undefined ? command.argv : ["docker", "-H", docker, ...command.argv.slice(1)];
      // -n: a missing rule fails at once ("a password is required") instead of waiting at a prompt nobody sees.
      const sudo = deps.sudo?.(command.host) === true && (argv[0] === "systemctl" || argv[0] === "docker");
      return await runArgv(host, sudo ? ["sudo", "-n", ...argv] : argv, timeoutMs);
    } catch (e) {
      return { ok: false, detail: detailOf(message(e)) };
    }
  };
}

// container_state: `docker [-H HOST] inspect --type container NAME` → running, exit code, OOM kill, restarts, health, PID.
import { z } from "zod";
import { checkParams, execProbe, firstLine, ProbeError, type Probe, type ProbeContext } from "./probe.js";
import { ContainerValue, DockerHostValue } from "./values.js";

export const ContainerStateParams = z.object({ container: ContainerValue });
export type ContainerStateParams = z.infer<typeof ContainerStateParams>;

export interface ContainerState {
  readonly container: string;
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly running: boolean;
  readonly restarting: boolean;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  readonly restartCount: number;
  /** "healthy", "unhealthy", "starting", or undefined without a health check. */
  readonly health: string | undefined;
  /** Host PID of its main process; undefined when it is not running (Docker says 0). */
  readonly pid: number | undefined;
  readonly startedAt: string | undefined;
  readonly finishedAt: string | undefined;
  readonly error: string | undefined;
}

const LIMITS = { timeoutMs: 10_000, maxOutputBytes: 2 * 1024 * 1024 };

// Only the fields we read; Docker adds fields every release, so the rest passes.
const Inspect = z.array(
  z.object({
    Id: z.string(),
    Name: z.string().default(""),
    RestartCount: z.number().int().default(0),
    State: z.object({
      Status: z.string().default(""),
      Running: z.boolean(),
      Restarting: z.boolean().default(false),
      OOMKilled: z.boolean().default(false),
      ExitCode: z.number().int(),
      Pid: z.number().int().default(0),
      Error: z.string().default(""),
      StartedAt: z.string().optional(),
      FinishedAt: z.string().optional(),
      Health: z.object({ Status: z.string() }).optional(),
    }),
  }),
);

/** Parses `docker inspect` JSON for one container. */
export function parseDockerInspect(container: string, text: string): ContainerState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ProbeError("container_state", "unparseable", `docker inspect printed no JSON: ${JSON.stringify(text.slice(0, 200))}`, { cause: e });
  }
  const parsed = Inspect.safeParse(json);
  const c = parsed.success ? parsed.data[0] : undefined;
  if (!c) throw new ProbeError("container_state", "unparseable", `docker inspect JSON lacks State for ${container}`);
  const s = c.State;
  return {
    container,
    id: c.Id,
    name: c.Name.replace(/^\//, ""),
    status: s.Status,
    running: s.Running,
    restarting: s.Restarting,
    exitCode: s.ExitCode,
    oomKilled: s.OOMKilled,
    restartCount: c.RestartCount,
    health: s.Health?.Status,
    pid: s.Pid > 0 ? s.Pid : undefined,
    startedAt: s.StartedAt,
    finishedAt: s.FinishedAt,
    error: s.Error || undefined,
  };
}

/** `docker` with `-H` from the context, validated again here because a context can come from anywhere. */
export function dockerArgv(ctx: ProbeContext, probe: string): string[] {
  if (ctx.dockerHost === undefined) return ["docker"];
  const h = DockerHostValue.safeParse(ctx.dockerHost);
  if (!h.success) throw new ProbeError(probe, "invalid_params", `docker host ${JSON.stringify(ctx.dockerHost)}: ${h.error.issues[0]?.message ?? "invalid"}`);
  return ["docker", "-H", h.data];
}

export async function readContainerState(ctx: ProbeContext, container: string, probe = "container_state"): Promise<ContainerState> {
  const r = await execProbe(probe, ctx, [...dockerArgv(ctx, probe), "inspect", "--type", "container", "--", container], LIMITS);
  if (r.code !== 0) throw new ProbeError(probe, "command_failed", `docker inspect ${container} ended with ${r.code ?? r.signal ?? "?"}: ${firstLine(r)}`);
  return parseDockerInspect(container, r.stdout);
}

export const containerState: Probe<ContainerStateParams, ContainerState> = {
  name: "container_state",
  params: ContainerStateParams,
  run: async (ctx, p) => readContainerState(ctx, checkParams("container_state", ContainerStateParams, p).container),
  render: (c) =>
    `container ${c.name || c.container}: ${c.status}${c.health ? ` (${c.health})` : ""}, exit code ${c.exitCode}${c.oomKilled ? ", OOM-killed" : ""}, restarted ${c.restartCount} times${c.pid ? `, PID ${c.pid}` : ""}`,
};

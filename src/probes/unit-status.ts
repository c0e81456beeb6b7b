// unit_status: `systemctl [--user] show -p MainPID,NRestarts,... UNIT` → the unit's state, main PID and restart count.
import { z } from "zod";
import { checkParams, execProbe, firstLine, ProbeError, type Probe, type ProbeContext } from "./probe.js";
import { UnitValue } from "./values.js";

export const UnitStatusParams = z.object({ unit: UnitValue, user: z.boolean().default(false) });
export type UnitStatusParams = z.infer<typeof UnitStatusParams>;

export interface UnitStatus {
  readonly unit: string;
  /** "loaded", "not-found"...: systemctl show answers even for a unit that does not exist. */
  readonly loadState: string | undefined;
  readonly activeState: string | undefined;
  readonly subState: string | undefined;
  readonly result: string | undefined;
  /** undefined when the unit has no running main process (systemd prints 0). */
  readonly mainPid: number | undefined;
  readonly nRestarts: number | undefined;
  readonly controlGroup: string | undefined;
}

const LIMITS = { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 };
const PROPS = "MainPID,NRestarts,ActiveState,SubState,Result,LoadState,ControlGroup";

/** Parses `KEY=value` lines of systemctl show; unknown keys are ignored, empty values are undefined. */
export function parseSystemctlShow(unit: string, text: string): UnitStatus {
  const kv = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const str = (k: string) => (kv.get(k) ? kv.get(k) : undefined);
  const int = (k: string) => {
    const v = kv.get(k);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const mainPid = int("MainPID");
  return {
    unit,
    loadState: str("LoadState"),
    activeState: str("ActiveState"),
    subState: str("SubState"),
    result: str("Result"),
    mainPid: mainPid === 0 ? undefined : mainPid,
    nRestarts: int("NRestarts"),
    controlGroup: str("ControlGroup"),
  };
}

export async function readUnitStatus(ctx: ProbeContext, p: UnitStatusParams, probe = "unit_status"): Promise<UnitStatus> {
  // "--" ends options: the unit, already validated, can never be read as one.
  const argv = ["systemctl", ...(p.user ? ["--user"] : []), "show", "-p", PROPS, "--", p.unit];
  const r = await execProbe(probe, ctx, argv, LIMITS);
  if (r.code !== 0) {
    const why = firstLine(r);
    const noManager = /not been booted with systemd|Failed to connect to bus|Host is down/i.test(r.stderr);
    throw new ProbeError(probe, "command_failed", noManager ? `systemctl cannot talk to a service manager on ${ctx.host.name} (${why})` : `systemctl show ${p.unit} ended with ${r.code ?? r.signal ?? "?"}: ${why}`, noManager ? { hint: `${ctx.host.name} does not run systemd${p.user ? " for this user (try without --user)" : ""}` } : undefined);
  }
  const s = parseSystemctlShow(p.unit, r.stdout);
  if (s.activeState === undefined && s.loadState === undefined) throw new ProbeError(probe, "unparseable", `systemctl show printed no state: ${JSON.stringify(r.stdout.slice(0, 200))}`);
  return s;
}

export const unitStatus: Probe<UnitStatusParams, UnitStatus> = {
  name: "unit_status",
  params: UnitStatusParams,
  run: async (ctx, p) => readUnitStatus(ctx, checkParams("unit_status", UnitStatusParams, p)),
  render: (s) =>
    s.loadState === "not-found"
      ? `${s.unit}: no such unit`
      : `${s.unit}: ${s.activeState ?? "?"} (${s.subState ?? "?"}), result ${s.result ?? "?"}, MainPID ${s.mainPid ?? "none"}, restarted ${s.nRestarts ?? "?"} times`,
};

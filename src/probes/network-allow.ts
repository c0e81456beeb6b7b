// Where a probe may connect: only addresses on the allow-list (default: the probed host's own loopback), whatever a
// log line names. A log saying "Failed to connect to 10.1.2.3 port 8080" must not make firewatch connect there.
import { z } from "zod";
import { ProbeError } from "./probe.js";
import { NetHostValue, PortValue } from "./values.js";

/** The probed host's own loopback, exactly: 127.0.0.2 and the rest of 127/8 are not in it (anything may listen there). */
export const DEFAULT_PROBE_ALLOW: readonly string[] = ["127.0.0.1", "::1", "localhost"];

/** "host" (any port) or "host:port", "[v6]:port"; a DNS name is compared as written (lowercase). */
const AllowEntry = z.string().regex(/^(?:\[[0-9A-Fa-f:.]{2,45}\]:\d{1,5}|[0-9A-Fa-f:.]{2,45}|[A-Za-z0-9.-]{1,253}(?::\d{1,5})?)$/, 'an address like "127.0.0.1", "db.internal:5432" or "[::1]:6379"');

export const ProbeNetworkConfig = z
  .object({
    allow: z.array(AllowEntry).default([...DEFAULT_PROBE_ALLOW]).describe("Addresses health_endpoint and redis_ping may connect to (host or host:port), on the incident's host; default its loopback"),
  })
  .strict();
export type ProbeNetworkConfig = z.infer<typeof ProbeNetworkConfig>;

function parseEntry(entry: string): { host: string; port: number | undefined } {
  const v6 = /^\[(.+)\]:(\d+)$/.exec(entry);
  if (v6) return { host: (v6[1] ?? "").toLowerCase(), port: Number(v6[2]) };
  // A bare IPv6 address has several ":"; only a name or IPv4 address takes ":port".
  const hp = /^([^:]+):(\d+)$/.exec(entry);
  if (hp) return { host: (hp[1] ?? "").toLowerCase(), port: Number(hp[2]) };
  return { host: entry.toLowerCase(), port: undefined };
}

/** True when host:port is on the list (`allow` undefined: the default loopback list). */
export function isProbeTargetAllowed(allow: readonly string[] | undefined, host: string, port: number): boolean {
  if (!NetHostValue.safeParse(host).success || !PortValue.safeParse(port).success) return false;
  const h = host.toLowerCase();
  return (allow ?? DEFAULT_PROBE_ALLOW).some((e) => {
    const a = parseEntry(e);
    return a.host === h && (a.port === undefined || a.port === port);
  });
}

/** Throws invalid_params (nothing runs) when host:port is not on the list. */
export function assertProbeTarget(probe: string, allow: readonly string[] | undefined, host: string, port: number): void {
  if (isProbeTargetAllowed(allow, host, port)) return;
  throw new ProbeError(probe, "invalid_params", `${host}:${port} is not on probes.network.allow; nothing was connected to`, {
    hint: "a probe connects only where firewatch.yaml allows (default: the host's own loopback), never where a log line points",
  });
}

// health_endpoint (seed 002: `curl -f http://localhost:8001/health`): GET a health URL on the host: status and time.
import { z } from "zod";
import { checkParams, execProbe, ProbeError, type Probe, type ProbeContext } from "./probe.js";
import { assertProbeTarget } from "./network-allow.js";
import { firstListed, NetHostValue, PortValue } from "./values.js";

/** A URL path and query of plain characters: no spaces, quotes, "#", "\" or control characters. */
const PathValue = z.string().regex(/^\/[A-Za-z0-9._~%/?=&:@+,-]{0,1023}$/, "a path starts with / and has no spaces or quotes");

/**
 * Either `url` (http or https, as a rule or config names it) or `port` with an optional `target` host (as a log names
 * it: "Failed to connect to localhost port 8001") and `path` (default /health, the seed's convention).
 */
export const HealthEndpointParams = z
  .object({
    url: z.string().max(2048).optional(),
    // A `values` field lists what the logs named ("localhost, api"): the first is asked.
    target: z.preprocess(firstListed, NetHostValue.optional()),
    port: z.preprocess(firstListed, PortValue.optional()),
    path: PathValue.default("/health"),
  })
  .strict()
  .transform((p, ctx) => {
    const url = p.url ?? (p.port === undefined ? undefined : `http://${hostPart(p.target ?? "127.0.0.1")}:${p.port}${p.path}`);
    const ok = url === undefined ? undefined : checkUrl(url);
    if (ok === undefined) {
      ctx.addIssue({ code: "custom", path: [p.url === undefined ? "port" : "url"], message: p.url === undefined ? "a port (or a url) is needed" : "a url is http(s)://host[:port]/path of plain characters" });
      return z.NEVER;
    }
    return { url: ok };
  });
export type HealthEndpointParams = z.infer<typeof HealthEndpointParams>;

const hostPart = (h: string) => (h.includes(":") ? `[${h}]` : h);

/** The URL re-built from its checked parts, or undefined: only http(s), a plain host, a port, a plain path. */
function checkUrl(text: string): string | undefined {
  // Printable ASCII only, as written: URL() would quietly percent-encode a space or a quote into something valid.
  if (!/^[!-~]+$/.test(text)) return undefined;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return undefined;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
  if (u.username !== "" || u.password !== "" || u.hash !== "") return undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!NetHostValue.safeParse(host).success) return undefined;
  const path = `${u.pathname}${u.search}`;
  if (!PathValue.safeParse(path).success) return undefined;
  return `${u.protocol}//${hostPart(host)}${u.port === "" ? "" : `:${u.port}`}${path}`;
}

export interface HealthEndpoint {
  readonly url: string;
  /** False when no HTTP answer came (refused, timed out, name unknown): `error` says why. */
  readonly answered: boolean;
  readonly status: number | undefined;
  /** 2xx. */
  readonly healthy: boolean;
  readonly seconds: number | undefined;
  readonly error: string | undefined;
}

/** Seconds curl waits for the whole answer (the exec timeout is a little longer, so curl reports it itself). */
export const HEALTH_TIMEOUT_S = 5;
const LIMITS = { timeoutMs: (HEALTH_TIMEOUT_S + 3) * 1000, maxOutputBytes: 64 * 1024 };
const MARK = "firewatch-health:";
const STATUS_LINE = /^firewatch-health: (\d{3}) ([\d.]+)$/;

/** curl's `-w` line on stderr ("firewatch-health: 503 0.004") and its error line ("curl: (7) Failed to connect ..."). */
export function parseCurlStderr(stderr: string): { status: number | undefined; seconds: number | undefined; error: string | undefined } {
  const lines = stderr.split("\n");
  const m = lines.map((l) => STATUS_LINE.exec(l.trim())).find((x) => x !== null);
  const error = lines.find((l) => l.startsWith("curl: ("))?.trim();
  const status = m ? Number(m[1]) : undefined;
  return { status: status === 0 ? undefined : status, seconds: m ? Number(m[2]) : undefined, error };
}

/** The host and port curl will connect to (the URL passed checkUrl, so URL() parses it). */
function targetOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[(.*)\]$/, "$1"), port: u.port === "" ? (u.protocol === "https:" ? 443 : 80) : Number(u.port) };
}

export async function readHealthEndpoint(ctx: ProbeContext, p: HealthEndpointParams): Promise<HealthEndpoint> {
  const t = targetOf(p.url);
  assertProbeTarget("health_endpoint", ctx.allowNet, t.host, t.port);
  // -q: no ~/.curlrc (it may hold credentials). No -f: a 503 is the evidence. No redirects followed: the probe asks
  // exactly this URL. The body is discarded (-o /dev/null): it may hold anything, and evidence goes to Slack.
  const argv = ["curl", "-q", "-sS", "--max-time", String(HEALTH_TIMEOUT_S), "--max-redirs", "0", "-o", "/dev/null", "-w", `%{stderr}${MARK} %{http_code} %{time_total}\\n`, "--", p.url];
  const r = await execProbe("health_endpoint", ctx, argv, LIMITS);
  const c = parseCurlStderr(r.stderr);
  if (r.code !== 0 && c.error === undefined) throw new ProbeError("health_endpoint", "command_failed", `curl ended with ${r.code ?? r.signal ?? "?"}: ${r.stderr.trim().split("\n")[0] ?? ""}`);
  const answered = r.code === 0 && c.status !== undefined;
  return {
    url: p.url,
    answered,
    status: c.status,
    healthy: answered && c.status !== undefined && c.status >= 200 && c.status < 300,
    seconds: c.seconds,
    error: answered ? undefined : c.error,
  };
}

function render(h: HealthEndpoint): string {
  if (!h.answered) return `GET ${h.url}: no answer (${h.error ?? "unknown error"})`;
  return `GET ${h.url} → HTTP ${h.status ?? "?"} (${h.healthy ? "healthy" : "unhealthy"}) in ${h.seconds ?? "?"} s`;
}

export const healthEndpoint: Probe<HealthEndpointParams, HealthEndpoint> = {
  name: "health_endpoint",
  params: HealthEndpointParams,
  run: async (ctx, p) => readHealthEndpoint(ctx, checkParams("health_endpoint", HealthEndpointParams, p)),
  render,
};

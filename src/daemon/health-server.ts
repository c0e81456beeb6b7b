// The daemon's HTTP door for operators: GET /healthz (liveness with the failing parts named) and GET /metrics (Prometheus).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { FirewatchError } from "../errors.js";
import type { DaemonMetrics } from "./metrics.js";

export interface HealthState {
  readonly ok: boolean;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface HealthServerOptions {
  /** Interface to listen on: "127.0.0.1" keeps it local; "0.0.0.0" or "::" for a scraper on another host. */
  readonly host: string;
  /** 0 = any free port (the bound one is returned). */
  readonly port: number;
  readonly metrics: DaemonMetrics;
  /** Asked on every /healthz; must be cheap and synchronous (it reads state the daemon already keeps). */
  readonly health: () => HealthState;
  readonly log: Logger;
}

export interface HealthServer {
  readonly port: number;
  /** Stops listening and drops open (keep-alive) connections; resolves once the port is free. */
  close(): Promise<void>;
}

/**
 * Nothing here reads a request body or trusts a header: the server answers two fixed paths, so a scraper or a load
 * balancer check costs one small write. Slow or idle clients are cut off by the timeouts below, so a stuck client
 * cannot pin sockets for the daemon's lifetime.
 */
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Starts the server; rejects with a coded error when the address cannot be bound (port taken, no such interface). */
export async function startHealthServer(opts: HealthServerOptions): Promise<HealthServer> {
  // No child({ component }) here: the daemon's logger already carries one, and pino would write the key twice.
  const log = opts.log;
  const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS }, (req, res) => {
    handle(req, res, opts).catch((e: unknown) => {
      log.warn({ err: e, path: req.url }, "The health server could not answer a /healthz or /metrics request.");
      if (!res.headersSent) send(res, req, 500, "text/plain; charset=utf-8", "internal error\n");
      else res.destroy();
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      const hint = e.code === "EADDRINUSE" ? `another process listens on ${opts.host}:${opts.port}; choose another port (0 = any free one)` : "check the health server's host and port in the config";
      reject(new FirewatchError("config_invalid", `cannot listen on ${opts.host}:${opts.port} for /healthz and /metrics: ${e.message}`, { cause: e, hint }));
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(opts.port, opts.host);
  });
  server.on("error", (e) => log.warn({ err: e }, "The health server reported an error."));
  const port = (server.address() as AddressInfo).port;
  log.info({ host: opts.host, port }, "Serving /healthz and /metrics.");

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // close() alone waits for keep-alive connections to time out; a stopping daemon should not.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: HealthServerOptions): Promise<void> {
  const path = (req.url ?? "/").split("?", 1)[0];
  if (path !== "/healthz" && path !== "/metrics") {
    send(res, req, 404, "text/plain; charset=utf-8", "not found: try /healthz or /metrics\n");
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    send(res, req, 405, "text/plain; charset=utf-8", "method not allowed: use GET or HEAD\n");
    return;
  }
  if (path === "/metrics") {
    const text = await opts.metrics.registry.metrics();
    send(res, req, 200, opts.metrics.registry.contentType, text);
    return;
  }
  const { status, body } = healthBody(opts.health);
  send(res, req, status, "application/json; charset=utf-8", `${JSON.stringify(body)}\n`);
}

/** 200 {"status":"ok",...detail} or 503 {"status":"failing",...detail}; a health() that throws is itself a failure. */
function healthBody(health: () => HealthState): { status: number; body: Record<string, unknown> } {
  let state: HealthState;
  try {
    state = health();
  } catch (e) {
    return { status: 503, body: { status: "failing", error: e instanceof Error ? e.message : String(e) } };
  }
  const status = state.ok ? "ok" : "failing";
  // "status" first for people reading it with curl, and always ours: a detail key cannot turn a failure into "ok".
  return { status: state.ok ? 200 : 503, body: Object.assign({ status }, state.detail, { status }) };
}

function send(res: ServerResponse, req: IncomingMessage, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.setHeader("Cache-Control", "no-store");
  res.end(req.method === "HEAD" ? undefined : body);
}

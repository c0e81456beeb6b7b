// Bolt's HTTP receiver, ours: every request verified (signature, window, no replay) before Bolt sees it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { App, Logger as SlackLogger, Receiver } from "@slack/bolt";
import { z } from "zod";
import type { Clock } from "../time.js";
import { bolt } from "./bolt.js";
import { MAX_REQUEST_AGE_MS, createRequestVerifier, type VerifyOutcome } from "./verify.js";

/**
 * Slack's payloads are a few KB; the largest real one is a block_actions click, which carries the whole message the
 * button sits on. firewatch's largest post (50 blocks at Slack's limits, form-encoded) measures 176 KiB in
 * test/integration/bot/http-receiver.test.ts, so 256 KiB takes every real payload and refuses anything past it before it is
 * read into memory.
 */
export const MAX_BODY_BYTES = 256 * 1024;
/** Bodies read at once before their signature can be checked; more are answered 503 at once (Slack retries). */
export const MAX_UNVERIFIED_BODIES = 16;
/** Time a client has to send its headers, then its whole request; a slow-loris connection is closed after it. */
export const HEADERS_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 10_000;

export interface SignedHttpReceiverOptions {
  readonly signingSecret: string;
  readonly clock: Clock;
  readonly logger: SlackLogger;
  /** Where Slack sends slash commands, interactivity and events (default "/slack/events"). */
  readonly path?: string;
  readonly port?: number;
  readonly host?: string;
  /** Told about each refused request (tests and metrics). */
  readonly onRefused?: (reason: string) => void;
  /**
   * Remembers a verified signature for `ttlMs` where it outlives this process (the store): true the first time, false
   * when it was seen before (a replay after a restart). Without it, replays are refused only within this process.
   */
  readonly remember?: (signature: string, ttlMs: number) => Promise<boolean>;
  /** Limits, for tests; the defaults above otherwise. */
  readonly limits?: { readonly maxBodyBytes?: number; readonly maxUnverified?: number; readonly headersTimeoutMs?: number; readonly requestTimeoutMs?: number };
}

const UrlVerification = z.object({ type: z.literal("url_verification"), challenge: z.string() });
const Body = z.record(z.string(), z.unknown());

/** Parses a verified body: form (slash commands; interactivity as `payload=` JSON) or JSON (Events API). */
function parseBody(raw: string, contentType: string): Record<string, unknown> | undefined {
  try {
    if (contentType.includes("application/json")) return Body.parse(JSON.parse(raw));
    const form = Object.fromEntries(new URLSearchParams(raw));
    if (typeof form["payload"] === "string") return Body.parse(JSON.parse(form["payload"]));
    return form;
  } catch {
    return undefined;
  }
}

/** The body, or undefined past `limit` bytes; rejects when the client aborts or the request times out. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) return undefined;
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export class SignedHttpReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | undefined;
  private readonly verify: ReturnType<typeof createRequestVerifier>;
  private unverified = 0;

  constructor(private readonly opts: SignedHttpReceiverOptions) {
    this.verify = createRequestVerifier({ signingSecret: opts.signingSecret, clock: opts.clock });
  }

  init(app: App): void {
    this.app = app;
  }

  /** The port it listens on, once started. */
  get port(): number | undefined {
    const addr = this.server?.address();
    return addr && typeof addr === "object" ? (addr as AddressInfo).port : undefined;
  }

  /** Listens; resolves with the bound port (port 0 picks a free one). */
  async start(): Promise<number> {
    const limits = this.opts.limits ?? {};
    // Timeouts are checked every connectionsCheckingInterval (30 s by default): check every second instead.
    const server = createServer({ connectionsCheckingInterval: 1000, headersTimeout: limits.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout: limits.requestTimeoutMs ?? REQUEST_TIMEOUT_MS }, (req, res) => {
      // No request may end as an unhandled rejection (an aborted body used to kill the daemon): every failure is caught here.
      this.handle(req, res).catch((e: unknown) => {
        this.opts.onRefused?.("failed");
        this.opts.logger.warn(`A request to the Slack endpoint failed: ${e instanceof Error ? e.message : String(e)}.`);
        if (!res.headersSent && !res.destroyed) res.writeHead(400, { connection: "close" }).end();
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 5_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.opts.port ?? 3000, this.opts.host ?? "127.0.0.1", () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private refuse(res: ServerResponse, status: number, reason: string): void {
    this.opts.onRefused?.(reason);
    this.opts.logger.warn(`Refused a request to the Slack endpoint: ${reason}.`);
    if (res.headersSent || res.destroyed) return;
    // A refused request's unread body is not drained: the connection is closed instead.
    res.writeHead(status, { "content-type": "text/plain", connection: "close" });
    res.end(status === 401 ? "invalid request\n" : `${reason}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://receiver");
    if (req.method !== "POST" || url.pathname !== (this.opts.path ?? "/slack/events")) return this.refuse(res, 404, "not_found");
    const limit = this.opts.limits?.maxBodyBytes ?? MAX_BODY_BYTES;
    const declared = header(req, "content-length");
    if (declared !== undefined && (!/^\d{1,12}$/.test(declared) || Number(declared) > limit)) return this.refuse(res, 413, "too_large");
    const timestamp = header(req, "x-slack-request-timestamp");
    const signature = header(req, "x-slack-signature");
    // Headers that cannot verify are refused before the body is read (the same 401 as a bad signature).
    const early = this.verify.checkHeaders({ timestamp, signature });
    if (!early.ok) return this.refuse(res, 401, early.reason);
    if (this.unverified >= (this.opts.limits?.maxUnverified ?? MAX_UNVERIFIED_BODIES)) return this.refuse(res, 503, "busy");
    this.unverified += 1;
    let raw: Buffer | undefined;
    try {
      raw = await readBody(req, limit);
    } finally {
      this.unverified -= 1;
    }
    if (raw === undefined) return this.refuse(res, 413, "too_large");
    let outcome: VerifyOutcome = this.verify({ timestamp, signature, body: raw });
    if (outcome.ok && signature !== undefined && this.opts.remember && !(await this.opts.remember(signature, MAX_REQUEST_AGE_MS * 2))) {
      outcome = { ok: false, reason: "replayed" };
    }
    // The same answer for every refusal, so a forger learns nothing about which check failed.
    if (!outcome.ok) return this.refuse(res, 401, outcome.reason);
    const body = parseBody(raw.toString("utf8"), header(req, "content-type") ?? "");
    if (body === undefined) return this.refuse(res, 400, "bad_body");
    const challenge = UrlVerification.safeParse(body);
    if (challenge.success) {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ challenge: challenge.data.challenge }));
    }
    if (body["ssl_check"] !== undefined) return void res.writeHead(200).end();
    const app = this.app;
    if (!app) return this.refuse(res, 503, "not_ready");
    const ack = new (bolt().HTTPResponseAck)({ logger: this.opts.logger, processBeforeResponse: false, httpRequest: req, httpRequestBody: body, httpResponse: res });
    const retry = header(req, "x-slack-retry-num");
    try {
      await app.processEvent({
        body,
        ack: ack.bind(),
        ...(retry !== undefined && /^\d+$/.test(retry) ? { retryNum: Number(retry) } : {}),
        ...(header(req, "x-slack-retry-reason") ? { retryReason: header(req, "x-slack-retry-reason") ?? "" } : {}),
      });
    } catch (e) {
      this.opts.logger.error(`A Slack request failed in its handler: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) res.writeHead(500).end();
    }
  }
}

// Bolt's HTTP receiver, ours: every request verified (signature, window, no replay) before Bolt sees it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HTTPResponseAck, type App, type Logger as SlackLogger, type Receiver } from "@slack/bolt";
import { z } from "zod";
import type { Clock } from "../time.js";
import { createRequestVerifier, type VerifyOutcome } from "./verify.js";

/** Slack's payloads are small; anything past this is refused before it is read into memory. */
export const MAX_BODY_BYTES = 1_000_000;

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
    const server = createServer((req, res) => void this.handle(req, res));
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
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(status === 401 ? "invalid request\n" : `${reason}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://receiver");
    if (req.method !== "POST" || url.pathname !== (this.opts.path ?? "/slack/events")) return this.refuse(res, 404, "not_found");
    const raw = await readBody(req, MAX_BODY_BYTES);
    if (raw === undefined) return this.refuse(res, 413, "too_large");
    const outcome: VerifyOutcome = this.verify({
      timestamp: header(req, "x-slack-request-timestamp"),
      signature: header(req, "x-slack-signature"),
      body: raw,
    });
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
    const ack = new HTTPResponseAck({ logger: this.opts.logger, processBeforeResponse: false, httpRequest: req, httpRequestBody: body, httpResponse: res });
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

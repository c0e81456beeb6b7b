// A local fake of the Slack Web API on 127.0.0.1 that checks what Slack checks and records every call for assertions.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

export interface RecordedCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  /** HTTP status the fake answered (200 or 429). */
  readonly status: number;
  /** `ok` of the answer, or undefined for a 429. */
  readonly ok: boolean | undefined;
  readonly error: string | undefined;
}

export interface StoredMessage {
  readonly channel: string;
  readonly ts: string;
  text: string;
  blocks: unknown[];
  readonly threadTs: string | undefined;
  readonly metadata: unknown;
  edits: number;
}

export interface UploadedFile {
  readonly id: string;
  readonly filename: string;
  content: string;
  channel: string | undefined;
  threadTs: string | undefined;
  title: string | undefined;
}

export interface FakeSlack {
  /** Base URL for WebClient's `slackApiUrl` ("http://127.0.0.1:PORT/api/"). */
  readonly apiUrl: string;
  /** Base URL of the response_url endpoints (`respond` posts there). */
  readonly origin: string;
  readonly calls: RecordedCall[];
  /** Messages by "channel/ts", in posting order. */
  readonly messages: Map<string, StoredMessage>;
  readonly files: UploadedFile[];
  /** JSON bodies posted to response URLs, by the id in the URL. */
  readonly responses: { id: string; body: Record<string, unknown> }[];
  /** After `skip` more calls, the next `times` calls of `method` answer 429 with `Retry-After: retryAfterSec`. */
  rateLimit(method: string, times: number, retryAfterSec: number, skip?: number): void;
  /** The next `times` calls of `method` fail with HTTP 500 (Slack having a bad minute). */
  failNext(method: string, times: number): void;
  /** The next `times` calls of `method` are carried out, then answered with HTTP 500 (the answer was lost on the way). */
  loseAnswerNext(method: string, times: number): void;
  /** The next call of `method` is carried out, then `hook` runs before the answer is sent (e.g. to kill the caller). */
  beforeAnswerOnce(method: string, hook: () => Promise<void> | void): void;
  /** Top-level messages (not thread replies) of a channel, oldest first. */
  postsIn(channel: string): StoredMessage[];
  /** Replies in the thread of `ts`, oldest first. */
  repliesTo(channel: string, ts: string): StoredMessage[];
  /** Calls of one method (successful or not). */
  callsOf(method: string): RecordedCall[];
  /** Resolves with `check()`'s first defined value, re-checked after every call and response; rejects after `timeoutMs`. */
  waitFor<T>(check: () => T | undefined, timeoutMs?: number): Promise<T>;
  /** Sets the members of a Slack user group (what usergroups.users.list answers). */
  setUserGroup(id: string, users: readonly string[]): void;
  /** A response_url the fake accepts. */
  responseUrl(id: string): string;
  close(): Promise<void>;
}

export interface FakeSlackOptions {
  /** Bot token the fake accepts (default "xoxb-test-token"). */
  readonly token?: string;
  /** App-level token for apps.connections.open (default "xapp-test-token"). */
  readonly appToken?: string;
  /** Socket Mode: WebSocket upgrades of ws://…/socket (the URL apps.connections.open hands out) go here. */
  readonly onSocketUpgrade?: (req: IncomingMessage, socket: Duplex) => void;
  /** Slack's clock, for message ts (default: the wall clock); tests pass the clock they move. */
  readonly now?: () => number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function textOf(o: unknown): string | undefined {
  return isRecord(o) ? str(o["text"]) : undefined;
}

/**
 * What Slack would say is wrong with these blocks, one line each (empty: valid). Limits from Slack's Block Kit
 * reference: 50 blocks, section text 3000, fields 10 × 2000, header 150, context 10 elements, actions 25 elements,
 * button text 75, value 2000, action_id and block_id 255 and unique.
 */
export function blockKitProblems(blocks: unknown): string[] {
  const out: string[] = [];
  if (!Array.isArray(blocks)) return ["blocks must be an array"];
  if (blocks.length > 50) out.push(`${blocks.length} blocks (max 50)`);
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();
  blocks.forEach((b, n) => {
    const at = `blocks[${n}]`;
    if (!isRecord(b)) return void out.push(`${at} is not an object`);
    const id = str(b["block_id"]);
    if (id !== undefined) {
      if (id.length > 255) out.push(`${at}.block_id longer than 255`);
      if (blockIds.has(id)) out.push(`${at}.block_id ${id} repeated`);
      blockIds.add(id);
    }
    const checkText = (t: unknown, max: number, where: string) => {
      const s = textOf(t);
      if (s === undefined || s.length === 0) out.push(`${where} has no text`);
      else if (s.length > max) out.push(`${where} is ${s.length} chars (max ${max})`);
    };
    switch (b["type"]) {
      case "header":
        checkText(b["text"], 150, `${at}.text`);
        break;
      case "section": {
        const fields = b["fields"];
        if (b["text"] === undefined && fields === undefined) out.push(`${at} needs text or fields`);
        if (b["text"] !== undefined) checkText(b["text"], 3000, `${at}.text`);
        if (fields !== undefined) {
          if (!Array.isArray(fields) || fields.length > 10) out.push(`${at}.fields: at most 10`);
          else fields.forEach((f, k) => checkText(f, 2000, `${at}.fields[${k}]`));
        }
        break;
      }
      case "context": {
        const els = b["elements"];
        if (!Array.isArray(els) || els.length === 0 || els.length > 10) out.push(`${at}.elements: 1 to 10`);
        else els.forEach((e, k) => checkText(e, 3000, `${at}.elements[${k}]`));
        break;
      }
      case "actions": {
        const els = b["elements"];
        if (!Array.isArray(els) || els.length === 0 || els.length > 25) return void out.push(`${at}.elements: 1 to 25`);
        els.forEach((e, k) => {
          const w = `${at}.elements[${k}]`;
          if (!isRecord(e)) return void out.push(`${w} is not an object`);
          checkText(e["text"], 75, `${w}.text`);
          const value = str(e["value"]);
          if (value !== undefined && value.length > 2000) out.push(`${w}.value longer than 2000`);
          const confirm = e["confirm"];
          // Slack's confirmation dialog: title 100, text 300, confirm and deny 30 characters.
          if (confirm !== undefined) {
            if (!isRecord(confirm)) out.push(`${w}.confirm is not an object`);
            else {
              checkText(confirm["text"], 300, `${w}.confirm.text`);
              for (const [k, max] of [["title", 100], ["confirm", 30], ["deny", 30]] as const) if (confirm[k] !== undefined) checkText(confirm[k], max, `${w}.confirm.${k}`);
            }
          }
          const aid = str(e["action_id"]);
          if (aid !== undefined) {
            if (aid.length > 255) out.push(`${w}.action_id longer than 255`);
            if (actionIds.has(aid)) out.push(`${w}.action_id ${aid} repeated`);
            actionIds.add(aid);
          }
        });
        break;
      }
      case "divider":
        break;
      default:
        out.push(`${at}: unknown block type ${String(b["type"])}`);
    }
  });
  return out;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  const type = req.headers["content-type"] ?? "";
  if (type.includes("application/json")) {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    return isRecord(parsed) ? parsed : {};
  }
  if (type.includes("application/x-www-form-urlencoded")) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(raw)) {
      // WebClient sends arrays and objects as JSON strings in form fields, as Slack accepts them.
      out[k] = ["blocks", "files", "attachments", "metadata"].includes(k) && /^[[{]/.test(v) ? JSON.parse(v) : v;
    }
    return out;
  }
  return { _raw: raw };
}

/** Starts the fake on a free loopback port. */
export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const token = opts.token ?? "xoxb-test-token";
  const appToken = opts.appToken ?? "xapp-test-token";
  const now = opts.now ?? Date.now;
  // Like Slack's: seconds of the post time, then a part that makes it unique.
  const nextTs = () => `${Math.floor(now() / 1000)}.${String((tsCounter += 1)).padStart(6, "0")}`;
  const calls: RecordedCall[] = [];
  const messages = new Map<string, StoredMessage>();
  const files: UploadedFile[] = [];
  const responses: { id: string; body: Record<string, unknown> }[] = [];
  const limited = new Map<string, { times: number; retryAfterSec: number; skip: number }>();
  const failing = new Map<string, number>();
  const losing = new Map<string, number>();
  const hooks = new Map<string, () => Promise<void> | void>();
  let tsCounter = 0;
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of [...listeners]) l();
  };
  let fileCounter = 0;
  let origin = "";
  const userGroups = new Map<string, readonly string[]>();

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };

  function api(method: string, a: Record<string, unknown>): Record<string, unknown> {
    const needs = (...names: string[]) => names.find((n) => a[n] === undefined || a[n] === "");
    const checkMessage = (): Record<string, unknown> | undefined => {
      if (a["text"] === undefined && a["blocks"] === undefined) return { ok: false, error: "no_text" };
      if (a["blocks"] !== undefined) {
        const problems = blockKitProblems(a["blocks"]);
        if (problems.length > 0) return { ok: false, error: "invalid_blocks", errors: problems };
      }
      if ((str(a["text"]) ?? "").length > 40_000) return { ok: false, error: "msg_too_long" };
      return undefined;
    };
    switch (method) {
      case "auth.test":
        return { ok: true, url: "https://fake.slack.test/", team: "fake", user: "firewatch", team_id: "T0FAKE", user_id: "U0BOT", bot_id: "B0BOT" };
      case "chat.postMessage": {
        const missing = needs("channel");
        if (missing) return { ok: false, error: "channel_not_found" };
        const bad = checkMessage();
        if (bad) return bad;
        const channel = String(a["channel"]);
        const threadTs = str(a["thread_ts"]);
        if (threadTs !== undefined && !messages.has(`${channel}/${threadTs}`)) return { ok: false, error: "thread_not_found" };
        const ts = nextTs();
        const metadata: unknown = a["metadata"];
        const msg: StoredMessage = { channel, ts, text: str(a["text"]) ?? "", blocks: Array.isArray(a["blocks"]) ? a["blocks"] : [], threadTs, metadata, edits: 0 };
        messages.set(`${channel}/${ts}`, msg);
        return { ok: true, channel, ts, message: { text: msg.text, ts } };
      }
      case "chat.update": {
        const missing = needs("channel", "ts");
        if (missing) return { ok: false, error: missing === "ts" ? "message_not_found" : "channel_not_found" };
        const msg = messages.get(`${String(a["channel"])}/${String(a["ts"])}`);
        if (!msg) return { ok: false, error: "message_not_found" };
        const bad = checkMessage();
        if (bad) return bad;
        msg.text = str(a["text"]) ?? msg.text;
        if (Array.isArray(a["blocks"])) msg.blocks = a["blocks"];
        msg.edits += 1;
        return { ok: true, channel: msg.channel, ts: msg.ts, text: msg.text };
      }
      case "conversations.history": {
        if (needs("channel")) return { ok: false, error: "channel_not_found" };
        const oldest = Number(str(a["oldest"]) ?? "0");
        const all = a["include_all_metadata"] === "true" || a["include_all_metadata"] === true;
        const list = [...messages.values()]
          .filter((m) => m.channel === a["channel"] && m.threadTs === undefined && Number(m.ts) >= oldest)
          .reverse()
          .map((m) => ({ type: "message", ts: m.ts, text: m.text, ...(all && m.metadata !== undefined ? { metadata: m.metadata } : {}) }));
        return { ok: true, messages: list, has_more: false };
      }
      case "conversations.replies": {
        const missing = needs("channel", "ts");
        if (missing) return { ok: false, error: missing === "ts" ? "thread_not_found" : "channel_not_found" };
        const parent = messages.get(`${String(a["channel"])}/${String(a["ts"])}`);
        if (!parent) return { ok: false, error: "thread_not_found" };
        const thread = [parent, ...[...messages.values()].filter((m) => m.channel === parent.channel && m.threadTs === parent.ts)];
        return { ok: true, messages: thread.map((m) => ({ type: "message", ts: m.ts, text: m.text, ...(m.threadTs ? { thread_ts: m.threadTs } : {}) })), has_more: false };
      }
      case "chat.postEphemeral": {
        if (needs("channel")) return { ok: false, error: "channel_not_found" };
        if (needs("user")) return { ok: false, error: "user_not_in_channel" };
        const bad = checkMessage();
        if (bad) return bad;
        return { ok: true, message_ts: nextTs() };
      }
      case "usergroups.users.list": {
        const group = str(a["usergroup"]);
        if (group === undefined) return { ok: false, error: "invalid_arguments" };
        const users = userGroups.get(group);
        return users === undefined ? { ok: false, error: "no_such_subteam" } : { ok: true, users: [...users] };
      }
      case "files.getUploadURLExternal": {
        const missing = needs("filename", "length");
        if (missing) return { ok: false, error: "invalid_arguments", response_metadata: { messages: [`missing ${missing}`] } };
        fileCounter += 1;
        const id = `F${String(fileCounter).padStart(8, "0")}`;
        files.push({ id, filename: String(a["filename"]), content: "", channel: undefined, threadTs: undefined, title: undefined });
        return { ok: true, upload_url: `${origin}/upload/${id}`, file_id: id };
      }
      case "files.completeUploadExternal": {
        const list = a["files"];
        if (!Array.isArray(list) || list.length === 0) return { ok: false, error: "invalid_arguments" };
        for (const f of list) {
          const found = files.find((x) => isRecord(f) && x.id === f["id"]);
          if (!found) return { ok: false, error: "file_not_found" };
          found.channel = str(a["channel_id"]);
          found.threadTs = str(a["thread_ts"]);
          found.title = isRecord(f) ? str(f["title"]) : undefined;
        }
        return { ok: true, files: list };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", origin);
      if (url.pathname.startsWith("/upload/")) {
        const id = url.pathname.slice("/upload/".length);
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const f = files.find((x) => x.id === id);
        if (!f) return send(res, 404, { ok: false });
        const raw = Buffer.concat(chunks);
        const type = req.headers["content-type"] ?? "";
        // WebClient uploads as multipart/form-data (one file part); anything else is taken as the bytes themselves.
        if (type.startsWith("multipart/form-data")) {
          const form = await new Response(raw, { headers: { "content-type": type } }).formData();
          const part = [...form.values()].find((v) => typeof v !== "string");
          f.content = part === undefined ? "" : await part.text();
        } else f.content = raw.toString("utf8");
        res.writeHead(200, { "content-type": "text/plain" });
        return void res.end("OK - " + String(chunks.length));
      }
      if (url.pathname.startsWith("/response/")) {
        responses.push({ id: url.pathname.slice("/response/".length), body: await readBody(req) });
        send(res, 200, { ok: true });
        return changed();
      }
      const method = url.pathname.replace(/^\/api\//, "");
      const args = await readBody(req);
      const record = (status: number, body: Record<string, unknown> | undefined) => {
        calls.push({ method, args, status, ok: body === undefined ? undefined : body["ok"] === true, error: body === undefined ? undefined : str(body["error"]) });
        // After the answer is written, so a waiter sees the state the client will see.
        setImmediate(changed);
      };
      const limit = limited.get(method);
      if (limit && limit.skip > 0) limit.skip -= 1;
      else if (limit && limit.times > 0) {
        limit.times -= 1;
        record(429, undefined);
        return send(res, 429, { ok: false, error: "ratelimited" }, { "retry-after": String(limit.retryAfterSec) });
      }
      const failures = failing.get(method) ?? 0;
      if (failures > 0) {
        failing.set(method, failures - 1);
        record(500, { ok: false, error: "internal_error" });
        return send(res, 500, { ok: false, error: "internal_error" });
      }
      const lose = losing.get(method) ?? 0;
      const auth = req.headers.authorization;
      const given = auth?.startsWith("Bearer ") ? auth.slice(7) : str(args["token"]);
      let body: Record<string, unknown>;
      if (given === undefined) body = { ok: false, error: "not_authed" };
      else if (method === "apps.connections.open") body = given === appToken ? { ok: true, url: `${origin.replace("http:", "ws:")}/socket` } : { ok: false, error: "invalid_auth" };
      else if (given !== token) body = { ok: false, error: "invalid_auth" };
      else body = api(method, args);
      const hook = hooks.get(method);
      if (hook) {
        hooks.delete(method);
        await hook();
      }
      if (lose > 0) {
        losing.set(method, lose - 1);
        record(500, { ok: false, error: "internal_error" });
        return send(res, 500, { ok: false, error: "internal_error" });
      }
      record(200, body);
      send(res, 200, body);
    })().catch((e: unknown) => send(res, 500, { ok: false, error: String(e) }));
  });
  server.on("upgrade", (req, socket) => (req.url === "/socket" && opts.onSocketUpgrade ? opts.onSocketUpgrade(req, socket) : socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  return {
    apiUrl: `${origin}/api/`,
    origin,
    calls,
    messages,
    files,
    responses,
    rateLimit: (method, times, retryAfterSec, skip = 0) => void limited.set(method, { times, retryAfterSec, skip }),
    failNext: (method, times) => void failing.set(method, times),
    loseAnswerNext: (method, times) => void losing.set(method, times),
    beforeAnswerOnce: (method, hook) => void hooks.set(method, hook),
    postsIn: (channel) => [...messages.values()].filter((m) => m.channel === channel && m.threadTs === undefined),
    repliesTo: (channel, ts) => [...messages.values()].filter((m) => m.channel === channel && m.threadTs === ts),
    callsOf: (method) => calls.filter((c) => c.method === method),
    responseUrl: (id) => `${origin}/response/${id}`,
    setUserGroup: (id, users) => void userGroups.set(id, users),
    waitFor: <T,>(check: () => T | undefined, timeoutMs = 10_000) =>
      new Promise<T>((resolve, reject) => {
        const now = check();
        if (now !== undefined) return resolve(now);
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`fake Slack: condition not met within ${timeoutMs} ms; calls: ${calls.map((c) => c.method).join(", ")}`));
        }, timeoutMs);
        const listener = () => {
          const v = check();
          if (v === undefined) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(v);
        };
        listeners.add(listener);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

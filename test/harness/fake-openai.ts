// A local OpenAI-compatible chat completions server on 127.0.0.1 that checks requests like the real API and answers as told.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

/** What the next request gets. Requests beyond the script get `fallback` (default: a 500). */
export type FakeReply =
  | { readonly kind: "answer"; readonly answer: unknown }
  | { readonly kind: "content"; readonly content: string; readonly finishReason?: "stop" | "length" }
  | { readonly kind: "refusal"; readonly refusal: string }
  | { readonly kind: "status"; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly message?: string }
  | { readonly kind: "slow"; readonly ms: number; readonly then: FakeReply }
  /** Like an endpoint without structured output: 400 when response_format is json_schema, else the answer. */
  | { readonly kind: "no_structured_output"; readonly answer: unknown }
  /** Like a newer OpenAI model: 400 naming the first of these parameters the request carries, else the answer. */
  | { readonly kind: "reject_params"; readonly params: readonly ("max_tokens" | "temperature")[]; readonly answer: unknown };

const Message = z.object({
  role: z.enum(["system", "developer", "user", "assistant", "tool"]),
  content: z.union([z.string(), z.array(z.object({ type: z.string() }).loose())]),
  name: z.string().optional(),
}).strict();

const JsonSchemaFormat = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  description: z.string().optional(),
  strict: z.boolean().nullable().optional(),
  schema: z.record(z.string(), z.unknown()),
}).strict();

/** The request body, as far as the real API checks what firewatch sends. */
export const ChatRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  response_format: z.discriminatedUnion("type", [
    z.object({ type: z.literal("text") }).strict(),
    z.object({ type: z.literal("json_object") }).strict(),
    z.object({ type: z.literal("json_schema"), json_schema: JsonSchemaFormat }).strict(),
  ]).optional(),
  stream: z.boolean().optional(),
}).strict();
export type ChatRequest = z.infer<typeof ChatRequestSchema>;

/** Strict structured output: an object schema, no extra properties, every property required (as OpenAI demands). */
function strictSchemaProblem(schema: Record<string, unknown>): string | undefined {
  if (schema["type"] !== "object") return "schema.type must be 'object'";
  if (schema["additionalProperties"] !== false) return "additionalProperties must be false in strict mode";
  const props = schema["properties"];
  const required = schema["required"];
  if (typeof props !== "object" || props === null) return "schema.properties missing";
  if (!Array.isArray(required)) return "schema.required missing";
  for (const key of Object.keys(props)) if (!required.includes(key)) return `'${key}' must be in required in strict mode`;
  return undefined;
}

export interface FakeOpenAi {
  /** e.g. http://127.0.0.1:41234/v1 */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Every request that reached the handler, in order (valid or not). */
  readonly requests: { readonly headers: IncomingMessage["headers"]; readonly body: unknown; readonly status: number }[];
  /** Replies for the next requests, in order. */
  script(...replies: FakeReply[]): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function apiError(res: ServerResponse, status: number, message: string, type: string, headers?: Readonly<Record<string, string>>): number {
  send(res, status, { error: { message, type, param: null, code: null } }, headers);
  return status;
}

const tokens = (s: string) => Math.ceil(s.length / 4);

/** `apiKey: null` is a local server that takes no key (llama.cpp, Ollama): any Authorization header is accepted. */
export async function startFakeOpenAi(opts: { apiKey?: string | null; fallback?: FakeReply } = {}): Promise<FakeOpenAi> {
  const apiKey = opts.apiKey === null ? "" : (opts.apiKey ?? "sk-test-fake-key-0000000000000000");
  const queue: FakeReply[] = [];
  const requests: FakeOpenAi["requests"] = [];
  const timers = new Set<NodeJS.Timeout>();

  const reply = (res: ServerResponse, req: ChatRequest, r: FakeReply): Promise<number> | number => {
    const promptTokens = tokens(req.messages.map((m) => (typeof m.content === "string" ? m.content : "")).join(""));
    const completion = (message: { content: string | null; refusal: string | null }, finish: string) => {
      send(res, 200, {
        id: "chatcmpl-fake",
        object: "chat.completion",
        created: 1_700_000_000,
        model: req.model,
        choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish, logprobs: null }],
        usage: { prompt_tokens: promptTokens, completion_tokens: tokens(message.content ?? message.refusal ?? ""), total_tokens: 0 },
      });
      return 200;
    };
    switch (r.kind) {
      case "answer":
        return completion({ content: JSON.stringify(r.answer), refusal: null }, "stop");
      case "content":
        return completion({ content: r.content, refusal: null }, r.finishReason ?? "stop");
      case "refusal":
        return completion({ content: null, refusal: r.refusal }, "stop");
      case "status":
        return apiError(res, r.status, r.message ?? `fake status ${r.status}`, r.status === 429 ? "rate_limit_error" : "server_error", r.headers);
      case "no_structured_output":
        if (req.response_format?.type === "json_schema") return apiError(res, 400, "response_format of type json_schema is not supported by this model", "invalid_request_error");
        return completion({ content: "```json\n" + JSON.stringify(r.answer) + "\n```", refusal: null }, "stop");
      case "reject_params": {
        if (r.params.includes("max_tokens") && req.max_tokens !== undefined) {
          return apiError(res, 400, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "invalid_request_error");
        }
        if (r.params.includes("temperature") && req.temperature !== undefined && req.temperature !== 1) {
          return apiError(res, 400, `Unsupported value: 'temperature' does not support ${req.temperature} with this model. Only the default (1) value is supported.`, "invalid_request_error");
        }
        return completion({ content: JSON.stringify(r.answer), refusal: null }, "stop");
      }
      case "slow":
        return new Promise((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            // The client may have given up and closed the socket: writing then is harmless.
            if (res.destroyed) resolve(0);
            else void Promise.resolve(reply(res, req, r.then)).then(resolve);
          }, r.ms);
          timers.add(t);
        });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      body = undefined;
    }
    const record = { headers: req.headers, body, status: 0 };
    requests.push(record);
    const status = await (async () => {
      if (req.method !== "POST" || !/\/v1\/chat\/completions$/.test(req.url ?? "")) return apiError(res, 404, `no route ${req.method} ${req.url}`, "invalid_request_error");
      if (opts.apiKey !== null && req.headers.authorization !== `Bearer ${apiKey}`) return apiError(res, 401, "Incorrect API key provided", "invalid_request_error");
      if (!String(req.headers["content-type"]).startsWith("application/json")) return apiError(res, 400, "content-type must be application/json", "invalid_request_error");
      const parsed = ChatRequestSchema.safeParse(body);
      if (!parsed.success) return apiError(res, 400, `invalid request: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, "invalid_request_error");
      const rf = parsed.data.response_format;
      if (rf?.type === "json_schema" && rf.json_schema.strict === true) {
        const problem = strictSchemaProblem(rf.json_schema.schema);
        if (problem !== undefined) return apiError(res, 400, `Invalid schema for response_format '${rf.json_schema.name}': ${problem}`, "invalid_request_error");
      }
      const next = queue.shift() ?? opts.fallback ?? { kind: "status", status: 500, message: "no reply scripted" };
      return reply(res, parsed.data, next);
    })();
    record.status = status;
    return status;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) apiError(res, 500, `fake server error: ${String(e)}`, "server_error");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    script: (...replies) => void queue.push(...replies),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

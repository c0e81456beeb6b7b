// Slack's Socket Mode for the fake Slack: a minimal RFC 6455 WebSocket endpoint that says hello, sends envelopes, records acks.
import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

export interface SocketModeEndpoint {
  /** Sends an envelope (e.g. type "slash_commands" with a slash command payload) to every connected client; its id. */
  send(type: string, payload: Record<string, unknown>): string;
  /** Envelope acks received, in order. */
  readonly acks: { envelope_id: string; payload: unknown }[];
  /** Resolves when the ack of `envelopeId` arrives. */
  waitForAck(envelopeId: string): Promise<unknown>;
  /** Connected clients. */
  connections(): number;
  /** The upgrade handler to attach to the fake's HTTP server. */
  upgrade(req: IncomingMessage, socket: Duplex): void;
  closeAll(): void;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65_536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff]) : Buffer.alloc(10);
  if (len >= 65_536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/** Parses the client's (masked) frames from `buf`; returns the complete ones and what is left. */
function parseFrames(buf: Buffer): { frames: { opcode: number; payload: Buffer }[]; rest: Buffer } {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let at = 0;
  for (;;) {
    if (buf.length - at < 2) break;
    const b0 = buf[at] ?? 0;
    const b1 = buf[at + 1] ?? 0;
    let len = b1 & 0x7f;
    let off = at + 2;
    if (len === 126) {
      if (buf.length - off < 2) break;
      len = buf.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      if (buf.length - off < 8) break;
      len = Number(buf.readBigUInt64BE(off));
      off += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const maskLen = masked ? 4 : 0;
    if (buf.length - off < maskLen + len) break;
    const mask = buf.subarray(off, off + maskLen);
    const payload = Buffer.from(buf.subarray(off + maskLen, off + maskLen + len));
    if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
    frames.push({ opcode: b0 & 0x0f, payload });
    at = off + maskLen + len;
  }
  return { frames, rest: buf.subarray(at) };
}

export function createSocketModeEndpoint(): SocketModeEndpoint {
  const sockets = new Set<Duplex>();
  const acks: { envelope_id: string; payload: unknown }[] = [];
  const waiters = new Map<string, (payload: unknown) => void>();
  const onAck = (a: { envelope_id: string; payload: unknown }) => {
    acks.push(a);
    waiters.get(a.envelope_id)?.(a.payload);
    waiters.delete(a.envelope_id);
  };
  const sendText = (s: Duplex, obj: unknown) => s.write(frame(0x1, Buffer.from(JSON.stringify(obj))));
  return {
    acks,
    connections: () => sockets.size,
    waitForAck: (id) => {
      const done = acks.find((a) => a.envelope_id === id);
      return done ? Promise.resolve(done.payload) : new Promise((resolve) => waiters.set(id, resolve));
    },
    send(type, payload) {
      const envelope_id = randomUUID();
      for (const s of sockets) sendText(s, { envelope_id, type, payload, accepts_response_payload: true, retry_attempt: 0, retry_reason: "" });
      return envelope_id;
    },
    upgrade(req, socket) {
      const key = req.headers["sec-websocket-key"];
      if (typeof key !== "string") return void socket.destroy();
      const accept = createHash("sha1").update(key + GUID).digest("base64");
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      sockets.add(socket);
      let pending: Buffer = Buffer.alloc(0);
      socket.on("data", (chunk: Buffer) => {
        const { frames, rest } = parseFrames(Buffer.concat([pending, chunk]));
        pending = rest;
        for (const f of frames) {
          if (f.opcode === 0x9) socket.write(frame(0xa, f.payload));
          else if (f.opcode === 0x8) {
            socket.end(frame(0x8, Buffer.alloc(0)));
            sockets.delete(socket);
          } else if (f.opcode === 0x1) {
            const msg: unknown = JSON.parse(f.payload.toString("utf8"));
            if (typeof msg === "object" && msg !== null && "envelope_id" in msg) {
              onAck({ envelope_id: String(msg.envelope_id), payload: "payload" in msg ? msg.payload : undefined });
            }
          }
        }
      });
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => sockets.delete(socket));
      sendText(socket, { type: "hello", num_connections: 1, debug_info: { host: "fake", approximate_connection_time: 18060 }, connection_info: { app_id: "A0FW" } });
    },
    closeAll() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}

// Splits Docker's multiplexed log stream (8-byte frame headers) into stdout and stderr payloads, bounded.
//
// A container without a TTY sends [stream(1) 0 0 0 size(4, big-endian)] + payload per write. docker-modem's
// demuxStream writes into two PassThroughs without backpressure; iterating the frames here keeps it.

export interface DockerFrame {
  readonly stream: "stdout" | "stderr";
  readonly payload: Buffer;
}

const HEADER = 8;

/** Frames from a multiplexed stream; a frame cut by the end of the stream is dropped (the stream broke). */
export async function* demuxDockerStream(chunks: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<DockerFrame> {
  let buf: Buffer = Buffer.alloc(0);
  for await (const c of chunks) {
    const chunk = typeof c === "string" ? Buffer.from(c) : Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (buf.length >= HEADER) {
      const size = buf.readUInt32BE(4);
      if (buf.length < HEADER + size) break;
      const kind = buf[0];
      const payload = buf.subarray(HEADER, HEADER + size);
      buf = buf.subarray(HEADER + size);
      // 0 is stdin (never sent back), 1 stdout, 2 stderr; 3 is the daemon's error message for the stream.
      if (kind === 1 || kind === 3) yield { stream: "stdout", payload };
      else if (kind === 2) yield { stream: "stderr", payload };
    }
  }
}

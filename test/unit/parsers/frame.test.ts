import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createFrameStats, decodeLine, DEFAULT_MAX_LINE_BYTES, frameLines, utf8SafeLength } from "../../../src/parsers/frame.js";
import { asChunks, collect } from "./helpers.js";

const lines = async (input: string | Buffer, cuts: number[] = [], maxLineBytes?: number) => {
  const bytes = typeof input === "string" ? Buffer.from(input) : input;
  const out = await collect(frameLines(asChunks(bytes, cuts), maxLineBytes === undefined ? {} : { maxLineBytes }));
  return out.map((l) => ({ text: decodeLine(l.bytes), lineNo: l.lineNo, truncatedBytes: l.truncatedBytes }));
};

describe("frameLines", () => {
  test("splits on \\n only, numbers lines from 1 and keeps empty lines", async () => {
    expect(await lines("a\n\nb\rc\n")).toEqual([
      { text: "a", lineNo: 1, truncatedBytes: 0 },
      { text: "", lineNo: 2, truncatedBytes: 0 },
      { text: "b\rc", lineNo: 3, truncatedBytes: 0 },
    ]);
  });

  test("strips exactly one trailing \\r (CRLF)", async () => {
    expect((await lines("one\r\ntwo\r\r\n")).map((l) => l.text)).toEqual(["one", "two\r"]);
  });

  test("a last line without \\n counts only when non-empty", async () => {
    expect((await lines("a\nb")).map((l) => l.text)).toEqual(["a", "b"]);
    expect((await lines("a\n")).map((l) => l.text)).toEqual(["a"]);
    expect(await lines("")).toEqual([]);
  });

  test("caps a long line, counts the rest, and never splits a UTF-8 sequence", async () => {
    // "é" is 2 bytes: with a 4-byte cap "aaaé" (5 bytes) must keep "aaa", not "aaa" + half of "é".
    expect(await lines("aaaéb\nok\n", [], 4)).toEqual([
      { text: "aaa", lineNo: 1, truncatedBytes: 3 },
      { text: "ok", lineNo: 2, truncatedBytes: 0 },
    ]);
    expect(await lines("abcd\r\n", [2], 4)).toEqual([{ text: "abcd", lineNo: 1, truncatedBytes: 0 }]);
  });

  test("keeps NUL, survives invalid UTF-8, and counts both by reason", async () => {
    const stats = createFrameStats();
    const bytes = Buffer.concat([Buffer.from("bin\0ary\n"), Buffer.from([0x66, 0xff, 0x6f, 0x0a]), Buffer.from("fine\n")]);
    const out = await collect(frameLines(asChunks(bytes, [3, 9]), { stats }));
    expect(out.map((l) => decodeLine(l.bytes))).toEqual(["bin\0ary", "f\uFFFDo", "fine"]);
    expect(stats.issues).toEqual({ too_long: 0, invalid_utf8: 1, binary: 1, bad_json: 0 });
    expect(stats.firstLine).toEqual({ binary: 1, invalid_utf8: 2 });
    expect(stats.lines).toBe(3);
    expect(stats.bytes).toBe(bytes.length);
  });

  test("a 5 MB line without newline is capped, counted, and does not hold the line in memory", async () => {
    const stats = createFrameStats();
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    const total = 5 * 1024 * 1024;
    let heapPeak = 0;
    async function* source() {
      for (let sent = 0; sent < total; sent += chunk.length) {
        heapPeak = Math.max(heapPeak, process.memoryUsage().arrayBuffers);
        yield chunk;
      }
    }
    const before = process.memoryUsage().arrayBuffers;
    const out = await collect(frameLines(source(), { stats }));
    expect(out).toHaveLength(1);
    expect(out[0]?.bytes.length).toBe(DEFAULT_MAX_LINE_BYTES);
    expect(out[0]?.truncatedBytes).toBe(total - DEFAULT_MAX_LINE_BYTES);
    expect(stats.issues.too_long).toBe(1);
    // What the framing keeps is one capped copy (~64 KiB), not the 5 MB it read.
    expect(heapPeak - before).toBeLessThan(1024 * 1024);
  });

  test("rejects when aborted", async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(collect(frameLines(asChunks(Buffer.from("a\n"), []), { signal: ac.signal }))).rejects.toMatchObject({ name: "AbortError" });
  });

  test("framing does not depend on where the chunks were cut", async () => {
    const byteArb = fc.oneof(fc.constantFrom(0x0a, 0x0d, 0x00, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff), fc.integer({ min: 0x20, max: 0x7e }));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.array(byteArb, { maxLength: 300 }), fc.array(fc.nat(600)), fc.integer({ min: 1, max: 12 }),
        async (noise, structured, cuts, cap) => {
          const bytes = Buffer.concat([Buffer.from(structured), Buffer.from(noise)]);
          const whole = await lines(bytes, [], cap);
          expect(await lines(bytes, cuts, cap)).toEqual(whole);
          // And the lines rebuild the input when nothing was capped.
          if (whole.every((l) => l.truncatedBytes === 0)) {
            const again = await collect(frameLines(asChunks(bytes, cuts), { maxLineBytes: 1 << 20 }));
            const rebuilt = Buffer.concat(again.map((l) => Buffer.concat([l.bytes, Buffer.from("\n")])));
            // Every line ends in "\n" once rebuilt; an unterminated last line (even a lone "\r") is a line.
            let expected = bytes.toString("latin1").replace(/\r\n/g, "\n").replace(/\r$/, "\n");
            if (expected.length > 0 && !expected.endsWith("\n")) expected += "\n";
            expect(rebuilt.toString("latin1")).toBe(expected);
          }
        }),
      { numRuns: 1000 },
    );
  });

  test("counts binary and invalid UTF-8 lines as a look at each line would, wherever the chunks were cut", async () => {
    // Multi-byte sequences cut by chunk boundaries, NULs and stray continuation bytes in any line, CRLF, long lines.
    const byteArb = fc.oneof(fc.constantFrom(0x0a, 0x0a, 0x0d, 0x00, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x80), fc.integer({ min: 0x20, max: 0x7e }));
    await fc.assert(
      fc.asyncProperty(fc.array(byteArb, { maxLength: 400 }), fc.array(fc.nat(420)), fc.integer({ min: 1, max: 40 }), async (structured, cuts, cap) => {
        const bytes = Buffer.from(structured);
        const stats = createFrameStats();
        const out = await collect(frameLines(asChunks(bytes, cuts), { maxLineBytes: cap, stats }));
        const expected = createFrameStats();
        for (const l of out) {
          if (l.bytes.includes(0)) {
            expected.issues.binary += 1;
            expected.firstLine.binary ??= l.lineNo;
          }
          // Well-formed UTF-8 is exactly what survives a decode and re-encode unchanged.
          if (!Buffer.from(l.bytes.toString("utf8")).equals(l.bytes)) {
            expected.issues.invalid_utf8 += 1;
            expected.firstLine.invalid_utf8 ??= l.lineNo;
          }
        }
        expect({ binary: stats.issues.binary, invalid: stats.issues.invalid_utf8, first: [stats.firstLine.binary, stats.firstLine.invalid_utf8] })
          .toEqual({ binary: expected.issues.binary, invalid: expected.issues.invalid_utf8, first: [expected.firstLine.binary, expected.firstLine.invalid_utf8] });
      }),
      { numRuns: 1500 },
    );
  });
});

describe("utf8SafeLength", () => {
  test("cuts back only a well-formed sequence that would be split", () => {
    const euro = Buffer.from("a€"); // 61 e2 82 ac
    expect(utf8SafeLength(euro, 3)).toBe(1);
    expect(utf8SafeLength(euro, 4)).toBe(4);
    expect(utf8SafeLength(Buffer.from([0x61, 0x80, 0x80]), 3)).toBe(3);
  });
});

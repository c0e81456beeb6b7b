import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { compileRules, createLineCounter, parsePatterns } from "../../../src/rules/index.js";

const rules = compileRules(parsePatterns("eaddr\tEADDRINUSE\nanything\t^x", "p.tsv"));
const MiB = 1 << 20;

/** Feeds `total` bytes made by `fill` through one reused 1 MiB buffer, so only the counter can hold memory. */
function feed(total: number, fill: (chunk: Buffer, k: number) => void) {
  const counter = createLineCounter(rules);
  const chunk = Buffer.alloc(MiB);
  const before = process.memoryUsage().rss;
  // CPU time, not wall time: on a shared machine wall time is mostly waiting for a core.
  const cpu0 = process.cpuUsage();
  for (let k = 0; k * MiB < total; k++) {
    fill(chunk, k);
    counter.write(chunk);
  }
  counter.endInput();
  const cpu = process.cpuUsage(cpu0);
  return { counter, ms: (cpu.user + cpu.system) / 1000, grewMiB: (process.memoryUsage().rss - before) / MiB };
}

describe("memory stays bounded whatever the input", () => {
  test("a 256 MiB line with no newline keeps only its first 64 KiB (and still matches there)", { timeout: 120_000 }, () => {
    const { counter, grewMiB } = feed(256 * MiB, (c, k) => {
      c.fill(0x78); // "x"
      if (k === 0) c.write("EADDRINUSE", 100);
    });
    expect([...counter.counts]).toEqual([1, 1]);
    expect(grewMiB).toBeLessThan(64);
  });

  test("256 MiB of binary (NULs, invalid UTF-8, random newlines) cost no more memory than text", { timeout: 120_000 }, () => {
    let seed = 7;
    const { counter, grewMiB } = feed(256 * MiB, (c) => {
      for (let i = 0; i < c.length; i++) c[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    });
    expect(counter.stats.bytes).toBe(256 * MiB);
    expect(grewMiB).toBeLessThan(64);
  });

  test("a huge line costs no more time than the same bytes as ordinary lines", () => {
    const text = Buffer.from("Dec 26 17:57:01 host app[1]: request served in 12 ms, status 200, user x\n".repeat(MiB / 64)).subarray(0, MiB);
    const lines = feed(64 * MiB, (c) => { text.copy(c); });
    const flat = Buffer.from(text.map((b) => (b === 0x0a ? 0x20 : b)));
    const oneLine = feed(64 * MiB, (c) => { flat.copy(c); });
    console.log(`bounded: 64 MiB as lines ${lines.ms.toFixed(0)} ms, as one line ${oneLine.ms.toFixed(0)} ms`);
    expect(oneLine.ms).toBeLessThan(lines.ms * 2 + 50);
  });
});

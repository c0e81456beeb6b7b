import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mergeFair, type Lane } from "../../../src/daemon/merge.js";

/** An endless source counting how many items were pulled from it. */
function flooder(name: string): { lane: Lane<string>; pulled: () => number } {
  let n = 0;
  async function* items() {
    for (;;) yield `${name}${n++}`;
  }
  return { lane: { name, items: items() }, pulled: () => n };
}

async function* finite(name: string, count: number): AsyncGenerator<string> {
  for (let i = 0; i < count; i++) yield `${name}${i}`;
}

async function take<T>(it: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe("mergeFair", () => {
  it("keeps every lane's items, each lane in its own order (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(60), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 8 }), async (counts, capacity) => {
        const lanes = counts.map((c, i) => ({ name: `l${i}`, items: finite(`l${i}:`, c) }));
        const out: string[] = [];
        for await (const x of mergeFair(lanes, { capacity })) out.push(x);
        expect(out).toHaveLength(counts.reduce((a, b) => a + b, 0));
        counts.forEach((c, i) => {
          expect(out.filter((x) => x.startsWith(`l${i}:`))).toEqual(Array.from({ length: c }, (_, k) => `l${i}:${k}`));
        });
      }),
      { numRuns: 60 },
    );
  });

  it("gives a quiet lane its turn while another floods: no starvation", async () => {
    const flood = flooder("F");
    const it = mergeFair([flood.lane, { name: "q", items: finite("q", 50) }], { capacity: 100 })[Symbol.asyncIterator]();
    const first = await take(it, 120);
    // Round-robin: the quiet lane's 50 items come within the first ~100, not after the flood.
    expect(first.filter((x) => x.startsWith("q"))).toHaveLength(50);
    await it.return?.(undefined);
  });

  it("pulls a flooding lane no further than its queue while the consumer is slow (bounded memory, property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 50 }), fc.nat(300), async (capacity, taken) => {
        const flood = flooder("F");
        const it = mergeFair([flood.lane], { capacity })[Symbol.asyncIterator]();
        await take(it, taken);
        // Let the pump run as far as it can while nobody consumes.
        for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
        expect(flood.pulled()).toBeLessThanOrEqual(taken + capacity + 1);
        await it.return?.(undefined);
      }),
      { numRuns: 40 },
    );
  });

  it("counts a batch by its weight against the capacity", async () => {
    let pulled = 0;
    async function* batches() {
      for (;;) {
        pulled += 1;
        yield Array.from({ length: 10 }, (_, i) => i);
      }
    }
    const it = mergeFair([{ name: "b", items: batches() }], { capacity: 25, weight: (b) => b.length })[Symbol.asyncIterator]();
    await take(it, 1);
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
    // 25 items of room: three batches of 10 queued (the third crosses it), one handed out, one being pulled.
    expect(pulled).toBeLessThanOrEqual(5);
    await it.return?.(undefined);
  });

  it("reports queue depth in steps as a flooding lane's queue fills", async () => {
    const depths: number[] = [];
    const flood = flooder("F");
    const it = mergeFair([flood.lane], { capacity: 50, onDepth: (_l, d) => depths.push(d) })[Symbol.asyncIterator]();
    await take(it, 1);
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
    expect(Math.max(...depths)).toBeGreaterThanOrEqual(45);
    await it.return?.(undefined);
  });

  it("after the signal hands out what is queued, stops pulling, and ends", async () => {
    const ac = new AbortController();
    const flood = flooder("F");
    const it = mergeFair([flood.lane], { capacity: 10, signal: ac.signal })[Symbol.asyncIterator]();
    await take(it, 5);
    for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
    ac.abort();
    const pulledAtAbort = flood.pulled();
    const rest: string[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(rest.length).toBeLessThanOrEqual(11);
    expect(5 + rest.length).toBe(pulledAtAbort);
  });

  it("passes a lane's error to the consumer after the items before it", async () => {
    async function* broken() {
      yield "a";
      throw new Error("lane broke");
    }
    const out: string[] = [];
    await expect(
      (async () => {
        for await (const x of mergeFair([{ name: "b", items: broken() }])) out.push(x);
      })(),
    ).rejects.toThrow("lane broke");
    expect(out).toEqual(["a"]);
  });
});

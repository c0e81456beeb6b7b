import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, test } from "vitest";
import { untilAborted } from "../../../src/cli/analyze-follow.js";

async function* items(n: number): AsyncGenerator<{ readonly n: number; readonly payload: string }> {
  for (let i = 0; i < n; i++) {
    await Promise.resolve();
    yield { n: i, payload: `record ${i}`.padEnd(200, ".") };
  }
}

describe("untilAborted", () => {
  test("keeps no record it has handed out alive while the signal stays unaborted (issue 18)", async () => {
    // What stays reachable, not what awaits collection: expose V8's gc for this test.
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const refs: WeakRef<object>[] = [];
    const it = untilAborted(items(2_000), new AbortController().signal)[Symbol.asyncIterator]();
    for (let i = 0; i < 2_000; i++) {
      const r = await it.next();
      if (r.done === true) throw new Error("ended early");
      refs.push(new WeakRef(r.value));
    }
    // The generator is still running (not returned): what it holds now is what a long `analyze` holds per record.
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    expect(alive).toBeLessThan(10);
    await it.return?.(undefined);
  });

  test("yields everything in order and ends with the source", async () => {
    const seen: number[] = [];
    for await (const v of untilAborted(items(5), new AbortController().signal)) seen.push(v.n);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  test("an abort while a read waits stops at once, keeping what was yielded", async () => {
    const ac = new AbortController();
    let release: (() => void) | undefined;
    async function* stalls() {
      yield 1;
      await new Promise<void>((resolve) => (release = resolve));
      yield 2;
    }
    const seen: number[] = [];
    const done = (async () => {
      for await (const v of untilAborted(stalls(), ac.signal)) {
        seen.push(v);
        queueMicrotask(() => ac.abort());
      }
    })();
    await done;
    expect(seen).toEqual([1]);
    release?.();
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { SourceEntry } from "../../../src/config/index.js";
import { sourceLane, type LinkState, type SourceItem, type SourceLoss } from "../../../src/daemon/source-runner.js";
import { HostError, type Host, type HostProcess } from "../../../src/hosts/index.js";
import type { Clock } from "../../../src/time.js";

const log = pino({ level: "silent" });
/** Sleeps end at once (backoff is not what these tests wait for), unless aborted first. */
const instantClock: Clock = { now: () => 0, sleep: async (_ms, signal) => signal?.throwIfAborted() };

/** A host whose journalctl either fails to start (the given errors in turn) or prints these JSON lines and exits. */
function fakeHost(plan: (Error | string[])[]): Host & { argvs: string[][] } {
  const argvs: string[][] = [];
  return {
    name: "box",
    argvs,
    exec: () => Promise.reject(new Error("not used")),
    async spawn(argv) {
      argvs.push([...argv]);
      const step = plan.shift() ?? new HostError("box", "command_not_found", "command not found: journalctl");
      if (step instanceof Error) throw step;
      const out = step.map((l) => Buffer.from(`${l}\n`));
      const proc: HostProcess = {
        stdout: (async function* () {
          yield* out;
        })(),
        exited: Promise.resolve({ code: 0, signal: null, stderr: "" }),
        close: async () => undefined,
      };
      return proc;
    },
    close: async () => undefined,
  };
}

const journald = (retries: number): SourceEntry => ({ kind: "journald", name: "j", host: "box", retries, quiet: 0, units: [], userUnits: [], files: [], startAt: "beginning", stallCheck: 30_000 });

async function collect(it: AsyncIterable<readonly SourceItem[]>, n: number): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const batch of it) {
    out.push(...batch);
    if (out.length >= n) break;
  }
  return out;
}

/** A journal cursor as journalctl writes them: sequence number id and number, boot id, times, hash. */
const cur = (n: number) => `s=5e0b;i=${n.toString(16)};b=0123;m=1;t=2;x=3`;
const entry = (cursor: string, msg: string) => JSON.stringify({ __CURSOR: cursor, __REALTIME_TIMESTAMP: "1700000000000000", MESSAGE: msg, _HOSTNAME: "box", PRIORITY: "6" });

describe("source lanes", () => {
  it("reports retrying, then failed after `retries` attempts in a row, and connected again at the next line", async () => {
    const states: [LinkState, string][] = [];
    const down = () => new Error("journalctl went away");
    const host = fakeHost([down(), down(), down(), [entry(cur(1), "back")]]);
    const ac = new AbortController();
    const lane = sourceLane(journald(2), undefined, { host: () => host, clock: instantClock, log, onLink: (_s, _h, st, d) => void states.push([st, d]) }, ac.signal);
    const [item] = await collect(lane.items, 1);
    ac.abort();
    expect(item?.record?.message).toBe("back");
    expect(states.map(([s]) => s)).toEqual(["connected", "retrying", "retrying", "failed", "connected"]);
    expect(states[1]?.[1]).toContain("journalctl went away");
  });

  it("reports a fault waiting does not explain (journalctl missing) as failed at once, connected at the next line", async () => {
    const states: [LinkState, string][] = [];
    const host = fakeHost([new HostError("box", "command_not_found", "command not found: journalctl"), [entry(cur(1), "back")]]);
    const ac = new AbortController();
    const lane = sourceLane(journald(5), undefined, { host: () => host, clock: instantClock, log, onLink: (_s, _h, st, d) => void states.push([st, d]) }, ac.signal);
    await collect(lane.items, 1);
    ac.abort();
    expect(states.map(([s]) => s)).toEqual(["connected", "failed", "connected"]);
    expect(states[1]?.[1]).toContain("command not found: journalctl");
  });

  it("starts a failed source again at the last cursor it handed out (checked, then skipped), so nothing repeats", async () => {
    const host = fakeHost([[entry(cur(0), "zero"), entry(cur(1), "one"), entry(cur(2), "two")], new HostError("box", "command_not_found", "gone"), [entry(cur(2), "two"), entry(cur(3), "three")]]);
    const ac = new AbortController();
    const lane = sourceLane({ ...journald(5) }, cur(0), { host: () => host, clock: instantClock, log, onLink: () => undefined }, ac.signal);
    const items = await collect(lane.items, 3);
    ac.abort();
    expect(items.map((i) => [i.record?.message, i.cursor])).toEqual([["one", cur(1)], ["two", cur(2)], ["three", cur(3)]]);
    // Catch-up from c0 (no --follow), follow from c2 (it failed), catch-up again from c2.
    expect(host.argvs.map((a) => [a.includes("--follow"), a.find((x) => x.startsWith("--cursor="))])).toEqual([[false, `--cursor=${cur(0)}`], [true, `--cursor=${cur(2)}`], [false, `--cursor=${cur(2)}`]]);
  });

  it("reports the entries lost when the journal no longer holds the cursor's entry", async () => {
    const host = fakeHost([[entry(cur(7), "seven")]]);
    const ac = new AbortController();
    const lost: [string, SourceLoss][] = [];
    const lane = sourceLane({ ...journald(5) }, cur(2), { host: () => host, clock: instantClock, log, onLink: () => undefined, onLost: (s, _h, l) => void lost.push([s, l]) }, ac.signal);
    const [item] = await collect(lane.items, 1);
    ac.abort();
    expect(item?.record?.message).toBe("seven");
    expect(lost).toEqual([["j", expect.objectContaining({ unit: "entries", amount: 4 })]]);
  });
});

describe("file lanes", () => {
  it("count and report bytes seen but truncated away before they were read (lost, not silently skipped)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fw-lane-"));
    try {
      const file = join(dir, "app.log");
      await writeFile(file, `${"first generation line\n".repeat(20)}an unfinished line`);
      const lost: SourceLoss[] = [];
      const ac = new AbortController();
      const entry: SourceEntry = { kind: "file", name: "app", host: "local", retries: 5, paths: [file], startAt: "beginning", poll: 1000, flushAfter: 0, rotateWait: 0, quiet: 0 };
      const lane = sourceLane(entry, undefined, { host: () => fakeHost([]), clock: instantClock, log, onLink: () => undefined, onLost: (_s, _h, l) => void lost.push(l) }, ac.signal);
      const it = lane.items[Symbol.asyncIterator]();
      const first = await it.next();
      // The newest line is held back until the file goes quiet (it might be continued), the others are handed out.
      expect(first.value?.filter((i: SourceItem) => i.record !== undefined)).toHaveLength(19);
      // The unfinished line was seen (it is in the file's size) but not read: the truncation removes it.
      await writeFile(file, `${"second generation line\n".repeat(20)}`);
      let second = await it.next();
      while (!second.value?.some((i: SourceItem) => i.record?.message.includes("second generation"))) second = await it.next();
      ac.abort();
      await it.return?.(undefined);
      expect(lost).toEqual([expect.objectContaining({ unit: "bytes", amount: "an unfinished line".length })]);
      expect(lost[0]?.detail).toContain("truncated");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

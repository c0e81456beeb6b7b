import { appendFile, mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { SourceEntry } from "../../../src/config/index.js";
import { sourceLane, type LinkState, type SourceItem } from "../../../src/daemon/source-runner.js";
import { HostError, type Host, type HostProcess } from "../../../src/hosts/index.js";
import type { Clock } from "../../../src/time.js";

const log = pino({ level: "silent" });
/** Sleeps end at once (backoff is not what these tests wait for), unless aborted first. */
const instantClock: Clock = { now: () => 0, sleep: async (_ms, signal) => signal?.throwIfAborted() };

/** A host whose journalctl either fails to start (the given errors in turn) or prints these JSON lines and exits. */
function fakeHost(plan: (HostError | string[])[]): Host & { argvs: string[][] } {
  const argvs: string[][] = [];
  return {
    name: "box",
    argvs,
    exec: () => Promise.reject(new Error("not used")),
    async spawn(argv) {
      argvs.push([...argv]);
      const step = plan.shift() ?? new HostError("box", "command_not_found", "command not found: journalctl");
      if (step instanceof HostError) throw step;
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

const journald = (retries: number): SourceEntry => ({ kind: "journald", name: "j", host: "box", retries, quiet: 0, units: [], userUnits: [], files: [], startAt: "beginning" });

async function collect(it: AsyncIterable<readonly SourceItem[]>, n: number): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const batch of it) {
    out.push(...batch);
    if (out.length >= n) break;
  }
  return out;
}

const entry = (cursor: string, msg: string) => JSON.stringify({ __CURSOR: cursor, __REALTIME_TIMESTAMP: "1700000000000000", MESSAGE: msg, _HOSTNAME: "box", PRIORITY: "6" });

describe("source lanes", () => {
  it("reports retrying, then failed after `retries` attempts in a row, and connected again at the next line", async () => {
    const states: [LinkState, string][] = [];
    const down = () => new HostError("box", "command_not_found", "command not found: journalctl");
    const host = fakeHost([down(), down(), down(), [entry("c1", "back")]]);
    const ac = new AbortController();
    const lane = sourceLane(journald(2), undefined, { host: () => host, clock: instantClock, log, onLink: (_s, _h, st, d) => void states.push([st, d]) }, ac.signal);
    const [item] = await collect(lane.items, 1);
    ac.abort();
    expect(item?.record?.message).toBe("back");
    expect(states.map(([s]) => s)).toEqual(["connected", "retrying", "retrying", "failed", "connected"]);
    expect(states[1]?.[1]).toContain("command not found: journalctl");
  });

  it("starts a failed source again after the last cursor it handed out, so nothing repeats", async () => {
    const host = fakeHost([[entry("c1", "one"), entry("c2", "two")], new HostError("box", "command_not_found", "gone"), [entry("c3", "three")]]);
    const ac = new AbortController();
    const lane = sourceLane({ ...journald(5) }, "c0", { host: () => host, clock: instantClock, log, onLink: () => undefined }, ac.signal);
    // A journalctl that exits is started again (followJournal); one that cannot start is retried by the lane.
    const items = await collect(lane.items, 3);
    ac.abort();
    expect(items.map((i) => [i.record?.message, i.cursor])).toEqual([["one", "c1"], ["two", "c2"], ["three", "c3"]]);
    expect(host.argvs.map((a) => a.find((x) => x.startsWith("--after-cursor=")))).toEqual(["--after-cursor=c0", "--after-cursor=c2", "--after-cursor=c2"]);
  });
});

describe("file lanes", () => {
  it("count and report a rotated file deleted before its last lines were read (lost, not silently skipped)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fw-lane-"));
    try {
      const file = join(dir, "app.log");
      await writeFile(file, `${"first generation line\n".repeat(20)}`);
      const dropped: [string, number, string][] = [];
      const ac = new AbortController();
      const entry: SourceEntry = { kind: "file", name: "app", host: "local", retries: 5, paths: [file], startAt: "beginning", poll: 1000, flushAfter: 0 };
      const lane = sourceLane(entry, undefined, { host: () => fakeHost([]), clock: instantClock, log, onLink: () => undefined, onDropped: (...a) => void dropped.push(a) }, ac.signal);
      const it = lane.items[Symbol.asyncIterator]();
      const first = await it.next();
      // The newest line is held back until the file goes quiet (it might be continued), the others are handed out.
      expect(first.value?.filter((i: SourceItem) => i.record !== undefined)).toHaveLength(19);
      // Lines the lane has not read yet, then the file is gone and another takes its name.
      await appendFile(file, "never read\n");
      await unlink(file);
      await writeFile(file, `${"second generation line\n".repeat(20)}`);
      const second = await it.next();
      ac.abort();
      await it.return?.(undefined);
      expect(dropped).toEqual([["app", 1, "lost_generation"]]);
      expect(second.value?.some((i: SourceItem) => i.record?.message.includes("second generation"))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// `firewatch watch` as a real process for the daemon tests: its config, its JSON lines, SIGKILL and SIGTERM.
import { closeSync, existsSync, openSync, renameSync, writeSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { spawnTs, type NodeChild } from "../../harness/node-child.js";
import { FileStore, type StoredIncident } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";

export const ROOT = path.resolve(import.meta.dirname, "../../..");
const CLI = path.join(ROOT, "src/cli.ts");

/** One JSON line `watch` printed for an incident change. */
export interface ChangeLine {
  readonly outcome: string;
  readonly id: string;
  readonly title: string;
  readonly count: number;
  readonly host: string | null;
  readonly service: string | null;
  readonly findings: { rule: string; state: string; count: number; fields: Record<string, string> }[];
}

/** A rule counting numbered lines "seq=N", one finding for all of them: its count is the number of lines the engine took. */
export const SEQ_RULE = `id: seq_line
title: Numbered line
kind: single
severity: high
match: 'seq=(?<n>\\d+)'
`;

export interface WatchProcess {
  readonly proc: NodeChild;
  /** The next incident change line (skips anything else on stdout). */
  nextChange(): Promise<ChangeLine>;
  /** Waits for a change line that satisfies `pred`, returning it. */
  waitFor(pred: (c: ChangeLine) => boolean): Promise<ChangeLine>;
  /** Waits until it says "Watching." (its sources are opened); fails after `ms` with what it printed. */
  ready(ms?: number): Promise<void>;
  kill9(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  term(): Promise<number | null>;
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startWatch(config: string, extra: readonly string[] = []): WatchProcess {
  const proc = spawnTs(CLI, ["watch", "--config", config, ...extra], { cwd: ROOT });
  const nextChange = async (): Promise<ChangeLine> => {
    for (;;) {
      const line = await proc.nextLine();
      if (line.startsWith('{"type":"incident"')) return JSON.parse(line) as ChangeLine;
    }
  };
  return {
    proc,
    nextChange,
    async waitFor(pred) {
      for (;;) {
        const c = await nextChange();
        if (pred(c)) return c;
      }
    },
    async ready(ms = 60_000) {
      const deadline = Date.now() + ms;
      while (!proc.stderr().includes('"msg":"Watching."')) {
        if (Date.now() > deadline) throw new Error(`watch did not say "Watching." within ${ms / 1000} s:\n${proc.stderr().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill9() {
      proc.child.kill("SIGKILL");
      await proc.exit();
    },
    async term() {
      proc.child.kill("SIGTERM");
      return (await proc.exit()).code;
    },
    exit: () => proc.exit(),
  };
}

/** Writes a firewatch.yaml (YAML is a superset of JSON, so the object is written as JSON). */
export async function writeConfig(file: string, config: Record<string, unknown>): Promise<string> {
  await writeFile(file, JSON.stringify({ health: { port: 0 }, ...config }, null, 2));
  return file;
}

/** The incidents in a file store, read after the daemon has exited (the store has one writer at a time). */
export async function storedIncidents(dir: string): Promise<StoredIncident[]> {
  const store = await FileStore.open(dir, { clock: systemClock });
  try {
    return await store.list();
  } finally {
    await store.close();
  }
}

export function seqLines(from: number, to: number): string {
  let s = "";
  for (let i = from; i <= to; i++) s += `seq=${i} padding-to-make-the-line-longer-than-a-few-bytes\n`;
  return s;
}

/** Lines per block of the block-counting rule: each block's count must come out exact, so a loss and a repeat cannot cancel out (a rule keeps at most 1,000 groups: 500,000 lines). */
export const BLOCK = 500;

/** Counts numbered lines per block of BLOCK numbers ("seq=N blk=B", B with a source's letter prefix): one finding per block. */
export const BLOCK_RULE = `id: seq_block
title: Numbered lines of block {blk}
kind: single
severity: high
match: 'seq=(?<n>\\d+) blk=(?<blk>[a-z]*\\d+)'
group_by: [blk]
`;

/** The block line of number i ("seq=7 blk=0", or "blk=f0" with prefix "f"). */
export function blockLine(i: number, prefix = ""): string {
  return `seq=${i} blk=${prefix}${Math.floor((i - 1) / BLOCK)}`;
}

/** Lines from..to (1-based, inclusive) in the block rule's format. */
export function blockLines(from: number, to: number, prefix = ""): string {
  let s = "";
  for (let i = from; i <= to; i++) s += `${blockLine(i, prefix)} padding-to-make-the-line-longer\n`;
  return s;
}

/** Per block ("f12"), how many lines the store counted (all findings of the block rule, across incidents). */
export async function blockCounts(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of await storedIncidents(dir)) {
    for (const f of s.incident.findings) {
      if (f.rule !== "seq_block") continue;
      const b = f.fields.blk ?? "";
      out.set(b, (out.get(b) ?? 0) + f.count);
    }
  }
  return out;
}

/** Blocks of `prefix` whose count differs from what `written` lines give: [block, counted, expected]; empty when exact. */
export function blockErrors(counts: ReadonlyMap<string, number>, written: number, prefix = ""): [string, number, number][] {
  const errors: [string, number, number][] = [];
  const mine = [...counts.keys()].filter((k) => new RegExp(`^${prefix}\\d+$`).test(k)).map((k) => Number(k.slice(prefix.length)));
  const blocks = Math.max(Math.ceil(written / BLOCK), ...mine.map((b) => b + 1));
  for (let b = 0; b < blocks; b++) {
    const expected = Math.max(0, Math.min(BLOCK, written - b * BLOCK));
    const got = counts.get(`${prefix}${b}`) ?? 0;
    if (got !== expected) errors.push([`${prefix}${b}`, got, expected]);
  }
  return errors;
}

/** A service's log writer: numbered lines through a descriptor it keeps open (O_APPEND) until told to reopen. */
export function startWriter(file: string, linesPerSecond: number, prefix = "") {
  let fd = openSync(file, "a");
  let n = 0;
  let paused = false;
  const tick = 20;
  const timer = setInterval(() => {
    if (paused) return;
    const k = Math.round((linesPerSecond * tick) / 1000);
    writeSync(fd, blockLines(n + 1, n + k, prefix));
    n += k;
  }, tick);
  return {
    get written() {
      return n;
    },
    /** What a service does on SIGHUP (logrotate's postrotate): close the old file, open the path anew. */
    reopen() {
      closeSync(fd);
      fd = openSync(file, "a");
    },
    pause: () => void (paused = true),
    resume: () => void (paused = false),
    stop() {
      clearInterval(timer);
      closeSync(fd);
    },
  };
}

/** logrotate's numbering: app.log.N → .N+1, ..., app.log.1 → .2. */
export function shift(log: string): void {
  let top = 1;
  while (existsSync(`${log}.${top}`)) top++;
  for (let i = top - 1; i >= 1; i--) renameSync(`${log}.${i}`, `${log}.${i + 1}`);
}

/** logrotate's default (`create`): app.log → app.log.1 and a new empty app.log, before the writer is told to reopen. */
export function rotate(log: string): void {
  shift(log);
  renameSync(log, `${log}.1`);
  closeSync(openSync(log, "a"));
}


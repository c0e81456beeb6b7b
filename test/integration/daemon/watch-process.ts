// `firewatch watch` as a real process for the daemon tests: its config, its JSON lines, SIGKILL and SIGTERM.
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

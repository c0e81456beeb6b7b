// `analyze --follow`: incidents printed as they appear or change while a pipe is read (`journalctl -f | firewatch
// analyze --follow -`), and an interrupt that stops reading but keeps what was found.
import type { Incident } from "../incidents/index.js";
import { escapeTerminal, toReportJson } from "../report/index.js";
import { formatIso } from "../time.js";

/** Looks at the incidents at most this often while lines keep coming, and this long after the last one. */
const PEEK_EVERY_MS = 1_000;

export interface Follower {
  /** Called after a record produced signals; `peek` groups what the correlator holds now. */
  readonly onSignals: (peek: () => Incident[]) => void;
  /** Prints what changed since the last look (at the end of the input, or on an interrupt). */
  readonly flush: () => void;
}

/** What makes an incident worth another line: text shows appearing and state changes, JSON every change of figures. */
function changeKey(i: Incident, format: "text" | "json"): string {
  const states = i.findings.map((f) => `${f.rule}:${f.state}`).join(",");
  return format === "text" ? `${i.status}|${i.severity}|${states}` : `${i.status}|${i.severity}|${states}|${i.findings.map((f) => f.count).join(",")}|${i.lastSeen ?? ""}`;
}

/** One line per incident change: "+ fw-… CRITICAL open Title (3 findings)" (text) or the incident's JSON (JSON Lines). */
export function createFollower(opts: { format: "text" | "json"; write: (s: string) => void; now: () => number }): Follower {
  const printed = new Map<string, string>();
  let peekFn: (() => Incident[]) | undefined;
  let lastPeek = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  const look = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const peek = peekFn;
    if (peek === undefined) return;
    peekFn = undefined;
    lastPeek = opts.now();
    for (const i of peek()) {
      const key = changeKey(i, opts.format);
      if (printed.get(i.id) === key) continue;
      const seen = printed.has(i.id);
      printed.set(i.id, key);
      if (opts.format === "json") opts.write(`${JSON.stringify(toReportJson([i]).incidents[0])}\n`);
      else {
        const at = i.lastSeen === undefined ? "" : `${formatIso(i.lastSeen)}  `;
        const n = i.findings.length;
        opts.write(`${seen ? "~" : "+"} ${at}${i.id}  ${i.severity.toUpperCase()}  ${i.status}  ${escapeTerminal(i.title)}  (${n} finding${n === 1 ? "" : "s"})\n`);
      }
    }
  };
  return {
    onSignals: (peek) => {
      peekFn = peek;
      if (opts.now() - lastPeek >= PEEK_EVERY_MS) look();
      // A quiet pipe after a burst: look once more when it has been quiet for a while.
      else if (timer === undefined) timer = setTimeout(look, PEEK_EVERY_MS).unref();
    },
    flush: look,
  };
}

/**
 * Yields what `source` yields until `signal` aborts, then stops at once, even while a read waits on a quiet pipe
 * (the pending read is left to fail or finish on its own; what was yielded before is kept by the caller).
 */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  if (signal === undefined) return yield* source;
  const it = source[Symbol.asyncIterator]();
  // Not Promise.race([next, aborted]): each race leaves a reaction on the never-settling `aborted` promise that holds
  // the race's result, so every record read stayed reachable until the end (issue 18: 10M lines grew the live heap by
  // ~100 MiB). The abort listener calls whichever waiter is current instead.
  let wake: ((r: "aborted") => void) | undefined;
  const onAbort = () => wake?.("aborted");
  signal.addEventListener("abort", onAbort, { once: true });
  let finished = false;
  try {
    for (;;) {
      if (signal.aborted) return;
      const pending = it.next();
      pending.catch(() => undefined); // after an abort nobody waits for it
      let next: IteratorResult<T> | "aborted";
      try {
        next = await new Promise<IteratorResult<T> | "aborted">((resolve, reject) => {
          wake = resolve;
          pending.then(resolve, reject);
        });
      } catch (e) {
        if (signal.aborted) return;
        throw e;
      } finally {
        wake = undefined;
      }
      if (next === "aborted") return;
      if (next.done === true) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    // Closing a source blocked on a read would wait for that read: only a finished or erroring one is awaited.
    if (!finished && !signal.aborted) await it.return?.();
    else if (!finished) void it.return?.()?.catch(() => undefined);
  }
}

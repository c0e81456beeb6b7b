// Turns on V8's linear-time regex engine as a fallback after excessive backtracking, so no accepted regex can stall a line.
import { setFlagsFromString } from "node:v8";

/**
 * Backtracks one exec() may spend before V8 re-runs it in its linear-time engine (same result, no backtracking).
 * Exponential shapes are refused at load; this bounds the polynomial ones (`kernel: .*error` on a line that repeats
 * "kernel: " 8 000 times took 2.3 s without it, 78 ms with it; see test/unit/rules/redos.test.ts).
 */
export const BACKTRACKS_BEFORE_FALLBACK = 1000;

/**
 * Sets the V8 flags; idempotent. V8 reads them when it compiles a regex, so this runs before any rule regex is built.
 * Process-wide by nature (V8 has one flag set): compileRules calls it, nothing else needs to.
 */
export function enableBacktrackFallback(): void {
  setFlagsFromString("--enable-experimental-regexp-engine");
  setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
  setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}`);
}

/**
 * Lines longer than this run the linear-time twin of a regex when V8 can build one: on a 64 KiB hostile line
 * `\[EXIT-TRACE\] .*EXIT PATH [A-Z]` took 1 025 ms backtracking and 95 ms linear (same loaded machine). Short lines
 * keep the backtracking engine, which is several times faster on ordinary input.
 */
export const LONG_LINE_CHARS = 4096;

/** The same regex in V8's linear-time engine (flag `l`), or undefined when that engine cannot run it (bounded repeats like {1,200}, lookarounds, back-references). */
export function linearTwin(source: string): RegExp | undefined {
  try {
    // eslint-disable-next-line no-invalid-regexp -- "l" exists once enableBacktrackFallback set V8's flag
    return new RegExp(source, "l");
  } catch {
    return undefined;
  }
}

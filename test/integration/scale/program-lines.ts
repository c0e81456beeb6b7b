// Syslog lines of several programs on one host, interleaved, each program numbering its own blocks ("a0", "b0", ...):
// what one collector reads from one file and spreads over partitions by service.
import { blockLine } from "../daemon/watch-process.js";

/** The block prefix of program k: a, b, c, ... */
export const programLetter = (k: number) => String.fromCharCode(97 + k);

/** The next `k` lines, round-robin over `written.length` programs; `written[p]` counts program p's lines (updated). */
export function programLines(written: number[], k: number): string {
  let s = "";
  for (let j = 0; j < k; j++) {
    const p = j % written.length;
    const n = (written[p] ?? 0) + 1;
    written[p] = n;
    s += `Dec  7 14:00:00 web1 svc-${programLetter(p)}[${100 + p}]: ${blockLine(n, programLetter(p))} padding\n`;
  }
  return s;
}

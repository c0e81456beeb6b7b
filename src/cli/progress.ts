// A one-line progress bar on stderr (bytes, lines/s, ETA) for long reads; callers draw it only when stderr is a TTY.
import type { InputFile } from "../sources/index.js";

export interface ProgressIo {
  readonly stderr: { write(s: string): unknown };
  readonly now: () => number;
}

export interface Progress {
  /** Redraws at most every 100 ms. */
  update(bytes: number, lines: number): void;
  /** Draws the final state and ends the line. */
  done(bytes: number, lines: number): void;
}

export function createProgress(inputs: readonly InputFile[], io: ProgressIo): Progress {
  const total = inputs.reduce((s, f) => s + (f.size ?? 0), 0);
  const started = io.now();
  let last = 0;
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
  const draw = (bytes: number, lines: number, final: boolean) => {
    const secs = Math.max((io.now() - started) / 1000, 1e-3);
    const rate = Math.round(lines / secs).toLocaleString("en-US");
    // Gzip inputs report their compressed size: the fraction can pass 100 %, so it is clamped.
    const frac = total > 0 ? Math.min(bytes / total, 1) : 0;
    const width = 20;
    const bar = total > 0 ? `[${"#".repeat(Math.round(frac * width)).padEnd(width, ".")}] ${Math.round(frac * 100)}% ` : "";
    const eta = total > 0 && frac > 0 && !final ? ` ETA ${Math.ceil((secs / frac) * (1 - frac))}s` : "";
    io.stderr.write(`\r${bar}${mb(bytes)}${total > 0 ? ` / ${mb(total)}` : ""}  ${rate} lines/s${eta}\x1b[K${final ? "\n" : ""}`);
  };
  return {
    update(bytes: number, lines: number) {
      const t = io.now();
      if (t - last < 100) return;
      last = t;
      draw(bytes, lines, false);
    },
    done(bytes: number, lines: number) {
      draw(bytes, lines, true);
    },
  };
}

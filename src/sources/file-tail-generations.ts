// Orders a log file's generations, oldest first, by the names logrotate gives them (app.log.2.gz, app.log.1, app.log).
import { basename } from "node:path";
import type { FileStat } from "./file-tail-access.js";

/** Where a name stands among its family: the live file, a numbered generation (.1 newest) or a dated one. */
export type Rank = { readonly kind: "current" } | { readonly kind: "num"; readonly n: number; readonly gz: boolean } | { readonly kind: "date"; readonly key: string; readonly gz: boolean };

const NUMBERED = /^[.\-_](\d{1,6})(\.gz)?$/;
// logrotate's dateext (-20251201, -20251201-1733050000, .2025-12-01) and similar stamps: ordered as text.
const DATED = /^[.\-_](\d{4}-?\d\d-?\d\d(?:[-_.T]?[\d:]+)*)(\.gz)?$/;

/** The rank of `name` in the family of `base`, or undefined for a sibling that is not a generation (app.log.bak). */
export function rankOf(base: string, name: string): Rank | undefined {
  if (name === base) return { kind: "current" };
  if (!name.startsWith(base)) return undefined;
  const rest = name.slice(base.length);
  const num = NUMBERED.exec(rest);
  if (num?.[1]) return { kind: "num", n: Number(num[1]), gz: num[2] !== undefined };
  const date = DATED.exec(rest);
  if (date?.[1]) return { kind: "date", key: date[1], gz: date[2] !== undefined };
  return undefined;
}

/** Negative when `a` is older than `b`; 0 when the names do not say (different schemes). */
export function compareRanks(a: Rank, b: Rank): number {
  if (a.kind === "current" || b.kind === "current") return a.kind === b.kind ? 0 : a.kind === "current" ? 1 : -1;
  if (a.kind === "num" && b.kind === "num") return b.n - a.n;
  if (a.kind === "date" && b.kind === "date") return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  return 0;
}

const sameSlot = (a: Rank, b: Rank) => compareRanks(a, b) === 0 && a.kind === b.kind;

/**
 * The generations newer than `ref` (a name in the family), oldest first. A generation present both plain and as .gz
 * (logrotate compressing it right now) counts once, plain. `ref` undefined: every generation.
 */
export function generationsAfter(path: string, files: readonly FileStat[], ref: { readonly name: string; readonly dev: string; readonly ino: string } | undefined): FileStat[] {
  const base = basename(path);
  const refRank = ref === undefined ? undefined : rankOf(base, ref.name);
  // A file whose name says nothing of its age (a copy named app.log.c): only the live file is surely newer.
  if (ref !== undefined && refRank === undefined) return files.filter((f) => basename(f.path) === base);
  const ranked: { file: FileStat; rank: Rank }[] = [];
  for (const file of files) {
    if (ref !== undefined && file.dev === ref.dev && file.ino === ref.ino) continue;
    const rank = rankOf(base, basename(file.path));
    if (rank === undefined) continue;
    if (refRank !== undefined && compareRanks(rank, refRank) <= 0) continue;
    ranked.push({ file, rank });
  }
  ranked.sort((a, b) => compareRanks(a.rank, b.rank) || Number(a.rank.kind !== "current" && a.rank.gz) - Number(b.rank.kind !== "current" && b.rank.gz));
  const out: FileStat[] = [];
  let prev: Rank | undefined;
  for (const r of ranked) {
    if (prev !== undefined && sameSlot(prev, r.rank)) continue;
    out.push(r.file);
    prev = r.rank;
  }
  return out;
}

/** Whether a rotated generation is the newest one (the only one a writer may still append to before it reopens). */
export function isNewestRotated(path: string, files: readonly FileStat[], file: FileStat): boolean {
  const base = basename(path);
  const mine = rankOf(base, basename(file.path));
  if (mine === undefined || mine.kind === "current") return false;
  return files.every((f) => {
    const r = rankOf(base, basename(f.path));
    return r === undefined || r.kind === "current" || (f.dev === file.dev && f.ino === file.ino) || compareRanks(r, mine) <= 0;
  });
}

// Collects the entries a directory walk could not read and says so once on stderr: skipped and counted, not fatal.
import type { UnreadableEntry } from "../sources/index.js";
import { counted } from "./words.js";

const SHOWN = 3;

export interface UnreadableTally {
  readonly onUnreadable: (entry: UnreadableEntry) => void;
  readonly count: () => number;
  /** One warning line for stderr ("" when nothing was skipped). */
  readonly notice: () => string;
}

export function createUnreadableTally(): UnreadableTally {
  const seen: UnreadableEntry[] = [];
  return {
    onUnreadable: (entry) => void seen.push(entry),
    count: () => seen.length,
    notice: () => {
      if (seen.length === 0) return "";
      const codes = [...new Set(seen.map((e) => e.code))].join(", ");
      const names = seen.slice(0, SHOWN).map((e) => e.path).join(", ") + (seen.length > SHOWN ? ", …" : "");
      return `firewatch: warning: skipped ${counted(seen.length, "entry", "entries")} this user may not read (${codes}): ${names}\n`;
    },
  };
}

// Words for counts and spans in what the CLI prints: "1 input file", "3 input files"; "at T" when a span is one instant.

/** "1 file", "2 files"; `plural` for irregular words ("entry" → "entries"). */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? singular : plural}`;
}

/** "at A" when both ends read the same, else "between A and B". */
export function spanWords(first: string, last: string): string {
  return first === last ? `at ${first}` : `between ${first} and ${last}`;
}

// Shannon entropy of a string, in bits per character: how a random token differs from a word, a path or a number.

/** Bits per character of `s`'s character distribution (0 for "", about 4 for random hex, about 5.5 for random base64). */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  const n = [...s].length;
  for (const c of counts.values()) {
    const p = c / n;
    bits -= p * Math.log2(p);
  }
  return bits;
}

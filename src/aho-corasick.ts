// Aho-Corasick automaton as a flat transition table: one pass over the input finds every key (prefilter literal) in it.

export interface AutomatonKey {
  /** The key as symbols (UTF-8 bytes, or character classes): each < alphabet. */
  readonly symbols: ArrayLike<number>;
  /** Who wants to know (a pattern index); several keys may share an id and one key may serve several ids. */
  readonly id: number;
}

/**
 * A complete DFA: `delta[state * alphabet + symbol]` is the next state, never a failure link to follow at run time,
 * so the scan loop is one table load per symbol. State 0 is the root. `outStart`/`outIds` list (CSR) the ids whose
 * keys end at each state, failure chain included.
 */
export interface Automaton {
  readonly alphabet: number;
  readonly states: number;
  readonly delta: Uint16Array | Int32Array;
  readonly outStart: Int32Array;
  readonly outIds: Int32Array;
  /** 1 where the state has outputs; a byte load is the cheapest test in the hot loop. */
  readonly accepting: Uint8Array;
}

export function buildAutomaton(keys: readonly AutomatonKey[], alphabet: number): Automaton {
  const children: Map<number, number>[] = [new Map()];
  const ids: Set<number>[] = [new Set()];
  for (const key of keys) {
    let s = 0;
    for (let i = 0; i < key.symbols.length; i++) {
      const sym = key.symbols[i] ?? 0;
      const node = children[s];
      let next = node?.get(sym);
      if (next === undefined) {
        next = children.length;
        children.push(new Map());
        ids.push(new Set());
        node?.set(sym, next);
      }
      s = next;
    }
    ids[s]?.add(key.id);
  }
  const n = children.length;
  const delta = n * alphabet < 2 ** 31 && n <= 65535 ? new Uint16Array(n * alphabet) : new Int32Array(n * alphabet);
  const fail = new Int32Array(n);
  // Breadth-first: a state's failure target is shallower, so its row and outputs are final when we reach the state.
  const queue: number[] = [];
  for (const [sym, child] of children[0] ?? []) { delta[sym] = child; queue.push(child); }
  for (let head = 0; head < queue.length; head++) {
    const r = queue[head] ?? 0;
    const f = fail[r] ?? 0;
    for (const id of ids[f] ?? []) ids[r]?.add(id);
    const row = r * alphabet, frow = f * alphabet;
    delta.copyWithin(row, frow, frow + alphabet); // the failure state's row, a memmove (a JS loop cost ~80 ms at start-up)
    for (const [sym, child] of children[r] ?? []) {
      fail[child] = delta[frow + sym] ?? 0;
      delta[row + sym] = child;
      queue.push(child);
    }
  }
  const outStart = new Int32Array(n + 1);
  const flat: number[] = [];
  const accepting = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    outStart[s] = flat.length;
    const set = ids[s];
    if (set && set.size > 0) { accepting[s] = 1; flat.push(...[...set].sort((a, b) => a - b)); }
  }
  outStart[n] = flat.length;
  return { alphabet, states: n, delta, outStart, outIds: Int32Array.from(flat), accepting };
}

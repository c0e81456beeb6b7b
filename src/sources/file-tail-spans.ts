// Where each line the file follower has framed but not handed out yet starts and ends, by line number.
//
// Issue 18: a busy file's catch-up frames millions of lines, and all but a few are forgotten at once (skipped or
// handed out). Two objects and a Map entry per line made the follower allocate a third more than `analyze` over the
// same file; here a line costs two numbers in typed arrays and a reference to its generation's identity, which is
// shared by every line of one read. Positions are built only when asked for (a record's cursor, a checkpoint).
import type { FileCursor } from "./file-tail-cursor.js";

/** A generation's identity at one read: a cursor without its offset. */
export type GenerationId = Omit<FileCursor, "offset">;

const INITIAL_CAPACITY = 256;

export class LineSpans {
  /** Line number of the oldest line held (meaningful while size > 0). */
  private first = 0;
  private size = 0;
  /** Ring index of the oldest line held. */
  private head = 0;
  private starts = new Float64Array(INITIAL_CAPACITY);
  private ends = new Float64Array(INITIAL_CAPACITY);
  private gens: (GenerationId | undefined)[] = new Array<GenerationId | undefined>(INITIAL_CAPACITY).fill(undefined);

  get length(): number {
    return this.size;
  }

  /**
   * Records line `lineNo` from `start` to `end` (byte offsets in `gen`). Lines arrive numbered one after the other; a
   * number that does not follow the last one held starts the record over (nothing before it can be asked for then).
   */
  add(lineNo: number, gen: GenerationId, start: number, end: number): void {
    if (this.size > 0 && lineNo !== this.first + this.size) this.clear();
    if (this.size === 0) {
      this.first = lineNo;
      this.head = 0;
    }
    if (this.size === this.starts.length) this.grow();
    const i = (this.head + this.size) % this.starts.length;
    this.starts[i] = start;
    this.ends[i] = end;
    this.gens[i] = gen;
    this.size += 1;
  }

  /** Forgets every line numbered `lineNo` or less. */
  dropThrough(lineNo: number): void {
    const n = Math.min(this.size, lineNo - this.first + 1);
    if (n <= 0) return;
    const cap = this.starts.length;
    // Release the references so a finished generation's identity is not kept alive by free slots.
    for (let k = 0; k < n; k++) this.gens[(this.head + k) % cap] = undefined;
    this.head = (this.head + n) % cap;
    this.first += n;
    this.size -= n;
  }

  /** Where line `lineNo` starts, if it is held. */
  startOf(lineNo: number): FileCursor | undefined {
    return this.at(lineNo, this.starts);
  }

  /** Where line `lineNo` ends (where the next line starts), if it is held. */
  endOf(lineNo: number): FileCursor | undefined {
    return this.at(lineNo, this.ends);
  }

  /** Where the oldest line held starts. */
  firstStart(): FileCursor | undefined {
    return this.size === 0 ? undefined : this.startOf(this.first);
  }

  private at(lineNo: number, offsets: Float64Array): FileCursor | undefined {
    const k = lineNo - this.first;
    if (this.size === 0 || k < 0 || k >= this.size || !Number.isInteger(k)) return undefined;
    const i = (this.head + k) % this.starts.length;
    const gen = this.gens[i];
    const offset = offsets[i];
    return gen === undefined || offset === undefined ? undefined : { ...gen, offset };
  }

  private clear(): void {
    this.gens.fill(undefined);
    this.size = 0;
    this.head = 0;
  }

  private grow(): void {
    const cap = this.starts.length;
    const starts = new Float64Array(cap * 2);
    const ends = new Float64Array(cap * 2);
    const gens = new Array<GenerationId | undefined>(cap * 2).fill(undefined);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) % cap;
      starts[k] = this.starts[i] ?? 0;
      ends[k] = this.ends[i] ?? 0;
      gens[k] = this.gens[i];
    }
    this.starts = starts;
    this.ends = ends;
    this.gens = gens;
    this.head = 0;
  }
}

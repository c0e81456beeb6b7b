// Contract between the two line engines: `scan` (rules/count-lines, bytes) must see exactly the lines `analyze` sees (frame.ts).
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { expect, test } from "vitest";
import { createLineSplitter, decodeLine } from "../../../src/parsers/index.js";
import type { RawLine } from "../../../src/parsers/index.js";
import { compileRules, createLineCounter, parsePatterns } from "../../../src/rules/index.js";

// Patterns that see the edges: a split "é", a kept "\r", empty lines, line ends, U+FFFD, NUL.
const PATTERNS = ["a\\u00e9?b", "\\r", "^$", "x$", "\\uFFFD", "^ab", "\\u0000"];

test("scan's byte counter and frameLines + decodeLine agree on every line, whatever the bytes, cuts and cap", () => {
  const rules = compileRules(parsePatterns(PATTERNS.map((p, i) => `p${i}\t${p}`).join("\n") + "\n", "agreement.tsv"));
  const regexes = PATTERNS.map((p) => new RegExp(p));
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(0x0a, 0x0d, 0x61, 0x62, 0x78, 0xc3, 0xa9, 0xff, 0x00, 0xe2, 0x82, 0xac), { maxLength: 60 }),
      fc.array(fc.nat(70)),
      fc.integer({ min: 1, max: 8 }),
      (arr, cuts, cap) => {
        const bytes = Buffer.from(arr);
        const counter = createLineCounter(rules, { maxLineBytes: cap, countLines: true });
        let prev = 0;
        for (const p of [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b).concat(bytes.length)) {
          if (p > prev) counter.write(bytes.subarray(prev, p));
          prev = Math.max(prev, p);
        }
        counter.endInput();
        const expected = PATTERNS.map(() => 0);
        let lines = 0;
        const splitter = createLineSplitter({ maxLineBytes: cap });
        const onLine = (l: RawLine) => {
          lines += 1;
          const text = decodeLine(l.bytes);
          regexes.forEach((r, i) => { if (r.test(text)) expected[i] = (expected[i] ?? 0) + 1; });
        };
        splitter.push(bytes, onLine);
        splitter.end(onLine);
        expect({ counts: [...counter.counts], lines: counter.stats.lines }).toEqual({ counts: expected, lines });
      },
    ),
    { numRuns: 3000 },
  );
});

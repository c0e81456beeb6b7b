// Keeps only the model's sentences whose figures (numbers, PIDs, ports, paths, ids) all appear in what it was given.
//
// A figure is any word with a digit in it, or a path. Each must be found in the prompt (findings JSON and
// evidence, redacted): a path as written; any other word part by part, each part with a digit found whole there.
// "port 8080" with no 8080 in the logs drops the sentence; "485 restarts" with counter 485 keeps it. URLs, commands in
// backticks and pipes into a shell must be there whole.

export interface GroundedText {
  /** The sentences kept, in order. */
  readonly kept: readonly string[];
  /** The sentences dropped, each with the figures that were not found. */
  readonly dropped: readonly { readonly sentence: string; readonly unknown: readonly string[] }[];
}

export interface GroundCheck {
  /** Splits text into sentences and keeps the grounded ones. */
  check(text: string): GroundedText;
  /** The figures in one piece of text that the prompt does not contain. */
  unknownFigures(text: string): string[];
}

const WORD_SPLIT = /[\s,;()[\]{}"'`*|]+/;
const PART_SPLIT = /[^A-Za-z0-9_.]+/;
const EDGE_PUNCT = /^[.:!?]+|[.:!?]+$/g;
const HAS_DIGIT = /\d/;
const PATH = /^(?:~|\.{1,2})?\/[^\s]*[A-Za-z0-9_]/;

function parts(word: string): string[] {
  return word
    .split(PART_SPLIT)
    .map((p) => p.replace(EDGE_PUNCT, ""))
    .filter((p) => p !== "");
}

/** Sentence ends: ., ! or ? before whitespace; a decimal point or a file extension is not one. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** A checker over the text the model was given. */
export function createGroundCheck(groundText: string): GroundCheck {
  const known = new Set<string>();
  for (const word of groundText.split(WORD_SPLIT)) {
    for (const p of parts(word)) if (HAS_DIGIT.test(p)) known.add(p.toLowerCase());
  }
  // Every run of digits on its own too: "16" is known from "2025-12-26T16:42:07", but "4821" is not from "48213".
  for (const run of groundText.match(/\d+(?:\.\d+)?/g) ?? []) known.add(run);
  // JSON escapes "/" nowhere and quotes only ", so paths and ids are found as written in the JSON text.
  const haystack = groundText.toLowerCase();
  const unknownFigures = (text: string): string[] => {
    const out: string[] = [];
    // A URL, a command in backticks or a pipe into a shell must be in the input as written: a model must not send the
    // on-call engineer to a page or have them run something (`curl … | sudo bash`) that no log or rule mentioned.
    for (const m of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)"'`<>]+/gi)) {
      const url = m[0].replace(/[.,;:!?]+$/, "");
      if (!haystack.includes(url.toLowerCase())) out.push(url);
    }
    for (const m of text.matchAll(/`([^`\n]+)`/g)) {
      const code = (m[1] ?? "").trim();
      if (code !== "" && !haystack.includes(code.toLowerCase())) out.push(`\`${code}\``);
    }
    for (const m of text.matchAll(/\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b/g)) {
      if (!haystack.includes(m[0].toLowerCase())) out.push(m[0]);
    }
    // "1,234" is the number 1234, not the words "1" and "234".
    for (const raw of text.replace(/(\d),(?=\d{3}\b)/g, "$1").split(WORD_SPLIT)) {
      const word = raw.replace(EDGE_PUNCT, "");
      if (word === "") continue;
      const isPath = PATH.test(word);
      if (!isPath && !HAS_DIGIT.test(word)) continue;
      // A path must be there whole: its parts alone could come from anywhere.
      if (isPath) {
        if (!haystack.includes(word.toLowerCase())) out.push(word);
        continue;
      }
      // "9003/tcp", "fw-1a2b3c4d": accept when each part with a digit is known whole.
      const bad = parts(word).filter((p) => HAS_DIGIT.test(p) && !known.has(p.toLowerCase()));
      if (bad.length > 0) out.push(word);
    }
    return out;
  };
  return {
    unknownFigures,
    check(text) {
      const kept: string[] = [];
      const dropped: { sentence: string; unknown: string[] }[] = [];
      for (const sentence of splitSentences(text)) {
        const unknown = unknownFigures(sentence);
        if (unknown.length === 0) kept.push(sentence);
        else dropped.push({ sentence, unknown });
      }
      return { kept, dropped };
    },
  };
}

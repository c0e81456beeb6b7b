// Escapes untrusted log text for markdown: prose, table cells and fenced code blocks.
//
// Log lines and captured field values are written by whoever can write to a log, so they must not be able
// to add formatting, links or HTML to a report, add columns to a table or close a code block early.
// Rule knowledge text (YAML written by rule authors) is trusted markdown and is never passed through here.

/** Characters with a meaning in CommonMark/GFM inline syntax (or our {placeholder} syntax); escaped with a backslash. */
const BACKSLASHED = /[\\`*_[\]{}|~!#]/g;
/** Characters escaped as HTML entities, so no renderer can see a tag or an entity. */
const ENTITIES: Readonly<Record<string, string>> = { "<": "&lt;", ">": "&gt;", "&": "&amp;" };
const LINE_BREAKS = /\r\n|[\r\n\u2028\u2029]/g;
/** At the start of a line these open a block (list item, setext underline, ordered list): "- x", "+ x", "=", "1. x". */
const BLOCK_START = /^([-+=])|^(\d+)([.)])/;

/**
 * Escapes text for use inside a markdown paragraph, heading, list item or table cell: line breaks become
 * spaces, the ends are trimmed (markdown would trim them anyway) and every special character is neutralised.
 */
export function escapeInline(text: string): string {
  const flat = text.replace(LINE_BREAKS, " ").trim();
  const escaped = flat.replace(BACKSLASHED, (c) => `\\${c}`).replace(/[<>&]/g, (c) => ENTITIES[c] ?? c);
  // Only the first character can open a block, because line breaks are gone.
  return escaped.replace(BLOCK_START, (_m, sign: string | undefined, digits: string | undefined, dot: string | undefined) =>
    sign !== undefined ? `\\${sign}` : `${digits ?? ""}\\${dot ?? ""}`,
  );
}

/** Escapes text for one GFM table cell: as inline text, and `|` is already escaped there, so it stays one cell. */
export function escapeCell(text: string): string {
  const cell = escapeInline(text);
  // An empty cell is valid GFM, but a visible marker reads better than a gap.
  return cell === "" ? " " : cell;
}

/** Renders one GFM table; every cell is escaped, rows are padded or cut to the header's width. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const out = [line(header.map(escapeCell)), line(header.map(() => "---"))];
  for (const row of rows) out.push(line(header.map((_h, i) => escapeCell(row[i] ?? ""))));
  return out.join("\n");
}

/**
 * A fenced code block whose fence is longer than any run of backticks in the content, so no line of
 * the content can close it (CommonMark: a closing fence needs at least as many backticks as the opening).
 * Line endings are normalised to "\n"; everything else is kept verbatim.
 */
export function codeBlock(content: string, info = "text"): string {
  const body = content.replace(/\r\n?/g, "\n").replace(/\n$/, "");
  let longest = 0;
  for (const run of body.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${body}\n${fence}`;
}

/**
 * Makes text safe to print on a terminal: control characters (ESC sequences could move the cursor, recolour or
 * retitle the terminal) are shown as \xNN instead of being sent.
 */
export function escapeTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** escapeTerminal for a whole document (a markdown report on a terminal): its newlines and tabs stay. */
export function escapeTerminalDocument(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

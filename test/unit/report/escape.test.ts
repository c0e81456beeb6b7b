import fc from "fast-check";
import MarkdownIt from "markdown-it";
import { describe, expect, test } from "vitest";
import { codeBlock, escapeCell, escapeInline, escapeTerminal } from "../../../src/report/escape.js";
import { renderTable } from "../../../src/report/escape.js";

// A real CommonMark + GFM-tables parser, with raw HTML on, so an escaping failure shows up as html/link/emphasis tokens.
const md = new MarkdownIt({ html: true, linkify: false });

type Token = ReturnType<typeof md.parse>[number];

/** Strings rich in what markdown and HTML treat specially, plus arbitrary code points. */
const hostile = fc.oneof(
  fc.string({
    unit: fc.constantFrom(
      ..."`*_[]()<>&!#|~\\-+=.:{}\n\r\t 09aZ/",
      "```", "~~~", "<script>", "</div>", "](http://evil.example)", "![x](y)", "http://a.b", "&amp;", "&#60;",
      "**", "__", "1. ", "- ", "> ", "    ", "{port}", "\u0000", "\u001b[31m", "\u2028", "|---|",
    ),
    maxLength: 30,
  }),
  fc.string({ unit: "binary", maxLength: 30 }),
);

/** What a reader should see: line breaks flattened, ends trimmed, NUL replaced as CommonMark requires. */
function seen(s: string): string {
  return s.replace(/\r\n|[\r\n\u2028\u2029]/g, " ").trim().replaceAll("\u0000", "\uFFFD");
}

function inlineText(tok: Token | undefined): { types: string[]; text: string } {
  const children = tok?.children ?? [];
  return { types: [...new Set(children.map((c) => c.type))], text: children.map((c) => c.content).join("") };
}

describe("escapeInline", () => {
  test("neutralises markdown and HTML in ordinary examples", () => {
    expect(escapeInline("<b>x</b> & [a](b) *c* _d_ `e`")).toBe("&lt;b&gt;x&lt;/b&gt; &amp; \\[a\\](b) \\*c\\* \\_d\\_ \\`e\\`");
    expect(escapeInline("- not a list")).toBe("\\- not a list");
    expect(escapeInline("12. not a list")).toBe("12\\. not a list");
    expect(escapeInline("line one\nline two\r\n")).toBe("line one line two");
    expect(escapeInline("{port}")).toBe("\\{port\\}");
  });

  test("property: random text in a list item renders as exactly that text, with no formatting, link or HTML", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        fc.pre(seen(s) !== "");
        const tokens = md.parse(`- ${escapeInline(s)}`, {});
        expect(tokens.map((t) => t.type)).toEqual([
          "bullet_list_open", "list_item_open", "paragraph_open", "inline", "paragraph_close", "list_item_close", "bullet_list_close",
        ]);
        const { types, text } = inlineText(tokens[3]);
        expect(types).toEqual(["text"]);
        expect(text).toBe(seen(s));
      }),
      { numRuns: 2000 },
    );
  });

  test("property: random text in a heading stays one heading with that text", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const tokens = md.parse(`### 1. **${escapeInline(s) || "x"}**`, {});
        expect(tokens.map((t) => t.type)).toEqual(["heading_open", "inline", "heading_close"]);
        const types = inlineText(tokens[1]).types;
        expect(types.filter((t) => t !== "text" && t !== "strong_open" && t !== "strong_close")).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("renderTable", () => {
  test("property: random cells never change the column count, and each cell shows its text", () => {
    fc.assert(
      fc.property(fc.array(fc.array(hostile, { maxLength: 5 }), { minLength: 1, maxLength: 4 }), (rows) => {
        const tokens = md.parse(renderTable(["File Name", "Failed Jobs", "Status"], rows), {});
        const trs = tokens.filter((t) => t.type === "tr_open").length;
        expect(trs).toBe(rows.length + 1);
        expect(tokens.filter((t) => t.type === "th_open")).toHaveLength(3);
        expect(tokens.filter((t) => t.type === "td_open")).toHaveLength(3 * rows.length);
        // Cell texts in order: each row padded or cut to three cells.
        const cells = tokens.filter((t, i) => t.type === "inline" && tokens[i - 1]?.type === "td_open").map((t) => inlineText(t));
        const expected = rows.flatMap((r) => [0, 1, 2].map((i) => seen(r[i] ?? "")));
        expect(cells.map((c) => c.text)).toEqual(expected);
        for (const c of cells) expect(c.types.filter((t) => t !== "text")).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  test("escapeCell keeps a pipe inside its cell", () => {
    expect(escapeCell("a|b")).toBe("a\\|b");
    expect(escapeCell("")).toBe(" ");
  });
});

describe("codeBlock", () => {
  test("a line of backticks in the content gets a longer fence", () => {
    expect(codeBlock("a\n```\nb")).toBe("````text\na\n```\nb\n````");
    expect(codeBlock("plain")).toBe("```text\nplain\n```");
  });

  test("property: random evidence never escapes its code block and is kept verbatim", () => {
    fc.assert(
      fc.property(fc.array(hostile, { maxLength: 6 }), (lines) => {
        const text = lines.join("\n");
        const tokens = md.parse(`${codeBlock(text)}\n\nAfter the block.`, {});
        expect(tokens.map((t) => t.type)).toEqual(["fence", "paragraph_open", "inline", "paragraph_close"]);
        const body = text.replace(/\r\n?/g, "\n").replace(/\n$/, "").replaceAll("\u0000", "\uFFFD");
        expect(tokens[0]?.content).toBe(`${body}\n`);
        expect(tokens[0]?.info).toBe("text");
      }),
      { numRuns: 2000 },
    );
  });
});

describe("escapeTerminal", () => {
  test("shows control characters instead of sending them", () => {
    expect(escapeTerminal("red \u001b[31m bell \u0007 ok")).toBe("red \\x1b[31m bell \\x07 ok");
    expect(escapeTerminal("tab\tnewline\n")).toBe("tab\\x09newline\\x0a");
    expect(escapeTerminal("ünïcødé 🚨")).toBe("ünïcødé 🚨");
  });

  test("property: nothing below 0x20, DEL or C1 survives", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        // eslint-disable-next-line no-control-regex
        expect(escapeTerminal(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      }),
    );
  });
});

import fc from "fast-check";
import MarkdownIt from "markdown-it";
import { describe, expect, test } from "vitest";
import { renderMarkdown } from "../../../src/report/index.js";
import type { Finding } from "../../../src/correlate/index.js";
import type { Incident } from "../../../src/incidents/index.js";
import { jobsFinding, portFinding, seedIncident, seedRules } from "./seed-000.js";

const md = new MarkdownIt({ html: true, linkify: false });

const hostile = fc.oneof(
  fc.string({
    unit: fc.constantFrom(
      ..."`*_[]()<>&!#|~\\-+=.:{}\n\r\t 09aZ/",
      "```", "~~~", "<script>", "](http://evil.example)", "![x](y)", "**", "1. ", "- ", "> ", "    ", "{port}", "{pid}",
      "\n## Injected\n", "\n---\n", "|---|", "\u0000",
    ),
    maxLength: 40,
  }),
  fc.string({ unit: "binary", maxLength: 40 }),
);

/** An incident of the seed 000 shape in which every log-derived string is random. */
const hostileIncident = fc
  .record({
    title: hostile,
    host: hostile,
    port: hostile,
    counter: hostile,
    evidence: fc.array(hostile, { minLength: 1, maxLength: 4 }),
    file: hostile,
    cells: fc.array(fc.tuple(hostile, hostile), { maxLength: 4 }),
  })
  .map(({ title, host, port, counter, evidence, file, cells }): Incident => {
    const ev = evidence.map((text, i) => ({ ref: { file, line: i + 1, endLine: i + 1 }, time: portFinding.firstSeen, text }));
    const port2: Finding = { ...portFinding, host, fields: { port, counter }, evidence: ev };
    const jobs: Finding = {
      ...jobsFinding,
      host,
      evidence: ev,
      table: { title: "Affected Files", columns: ["File Name", "Failed Jobs", "Status"], rows: cells.map(([a, b]) => [a, b, "✅"]), omitted: 0 },
    };
    return { ...seedIncident, title, host, findings: [port2, jobs] };
  });

describe("renderMarkdown with hostile log text (property)", () => {
  test("the report keeps its structure and log text adds no HTML, link, heading, column or raw placeholder", () => {
    fc.assert(
      fc.property(hostileIncident, (incident) => {
        const report = renderMarkdown(incident, seedRules, { timeZone: "UTC" });
        const tokens = md.parse(report, {});
        const h1 = tokens.filter((t) => t.type === "heading_open" && t.tag === "h1");
        const h2 = tokens.filter((t) => t.type === "heading_open" && t.tag === "h2");
        expect(h1).toHaveLength(1);
        expect(h2).toHaveLength(9);
        const all = tokens.flatMap((t) => [t, ...(t.children ?? [])]);
        const bad = all.filter((t) => ["html_block", "html_inline", "link_open", "image"].includes(t.type));
        expect(bad).toEqual([]);
        // Evidence blocks of both findings, then three action blocks: nothing closed early, nothing opened by log text.
        expect(tokens.filter((t) => t.type === "fence")).toHaveLength(5);
        // Every table row has exactly the header's number of cells.
        for (const table of tables(tokens)) {
          for (const row of table.rows) expect(row).toBe(table.columns);
        }
        // Outside code blocks, the markdown has no unescaped {name}: log text shows its braces escaped (\{pid\}),
        // so one left unescaped could only be a template placeholder that was not filled.
        const lines = report.split("\n");
        for (const f of tokens.filter((t) => t.type === "fence")) {
          const [from, to] = f.map ?? [0, 0];
          for (let i = from; i < to; i++) lines[i] = "";
        }
        expect(lines.join("\n")).not.toMatch(/(?<!\\)\{[A-Za-z_][\w.-]*\}/);
      }),
      { numRuns: 300 },
    );
  });
});

type Tok = ReturnType<typeof md.parse>[number];

/** For each table, its header width and each body row's width. */
function tables(tokens: readonly Tok[]): { columns: number; rows: number[] }[] {
  const out: { columns: number; rows: number[] }[] = [];
  let current: { columns: number; rows: number[] } | undefined;
  let cells = 0;
  for (const t of tokens) {
    if (t.type === "table_open") current = { columns: 0, rows: [] };
    else if (t.type === "tr_open") cells = 0;
    else if (t.type === "th_open" || t.type === "td_open") cells++;
    else if (t.type === "tr_close" && current) {
      if (current.columns === 0) current.columns = cells;
      else current.rows.push(cells);
    } else if (t.type === "table_close" && current) {
      out.push(current);
      current = undefined;
    }
  }
  return out;
}

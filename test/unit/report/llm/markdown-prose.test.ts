import { describe, expect, test } from "vitest";
import { renderMarkdown } from "../../../../src/report/index.js";
import { seedIncident, seedRules } from "../seed-000.js";

const NY = { timeZone: "America/New_York" };

function section(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}\n`);
  expect(start, title).toBeGreaterThan(0);
  const end = md.indexOf("\n## ", start + 1);
  return md.slice(start, end === -1 ? undefined : end);
}

describe("renderMarkdown with prose", () => {
  test("prose touches only the three drafted sections", () => {
    const drafted = renderMarkdown(seedIncident, seedRules, {
      ...NY,
      prose: { model: "m", executiveSummary: { text: "S.", dropped: 0 }, rootCauseAnalysis: { text: "R.", dropped: 0 }, nextSteps: { items: ["N."], dropped: 0 } },
    });
    const template = renderMarkdown(seedIncident, seedRules, NY);
    for (const t of ["Critical Issues Identified", "Impact Assessment", "Timeline", "Immediate Actions Required", "Prevention Measures", "Related Documentation"]) {
      expect(section(drafted, t)).toBe(section(template, t));
    }
    for (const t of ["Executive Summary", "Root Cause Analysis", "Next Steps"]) expect(section(drafted, t)).toContain("_✍️ Drafted by m from the findings");
  });

  test("the model's text is escaped: it cannot add HTML, links or headings to the report", () => {
    const md = renderMarkdown(seedIncident, seedRules, {
      ...NY,
      prose: {
        model: "m",
        executiveSummary: { text: '<img src=x onerror=alert(1)> [click](http://evil) # not a heading', dropped: 0 },
        nextSteps: { items: ["## Heading", "- bullet"], dropped: 0 },
      },
    });
    const summary = section(md, "Executive Summary");
    expect(summary).toContain("&lt;img src=x onerror=alert(1)&gt; \\[click\\](http://evil) \\# not a heading");
    expect(section(md, "Next Steps")).toContain("1. \\#\\# Heading\n2. \\- bullet");
  });

  test("an empty drafted list with nothing dropped leaves the template without a marker", () => {
    const md = renderMarkdown(seedIncident, seedRules, { ...NY, prose: { model: "m", nextSteps: { items: [], dropped: 0 } } });
    expect(section(md, "Next Steps")).toBe(section(renderMarkdown(seedIncident, seedRules, NY), "Next Steps"));
  });

  test("proseNote is one line at the top of the Executive Summary, escaped", () => {
    const md = renderMarkdown(seedIncident, seedRules, { ...NY, proseNote: "the model was not used: HTTP 500 *boom*" });
    expect(section(md, "Executive Summary")).toMatch(/^\n## Executive Summary\n\n_ℹ️ Written from templates: the model was not used: HTTP 500 \\\*boom\\\*\._\n\n/);
  });
});

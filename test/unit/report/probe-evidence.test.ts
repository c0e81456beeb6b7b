import fc from "fast-check";
import MarkdownIt from "markdown-it";
import { describe, expect, test } from "vitest";
import type { StoredProbe } from "../../../src/probes/index.js";
import { ReportJsonSchema, dataExcerpt, renderJson, renderMarkdown, toReportJson } from "../../../src/report/index.js";
import type { Rule } from "../../../src/rules/index.js";
import { eaddrinuseRule, seedIncident, seedRules, staleJobsRule } from "./seed-000.js";

const md = new MarkdownIt({ html: true, linkify: false });
const AT = Date.parse("2025-12-26T22:58:00Z");
const rules: ReadonlyMap<string, Rule> = new Map([
  [eaddrinuseRule.id, { ...eaddrinuseRule, probes: ["port_owner", "unit_status"] }],
  [staleJobsRule.id, { ...staleJobsRule, probes: ["queue_failed_jobs"] }],
]);

const portOwner: StoredProbe = {
  probe: "port_owner",
  params: { port: "9003", unit: "transcription-palantir" },
  host: "mithrandir",
  at: AT,
  ok: true,
  summary: "rogue process: port 9003 held by PID 1573680 (/home/nbost/.bun/bin/bun run dist/index.js), user nbost, PPID 1; not transcription-palantir's MainPID (none), outside its cgroup",
  data: { port: 9003, listening: true, pid: 1573680, ppid: 1, command: "/home/nbost/.bun/bin/bun run /home/nbost/transcription-palantir/dist/index.js", user: "nbost", elapsedSeconds: 4494, holders: [1573680], via: "ss", unit: "transcription-palantir", isMainPid: false, inUnit: false, rogue: true, notes: [] },
};
const notRun: StoredProbe = { probe: "queue_failed_jobs", params: {}, host: "mithrandir", at: AT, ok: false, summary: 'queue_failed_jobs on mithrandir not run: no probe named "queue_failed_jobs"', data: { reason: "not_run", message: "x" } };
const stray: StoredProbe = { probe: "container_state", params: { container: "palantir-db" }, host: "mithrandir", at: AT, ok: true, summary: "container palantir-db: running, exit code 0, restarted 0 times", data: { name: "palantir-db", running: true } };

describe("probe results in the markdown report", () => {
  test("without probes the report is byte-identical to the one before (golden reports stay as they are)", () => {
    const before = renderMarkdown(seedIncident, seedRules, { timeZone: "America/New_York", now: AT });
    expect(renderMarkdown(seedIncident, seedRules, { timeZone: "America/New_York", now: AT, probes: [] })).toBe(before);
    expect(renderMarkdown(seedIncident, rules, { timeZone: "America/New_York", now: AT })).toBe(renderMarkdown(seedIncident, rules, { timeZone: "America/New_York", now: AT, probes: [] }));
  });

  test("seed 000: under the port conflict's Evidence, what ran, where, when, its conclusion and the data excerpt", () => {
    const report = renderMarkdown(seedIncident, rules, { timeZone: "America/New_York", now: AT, probes: [portOwner, notRun, stray] });
    const issues = report.slice(report.indexOf("## Critical Issues Identified"), report.indexOf("## Impact Assessment"));
    const first = issues.slice(0, issues.indexOf("### 2."));
    expect(first).toContain(
      "**Probe results:**\n- ✅ `port_owner` on mithrandir (port=9003, unit=transcription-palantir) at 2025-12-26 17:58:00 EST: rogue process: port 9003 held by PID 1573680 (/home/nbost/.bun/bin/bun run dist/index.js), user nbost, PPID 1; not transcription-palantir's MainPID (none), outside its cgroup",
    );
    expect(first).toContain(["```text", "# port_owner on mithrandir (port=9003, unit=transcription-palantir)", "port: 9003", "listening: true", "pid: 1573680", "ppid: 1", "command: /home/nbost/.bun/bin/bun run /home/nbost/transcription-palantir/dist/index.js", "user: nbost"].join("\n"));
    // After the finding's own Evidence block, not before it.
    expect(first.indexOf("**Probe results:**")).toBeGreaterThan(first.indexOf("**Evidence:**"));
    const second = issues.slice(issues.indexOf("### 2."));
    expect(second).toContain('- ❌ `queue_failed_jobs` on mithrandir (no params) at 2025-12-26 17:58:00 EST: queue\\_failed\\_jobs on mithrandir not run: no probe named "queue\\_failed\\_jobs"');
    // A probe no finding's rule asked for is still shown, after the last finding.
    expect(second).toMatch(/\*\*Other probe results:\*\*\n- ✅ `container_state` on mithrandir \(container=palantir-db\) at .*\n\n```text\n# container_state on mithrandir \(container=palantir-db\)\nname: palantir-db\nrunning: true\n```\n\n---\n\n$/);
  });

  test("the excerpt keeps one line per key, cuts long values, and says how many keys it left out", () => {
    expect(dataExcerpt({ a: "x\ny", b: undefined, c: [], d: [1, 2], e: "z".repeat(300) })).toEqual(["a: x\\ny", "d: [1,2]", `e: ${"z".repeat(196)}…`]);
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    expect(dataExcerpt(many)).toHaveLength(15);
    expect(dataExcerpt(many).at(-1)).toBe("… 6 more");
    expect(dataExcerpt(undefined)).toEqual([]);
  });

  test("hostile probe text (a summary or data from a log or a command) adds no HTML, link, heading or fence (property)", () => {
    const hostile = fc.string({ unit: fc.constantFrom(..."`*_[]()<>&!#|~\\-+=.:{}\n\r 9aZ/", "```", "<script>", "](http://evil.example)", "\n## Injected\n", "\n---\n", "~~~"), maxLength: 40 });
    fc.assert(
      fc.property(hostile, hostile, hostile, (summary, value, host) => {
        const p: StoredProbe = { ...portOwner, host, summary, params: { port: "9003", unit: value }, data: { command: value, note: summary } };
        const report = renderMarkdown(seedIncident, rules, { timeZone: "UTC", probes: [p] });
        const tokens = md.parse(report, {});
        expect(tokens.filter((t) => t.type === "heading_open" && t.tag === "h2")).toHaveLength(9);
        const all = tokens.flatMap((t) => [t, ...(t.children ?? [])]);
        expect(all.filter((t) => ["html_block", "html_inline", "link_open", "image"].includes(t.type))).toEqual([]);
        // Two evidence blocks, one probe excerpt, the action blocks: the same count as with a harmless probe.
        const fences = tokens.filter((t) => t.type === "fence").length;
        expect(fences).toBe(md.parse(renderMarkdown(seedIncident, rules, { timeZone: "UTC", probes: [{ ...portOwner, host: "h" }] }), {}).filter((t) => t.type === "fence").length);
      }),
      { numRuns: 200 },
    );
  });
});

describe("probe results in the JSON report", () => {
  test("with probes each incident lists them (validated by the schema); without, the JSON is unchanged", () => {
    const json = toReportJson([seedIncident], { probes: () => [portOwner, notRun] });
    expect(ReportJsonSchema.parse(json).incidents[0]?.probes).toEqual([
      { probe: "port_owner", host: "mithrandir", params: { port: "9003", unit: "transcription-palantir" }, at: "2025-12-26T22:58:00Z", ok: true, summary: portOwner.summary, data: portOwner.data },
      { probe: "queue_failed_jobs", host: "mithrandir", params: {}, at: "2025-12-26T22:58:00Z", ok: false, summary: notRun.summary, data: { reason: "not_run", message: "x" } },
    ]);
    expect(renderJson([seedIncident])).not.toContain('"probes"');
    expect(renderJson([seedIncident], { probes: () => undefined })).toContain('"probes": []');
  });
});

import MarkdownIt from "markdown-it";
import { describe, expect, test } from "vitest";
import { renderMarkdown } from "../../../src/report/index.js";
import { RuleSchema, loadBuiltinRules, type Rule } from "../../../src/rules/index.js";
import type { Finding } from "../../../src/correlate/index.js";
import type { Incident } from "../../../src/incidents/index.js";
import { jobsFinding, portFinding, seedIncident, seedRules } from "./seed-000.js";

const md = new MarkdownIt({ html: true });
const NY = { timeZone: "America/New_York" };
const RAW_PLACEHOLDER = /\{[A-Za-z_][\w.-]*\}/;

/** Text of every heading of a level, as a reader sees it. */
function headings(markdown: string, level: number): string[] {
  const tokens = md.parse(markdown, {});
  const text = (t: (typeof tokens)[number] | undefined) => (t?.children ?? []).filter((c) => c.type === "text").map((c) => c.content).join("");
  return tokens.flatMap((t, i) => (t.type === "heading_open" && t.tag === `h${level}` ? [text(tokens[i + 1])] : []));
}

/** The markdown between "## title" and the next "## ". */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  expect(start, `section ${title}`).toBeGreaterThan(0);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

describe("renderMarkdown: the documented format", () => {
  const report = renderMarkdown(seedIncident, seedRules, NY);

  test("has the title, the header fields and every section, in the documented order", () => {
    expect(headings(report, 1)).toEqual(["Incident Report: Port Conflict - transcription-palantir cannot bind port 9003"]);
    expect(headings(report, 2)).toEqual([
      "Executive Summary",
      "Critical Issues Identified",
      "Impact Assessment",
      "Timeline",
      "Immediate Actions Required",
      "Root Cause Analysis",
      "Prevention Measures",
      "Related Documentation",
      "Next Steps",
    ]);
    expect(report).toContain("**Date:** 2025-12-26  \n");
    expect(report).toContain("**Severity:** 🔴 **CRITICAL**  \n");
    expect(report).toContain("**Status:** 🔍 **INVESTIGATING**  \n");
    expect(report).toMatch(/\*\*Reported By:\*\* firewatch \d+\.\d+\.\d+ {2}\n/);
    // Sections are separated by horizontal rules, as in seed 000.
    expect(report.split("\n---\n").length).toBeGreaterThanOrEqual(10);
  });

  test("the executive summary is one paragraph of the rules' summaries with the key figures in bold", () => {
    const summary = section(report, "Executive Summary");
    expect(summary).toContain("transcription-palantir on mithrandir is in a **crash loop**: port **9003** is held");
    expect(summary).toContain("restarted it **485** times.");
    expect(summary).toContain("there are **20** failed jobs");
    const paragraphs = md.parse(summary, {}).filter((t) => t.type === "paragraph_open");
    expect(paragraphs).toHaveLength(1);
  });

  test("the port conflict shows the restart counter, the cadence and the first and last lines verbatim", () => {
    const issues = section(report, "Critical Issues Identified");
    expect(headings(issues, 3)).toEqual([
      "1. 🚨 Port Conflict - transcription-palantir cannot bind port 9003",
      "2. ❌ Stale Job Queue - 20 Failed Jobs",
    ]);
    expect(issues).toContain("- Systemd service has attempted to restart **485+ times** (restart counter at 485)");
    expect(issues).toContain(
      "- Seen **485** times between 2025-12-26 16:42:07 EST and 2025-12-26 17:57:01 EST, every ~9 s for 1 h 15 min",
    );
    expect(issues).toContain("# fixtures/seed-000-port-conflict/journal.log:3\n2025-12-26T16:42:07-0500 mithrandir bun[1573702]: Error: Failed to start server. Is port 9003 in use?");
    expect(issues).toContain("# fixtures/seed-000-port-conflict/journal.log:1946\n2025-12-26T17:57:01-0500 mithrandir systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at 485.");
    expect(issues).toContain("# 6 of 485 lines (the first and the last), verbatim");
  });

  test("the stale job queue shows 20 failed jobs over 6 files in a table", () => {
    const issues = section(report, "Critical Issues Identified");
    expect(issues).toContain("**Affected Files (6 unique, 20 failed jobs):**");
    const tokens = md.parse(issues, {});
    const rows = tokens.filter((t) => t.type === "tr_open").length - 1;
    expect(rows).toBe(6);
    const cells = tokens.filter((t, i) => t.type === "inline" && tokens[i - 1]?.type === "td_open").map((t) => t.content);
    expect(cells.filter((_c, i) => i % 3 === 1)).toEqual(["7", "3", "3", "3", "2", "2"]);
    expect(cells[0]).toBe("08 Masterclass QA Session with Leif and Paul.m4a");
    expect(cells[2]).toBe("✅ Already completed");
    expect(issues).toContain("at uneven intervals (5 s to 2 min, typically ~40 s) over 13 min");
  });

  test("the timeline is a table in the report's zone, built from the findings and sorted by time", () => {
    const timeline = section(report, "Timeline");
    expect(timeline).toContain("| Time (EST) | Event |");
    const rows = timeline.split("\n").filter((l) => /^\| \d\d:\d\d:\d\d[ –]/.test(l));
    expect(rows).toEqual([
      "| 16:42:07 | Port Conflict - transcription-palantir cannot bind port 9003: first seen |",
      "| 16:42:25 | Port Conflict - transcription-palantir cannot bind port 9003: threshold reached (3 within 5 min) |",
      "| 16:42:30 | Stale Job Queue - 20 Failed Jobs: first seen |",
      "| 16:55:10 | Stale Job Queue - 20 Failed Jobs: last seen (**20** in total) |",
      // Read again from the kept last lines ("restart counter is at 483" ... "485"), as seed 000's "reaches 476-485".
      "| 17:56:43–17:57:01 | Port Conflict - transcription-palantir cannot bind port 9003: counter reaches **483–485** |",
      "| 17:57:01 | Port Conflict - transcription-palantir cannot bind port 9003: last seen (**485** in total) |",
    ]);
  });

  test("a timeline over several days shows dates", () => {
    const early: Finding = { ...jobsFinding, firstSeen: Date.parse("2025-12-17T15:00:00Z"), cadence: undefined };
    const timeline = section(renderMarkdown({ ...seedIncident, findings: [portFinding, early] }, seedRules, NY), "Timeline");
    expect(timeline).toContain("| 2025-12-17 10:00:00 | Stale Job Queue - 20 Failed Jobs: first seen |");
    expect(timeline).toContain("| 2025-12-26 17:57:01 | Port Conflict - transcription-palantir cannot bind port 9003: last seen (**485** in total) |");
  });

  test("the same report in UTC shows UTC times", () => {
    const timeline = section(renderMarkdown(seedIncident, seedRules, { timeZone: "UTC" }), "Timeline");
    expect(timeline).toContain("| Time (UTC) | Event |");
    expect(timeline).toContain("| 22:57:01 |");
  });

  test("immediate actions carry the exact commands with the fields filled, each action once", () => {
    const actions = section(report, "Immediate Actions Required");
    // Grouped under the finding they belong to.
    expect(headings(actions, 3)).toEqual(["1. Port Conflict - transcription-palantir cannot bind port 9003", "2. Stale Job Queue - 20 Failed Jobs"]);
    expect(headings(actions, 4)).toEqual([
      "1.1 Kill the process holding port 9003",
      "1.2 Restart the systemd service",
      "2.1 Clean failed jobs from the queue",
    ]);
    expect(actions).toContain(
      '```bash\nssh mithrandir "systemctl --user restart transcription-palantir"\nssh mithrandir "systemctl --user status transcription-palantir"\n```',
    );
    expect(actions).toContain(`ssh mithrandir "redis-cli -n 0 KEYS 'bull:transcription:*:failed'"`);
  });

  test("a command whose value is unknown is shown commented out, never with a raw placeholder", () => {
    const actions = section(report, "Immediate Actions Required");
    expect(actions).toContain('# omitted (pid is not known from the logs): ssh mithrandir "kill -9 <pid>"');
    expect(actions).not.toMatch(RAW_PLACEHOLDER);
  });

  test("root cause analysis numbers the possible causes per finding", () => {
    const rca = section(report, "Root Cause Analysis");
    expect(rca).toContain("### 1. Port Conflict - transcription-palantir cannot bind port 9003\n**Hypothesis:** Manual intervention");
    expect(rca).toContain("**Possible Causes:**\n1. Manual `bun run dist/index.js` executed directly\n2. Testing session left a process running on 9003");
    expect(rca).toContain("### 2. Stale Job Queue - 20 Failed Jobs\n**Hypothesis:** The file watcher");
  });

  test("impact, prevention, docs and next steps are merged without duplicates", () => {
    expect(section(report, "Impact Assessment").match(/API unavailable/g)).toHaveLength(1);
    const prevention = section(report, "Prevention Measures");
    expect(prevention.match(/Add service health monitoring/g)).toHaveLength(1);
    expect(prevention).toContain("### 2. Stale Job Queue - 20 Failed Jobs\n- [ ] **Implement job deduplication** - one job per file");
    expect(section(report, "Related Documentation").match(/PRODUCTION_GUIDELINES/g)).toHaveLength(1);
    expect(section(report, "Related Documentation")).toContain("- Service Management: `docs/PRODUCTION_GUIDELINES.md`");
    const next = section(report, "Next Steps");
    expect(next).toContain("1. Execute immediate actions to restore service\n2. Investigate how the rogue process was started\n3. Create a GitHub issue for tracking");
  });

  test("a problem bullet whose value is missing is dropped, not printed raw", () => {
    const issues = section(report, "Critical Issues Identified");
    expect(issues).not.toContain("Process ");
    expect(report).not.toMatch(RAW_PLACEHOLDER);
  });
});

describe("renderMarkdown: states, missing values and options", () => {
  test("status and severity badges follow the incident", () => {
    const ack = renderMarkdown({ ...seedIncident, status: "acknowledged", severity: "info" }, seedRules);
    expect(ack).toContain("**Status:** 🛠️ **MITIGATING**");
    expect(ack).toContain("**Severity:** ℹ️ **INFO**");
    const resolved = renderMarkdown({ ...seedIncident, status: "resolved", severity: "medium" }, seedRules);
    expect(resolved).toContain("**Status:** ✅ **RESOLVED**");
    expect(resolved).toContain("**Severity:** 🟡 **MEDIUM**");
    expect(renderMarkdown({ ...seedIncident, severity: "high" }, seedRules)).toContain("🟠 **HIGH**");
    expect(renderMarkdown({ ...seedIncident, severity: "low" }, seedRules)).toContain("🟢 **LOW**");
    expect(renderMarkdown({ ...seedIncident, status: "observed" }, seedRules)).toContain("**Status:** 🔍 **INVESTIGATING**");
  });

  test("reportedBy replaces the default", () => {
    expect(renderMarkdown(seedIncident, seedRules, { reportedBy: "User (nbost130)" })).toContain("**Reported By:** User (nbost130)  \n");
  });

  test("observed findings come after firing ones and are marked below threshold", () => {
    const observed: Finding = { ...portFinding, state: "observed" };
    const report = renderMarkdown({ ...seedIncident, findings: [observed, jobsFinding] }, seedRules, NY);
    expect(headings(section(report, "Critical Issues Identified"), 3)).toEqual([
      "1. ❌ Stale Job Queue - 20 Failed Jobs",
      "2. 🚨 Port Conflict - transcription-palantir cannot bind port 9003 (observed, below threshold)",
    ]);
    // Its rule's summary asserts a crash loop; below threshold the summary gives the figures instead.
    const summary = section(report, "Executive Summary");
    expect(summary).not.toContain("crash loop");
    expect(summary).toContain("Port Conflict - transcription-palantir cannot bind port 9003 (observed, below threshold): seen **485** times");
    expect(section(report, "Timeline")).not.toContain("threshold reached (3 within 5 min)");
  });

  test("a recovered finding says when it recovered", () => {
    const recovered: Finding = { ...portFinding, state: "observed", recoveredAt: Date.parse("2025-12-26T23:10:00Z") };
    const report = renderMarkdown({ ...seedIncident, findings: [recovered] }, seedRules, NY);
    expect(report).toContain("(observed, recovered at 2025-12-26 18:10:00 EST)");
    expect(section(report, "Timeline")).toContain("| 18:10:00 | Port Conflict - transcription-palantir cannot bind port 9003: recovered |");
  });

  test("unknown host, service and times read 'unknown'; a template title keeps no raw placeholder", () => {
    const bare: Finding = {
      ...portFinding, host: undefined, service: undefined, firstSeen: undefined, lastSeen: undefined, cadence: undefined,
      fields: {}, count: 3, evidence: [],
    };
    const incident: Incident = {
      ...seedIncident, title: "Port Conflict - {service} cannot bind port {port}", host: undefined, service: undefined,
      firstSeen: undefined, lastSeen: undefined, findings: [bare],
    };
    const report = renderMarkdown(incident, seedRules);
    expect(headings(report, 1)).toEqual(["Incident Report: Port Conflict - unknown cannot bind port unknown"]);
    expect(report).toContain("**Date:** unknown");
    expect(report).toContain("on host unknown, service unknown");
    expect(report).toContain("Seen **3** times (times unknown: the lines carry no timestamp)");
    expect(report).toContain("No log lines were kept for this finding.");
    expect(section(report, "Timeline")).toContain("| unknown |");
    expect(report).not.toMatch(RAW_PLACEHOLDER);
    // Without any value the bullets that need one are gone, the others remain.
    expect(report).not.toContain("restart counter at");
    expect(report).toContain("- unknown: the rule names no root cause");
  });

  test("the date comes from `now` only when the incident has no time", () => {
    const noTime: Incident = { ...seedIncident, firstSeen: undefined, lastSeen: undefined };
    expect(renderMarkdown(noTime, seedRules, { now: Date.parse("2026-01-02T12:00:00Z") })).toContain("**Date:** 2026-01-02");
    expect(renderMarkdown(seedIncident, seedRules, { now: Date.parse("2026-01-02T12:00:00Z"), ...NY })).toContain("**Date:** 2025-12-26");
    const long: Incident = { ...seedIncident, firstSeen: Date.parse("2025-12-17T10:00:00Z") };
    expect(renderMarkdown(long, seedRules, NY)).toContain("**Date:** 2025-12-17 to 2025-12-26");
  });

  test("a finding whose rule is not loaded is still reported from its own figures", () => {
    const report = renderMarkdown({ ...seedIncident, findings: [{ ...portFinding, rule: "gone_rule" }] }, new Map(), NY);
    expect(headings(report, 3)).toContain("1. 🚨 gone_rule");
    expect(section(report, "Executive Summary")).toContain("gone\\_rule: seen **485** times between");
    expect(section(report, "Impact Assessment")).toContain("None: the matching rules record no impact.");
  });

  test("an unknown time zone is a usage error that names it", () => {
    expect(() => renderMarkdown(seedIncident, seedRules, { timeZone: "Mars/Olympus" })).toThrow(
      expect.objectContaining({ code: "usage", message: expect.stringContaining("Mars/Olympus") }),
    );
  });

  test("an observed finding's actions are left out (and counted), unless allActions", () => {
    const rule: Rule = RuleSchema.parse({
      id: "ban_rule",
      match: "from (?<ip>\\S+)",
      knowledge: { immediate_actions: [{ title: "Ban the address", commands: ["fail2ban-client set sshd banip {ip}"] }] },
    });
    const below: Finding = { ...portFinding, rule: "ban_rule", state: "observed", fields: { ip: "10.0.0.9" } };
    const incident = { ...seedIncident, findings: [below, { ...below, groupKey: "other", fields: { ip: "10.0.0.8" } }] };
    const rules = new Map([[rule.id, rule]]);
    const left = section(renderMarkdown(incident, rules), "Immediate Actions Required");
    expect(left).not.toContain("Ban the address");
    expect(left).toContain("_The actions of 2 observed findings (seen, but below the rule's condition) are left out; `--all-actions` shows them._");
    const all = section(renderMarkdown(incident, rules, { allActions: true }), "Immediate Actions Required");
    expect(all.match(/Ban the address/g)).toHaveLength(2);
    expect(all).toContain("banip 10.0.0.9");
  });

  test("a value that is not one shell word is never put into a command", () => {
    const rule: Rule = RuleSchema.parse({
      id: "cmd_rule",
      match: "x (?<unit>.+)",
      knowledge: { immediate_actions: [{ title: "Restart {unit}", commands: ["systemctl restart {unit}"] }] },
    });
    const finding: Finding = { ...portFinding, rule: "cmd_rule", fields: { unit: "a; rm -rf /" } };
    const report = renderMarkdown({ ...seedIncident, findings: [finding] }, new Map([[rule.id, rule]]));
    const actions = section(report, "Immediate Actions Required");
    expect(actions).toContain("#### 1.1 Restart a; rm -rf /");
    expect(actions).toContain("# omitted (unit is not a plain word): systemctl restart <unit>");
    expect(actions).not.toContain("systemctl restart a;");
  });

  test("a value that looks like an option is never put into a command", () => {
    const rule: Rule = RuleSchema.parse({
      id: "kill_rule",
      match: "pid (?<pid>\\S+)",
      knowledge: { immediate_actions: [{ title: "Kill {pid}", commands: ["kill -9 {pid}"] }] },
    });
    const finding: Finding = { ...portFinding, rule: "kill_rule", fields: { pid: "-1" } };
    const actions = section(renderMarkdown({ ...seedIncident, findings: [finding] }, new Map([[rule.id, rule]])), "Immediate Actions Required");
    expect(actions).toContain("# omitted (pid is not a plain word): kill -9 <pid>");
    const ok = renderMarkdown({ ...seedIncident, findings: [{ ...finding, fields: { pid: "1573680" } }] }, new Map([[rule.id, rule]]));
    expect(section(ok, "Immediate Actions Required")).toContain("```bash\nkill -9 1573680\n```");
  });
});

describe("renderMarkdown with the built-in rule library", () => {
  test("the seed 000 shape renders with no raw placeholder, no HTML and no link from log text", async () => {
    const rules = new Map((await loadBuiltinRules()).map((r) => [r.id, r] as const));
    const port: Finding = { ...portFinding, fields: { host: "mithrandir", port: "9003" }, groupKey: "eaddrinuse_loop|mithrandir|9003" };
    const jobs: Finding = { ...jobsFinding, fields: { host: "mithrandir", service: "transcription-palantir", job: "20", file: "6" } };
    const report = renderMarkdown({ ...seedIncident, findings: [port, jobs] }, rules, NY);
    expect(report).not.toMatch(RAW_PLACEHOLDER);
    // The library's titles are its own; they must come out filled.
    const [first, second] = headings(report, 3);
    expect(first).toMatch(/^1\. 🚨 .*9003/);
    expect(second).toMatch(/^2\. ❌ /);
    expect(report).toContain("ss -ltnp 'sport = :9003'");
    expect(section(report, "Critical Issues Identified")).toContain("Seen **20** times between 2025-12-26 16:42:30 EST");
    expect(section(report, "Executive Summary")).toMatch(/\*\*485\*\*/);
    const tokens = md.parse(report, {});
    const types = new Set(tokens.flatMap((t) => [t.type, ...(t.children ?? []).map((c) => c.type)]));
    expect(types.has("html_block")).toBe(false);
    expect(types.has("html_inline")).toBe(false);
    // The only links are the rules' own documentation links.
    const links = tokens.flatMap((t) => (t.children ?? []).filter((c) => c.type === "link_open").map((c) => c.attrGet("href")));
    for (const href of links) expect(href).toMatch(/^https:\/\//);
  });

  test("every built-in rule renders without a raw placeholder, with all values and with none", async () => {
    const rules = await loadBuiltinRules();
    const map = new Map(rules.map((r) => [r.id, r] as const));
    expect(rules.length).toBeGreaterThan(10);
    for (const rule of rules) {
      const texts = [rule.title ?? "", JSON.stringify(rule.knowledge)];
      const names = [...new Set(texts.flatMap((t) => [...t.matchAll(/\{([A-Za-z_][\w.-]*)\}/g)].map((m) => m[1] ?? "")))];
      const full: Finding = { ...portFinding, rule: rule.id, severity: rule.severity, fields: Object.fromEntries(names.map((n) => [n, "v1"])) };
      const empty: Finding = { ...portFinding, rule: rule.id, severity: rule.severity, fields: {}, host: undefined, service: undefined, cadence: undefined };
      for (const finding of [full, empty]) {
        const report = renderMarkdown({ ...seedIncident, title: rule.id, findings: [finding] }, map);
        expect(report, rule.id).not.toMatch(RAW_PLACEHOLDER);
        expect(headings(report, 2), rule.id).toHaveLength(9);
      }
    }
  });
});

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ACTION_IDS, evidenceMessage, incidentMessage, type SlackMessage } from "../../../src/bot/blocks.js";
import { codeBlockMrkdwn, escapeMrkdwn, truncate } from "../../../src/bot/mrkdwn.js";
import { blockKitProblems } from "../../harness/fake-slack.js";
import { evidence, finding, incident, stored } from "./support.js";

const json = (v: unknown) => JSON.stringify(v);
const buttons = (m: SlackMessage) =>
  m.blocks.flatMap((b) => (b.type === "actions" ? b.elements.flatMap((e) => (e.type === "button" ? [{ action_id: e.action_id ?? "", value: e.value ?? "" }] : [])) : []));

describe("incident post", () => {
  test("shows title, severity, host/service, key figures and first/last seen", () => {
    const m = incidentMessage(stored());
    const all = json(m.blocks);
    expect(all).toContain("🔴 CRITICAL Crash loop: transcription-palantir cannot bind port 9003");
    expect(all).toContain("mithrandir");
    expect(all).toContain("transcription-palantir");
    expect(all).toContain("port *9003*");
    expect(all).toContain("restart counter *485*");
    expect(all).toContain("2025-12-26T21:42:09Z");
    expect(all).toContain("2025-12-26T22:57:05Z");
    expect(blockKitProblems(m.blocks)).toEqual([]);
  });

  test("a long figure (a path) is cut so the other findings keep their lines", () => {
    const long = `/mnt/data/${"x".repeat(4000)}.m4a`;
    const s = stored({}, incident({ findings: [finding({ rule: "stale_job_queue", fields: { path: long } }), finding({ rule: "systemd_restart_loop", fields: { counter: "485" } })] }));
    const all = JSON.stringify(incidentMessage(s).blocks);
    expect(all).toContain("restart counter *485*");
    expect(all).not.toContain("x".repeat(200));
  });

  test("has Acknowledge, Resolve, Silence 1h and Full report buttons carrying the incident id", () => {
    const b = buttons(incidentMessage(stored()));
    expect(b.map((x) => x.action_id)).toEqual([ACTION_IDS.acknowledge, ACTION_IDS.resolve, ACTION_IDS.silence1h, ACTION_IDS.report]);
    expect(new Set(b.map((x) => x.value))).toEqual(new Set(["fw-de060825"]));
  });

  test("acknowledging and resolving change the post and its buttons", () => {
    const acked = incidentMessage(stored({ status: "acknowledged", acknowledged: { by: "slack:U024BE7LH", at: Date.parse("2025-12-26T22:58:00Z") } }));
    expect(json(acked.blocks)).toContain("Acknowledged by <@U024BE7LH> at 2025-12-26T22:58:00Z");
    expect(buttons(acked).map((x) => x.action_id)).not.toContain(ACTION_IDS.acknowledge);
    const resolved = incidentMessage(stored({ status: "resolved", resolved: { by: "cli:alice", at: Date.parse("2025-12-26T23:10:00Z"), auto: false, mergedInto: undefined } }));
    expect(json(resolved.blocks)).toContain("Resolved by cli:alice");
    expect(buttons(resolved).map((x) => x.action_id)).toEqual([ACTION_IDS.silence1h, ACTION_IDS.report]);
    // Merged into another incident: the post points there instead of saying someone resolved it.
    const merged = incidentMessage(stored({ status: "resolved", resolved: { by: "firewatch", at: Date.parse("2025-12-26T23:10:00Z"), auto: false, mergedInto: "fw-0a1b2c3d" } }));
    expect(json(merged.blocks)).toContain("Merged into `fw-0a1b2c3d` (the same failure)");
    expect(json(merged.blocks)).not.toContain("Resolved by");
    expect(buttons(merged).map((x) => x.action_id)).toEqual([ACTION_IDS.silence1h, ACTION_IDS.report]);
  });

  test("a reopened incident says so", () => {
    expect(json(incidentMessage(stored({ reopenCount: 2 })).blocks)).toContain("Reopened* (2 times)");
    expect(json(incidentMessage(stored()).blocks)).not.toContain("Reopened");
  });

  test("an actor that is not a Slack user id is never turned into a mention", () => {
    const m = incidentMessage(stored({ status: "acknowledged", acknowledged: { by: "slack:<!channel>", at: 0 } }));
    expect(json(m.blocks)).not.toContain("<!channel>");
  });

  test("log text cannot mention, link or break out of the evidence block", () => {
    const hostile = "<!channel> @here <@U123> <https://evil.example|click> ``` *bold* & done";
    const s = stored({}, incident({ findings: [finding({ evidence: [evidence(hostile)], fields: { port: "<!everyone>" } })] }));
    for (const m of [incidentMessage(s), evidenceMessage(s)]) {
      const all = json(m.blocks);
      expect(all).not.toMatch(/<[!@#]|<https?:/);
      expect(all).not.toMatch(/@(here|channel|everyone)\b/);
      expect(blockKitProblems(m.blocks)).toEqual([]);
    }
    const ev = evidenceMessage(s).blocks[0] as { text: { text: string; verbatim: boolean } };
    expect(ev.text.verbatim).toBe(true);
    // Exactly one fenced block: the log's own ``` was broken up.
    expect(ev.text.text.match(/```/g)?.length).toBe(2);
    expect(ev.text.text).toContain("&lt;https://evil.example|click&gt;");
  });

  test("long evidence is truncated with a note, and many findings are counted past 50 blocks", () => {
    const long = "x".repeat(10_000);
    const many = Array.from({ length: 80 }, (_, n) => finding({ rule: `rule_${n}`, evidence: [evidence(long)] }));
    const m = evidenceMessage(stored({}, incident({ findings: many })));
    expect(blockKitProblems(m.blocks)).toEqual([]);
    expect(m.blocks).toHaveLength(50);
    expect(json(m.blocks[0])).toMatch(/more characters truncated/);
    expect(json(m.blocks[49])).toContain("evidence of 31 more finding(s) not shown");
  });
});

const anyText = fc.string({ unit: "binary", maxLength: 6000 });

describe("limits and escaping hold for any incident (properties)", () => {
  test("every message stays within Slack's Block Kit limits", () => {
    const findingArb = fc.record({
      rule: fc.stringMatching(/^[a-z][a-z0-9_]{0,300}$/),
      fields: fc.dictionary(fc.string({ maxLength: 50 }), anyText, { maxKeys: 5 }),
      lines: fc.array(anyText, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(anyText, fc.string({ maxLength: 3000 }), fc.array(findingArb, { maxLength: 70 }), fc.nat(5), (title, host, fs, reopens) => {
        const inc = incident({ title, host, id: `fw-${"a".repeat(3000)}`, findings: fs.map((f) => finding({ rule: f.rule, fields: f.fields, evidence: f.lines.map((l) => evidence(l)) })) });
        const s = stored({ reopenCount: reopens }, inc);
        for (const m of [incidentMessage(s), evidenceMessage(s)]) expect(blockKitProblems(m.blocks)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  test("escaped text has no markup Slack would act on, and reads back to the original", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii" }), (s) => {
        const e = escapeMrkdwn(s);
        expect(e).not.toMatch(/[<>]/);
        expect(e).not.toMatch(/&(?!amp;|lt;|gt;)/);
        expect(e).not.toMatch(/@(here|channel|everyone)\b/i);
        const back = e.replaceAll("\u2060", "").replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
        expect(back).toBe(s);
      }),
    );
  });

  test("a code block of any log text is one block: two fences, within its limit, nothing Slack would act on", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("`", "<", ">", "&", "@here", "x", "\n", "é", "😀") , maxLength: 800 }), fc.integer({ min: 60, max: 3000 }), (s, max) => {
        const block = codeBlockMrkdwn(s, max);
        expect(block.length).toBeLessThanOrEqual(max);
        expect(block.startsWith("```") && block.endsWith("```")).toBe(true);
        expect(block.slice(3, -3)).not.toMatch(/``/);
        expect(block).not.toMatch(/[<>]|@here\b/);
      }),
    );
  });

  test("truncation keeps the limit and never cuts an entity in half", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 0, max: 300 }), (s, max) => {
        const t = truncate(escapeMrkdwn(s), max);
        expect(t.length).toBeLessThanOrEqual(max);
        expect(t.replace(/… \(\d+ more characters truncated\)$/, "")).not.toMatch(/&[a-z]{0,3}$/);
      }),
    );
  });
});

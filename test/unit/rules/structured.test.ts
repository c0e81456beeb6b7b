// `structured` alternatives: a rule recognises a record by its structured fields (journald's MESSAGE_ID...) too.
import { describe, expect, test } from "vitest";
import type { LogRecord } from "../../../src/parsers/record.js";
import { compileRules, createMatchGate, createMatcher, testExample, type Rule } from "../../../src/rules/index.js";
import { parseRuleText } from "../../../src/rules/parse-rule-text.js";

const RESTART_ID = "5eb03494b6584870a536b337290809b3";

function rules(yaml: string): Rule[] {
  return parseRuleText(yaml, "t.yaml").map((r) => r.rule);
}

function record(text: string, fields: Record<string, string> = {}): LogRecord {
  return { text, message: text, time: undefined, host: "h1", service: "web", pid: undefined, level: undefined, fields, format: "journal-json", ref: { file: "-", line: 1, endLine: 1 }, truncatedBytes: 0 };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

const RULES = `
rules:
  - id: restart
    match:
      any:
        - '(?<unit>[\\w@.-]{1,200})\\.service: Scheduled restart job, restart counter is at (?<counter>\\d+)\\.'
      structured:
        - MESSAGE_ID: '^${RESTART_ID}$'
          UNIT: '^(?<unit>[\\w@.-]{1,200})\\.service$'
          N_RESTARTS: '^(?<counter>\\d+)$'
      not: ['ignore me']
  - id: plain
    match: 'Scheduled restart job'
`;

describe("structured alternatives in the matcher", () => {
  const compiled = compileRules(rules(RULES));
  const match = createMatcher(compiled);
  const german = (n: number, extra: Record<string, string> = {}) =>
    record(`api.service: Geplanter Neustart-Auftrag, Neustartzähler steht bei ${n}.`, { MESSAGE_ID: RESTART_ID, UNIT: "api.service", N_RESTARTS: String(n), ...extra });

  test("the prefilter does not skip them: a text holding no literal of the rule still matches by its fields", () => {
    // The rule's text regexes have literals; none is in this line, so the prefilter marks no text candidate.
    const lits = compiled[0]?.sets[0]?.any.flatMap((p) => p.literals ?? []) ?? [];
    expect(lits.length).toBeGreaterThan(0);
    const r = german(485);
    for (const l of lits) expect(r.text).not.toContain(l);
    expect(match(r).map((s) => [s.ruleId, s.role, s.fields])).toEqual([["restart", "match", { unit: "api", counter: "485" }]]);
  });

  test("a record matching the text and the structured form is one signal, its fields from the text", () => {
    const r = record("api.service: Scheduled restart job, restart counter is at 7.", { MESSAGE_ID: RESTART_ID, UNIT: "other.service", N_RESTARTS: "99" });
    expect(match(r).filter((s) => s.ruleId === "restart").map((s) => s.fields)).toEqual([{ unit: "api", counter: "7" }]);
  });

  test("every listed field must be there and match", () => {
    expect(match(german(3, { MESSAGE_ID: "7ad2d189f7e94e70a38c781354912448" }))).toEqual([]);
    expect(match(german(3, { UNIT: "api.socket" }))).toEqual([]);
    const noCounter = record("api.service: Neustart", { MESSAGE_ID: RESTART_ID, UNIT: "api.service" });
    expect(match(noCounter)).toEqual([]);
    // Inherited names are not fields: "constructor" is absent unless the record has it (not Object's function).
    const [own] = compileRules(rules("id: c\nmatch: { structured: [{ constructor: 'native code' }] }\n"));
    if (!own) throw new Error("no rule");
    expect(createMatcher([own])(record("x"))).toEqual([]);
    expect(createMatcher([own])(record("x", { constructor: "native code" }))).toHaveLength(1);
  });

  test("`not` vetoes a structured match by the record's text", () => {
    expect(match(german(4))).toHaveLength(1);
    const r = record("api.service: ignore me", { MESSAGE_ID: RESTART_ID, UNIT: "api.service", N_RESTARTS: "4" });
    expect(match(r)).toEqual([]);
  });

  test("testExample tries them with an example's `structured` fields, as the matcher does", () => {
    const [r] = compiled;
    if (!r) throw new Error("no rule");
    const line = "api.service: Geplanter Neustart-Auftrag, Neustartzähler steht bei 5.";
    expect(testExample(r, line)).toEqual({ matched: false, fields: {} });
    expect(testExample(r, line, { MESSAGE_ID: RESTART_ID, UNIT: "api.service", N_RESTARTS: "5" })).toEqual({ matched: true, fields: { unit: "api", counter: "5" } });
    expect(testExample(r, "ignore me", { MESSAGE_ID: RESTART_ID, UNIT: "api.service", N_RESTARTS: "5" })).toEqual({ matched: false, fields: {} });
  });
});

describe("structured alternatives in rule files", () => {
  // Issue 18: the daemon's file reader judges most lines on their raw bytes, never parsed: only while no structured
  // alternative could be met by the lower-case fields a line's shape gives (program, logger, tag...).
  test("the match gate judges raw bytes only when every structured alternative names an upper-case field", () => {
    const upper = createMatchGate(compileRules(rules(`id: s\nmatch:\n  any: ['disk full']\n  structured:\n    - { MESSAGE_ID: 'x', program: 'y' }\n`)));
    expect(upper?.bytes?.(Buffer.from("Dec  7 web1 app: disk full"))).toBe(true);
    expect(upper?.bytes?.(Buffer.from("Dec  7 web1 app: all good"))).toBe(false);
    const lower = createMatchGate(compileRules(rules(`id: s\nmatch:\n  any: ['disk full']\n  structured:\n    - { program: '^cron$' }\n`)));
    expect(lower).toBeDefined();
    expect(lower?.bytes).toBeUndefined();
  });

  test("a rule may match by structured fields only", () => {
    const [r] = compileRules(rules(`id: s\nmatch:\n  structured:\n    - { MESSAGE_ID: '^${RESTART_ID}$' }\n`));
    if (!r) throw new Error("no rule");
    expect(r.sets[0]?.any).toEqual([]);
    expect(createMatcher([r])(record("", { MESSAGE_ID: RESTART_ID }))).toHaveLength(1);
  });

  test("a match with neither regexes nor alternatives is refused", () => {
    expect(() => parseRuleText("id: s\nmatch: { not: [x] }\n", "r.yaml")).toThrow(/r\.yaml:2 match.*expected at least one regex in `any` or one alternative in `structured`/);
    expect(() => parseRuleText("id: s\nmatch: { structured: [{}] }\n", "r.yaml")).toThrow(/expected at least one FIELD: regex/);
  });

  test("their regexes are checked like the others, located at their line", () => {
    const text = "id: evil\nmatch:\n  any: [ok]\n  structured:\n    - MESSAGE_ID: x\n      N_RESTARTS: '(a+)+$'\n";
    expect(thrown(() => parseRuleText(text, "r.yaml"))).toMatchObject({ code: "rule_unsafe", file: "r.yaml", line: 6, path: "match.structured[0].N_RESTARTS" });
    expect(() => parseRuleText("id: s\nmatch: { structured: [{ UNIT: '(x' }] }\n", "r.yaml")).toThrow(/invalid regex/);
    expect(() => parseRuleText("id: s\nmatch: { structured: [{ 'bad name': x }] }\n", "r.yaml")).toThrow(/r\.yaml:2 match\.structured\[0\]\.bad name: invalid key: expected a structured field name such as MESSAGE_ID/);
  });
});

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { LogRecord } from "../../../src/parsers/record.js";
import { compileRules, createMatcher, testExample, type Rule } from "../../../src/rules/index.js";
import { parseRuleText } from "../../../src/rules/parse-rule-text.js";

function rules(yaml: string): Rule[] {
  return parseRuleText(yaml, "t.yaml").map((r) => r.rule);
}

function record(text: string, extra: Partial<LogRecord> = {}): LogRecord {
  return { text, message: text, time: undefined, host: "h1", service: "web", pid: undefined, level: undefined, fields: {}, format: "plain", ref: { file: "-", line: 1, endLine: 1 }, truncatedBytes: 0, ...extra };
}

describe("createMatcher", () => {
  const compiled = compileRules(rules(`
rules:
  - id: eaddrinuse_loop
    match:
      any:
        - 'listen EADDRINUSE: address already in use (?:\\S*:)?(?<port>\\d+)'
        - 'Is port (?<port>\\d+) in use'
      not: ['healthy']
  - id: rotation
    kind: absence
    match: 'Rotating segment for stream (?<stream>\\d+)'
    expect: 'Successfully rotated segment for stream (?<stream>\\d+)'
    until: 'Rotating segment'
    within: 5m
    clears: 'rotation ok(?<opt> now)?'
  - id: by_unit
    match: { any: ['^nginx$'], field: service }
  - id: by_field
    match: { any: ['^(?<code>5\\d\\d)$'], field: fields.status }
  - id: no_literal
    match: '\\d{3}-\\d{4}'
`));
  const match = createMatcher(compiled);

  test("named groups become fields and the main set has role match", () => {
    const [s, ...rest] = match(record("Error: listen EADDRINUSE: address already in use :::9003"));
    expect(rest).toEqual([]);
    expect(s).toMatchObject({ ruleId: "eaddrinuse_loop", role: "match", fields: { port: "9003" } });
  });

  test("the second alternative matches and a veto suppresses", () => {
    expect(match(record("Is port 8080 in use?"))[0]?.fields).toEqual({ port: "8080" });
    expect(match(record("Is port 8080 in use? healthy"))).toEqual([]);
  });

  test("one line can give several roles of one rule, in set order", () => {
    const got = match(record("Rotating segment for stream 7"));
    expect(got.map((s) => [s.ruleId, s.role, s.fields])).toEqual([
      ["rotation", "match", { stream: "7" }],
      ["rotation", "until", {}],
    ]);
    expect(match(record("Successfully rotated segment for stream 7")).map((s) => s.role)).toEqual(["expect"]);
  });

  test("undefined groups are omitted", () => {
    expect(match(record("rotation ok"))[0]).toMatchObject({ role: "clears", fields: {} });
    expect(match(record("rotation ok now"))[0]?.fields).toEqual({ opt: " now" });
  });

  test("field selects service and fields.NAME; a missing field never matches", () => {
    expect(match(record("x", { service: "nginx" })).map((s) => s.ruleId)).toEqual(["by_unit"]);
    expect(match(record("x", { fields: { status: "503" } }))[0]?.fields).toEqual({ code: "503" });
    expect(match(record("503"))).toEqual([]);
  });

  test("a rule without a literal still matches", () => {
    expect(match(record("call 555-1234 now")).map((s) => s.ruleId)).toEqual(["no_literal"]);
  });

  test("a line with no literal of any rule gives no signal", () => {
    expect(match(record("all quiet"))).toEqual([]);
  });
});

describe("compileRules", () => {
  test("extracts literals that keep the regex meaning", () => {
    const [r] = compileRules(rules("id: x\nmatch: ['[Aa]ddress already in use', '(?:[a-z]+\\.)+[A-Z]\\w*(?:Exception|Error)(?:\\W|$)', '.*']\n"));
    expect(r?.sets[0]?.any.map((p) => p.literals)).toEqual([["Address already in use", "address already in use"], ["Exception", "Error"], undefined]);
  });

  test("refuses an unsafe regex given directly, naming the rule", () => {
    const bad: Rule[] = [{ ...rules("id: ok\nmatch: x\n")[0], id: "evil", match: { any: ["(\\w+\\s?)+$"], not: [], field: "text" } } as Rule];
    expect(() => compileRules(bad)).toThrow(/rule evil: unsafe regex: "\(\\w\+\\s\?\)\+"/);
  });
});

describe("testExample", () => {
  const [r] = compileRules(rules("id: x\nmatch: { any: ['Is port (?<port>\\d+) in use'], not: ['ignored'] }\n"));
  test("reports match and fields", () => {
    if (!r) throw new Error("no rule");
    expect(testExample(r, "Is port 9003 in use?")).toEqual({ matched: true, fields: { port: "9003" } });
    expect(testExample(r, "Is port 9003 in use? ignored")).toEqual({ matched: false, fields: {} });
    expect(testExample(r, "port 9003 free")).toEqual({ matched: false, fields: {} });
  });
});

describe("createMatcher equals running every set on every record (property)", () => {
  test("the prefilter never changes the signals, on the built-in library", async () => {
    const { loadBuiltinRules, setMatches, capturedFields, selectField, structuredFields } = await import("../../../src/rules/index.js");
    const compiled = compileRules(await loadBuiltinRules());
    const match = createMatcher(compiled);
    const literals = [...new Set(compiled.flatMap((r) => r.sets.flatMap((s) => s.any.flatMap((p) => p.literals ?? []))))];
    const examples = compiled.flatMap((r) => r.rule.examples.map((e) => e.line));
    const piece = fc.oneof(fc.constantFrom(...literals), fc.constantFrom(...examples), fc.string({ maxLength: 6 }), fc.constantFrom(" ", ":", "9003", "\n"));
    // Structured fields: the library's own examples' (journal entries), each possibly missing one field.
    const structured = compiled.flatMap((r) => r.rule.examples.flatMap((e) => (e.structured ? [e.structured] : [])));
    expect(structured.length).toBeGreaterThan(0);
    const fieldsArb = fc.oneof(
      fc.constant({}),
      fc.tuple(fc.constantFrom(...structured), fc.nat()).map(([f, k]) => {
        const keys = Object.keys(f);
        const drop = k % (keys.length + 1) < keys.length ? keys[k % (keys.length + 1)] : undefined;
        return Object.fromEntries(Object.entries(f).filter(([name]) => name !== drop));
      }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), fc.constantFrom("web", "transcription-palantir", "nginx"), fieldsArb, fc.array(fc.array(piece, { maxLength: 4 }), { maxLength: 2 }), (parts, service, fields, errorParts) => {
        const text = parts.join("");
        const errors = errorParts.map((e) => e.join(""));
        const rec = { ...record(text, { service, fields }), ...(errors.length > 0 ? { errors } : {}) };
        // The reference: the text, else (text and message sets, not vetoed by the text) each error text in turn,
        // else the structured alternatives; then the rule's `capture` fields looked for in the text and error texts.
        const captureOf = (r: (typeof compiled)[number], found: Record<string, string>) => {
          for (const c of r.captures) {
            if (Object.hasOwn(found, c.name)) continue;
            const attribute = c.from === undefined ? undefined : rec[c.from];
            if (attribute !== undefined) {
              found[c.name] = String(attribute);
              continue;
            }
            for (const t of [rec.text, ...errors]) {
              const v = c.regexes.map((re) => re.exec(t)?.groups?.[c.name]).find((x) => x !== undefined);
              if (v !== undefined) {
                found[c.name] = v;
                break;
              }
            }
          }
          return found;
        };
        const want = compiled.flatMap((r) =>
          r.sets.flatMap((s) => {
            const subject = selectField(rec, s.field);
            let m = subject === undefined ? undefined : setMatches(s, subject);
            const readsErrors = s.field.kind === "text" || s.field.kind === "message";
            if (m === undefined && readsErrors && !s.not.some((re) => subject !== undefined && re.test(subject)))
              m = errors.map((e) => setMatches(s, e)).find((x) => x !== undefined);
            const f = m ? capturedFields(m) : structuredFields(s, rec.fields, subject);
            return f ? [{ ruleId: r.id, role: s.role, fields: captureOf(r, f) }] : [];
          }),
        );
        expect(match(rec).map((s) => ({ ruleId: s.ruleId, role: s.role, fields: s.fields }))).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });
});

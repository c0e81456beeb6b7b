import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ReportJsonSchema, renderJson } from "../../../src/report/index.js";
import type { Finding } from "../../../src/correlate/index.js";
import type { Incident } from "../../../src/incidents/index.js";
import { jobsFinding, portFinding, seedIncident } from "./seed-000.js";

describe("renderJson", () => {
  test("the seed 000 incident validates against the exported schema and keeps its figures", () => {
    const text = renderJson([seedIncident]);
    expect(text.endsWith("}\n")).toBe(true);
    const parsed = ReportJsonSchema.parse(JSON.parse(text));
    expect(parsed.schemaVersion).toBe(1);
    const [incident] = parsed.incidents;
    expect(incident).toMatchObject({
      id: "fw-2c167f96",
      severity: "critical",
      status: "open",
      host: "mithrandir",
      service: "transcription-palantir",
      firstSeen: "2025-12-26T21:42:07Z",
      lastSeen: "2025-12-26T22:57:01Z",
    });
    const [port, jobs] = incident?.findings ?? [];
    expect(port).toMatchObject({ rule: "eaddrinuse_loop", state: "firing", count: 485, fields: { port: "9003", counter: "485" } });
    expect(port?.evidence[0]).toEqual({
      file: "fixtures/seed-000-port-conflict/journal.log",
      line: 3,
      endLine: 3,
      time: "2025-12-26T21:42:07Z",
      text: "2025-12-26T16:42:07-0500 mithrandir bun[1573702]: Error: Failed to start server. Is port 9003 in use?",
    });
    expect(port?.cadence).toMatchObject({ medianMs: 9000, steady: true, text: "every ~9 s for 1 h 15 min" });
    expect(jobs?.count).toBe(20);
    expect(jobs?.table?.rows.map((r) => r[1])).toEqual(["7", "3", "3", "3", "2", "2"]);
  });

  test("the contract keys come in the documented order", () => {
    const raw = JSON.parse(renderJson([seedIncident])) as { incidents: Array<Record<string, unknown> & { findings: Array<Record<string, unknown>> }> };
    const incident = raw.incidents[0];
    expect(Object.keys(incident ?? {})).toEqual([
      "id", "fingerprint", "title", "severity", "status", "host", "service", "firstSeen", "lastSeen", "findings",
    ]);
    expect(Object.keys(incident?.findings[0] ?? {}).slice(0, 7)).toEqual([
      "rule", "state", "count", "firstSeen", "lastSeen", "fields", "evidence",
    ]);
  });

  test("unknown times, hosts and services are null, and still validate", () => {
    const bare: Finding = { ...jobsFinding, firstSeen: undefined, lastSeen: undefined, host: undefined, service: undefined, cadence: undefined, table: undefined, evidence: [{ ref: { file: "-", line: 1, endLine: 2 }, time: undefined, text: "a\nb" }] };
    const incident: Incident = { ...seedIncident, host: undefined, service: undefined, firstSeen: undefined, lastSeen: undefined, findings: [bare] };
    const parsed = ReportJsonSchema.parse(JSON.parse(renderJson([incident])));
    const i = parsed.incidents[0];
    expect(i).toMatchObject({ host: null, service: null, firstSeen: null, lastSeen: null });
    expect(i?.findings[0]).toMatchObject({ firstSeen: null, lastSeen: null, cadence: null, table: null, recoveredAt: null });
    expect(i?.findings[0]?.evidence[0]).toEqual({ file: "-", line: 1, endLine: 2, time: null, text: "a\nb" });
  });

  test("milliseconds are kept when they are not zero", () => {
    const f: Finding = { ...portFinding, firstSeen: Date.parse("2025-12-26T21:42:07.250Z") };
    const parsed = ReportJsonSchema.parse(JSON.parse(renderJson([{ ...seedIncident, findings: [f] }])));
    expect(parsed.incidents[0]?.findings[0]?.firstSeen).toBe("2025-12-26T21:42:07.250Z");
  });

  test("no incidents is an empty list, not an error", () => {
    expect(JSON.parse(renderJson([]))).toEqual({ schemaVersion: 1, incidents: [] });
  });

  test("the schema refuses output that breaks the contract", () => {
    const good = JSON.parse(renderJson([seedIncident])) as { incidents: Array<Record<string, unknown>> };
    const badTime = { ...good, incidents: [{ ...good.incidents[0], firstSeen: "Dec 26 16:42" }] };
    expect(ReportJsonSchema.safeParse(badTime).success).toBe(false);
    const missing = { ...good, incidents: [{ ...good.incidents[0], fingerprint: undefined }] };
    expect(ReportJsonSchema.safeParse(missing).success).toBe(false);
  });

  test("extra keys a later version adds do not break a consumer using the schema", () => {
    const good = JSON.parse(renderJson([seedIncident])) as { incidents: Array<Record<string, unknown>> };
    const extended = { ...good, generatedBy: "firewatch 9", incidents: [{ ...good.incidents[0], probes: [] }] };
    expect(ReportJsonSchema.safeParse(extended).success).toBe(true);
  });

  test("property: any log text and times round-trip through the JSON and validate", () => {
    // A field called __proto__ is left out: zod's record parsing (on the consumer's side) cannot keep it, and
    // field names are capture-group names, never that one in practice.
    const fields = fc.dictionary(fc.string().filter((k) => k !== "__proto__"), fc.string({ unit: "binary" }));
    const time = fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }), { nil: undefined });
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fields, time, time, (text, fields, a, b) => {
        const f: Finding = { ...portFinding, fields, firstSeen: a, lastSeen: b, evidence: [{ ref: { file: text, line: 1, endLine: 1 }, time: a, text }] };
        const parsed = ReportJsonSchema.parse(JSON.parse(renderJson([{ ...seedIncident, title: text, firstSeen: a, lastSeen: b, findings: [f] }])));
        const out = parsed.incidents[0]?.findings[0];
        expect(parsed.incidents[0]?.title).toBe(text);
        expect(out?.evidence[0]?.text).toBe(text);
        expect(out?.fields).toEqual(fields);
        expect(out?.firstSeen === null ? undefined : Date.parse(out?.firstSeen ?? "")).toBe(a);
      }),
      { numRuns: 500 },
    );
  });
});

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { buildPrompt, createRedactor } from "../../../../src/report/llm/index.js";
import type { Incident } from "../../../../src/incidents/index.js";
import { jobsFinding, portFinding, seedIncident, seedRules } from "../seed-000.js";

function withEvidence(lines: readonly string[]): Incident {
  const evidence = lines.map((text, i) => ({ ref: { file: "j.log", line: i + 1, endLine: i + 1 }, time: portFinding.firstSeen, text }));
  return { ...seedIncident, findings: [{ ...portFinding, evidence }, jobsFinding] };
}

describe("buildPrompt", () => {
  test("the user message is the findings as JSON, with the rules' knowledge filled and the evidence lines", () => {
    const p = buildPrompt(seedIncident, seedRules, { redactor: createRedactor({ ips: false }), maxInputTokens: 6000, timeZone: "America/New_York" });
    expect(p.messages.map((m) => m.role)).toEqual(["system", "user"]);
    const user = JSON.parse(p.messages[1]?.content ?? "") as { incident: { id: string }; findings: { rule: string; values: Record<string, string>; evidence: { text: string }[]; knowledge: { hypothesis?: string } }[] };
    expect(user.incident.id).toBe("fw-2c167f96");
    expect(user.findings.map((f) => f.rule)).toEqual(["eaddrinuse_loop", "stale_job_queue"]);
    expect(user.findings[0]?.values).toMatchObject({ port: "9003", counter: "485", count: "485" });
    expect(user.findings[0]?.evidence).toHaveLength(6);
    expect(user.findings[0]?.knowledge.hypothesis).toBe("Manual intervention or a deployment script ran the service outside systemd");
    expect(p.groundText).toBe(p.messages[1]?.content);
    expect(p.trimmedLines).toBe(0);
  });

  test("secrets in evidence, titles and table cells are redacted; the same secret is one placeholder", () => {
    const secret = "password=Sup3rS3cretValue";
    const incident: Incident = {
      ...withEvidence([`connect failed ${secret}`, `retry ${secret}`]),
      title: `Port conflict ${secret}`,
    };
    const p = buildPrompt(incident, seedRules, { redactor: createRedactor({ ips: false }), maxInputTokens: 6000 });
    const all = p.messages.map((m) => m.content).join("\n");
    expect(all).not.toContain("Sup3rS3cretValue");
    expect(all.match(/password=<SECRET_1>/g)?.length).toBe(3);
    expect(all).not.toContain("<SECRET_2>");
  });

  test("a private key whose END line falls after the 400-character cut, and a secret straddling it, send nothing of themselves", () => {
    const body = Array.from({ length: 12 }, (_, i) => `MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC${i}`).join("\n");
    const key = `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`;
    const straddling = `${"x".repeat(380)} password=${"Q7w".repeat(10)} tail`;
    const p = buildPrompt(withEvidence([`loading key ${key} failed`, straddling]), seedRules, { redactor: createRedactor({ ips: false }), maxInputTokens: 6000 });
    const all = p.messages.map((m) => m.content).join("\n");
    expect(all).not.toContain("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC");
    expect(all).not.toContain("Q7wQ7w");
    expect(all).toContain("loading key <SECRET_1> failed");
  });

  test("property: over budget, evidence is trimmed from the middle until the prompt fits; first and last lines stay", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 50, maxLength: 600 }), { minLength: 3, maxLength: 60 }), fc.integer({ min: 2500, max: 8000 }), (texts, budget) => {
        const lines = texts.map((t, i) => `line ${i}: ${t}`);
        const p = buildPrompt(withEvidence(lines), seedRules, { redactor: createRedactor({ ips: false }), maxInputTokens: budget });
        const sent = JSON.parse(p.messages[1]?.content ?? "") as { findings: { evidence: { text: string }[] }[] };
        const evidence = sent.findings[0]?.evidence ?? [];
        if (p.trimmedLines > 0 && evidence.length > 0) {
          expect(p.estimatedTokens).toBeLessThanOrEqual(budget);
          expect(evidence[0]?.text.startsWith("line 0:")).toBe(true);
        }
        if (evidence.length >= 2) expect(evidence.at(-1)?.text.startsWith(`line ${lines.length - 1}:`)).toBe(true);
        // Every line is either sent or counted as trimmed (from either finding).
        const sentLines = sent.findings.reduce((n, f) => n + f.evidence.length, 0);
        expect(sentLines + p.trimmedLines).toBe(lines.length + jobsFinding.evidence.length);
        // No line is sent longer than the cap (400 characters and the ellipsis).
        for (const e of evidence) expect(e.text.length).toBeLessThanOrEqual(401);
      }),
      { numRuns: 60 },
    );
  });
});

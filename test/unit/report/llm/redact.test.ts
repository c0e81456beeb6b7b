import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createRedactor } from "../../../../src/report/index.js";
import { NEAR_MISSES, SECRET_CASES } from "./secrets-corpus.js";

describe("createRedactor: secrets never leave the host", () => {
  test.each(SECRET_CASES.map((c) => [c.name, c] as const))("%s is replaced by a placeholder", (_name, c) => {
    const out = createRedactor({ ips: false }).redact(c.line);
    for (const s of c.secrets) expect(out).not.toContain(s);
    expect(out).toMatch(new RegExp(`<${c.kind}_1>`));
  });

  test.each(NEAR_MISSES.map((l) => [l]))("keeps a figure the model needs: %s", (line) => {
    expect(createRedactor({ ips: true }).redact(line)).toBe(line);
  });

  test("the same secret gets the same placeholder within a report, another secret the next number", () => {
    const r = createRedactor({ ips: false });
    const a = r.redact("login failed password=correcthorse for ops@example.com");
    const b = r.redact("retry password=correcthorse; then password=batterystaple for ops@example.com");
    expect(a).toBe("login failed password=<SECRET_1> for <EMAIL_1>");
    expect(b).toBe("retry password=<SECRET_1>; then password=<SECRET_2> for <EMAIL_1>");
    expect(r.counts()).toEqual({ SECRET: 2, EMAIL: 1, IP: 0 });
  });

  test("keeps the key and the user of a URL, replaces only the password", () => {
    const out = createRedactor({ ips: false }).redact("redis://default:s3cr3tPassw0rd@10.0.0.12:6379");
    expect(out).toBe("redis://default:<SECRET_1>@10.0.0.12:6379");
  });

  test("IPs are replaced only when configured, and clock times and :::port never count as IPs", () => {
    const line = "16:42:07 connect 10.0.0.12:6379 from fe80::1ff:fe23:4567:890a failed; listen :::9003";
    expect(createRedactor({ ips: false }).redact(line)).toBe(line);
    expect(createRedactor({ ips: true }).redact(line)).toBe("16:42:07 connect <IP_1>:6379 from <IP_2> failed; listen :::9003");
  });

  test("reveal maps e-mail and IP placeholders back, never a secret", () => {
    const r = createRedactor({ ips: true });
    r.redact("user ops@example.com at 10.0.0.12 with token=abcd1234efgh");
    expect(r.reveal("Ask <EMAIL_1> about <IP_1>; <SECRET_1> may leak; <EMAIL_9> is unknown")).toBe(
      "Ask ops@example.com about 10.0.0.12; <SECRET_1> may leak; <EMAIL_9> is unknown",
    );
  });

  test("a redacted text is redacted already: running it again changes nothing", () => {
    const r = createRedactor({ ips: true });
    const joined = [...SECRET_CASES.map((c) => c.line), ...NEAR_MISSES].join("\n");
    const once = r.redact(joined);
    expect(r.redact(once)).toBe(once);
  });

  test("property: a secret embedded anywhere in log text does not survive", () => {
    const secrets = SECRET_CASES.filter((c) => c.kind === "SECRET" && c.secrets.length === 1 && !c.line.includes("\n"));
    fc.assert(
      fc.property(fc.constantFrom(...secrets), fc.string({ unit: fc.constantFrom("a", " ", "1", ":", "-", "/", "x") , maxLength: 30 }), fc.string({ maxLength: 30, unit: fc.constantFrom("b", " ", "2", ".", ",") }), (c, pre, post) => {
        const out = createRedactor({ ips: false }).redact(`${pre} ${c.line} ${post}`);
        expect(out).not.toContain(c.secrets[0]);
      }),
    );
  });
});

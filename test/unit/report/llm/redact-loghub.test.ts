// Redaction on real logs nobody here wrote (Loghub, see its LICENSE): figures the model needs must not vanish.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { createRedactor } from "../../../../src/report/index.js";

const LOGHUB_DIR = process.env.FIREWATCH_LOGHUB_DIR ?? fileURLToPath(new URL("../../../../fixtures/loghub/", import.meta.url));

describe("createRedactor on the Loghub corpus", () => {
  // A missing corpus fails loudly (readdirSync throws), never a quiet pass.
  const files = readdirSync(LOGHUB_DIR).filter((f) => f.endsWith(".log"));

  test("finds no secret in 16 × 2k lines of real logs: ids, tokens of speech and class names stay", () => {
    expect(files.length).toBeGreaterThanOrEqual(16);
    const secrets: string[] = [];
    let emails = 0;
    for (const f of files) {
      const r = createRedactor({ ips: false });
      for (const line of readFileSync(join(LOGHUB_DIR, f), "utf8").split("\n")) {
        const out = r.redact(line);
        if (out.includes("<SECRET_")) secrets.push(`${f}: ${line}`);
        if (out.includes("<EMAIL_")) emails += 1;
      }
    }
    expect(secrets).toEqual([]);
    // The corpus does hold a few real addresses (a kernel build host, iCloud/CalDAV account URLs): they are replaced.
    expect(emails).toBe(4);
  });
});

import { describe, expect, test } from "vitest";
import { renderText } from "../../../src/report/index.js";
import { wrapLine } from "../../../src/report/text.js";
import type { Finding } from "../../../src/correlate/index.js";
import type { Incident } from "../../../src/incidents/index.js";
import { jobsFinding, portFinding, seedIncident, seedRules } from "./seed-000.js";

const NY = { timeZone: "America/New_York" };

describe("renderText", () => {
  test("one block per incident with id, severity, status, title, host/service, times and findings, then a total", () => {
    const out = renderText([seedIncident], { ...NY, rules: seedRules });
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toBe("fw-2c167f96  CRITICAL  open  Port Conflict - transcription-palantir cannot bind port 9003");
    expect(lines[1]).toBe("  host mithrandir  service transcription-palantir");
    expect(lines[2]).toBe("  first seen 2025-12-26 16:42:07 EST  last seen 2025-12-26 17:57:01 EST");
    // Longer than 100 columns: wrapped at the gap before the cadence, continued four columns deeper.
    expect(lines[3]).toBe("  - firing    eaddrinuse_loop  ×485  Port Conflict - transcription-palantir cannot bind port 9003");
    expect(lines[4]).toBe("      every ~9 s for 1 h 15 min");
    expect(lines[5]).toBe("      port=9003  counter=485");
    expect(lines[6]).toBe("  - firing    stale_job_queue  ×20  Stale Job Queue - 20 Failed Jobs");
    expect(lines[7]).toMatch(/^ {6}at uneven intervals/);
    expect(lines.at(-1)).toBe("1 incident (1 open), 2 findings (2 firing, 0 observed)");
  });

  test("no line is wider than 100 columns (colour codes not counted); a single word longer stays whole", () => {
    const long: Incident = { ...seedIncident, title: `${"very long title words ".repeat(8)}end`, findings: [{ ...portFinding, fields: { path: `/${"p".repeat(120)}` } }] };
    for (const color of [false, true]) {
      // eslint-disable-next-line no-control-regex
      const widths = renderText([long, seedIncident], { rules: seedRules, color }).split("\n").map((l) => [...l.replace(/\u001b\[[0-9;]*m/g, "")].length);
      expect(Math.max(...widths)).toBeLessThanOrEqual(100);
    }
    expect(wrapLine(`  a  ${"x".repeat(150)}`, 100)).toEqual(["  a", `      ${"x".repeat(150)}`]);
  });

  test("no colour unless asked for; with colour the severity is painted", () => {
    // eslint-disable-next-line no-control-regex
    expect(renderText([seedIncident])).not.toMatch(/\u001b/);
    expect(renderText([seedIncident], { color: true })).toContain("\u001b[1;31mCRITICAL\u001b[0m");
  });

  test("log text cannot send control sequences to the terminal", () => {
    const f: Finding = { ...portFinding, fields: { port: "9003\u001b]0;pwned\u0007" } };
    const incident: Incident = { ...seedIncident, title: "evil \u001b[2J title", findings: [f] };
    const out = renderText([incident]);
    // eslint-disable-next-line no-control-regex
    expect(out.replaceAll("\n", "")).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(out).toContain("evil \\x1b[2J title");
    expect(out).toContain("port=9003\\x1b]0;pwned\\x07");
  });

  test("long values are cut, unknown values say so, observed findings are marked", () => {
    const f: Finding = { ...jobsFinding, state: "observed", fields: { path: "x".repeat(200) } };
    const incident: Incident = { ...seedIncident, host: undefined, service: undefined, firstSeen: undefined, lastSeen: undefined, status: "observed", findings: [f] };
    const out = renderText([incident, seedIncident]);
    expect(out).toContain("  host unknown  service unknown");
    expect(out).toContain("  first seen unknown  last seen unknown");
    expect(out).toContain(`path=${"x".repeat(59)}…`);
    expect(out).toContain("  - observed  stale_job_queue  ×20");
    expect(out.trimEnd().split("\n").at(-1)).toBe("2 incidents (1 observed, 1 open), 3 findings (2 firing, 1 observed)");
  });

  test("no incidents says so in one line", () => {
    expect(renderText([])).toBe("No incidents.\n");
  });
});

// --min-severity and --fail-on: which incidents show, and which fail a CI run.
import { describe, expect, test } from "vitest";
import { createGate } from "../../../src/cli/gating.js";
import type { Incident } from "../../../src/incidents/index.js";

const incident = (id: string, severity: Incident["severity"], status: Incident["status"]): Incident => ({
  id, fingerprint: id, title: id, severity, status, host: "h", service: "s", firstSeen: 0, lastSeen: 0, findings: [],
});
const all = [incident("crit", "critical", "open"), incident("med", "medium", "open"), incident("low-observed", "low", "observed")];

describe("CI gating", () => {
  test("without flags every incident shows and any open one fails the run", () => {
    const g = createGate({});
    expect(g.shown(all).map((i) => i.id)).toEqual(["crit", "med", "low-observed"]);
    expect(g.fails(all)).toBe(true);
    expect(g.fails([all[2] as Incident])).toBe(false);
  });

  test("--min-severity hides what is below it; --fail-on fails only at its level or worse; never never fails", () => {
    expect(createGate({ minSeverity: "medium" }).shown(all).map((i) => i.id)).toEqual(["crit", "med"]);
    expect(createGate({ failOn: "high" }).fails([all[1] as Incident])).toBe(false);
    expect(createGate({ failOn: "high" }).fails(all)).toBe(true);
    expect(createGate({ failOn: "never" }).fails(all)).toBe(false);
  });

  test("a level that is not one is a usage error naming the levels", () => {
    expect(() => createGate({ failOn: "urgent" })).toThrow(/--fail-on urgent: expected one of info, low, medium, high, critical, never/);
    expect(() => createGate({ minSeverity: "never" })).toThrow(/--min-severity never: expected one of info, low, medium, high, critical$/);
  });
});

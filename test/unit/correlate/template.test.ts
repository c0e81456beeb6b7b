import { describe, expect, test } from "vitest";
import { fillTemplate } from "../../../src/correlate/index.js";
import { fillTemplate as fromIncidents } from "../../../src/incidents/index.js";

describe("fillTemplate", () => {
  test("fills known names and leaves unknown ones visible", () => {
    expect(fillTemplate("{service} on {host} cannot bind {port}", { service: "palantir", host: "mithrandir" })).toBe(
      "palantir on mithrandir cannot bind {port}",
    );
  });
  test("does not touch braces that are not placeholders", () => {
    expect(fillTemplate("jq '{a: 1}' { x } ${HOME}", { a: "no", x: "no" })).toBe("jq '{a: 1}' { x } ${HOME}");
  });
  test("inserts values literally, without re-expanding them", () => {
    expect(fillTemplate("{a}", { a: "{b} $& $1", b: "no" })).toBe("{b} $& $1");
  });
  test("does not read inherited properties", () => {
    expect(fillTemplate("{constructor} {toString}", {})).toBe("{constructor} {toString}");
  });
  test("incidents exports the same helper", () => {
    expect(fromIncidents).toBe(fillTemplate);
  });
});

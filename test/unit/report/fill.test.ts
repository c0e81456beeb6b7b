import { describe, expect, test } from "vitest";
import { fillOrUnknown, fillStrict, fillWith, findingValues, placeholderNames } from "../../../src/report/fill.js";
import { createTimeFormat } from "../../../src/report/clock-format.js";
import { portFinding } from "./seed-000.js";
import { occurrenceBullet } from "../../../src/report/markdown-issues.js";

const id = (v: string) => v;

describe("template filling", () => {
  test("fillStrict fills every placeholder or gives up on the line", () => {
    expect(fillStrict("port {port} on {host}", { port: "9003", host: "m" }, id)).toBe("port 9003 on m");
    expect(fillStrict("port {port} held by {pid}", { port: "9003" }, id)).toBeUndefined();
    expect(fillStrict("no placeholders, {not one}", {}, id)).toBe("no placeholders, {not one}");
  });

  test("values are rendered once and never filled again", () => {
    expect(fillStrict("{a} {b}", { a: "{b}", b: "x" }, (v) => `[${v}]`)).toBe("[{b}] [x]");
  });

  test("fillOrUnknown and fillWith say what is missing", () => {
    expect(fillOrUnknown("port {port}", {}, id)).toBe("port unknown");
    expect(fillWith("kill {pid}", {}, id, (n) => `<${n}>`)).toBe("kill <pid>");
    expect(placeholderNames("{a} {b.c} {1x} {d-e}")).toEqual(["a", "b.c", "d-e"]);
  });

  test("one instant reads 'at T', not 'between T and T'; one occurrence reads 'once'", () => {
    const same = { firstSeen: "00:46:28", lastSeen: "00:46:28", count: "2" };
    expect(fillStrict("It failed {count} times between {firstSeen} and {lastSeen}.", same, id)).toBe("It failed 2 times at 00:46:28.");
    expect(fillWith("It failed {count} times between {firstSeen} and {lastSeen}.", { ...same, count: "1" }, id, () => "?")).toBe("It failed once at 00:46:28.");
    expect(fillStrict("between {firstSeen} and {lastSeen}", { firstSeen: "a", lastSeen: "b" }, id)).toBe("between a and b");
    const fmt = createTimeFormat("UTC");
    const t = portFinding.firstSeen ?? 0;
    expect(occurrenceBullet({ ...portFinding, count: 3, firstSeen: t, lastSeen: t, cadence: undefined }, fmt)).toBe(`Seen **3** times at ${fmt.stamp(t)}`);
  });

  test("a finding offers its fields and its figures, times in the report's zone", () => {
    const v = findingValues(portFinding, createTimeFormat("America/New_York"));
    expect(v).toMatchObject({
      port: "9003", counter: "485", host: "mithrandir", service: "transcription-palantir", count: "485", rule: "eaddrinuse_loop",
      firstSeen: "2025-12-26 16:42:07 EST", lastSeen: "2025-12-26 17:57:01 EST", interval: "~9 s", span: "1 h 15 min",
    });
  });

  test("names of Object's own properties are not values", () => {
    expect(fillStrict("{constructor} {toString}", {}, id)).toBeUndefined();
    const v = findingValues({ ...portFinding, fields: { __proto__x: "a", ["__proto__"]: "b" } }, createTimeFormat());
    expect(fillStrict("{__proto__}", v, id)).toBe("b");
    expect(fillStrict("{hasOwnProperty}", v, id)).toBeUndefined();
  });

  test("empty and absent values are missing, not blank", () => {
    const v = findingValues({ ...portFinding, fields: { port: "" }, host: undefined, cadence: undefined }, createTimeFormat());
    expect(v).not.toHaveProperty("port");
    expect(v).not.toHaveProperty("host");
    expect(v).not.toHaveProperty("interval");
  });
});

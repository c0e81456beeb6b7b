import { describe, expect, test } from "vitest";
import { createCorrelator } from "../../../src/correlate/index.js";
import { rule, sig, T0 } from "./make-signal.js";

const PORT = rule({ id: "eaddrinuse_loop", kind: "threshold", threshold: { count: 3, within: "5m" }, severity: "critical", group_by: ["host", "service", "port"] });

describe("a line without the port joins its service's finding that has it (issue 14)", () => {
  test("busybox's port-less bind error counts with the finding of port 9003, not as a finding of port \"\"", () => {
    const c = createCorrelator([PORT]);
    for (let i = 0; i < 3; i++) {
      c.push(sig({ rule: "eaddrinuse_loop", service: "loop-main", time: T0 + i * 1000, fields: { port: "9003" } }));
      c.push(sig({ rule: "eaddrinuse_loop", service: "loop-main", time: T0 + i * 1000 + 10 }));
    }
    const findings = c.findings();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ count: 6, fields: { port: "9003" } });
  });

  test("another service's port-less line does not join; with no port at all the finding has no port field", () => {
    const c = createCorrelator([PORT]);
    c.push(sig({ rule: "eaddrinuse_loop", service: "loop-main", time: T0, fields: { port: "9003" } }));
    c.push(sig({ rule: "eaddrinuse_loop", service: "other", time: T0 + 1 }));
    const other = c.findings().find((f) => f.service === "other");
    expect(other?.count).toBe(1);
    expect(other?.fields).not.toHaveProperty("port");
    expect(Object.values(other?.fields ?? {})).not.toContain("");
  });

  test("the most recently active port of the service takes the line", () => {
    const c = createCorrelator([PORT]);
    c.push(sig({ rule: "eaddrinuse_loop", service: "api", time: T0, fields: { port: "9003" } }));
    c.push(sig({ rule: "eaddrinuse_loop", service: "api", time: T0 + 1, fields: { port: "9004" } }));
    c.push(sig({ rule: "eaddrinuse_loop", service: "api", time: T0 + 2 }));
    expect(c.findings().map((f) => [f.fields.port, f.count])).toEqual([["9003", 1], ["9004", 2]]);
  });
});

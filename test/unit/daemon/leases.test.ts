import { describe, expect, test } from "vitest";
import { FirewatchConfigSchema } from "../../../src/config/index.js";
import { leaseUnits } from "../../../src/daemon/leases.js";

const config = FirewatchConfigSchema.parse({
  hosts: { web1: { kind: "local" }, web2: { kind: "local" } },
  sources: [
    { kind: "journald", host: "web1" },
    { kind: "file", name: "web1-app", host: "web1", paths: ["/var/log/app.log"] },
    { kind: "journald", host: "web2" },
  ],
  store: { url: "redis://127.0.0.1:6379" },
  scale: { leaseBy: "host" },
});

describe("leaseUnits", () => {
  test("leaseBy: source gives each source its own lease", () => {
    const { units, unitOf } = leaseUnits(config.sources, "source");
    expect(units).toEqual(["journald:web1", "web1-app", "journald:web2"]);
    expect(config.sources.map(unitOf)).toEqual(units);
  });

  test("leaseBy: host puts every source of a host under one lease", () => {
    const { units, unitOf } = leaseUnits(config.sources, "host");
    expect(units).toEqual(["host:web1", "host:web2"]);
    expect(config.sources.map(unitOf)).toEqual(["host:web1", "host:web1", "host:web2"]);
  });

  test("the scale section's defaults: a lease per source, 15 s, renewed every 5 s", () => {
    const c = FirewatchConfigSchema.parse({ scale: {} });
    expect(c.scale).toEqual({ leaseTime: 15_000, leaseBy: "source" });
    expect(() => FirewatchConfigSchema.parse({ scale: { leaseTime: "10s", renewEvery: "6s" } })).toThrow(/at most half of leaseTime/);
  });
});

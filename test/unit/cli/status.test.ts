import { expect, test } from "vitest";
import { renderStatus } from "../../../src/cli/status.js";
import { STORE_VERSION } from "../../../src/store/index.js";

test("status lists each live watcher with its lease count, and each lease with its owner or (free)", () => {
  const text = renderStatus({
    watchers: [{ info: { v: STORE_VERSION, id: "web1:411:ab12", host: "web1", pid: 411, startedAt: 0, sources: 2 }, expiresInMs: 12_300 }],
    leases: [
      { source: "journald:web1", owner: "web1:411:ab12", token: 3, ttlMs: 14_000 },
      { source: "web1-app", owner: "web1:411:ab12", token: 1, ttlMs: 9_500 },
      { source: "journald:web2", owner: undefined, token: 2, ttlMs: 0 },
    ],
  });
  expect(text).toBe(
    [
      "Watchers: 1 live",
      "  ID             HOST  PID  LEASES  HEARTBEAT LEFT",
      "  web1:411:ab12  web1  411  2       12.3 s",
      "Leases: 3 (sources, or hosts with leaseBy: host), 1 free",
      "  LEASE          OWNER          TOKEN  LEFT",
      "  journald:web1  web1:411:ab12  3      14.0 s",
      "  web1-app       web1:411:ab12  1      9.5 s",
      "  journald:web2  (free)         2      -",
      "",
    ].join("\n"),
  );
});

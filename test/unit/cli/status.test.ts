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
      "Slack: no watcher posts (none has a slack: section)",
      "Leases: 3 (sources, or hosts with leaseBy: host), 1 free",
      "  LEASE          OWNER          TOKEN  LEFT",
      "  journald:web1  web1:411:ab12  3      14.0 s",
      "  web1-app       web1:411:ab12  1      9.5 s",
      "  journald:web2  (free)         2      -",
      "",
    ].join("\n"),
  );
});

test("with record streams, each watcher's role and each partition's lag and pending entries are listed", () => {
  const text = renderStatus(
    {
      watchers: [
        { info: { v: STORE_VERSION, id: "c1", host: "web1", pid: 1, startedAt: 0, sources: 1, role: "collector" }, expiresInMs: 2_000 },
        { info: { v: STORE_VERSION, id: "a1", host: "web2", pid: 2, startedAt: 0, sources: 2, role: "analyzer", slack: true }, expiresInMs: 2_500 },
      ],
      leases: [
        { source: "stream:p00", owner: "a1", token: 1, ttlMs: 2_000 },
        { source: "stream:p01", owner: "a1", token: 4, ttlMs: 2_000 },
      ],
    },
    [
      { partition: "stream:p00", length: 40, lag: 12, pending: 3, consumers: 1 },
      { partition: "stream:p01", length: 2, lag: 0, pending: 0, consumers: 1 },
    ],
  );
  expect(text).toContain("  ID  ROLE       HOST  PID  LEASES  HEARTBEAT LEFT\n  c1  collector  web1  1    0       2.0 s\n  a1  analyzer   web2  2    2       2.5 s\nSlack: posted by a1\n");
  expect(text).toContain(
    "Record streams (group analyzers): 2 partitions, lag 12, pending 3 entries\n  PARTITION   LENGTH  LAG  PENDING  CONSUMERS\n  stream:p00  40      12   3        1\n  stream:p01  2       0    0        1\n",
  );
});

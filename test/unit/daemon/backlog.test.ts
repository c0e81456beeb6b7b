// Issue 18: the daemon knows when its sources read a backlog, so a catch-up's probes wait for its end.
import { describe, expect, test } from "vitest";
import { BEHIND_BYTES, BEHIND_SECONDS, createBacklog } from "../../../src/daemon/backlog.js";

describe("the backlog", () => {
  test("a followed source is behind until it reports being near its end; the last one to catch up says so, once", () => {
    let calls = 0;
    const b = createBacklog(() => (calls += 1));
    b.follow(["file:a", "journald:local"]);
    expect(b.behind()).toBe(true);
    b.lag("file:a", { bytes: 50 << 20, seconds: 3 });
    b.lag("journald:local", { seconds: 0 });
    expect(b.behind()).toBe(true);
    // A live append (a few KiB behind) is not a backlog.
    b.lag("file:a", { bytes: 4096, seconds: 0.2 });
    expect(b.behind()).toBe(false);
    expect(calls).toBe(1);
    b.lag("file:a", { bytes: 0, seconds: 0 });
    expect(calls).toBe(1);
    // A journal handing out entries two minutes old reads a backlog again (a link back after an outage).
    b.lag("journald:local", { seconds: BEHIND_SECONDS + 60 });
    expect(b.behind()).toBe(true);
    b.lag("journald:local", { seconds: 1 });
    expect(calls).toBe(2);
  });

  test("a lane that ended is caught up; a source that is not followed (Docker, an old run's) changes nothing", () => {
    let calls = 0;
    const b = createBacklog(() => (calls += 1));
    b.follow(["file:a"]);
    b.lag("docker:local", { bytes: BEHIND_BYTES * 10, seconds: 100 });
    b.lag("file:a", { bytes: BEHIND_BYTES + 1, seconds: 5 });
    expect(b.behind()).toBe(true);
    b.ended("file:a");
    expect(b.behind()).toBe(false);
    expect(calls).toBe(1);
    // A new run follows other sources: behind again until they report.
    b.follow(["file:b"]);
    expect(b.behind()).toBe(true);
    b.follow([]);
    expect(b.behind()).toBe(false);
    expect(calls).toBe(2);
  });
});

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { localFileProbe, staleTable, type FileProbe } from "../../../src/jobs/index.js";

/** A probe over a fixed set of paths, counting calls: stands in for a remote host. */
function fakeProbe(paths: readonly string[]): FileProbe & { calls: number } {
  const set = new Set(paths);
  const p = {
    calls: 0,
    exists: async (path: string) => { p.calls++; return set.has(path); },
    findByName: async (dir: string, name: string) => { p.calls++; return [...set].filter((x) => x.startsWith(dir + "/") && x.endsWith("/" + name)); },
  };
  return p;
}

const IN = "/mnt/data/whisper-batch/inbox/Kingdom Life Blueprint/Chapter 3";
const OUT = "/mnt/data/whisper-batch/completed/Kingdom Life Blueprint/Chapter 3";

describe("seed 000's stale job table", () => {
  test("one row per file, most failed jobs first, completed when the /completed/ twin exists", async () => {
    const fails = [
      ...["a1", "a2", "a3"].map((jobId) => ({ jobId, path: `${IN}/08 Masterclass.m4a` })),
      { jobId: "b1", path: `${IN}/04 Interview.m4a` },
      { jobId: "c1", path: `${IN}/09 Missing.m4a` },
      { jobId: "c2", path: `${IN}/09 Missing.m4a` },
    ];
    const probe = fakeProbe([`${OUT}/08 Masterclass.m4a`, `${OUT}/04 Interview.m4a`]);
    const rows = await staleTable(fails, probe);
    expect(rows.map((r) => [r.file, r.failedJobs, r.completedPath !== undefined])).toEqual([
      ["08 Masterclass.m4a", 3, true],
      ["09 Missing.m4a", 2, false],
      ["04 Interview.m4a", 1, true],
    ]);
    expect(rows[0]?.jobIds).toEqual(["a1", "a2", "a3"]);
    expect(probe.calls).toBe(6); // two probes per file, not per job
  });

  test("with completedDir the file is searched by base name anywhere under it", async () => {
    const probe = fakeProbe(["/done/2025/12/08 Masterclass.m4a"]);
    const rows = await staleTable([{ jobId: "1", path: "/elsewhere/08 Masterclass.m4a" }], probe, { completedDir: "/done" });
    expect(rows[0]?.completedPath).toBe("/done/2025/12/08 Masterclass.m4a");
    expect(rows[0]?.stillAtPath).toBe(false);
  });

  test("a path without /inbox/ and no completedDir is never called completed", async () => {
    const rows = await staleTable([{ jobId: "1", path: "/srv/x.m4a" }], fakeProbe(["/srv/x.m4a"]));
    expect(rows[0]).toMatchObject({ completedPath: undefined, stillAtPath: true });
  });
});

describe("the local file probe", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "fw-probe-"));
    await mkdir(join(root, "completed", "a", "b"), { recursive: true });
    await writeFile(join(root, "completed", "a", "b", "x.m4a"), "");
  });
  afterAll(async () => { await rm(root, { recursive: true, force: true }); });

  test("exists and findByName see real files and nothing else", async () => {
    const p = localFileProbe();
    expect(await p.exists(join(root, "completed", "a", "b", "x.m4a"))).toBe(true);
    expect(await p.exists(join(root, "inbox", "x.m4a"))).toBe(false);
    expect(await p.findByName(join(root, "completed"), "x.m4a")).toEqual([join(root, "completed", "a", "b", "x.m4a")]);
    expect(await p.findByName(join(root, "completed"), "y.m4a")).toEqual([]);
    expect(await p.findByName(join(root, "nope"), "x.m4a")).toEqual([]);
  });
});

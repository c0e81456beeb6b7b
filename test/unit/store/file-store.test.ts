import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { FileStore, type StoredIncident } from "../../../src/store/index.js";
import { encodeJson } from "../../../src/store/records.js";
import { describeStoreContract } from "./contract.js";
import { snapshot, testClock } from "./support.js";

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "fw-filestore-"));
}

describeStoreContract("FileStore", async () => {
  const dir = await tempDir();
  return { open: (deps) => FileStore.open(dir, deps), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe("FileStore on disk", () => {
  let dir: string;
  const clock = testClock();
  const deps = { clock };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("writes state.json and audit.jsonl, and nothing else stays behind after close", async () => {
    const store = await FileStore.open(dir, deps);
    await store.upsert(snapshot());
    expect((await readdir(dir)).sort()).toEqual(["audit.jsonl", "lock", "state.json"]);
    await store.close();
    expect((await readdir(dir)).sort()).toEqual(["audit.jsonl", "state.json"]);
    const state: unknown = JSON.parse(await readFile(join(dir, "state.json"), "utf8"));
    expect(state).toMatchObject({ v: 1, incidents: [{ incident: { id: snapshot().id } }] });
  });

  test("a second process on the same directory is refused with a message naming the holder", async () => {
    const store = await FileStore.open(dir, deps);
    await expect(FileStore.open(dir, deps)).rejects.toMatchObject({ reason: "locked", message: expect.stringContaining(`pid ${process.pid}`) });
    await store.close();
    const again = await FileStore.open(dir, deps);
    await again.close();
  });

  test("a lock left by a dead process (kill -9) is taken over", async () => {
    // pid 2^22+1 is above Linux's pid_max default range: no such process.
    await writeFile(join(dir, "lock"), JSON.stringify({ pid: 4_194_305, host: (await import("node:os")).hostname(), since: "2025-12-26T00:00:00Z" }));
    const store = await FileStore.open(dir, deps);
    await store.upsert(snapshot());
    await store.close();
  });

  test("read-only opening works beside the writer, sees what it wrote, and refuses changes", async () => {
    const writer = await FileStore.open(dir, deps);
    await writer.upsert(snapshot());
    const reader = await FileStore.open(dir, deps, { readOnly: true });
    expect((await reader.list()).map((s) => s.incident.id)).toEqual([snapshot().id]);
    await expect(reader.acknowledge(snapshot().id, "cli:me")).rejects.toMatchObject({ reason: "invalid", message: expect.stringContaining("read-only") });
    await reader.close();
    await writer.close();
  });

  test("each flush writes every incident as it is now, though only the changed ones are encoded again", async () => {
    const store = await FileStore.open(dir, deps);
    await store.commit({ snapshots: [snapshot({ fingerprint: "fp-a" }), snapshot({ fingerprint: "fp-b" })], cursors: { s: "1" }, run: "r1" });
    // fp-a changes through a commit, fp-b through an acknowledgement; both keep their fingerprint.
    await store.commit({ snapshots: [snapshot({ fingerprint: "fp-a", count: 7 })], cursors: { s: "2" }, run: "r1" });
    await store.acknowledge("fp-b", "cli:me");
    // As stored values come back from JSON (undefined written as null), by fingerprint.
    const byFp = (xs: readonly StoredIncident[]) => Object.fromEntries(xs.map((x) => [x.incident.fingerprint, JSON.parse(encodeJson(x)) as unknown]));
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as { incidents: StoredIncident[]; cursors: unknown };
    expect(byFp(state.incidents)).toEqual(byFp(await store.list()));
    expect(byFp(state.incidents)).toMatchObject({ "fp-a": { incident: { findings: [{ count: 7 }] } }, "fp-b": { acknowledged: { by: "cli:me" } } });
    expect(state.cursors).toEqual({ s: "2" });
    await store.close();
    // The written file is what a new process loads.
    const again = await FileStore.open(dir, deps);
    expect(byFp(await again.list())).toEqual(byFp(state.incidents));
    await again.close();
  });

  test("a corrupt state file is refused with its name and left byte for byte as it was", async () => {
    const bytes = '{"v":1,"incidents":[{"broken": tru';
    await writeFile(join(dir, "state.json"), bytes);
    await expect(FileStore.open(dir, deps)).rejects.toMatchObject({ reason: "corrupt", message: expect.stringContaining(join(dir, "state.json")) });
    expect(await readFile(join(dir, "state.json"), "utf8")).toBe(bytes);
    // The refused open released its lock: the next one is not told the store is in use.
    await expect(FileStore.open(dir, deps)).rejects.toMatchObject({ reason: "corrupt" });
  });

  test("a state file of the wrong shape is corrupt too, naming the field", async () => {
    await writeFile(join(dir, "state.json"), JSON.stringify({ v: 1, incidents: [{ v: 1 }], silences: [], cursors: {} }));
    await expect(FileStore.open(dir, deps)).rejects.toMatchObject({ reason: "corrupt", message: expect.stringContaining("incidents.0") });
  });

  test("move-aside keeps the corrupt file under a new name and starts empty", async () => {
    const bytes = "not json at all";
    await writeFile(join(dir, "state.json"), bytes);
    const store = await FileStore.open(dir, deps, { onCorrupt: "move-aside" });
    expect(await store.list()).toEqual([]);
    await store.upsert(snapshot());
    await store.close();
    const aside = (await readdir(dir)).filter((n) => n.startsWith("state.json.corrupt-"));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(dir, aside[0] ?? ""), "utf8")).toBe(bytes);
  });

  test("a state file of another layout version is refused, not misread", async () => {
    await writeFile(join(dir, "state.json"), JSON.stringify({ v: 2, everything: "different" }));
    await expect(FileStore.open(dir, deps, { onCorrupt: "move-aside" })).rejects.toMatchObject({ reason: "version" });
    expect(await readdir(dir)).toContain("state.json");
  });

  test("an audit line cut short by a crash is dropped; the complete ones are kept and appending goes on cleanly", async () => {
    const store = await FileStore.open(dir, deps);
    await store.upsert(snapshot());
    await store.close();
    const path = join(dir, "audit.jsonl");
    await writeFile(path, (await readFile(path, "utf8")) + '{"v":1,"id":"x","at":1,"act');
    const again = await FileStore.open(dir, deps);
    await again.appendAudit({ actor: "t", action: "test.after", target: undefined, details: {} });
    await again.close();
    const third = await FileStore.open(dir, deps);
    expect((await third.listAudit()).map((a) => a.action)).toEqual(["incident.created", "test.after"]);
    await third.close();
  });

  test("a damaged audit line in the middle is corruption, not silently skipped", async () => {
    await writeFile(join(dir, "audit.jsonl"), 'garbage\n{"also":"bad"}\n');
    await expect(FileStore.open(dir, deps)).rejects.toMatchObject({ reason: "corrupt", message: expect.stringContaining("audit.jsonl") });
  });

  test("a temp file left by an interrupted write is removed and the last complete state is loaded", async () => {
    const store = await FileStore.open(dir, deps);
    await store.upsert(snapshot());
    await store.close();
    await writeFile(join(dir, ".state.json.tmp-12345"), '{"v":1,"incidents":[');
    const again = await FileStore.open(dir, deps);
    expect(await again.list()).toHaveLength(1);
    expect((await readdir(dir)).filter((n) => n.includes("tmp"))).toEqual([]);
    await again.close();
  });

  test("concurrent changes share writes (group commit) and all of them are on disk afterwards", async () => {
    const store = await FileStore.open(dir, deps);
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.upsert(snapshot({ fingerprint: `fp-${i}` }))));
    await store.close();
    expect(JSON.parse(await readFile(join(dir, "state.json"), "utf8"))).toHaveProperty("incidents.length", 100);
    const lines = (await readFile(join(dir, "audit.jsonl"), "utf8")).trim().split("\n");
    expect(lines).toHaveLength(100);
  });

  test("resolved incidents are pruned after the retention, live ones never", async () => {
    const clock2 = testClock();
    const store = await FileStore.open(dir, { clock: clock2 }, { retentionMs: 7 * 86_400_000 });
    await store.upsert(snapshot({ fingerprint: "fp-done" }));
    await store.upsert(snapshot({ fingerprint: "fp-live" }));
    await store.resolve("fp-done", "t");
    clock2.advance(6 * 86_400_000);
    await store.setCursor("s", "1");
    expect(await store.get("fp-done")).toBeDefined();
    clock2.advance(2 * 86_400_000);
    await store.setCursor("s", "2");
    expect(await store.get("fp-done")).toBeUndefined();
    expect(await store.get(snapshot({ fingerprint: "fp-done" }).id)).toBeUndefined();
    expect((await store.list()).map((s) => s.incident.fingerprint)).toEqual(["fp-live"]);
    await store.close();
    expect(await readFile(join(dir, "state.json"), "utf8")).not.toContain("fp-done");
  });

  test("a state file written before commit/claims/records/probes existed opens and carries on (same layout version)", async () => {
    // Written by the store as of commit c516967 (before these additions): no probes, no claims, no records, carry without run.
    await copyFile(new URL("./fixtures/state-before-probes.json", import.meta.url), join(dir, "state.json"));
    const store = await FileStore.open(dir, deps);
    const s = await store.get("fw-0a1b2c3d");
    expect(s?.probes).toEqual([]);
    expect(s?.slack).toEqual({ channel: "C0123", ts: "1735254000.000100" });
    expect(s?.incident.findings[0]?.count).toBe(487);
    expect(await store.getCursor("journald:mithrandir")).toBe("s=abc;i=1f");
    expect((await store.claim("k", "a", 60_000)).claimed).toBe(true);
    const [r] = await store.commit({ snapshots: [snapshot({ count: 3 })], cursors: { "journald:mithrandir": "s=abc;i=30" }, run: "r1" });
    expect(r?.incident.incident.findings[0]?.count).toBe(490);
    await store.close();
    expect(JSON.parse(await readFile(join(dir, "state.json"), "utf8"))).toMatchObject({ v: 1, claims: { k: { owner: "a" } } });
  });
});

import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { FileStore, SqliteStore } from "../../../src/store/index.js";
import { describeStoreContract } from "./contract.js";
import { snapshot, testClock } from "./support.js";

describeStoreContract("SqliteStore", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fw-sqlite-"));
  return { open: (deps) => SqliteStore.open(join(dir, "firewatch.db"), deps), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe("SqliteStore on disk", () => {
  let dir: string;
  let db: string;
  const clock = testClock();
  const deps = { clock };
  const opened: SqliteStore[] = [];
  const open = async (opts: Parameters<typeof SqliteStore.open>[2] = {}, path = db) => {
    const s = await SqliteStore.open(path, deps, opts);
    opened.push(s);
    return s;
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fw-sqlite-disk-"));
    db = join(dir, "firewatch.db");
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("two stores on one file (two processes' connections) see each other's changes and share one feed", async () => {
    const daemon = await open({ writerLease: true });
    const cli = await open();
    const mark = (await cli.changes(undefined)).next;
    await daemon.upsert(snapshot());
    expect((await cli.get(snapshot().id))?.status).toBe("open");
    await cli.acknowledge(snapshot().id, "cli:alice");
    expect((await daemon.get(snapshot().id))?.acknowledged?.by).toBe("cli:alice");
    const seen = await daemon.changes(mark);
    expect(seen.changes.map((c) => c.kind)).toEqual(["activity", "status"]);
  });

  test("an auto-resolve pass with nothing due takes no write transaction: it answers while another connection writes", async () => {
    const daemon = await open({ writerLease: true });
    await daemon.upsert(snapshot());
    await daemon.upsert(snapshot({ fingerprint: "1a1b2c3d4e5f60718293a4b5c6d7e8f9", service: "other" }));
    const other = new Database(db);
    try {
      other.prepare("BEGIN IMMEDIATE").run();
      // Both are live and not quiet long enough: nothing to write, so the held write lock does not matter (a pass
      // that opened a transaction per live incident waited here, then failed as "unavailable").
      await expect(daemon.autoResolve(() => 60_000)).resolves.toEqual([]);
      other.prepare("ROLLBACK").run();
      clock.advance(61_000);
      expect((await daemon.autoResolve(() => 60_000)).map((s) => s.status)).toEqual(["resolved", "resolved"]);
    } finally {
      other.close();
    }
  });

  test("claims and takes across two connections: one winner per key", async () => {
    const a = await open();
    const b = await open();
    const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).claim("k", `o${i}`, 60_000)));
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    await a.putRecord("approval", "x", { v: 1 }, 60_000);
    const takes = await Promise.all([a.takeRecord("approval", "x"), b.takeRecord("approval", "x"), b.takeRecord("approval", "x")]);
    expect(takes.filter((t) => t !== undefined)).toEqual([{ v: 1 }]);
  });

  test("the writer lease: a second `watch` is refused naming the holder, the CLI is not; closing frees it", async () => {
    const first = await open({ writerLease: true });
    await expect(open({ writerLease: true })).rejects.toMatchObject({ reason: "locked", message: expect.stringContaining(`pid ${process.pid}`) });
    const cli = await open();
    await cli.upsert(snapshot());
    await first.close();
    await open({ writerLease: true });
  });

  test("a lease left by a dead process (kill -9) is taken over", async () => {
    await (await open()).close();
    const raw = new Database(db);
    raw.prepare("INSERT INTO lease (name, pid, host, since, token) VALUES ('watch', 4194305, ?, '2025-12-26T00:00:00Z', 't')").run(hostname());
    raw.close();
    await open({ writerLease: true });
  });

  test("creates the directory 0700 and the database 0600; refuses a symlink, someone's group-writable directory", async () => {
    const nested = join(dir, "a", "b");
    await open({}, join(nested, "firewatch.db"));
    expect((await stat(nested)).mode & 0o777).toBe(0o700);
    expect((await stat(join(nested, "firewatch.db"))).mode & 0o777).toBe(0o600);
    const open2 = join(dir, "shared");
    await mkdir(open2);
    await chmod(open2, 0o777);
    await expect(SqliteStore.open(join(open2, "firewatch.db"), deps)).rejects.toMatchObject({ reason: "unsafe", message: expect.stringContaining("writable by group or others") });
    const linked = join(dir, "linked");
    await symlink(nested, linked);
    await expect(SqliteStore.open(join(linked, "firewatch.db"), deps)).rejects.toMatchObject({ reason: "unsafe", message: expect.stringContaining("symbolic link") });
    const target = join(dir, "elsewhere.db");
    await writeFile(target, "");
    await symlink(target, join(nested, "other.db"));
    await expect(SqliteStore.open(join(nested, "other.db"), deps)).rejects.toMatchObject({ reason: "unsafe" });
  });

  test("a file that is not a database is refused and left untouched; move-aside keeps it and starts empty", async () => {
    await writeFile(db, "this is not sqlite at all, but long enough to look like a header.......................................", { mode: 0o600 });
    await expect(SqliteStore.open(db, deps)).rejects.toMatchObject({ reason: "corrupt", message: expect.stringContaining(db) });
    const s = await open({ onCorrupt: "move-aside" });
    expect(await s.list()).toEqual([]);
    expect((await readdir(dir)).some((n) => n.startsWith("firewatch.db.corrupt-"))).toBe(true);
  });

  test("another layout version is refused, never misread", async () => {
    await (await open()).close();
    const raw = new Database(db);
    raw.prepare("UPDATE meta SET value = '2' WHERE key = 'layout'").run();
    raw.close();
    await expect(SqliteStore.open(db, deps)).rejects.toMatchObject({ reason: "version", message: expect.stringContaining("layout version 2") });
  });

  test("a reader far behind is told `lost` once entries after its mark were trimmed", async () => {
    const s = await open();
    const mark = (await s.changes(undefined)).next;
    for (let i = 0; i < 3; i++) await s.upsert(snapshot({ fingerprint: `fp${i}aaaaaaaa`, host: `h${i}` }));
    const raw = new Database(db);
    raw.prepare("DELETE FROM changes WHERE seq <= ?").run(Number(mark) + 1);
    raw.close();
    const b = await s.changes(mark);
    expect(b.lost).toBe(true);
    expect(b.changes.map((c) => c.incident)).toEqual(["fw-fp1aaaaa", "fw-fp2aaaaa"]);
  });

  test("read-only refuses changes and reads what the writer committed", async () => {
    const w = await open();
    await w.upsert(snapshot());
    const r = await open({ readOnly: true });
    expect((await r.list()).map((s) => s.incident.id)).toEqual([snapshot().id]);
    await expect(r.acknowledge(snapshot().id, "cli:me")).rejects.toMatchObject({ reason: "invalid", message: expect.stringContaining("read-only") });
  });

  test("a file store in the same directory is imported once, whole, and its files kept renamed", async () => {
    const fs = await FileStore.open(dir, deps);
    await fs.upsert(snapshot());
    await fs.acknowledge(snapshot().id, "cli:alice");
    await fs.setCursor("journald:local", "s=42");
    await fs.addSilence({ match: { rule: "oom_kill" }, by: "cli:alice", durationMs: 3_600_000 });
    await fs.putRecord("approval", "ap1", { v: 1 }, 60_000, { incident: snapshot().id });
    const audit = await fs.listAudit();
    await fs.close();
    const s = await open();
    expect((await s.get(snapshot().id))?.acknowledged?.by).toBe("cli:alice");
    expect(await s.getCursor("journald:local")).toBe("s=42");
    expect(await s.listSilences()).toHaveLength(1);
    expect(await s.getRecord("approval", "ap1")).toEqual({ v: 1 });
    expect((await s.listAudit()).map((e) => e.id)).toEqual(audit.map((e) => e.id));
    const names = await readdir(dir);
    expect(names.filter((n) => n.startsWith("state.json")).map((n) => n.replace(/\d.*$/, ""))).toEqual(["state.json.imported-"]);
    // The import is part of the store: the attached record still closes with its incident.
    await s.resolve(snapshot().id, "cli:alice");
    expect(await s.getRecord("approval", "ap1")).toBeUndefined();
    await s.close();
    const again = await open();
    expect(await again.listAudit()).toHaveLength(audit.length + 2);
  });

  test("the import waits for no one: a file store still held by a live process is refused, not copied half-way", async () => {
    const fs = await FileStore.open(dir, deps);
    await fs.upsert(snapshot());
    await expect(SqliteStore.open(db, deps)).rejects.toMatchObject({ reason: "locked" });
    await fs.close();
    expect((await (await open()).list()).map((s) => s.incident.id)).toEqual([snapshot().id]);
  });
});

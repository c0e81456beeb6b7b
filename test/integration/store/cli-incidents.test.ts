import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { registerIncidents } from "../../../src/cli/incidents.js";
import { FileStore, RedisStore } from "../../../src/store/index.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { snapshot, T0, testClock } from "../../unit/store/support.js";
import { ReportJsonSchema } from "../../../src/report/index.js";

/** The real user the CLI acts as (the test sets USER=alice: it must not count). */
const ME = `cli:${userInfo().username}`;

const clock = testClock();

/** Runs `firewatch ARGS` through the commands this file registers; returns what they printed. */
async function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  let out = "";
  const program = new Command("firewatch").exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerIncidents(program, { stdout: { write: (s: string) => (out += s) }, env: { USER: "alice", ...env }, clock });
  await program.parseAsync(["node", "firewatch", ...args]);
  return out;
}

describe("firewatch incidents on the file store", () => {
  let dir: string;
  let store: string;
  const id = snapshot().id;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fw-cli-"));
    store = `file:${dir}`;
    const s = await FileStore.open(dir, { clock });
    await s.upsert(snapshot());
    await s.upsert(snapshot({ fingerprint: "99887766aabbccdd", rule: "oom_kill", host: "gandalf", state: "observed" }));
    await s.close();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("list prints one row per incident with id, status and title; --status filters; --format json parses", async () => {
    const text = await cli(["incidents", "list", "--store", store]);
    expect(text.split("\n")[0]).toMatch(/^ID\s+STATUS\s+SEVERITY\s+LAST SEEN\s+HOST\/SERVICE\s+TITLE$/);
    expect(text).toContain(`${id}  open`);
    expect(text).toContain("fw-99887766  observed");
    const open = await cli(["incidents", "list", "--store", store, "--status", "open"]);
    expect(open).not.toContain("fw-99887766");
    const parsed = ReportJsonSchema.parse(JSON.parse(await cli(["incidents", "list", "--store", store, "--format", "json", "--host", "gandalf"])));
    expect(parsed.incidents).toMatchObject([{ id: "fw-99887766", host: "gandalf", status: "observed" }]);
    await expect(cli(["incidents", "list", "--store", store, "--status", "closed"])).rejects.toMatchObject({ code: "usage" });
  });

  test("list and show --format json print analyze's contract (ISO times), the store's record under `store`", async () => {
    await cli(["incidents", "ack", id, "--store", store, "--note", "on it"]);
    const listed: unknown = JSON.parse(await cli(["incidents", "list", "--store", store, "--format", "json"]));
    const shown: unknown = JSON.parse(await cli(["incidents", "show", id, "--store", store, "--format", "json"]));
    const doc = ReportJsonSchema.parse(shown);
    expect(doc.schemaVersion).toBe(1);
    const [one] = doc.incidents;
    expect(one).toMatchObject({ id, status: "acknowledged", firstSeen: new Date(T0).toISOString().replace(".000", ""), findings: [{ rule: "eaddrinuse_loop", fields: { port: "9003" } }] });
    expect(one?.store).toMatchObject({ acknowledged: { by: ME }, reopenCount: 0, history: [{ event: "created" }, { event: "acknowledged", by: ME, note: "on it" }] });
    expect(one?.store?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/);
    // No internal record keys: the same document as analyze's, plus `store` and `probes`.
    expect(Object.keys(shown as object)).toEqual(["schemaVersion", "incidents"]);
    expect(JSON.stringify(listed)).not.toMatch(/"(?:v|carry|incident)":/);
    expect(ReportJsonSchema.parse(listed).incidents.map((i) => i.id).sort()).toEqual([id, "fw-99887766"].sort());
  });

  test("the default store is $FIREWATCH_DATA_DIR", async () => {
    expect(await cli(["incidents", "list"], { FIREWATCH_DATA_DIR: dir })).toContain(id);
  });

  test("ack and resolve change the status, name the person, and show in show and audit", async () => {
    expect(await cli(["incidents", "ack", id, "--store", store, "--note", "on it"])).toBe(`${id} acknowledged by ${ME} at ${new Date(clock.now()).toISOString().replace(".000", "")}\n`);
    const shown = await cli(["incidents", "show", id, "--store", store]);
    expect(shown).toContain(`status       acknowledged by ${ME}`);
    expect(shown).toContain(`acknowledged by ${ME} — on it`);
    expect(shown).toContain("eaddrinuse_loop  firing  3 event(s)  port=9003 restart_counter=485");
    // --by is recorded beside the real user, never instead of it: $USER=alice does not make the actor alice either.
    expect(await cli(["incidents", "resolve", id, "--store", store, "--by", "slack:U42"])).toContain(`resolved by ${ME} (--by slack:U42)`);
    const audit = await cli(["incidents", "audit", "--store", store, "--target", id]);
    expect(audit.trim().split("\n").map((l) => l.split("  ")[2])).toEqual(["incident.created", "incident.acknowledged", "incident.resolved"]);
  });

  test("an unknown id is a usage error that says how to find ids", async () => {
    await expect(cli(["incidents", "show", "fw-00000000", "--store", store])).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("incidents list") });
    await expect(cli(["incidents", "ack", "fw-00000000", "--store", store])).rejects.toMatchObject({ reason: "not_found" });
  });

  test("silence add, list and remove; a bad duration or an empty match is refused", async () => {
    const added = await cli(["incidents", "silence", "add", "--store", store, "--rule", "oom_kill", "--for", "2h", "--reason", "known leak"]);
    const silenceId = added.split(" ")[0] ?? "";
    expect(silenceId).toMatch(/^sil-[0-9a-f]{8}$/);
    expect(await cli(["incidents", "silence", "list", "--store", store])).toContain(`${silenceId}  until`);
    expect(await cli(["incidents", "silence", "remove", silenceId, "--store", store])).toBe(`${silenceId} removed\n`);
    expect(await cli(["incidents", "silence", "list", "--store", store])).toBe(`No active silences in the file store ${dir}.\n`);
    await expect(cli(["incidents", "silence", "remove", silenceId, "--store", store])).rejects.toMatchObject({ code: "usage" });
    await expect(cli(["incidents", "silence", "add", "--store", store, "--rule", "x", "--for", "soon"])).rejects.toMatchObject({ code: "usage" });
    await expect(cli(["incidents", "silence", "add", "--store", store, "--for", "1h"])).rejects.toMatchObject({ reason: "invalid" });
  });

  test("silence add says what it matches now, and refuses a rule id nobody has, with the closest id", async () => {
    const added = await cli(["incidents", "silence", "add", "--store", store, "--rule", "oom_kill", "--for", "2h"]);
    expect(added).toMatch(/^sil-[0-9a-f]{8} until \S+\nmatches 1 live incident now:\n {2}fw-99887766 {2}observed {2}Crash loop/);
    expect(await cli(["incidents", "silence", "add", "--store", store, "--host", "nowhere", "--for", "1h"])).toContain("matches no live incident now");
    await expect(cli(["incidents", "silence", "add", "--store", store, "--rule", "eaddrinuse_lop", "--for", "1h"])).rejects.toMatchObject({
      code: "rule_unknown",
      message: expect.stringMatching(new RegExp(`--rule eaddrinuse_lop: no such rule .*file store ${dir}\\)\n {2}hint: did you mean eaddrinuse_loop\\?`)),
    });
    // Only the two accepted silences exist: the refused one was never written.
    expect((await cli(["incidents", "silence", "list", "--store", store])).trim().split("\n")).toHaveLength(2);
  });

  test("messages name the store they looked in", async () => {
    await expect(cli(["incidents", "show", "fw-00000000", "--store", store])).rejects.toMatchObject({ message: expect.stringContaining(`no incident fw-00000000 in the file store ${dir}`) });
    const empty = await mkdtemp(join(tmpdir(), "fw-cli-empty-"));
    // The default store is the embedded database in the data directory.
    expect(await cli(["incidents", "list"], { FIREWATCH_DATA_DIR: empty })).toBe(`No incidents in the sqlite store ${join(empty, "firewatch.db")}.\n`);
    await rm(empty, { recursive: true, force: true });
  });

  test("report writes the markdown report of the stored incident", async () => {
    const md = await cli(["report", id, "--store", store]);
    expect(md.startsWith("# Incident Report: ")).toBe(true);
    expect(md).toContain("## Executive Summary");
    expect(md).toContain("9003");
    const out = join(dir, "report.md");
    expect(await cli(["report", id, "--store", store, "--out", out])).toBe("");
    expect(await readFile(out, "utf8")).toBe(md);
  });

  test("report shows the stored probe results as evidence", async () => {
    const s = await FileStore.open(dir, { clock });
    await s.setProbes(id, [
      { probe: "port_owner", params: { port: 9003 }, host: "mithrandir", at: clock.now(), ok: true, summary: "PID 1573680 (bun) holds port 9003, PPID 1, outside the unit", data: { pid: 1573680, ppid: 1 } },
    ]);
    await s.close();
    const md = await cli(["report", id, "--store", store]);
    expect(md).toContain("Probe results");
    expect(md).toContain("PID 1573680 (bun) holds port 9003, PPID 1, outside the unit");
  });

  test("list works beside a running writer (read-only); ack is refused with the holder named", async () => {
    const writer = await FileStore.open(dir, { clock });
    try {
      expect(await cli(["incidents", "list", "--store", store])).toContain(id);
      await expect(cli(["incidents", "ack", id, "--store", store])).rejects.toMatchObject({ reason: "locked", message: expect.stringContaining(`pid ${process.pid}`) });
    } finally {
      await writer.close();
    }
  });

  test("a --store that is neither file: nor redis:// is a usage error", async () => {
    await expect(cli(["incidents", "list", "--store", "postgres://x"])).rejects.toMatchObject({ code: "usage" });
  });
});

const redis = redisAvailability();
describe.skipIf(redis.missing !== undefined)(`firewatch incidents on Redis${redis.missing ? ` — SKIPPED: ${redis.missing}` : ""}`, () => {
  let server: RedisInstance;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  test("the same commands work on a Redis store", async () => {
    const s = await RedisStore.connect(server.url, { clock }, { namespace: "clitest" });
    await s.upsert(snapshot());
    await s.close();
    const args = ["--store", server.url, "--namespace", "clitest"];
    expect(await cli(["incidents", "list", ...args])).toContain(snapshot().id);
    expect(await cli(["incidents", "ack", snapshot().id, ...args])).toContain(`acknowledged by ${ME}`);
    expect(await cli(["incidents", "show", snapshot().id, ...args])).toContain(`status       acknowledged by ${ME}`);
  });
});

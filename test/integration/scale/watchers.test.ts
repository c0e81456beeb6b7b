// Scale-out by source lease: 3 `watch` processes on one redis-server divide 12 file sources, one is killed with -9
// mid-stream, the others take its sources over from the stored cursors: every numbered line counted exactly once.
import { writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { registerStatus } from "../../../src/cli/status.js";
import { RedisStore, type LeaseSurvey } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { spread, surveyUntil } from "./leases.js";
import { BLOCK_RULE, blockErrors, startWatch, startWriter, writeConfig, type WatchProcess } from "../daemon/watch-process.js";

const avail = redisAvailability();
const SOURCES = 12;
const LEASE_MS = 3_000;
const RENEW_MS = 1_000;
const CH = "C0ONCALL";
// The watchers inherit these: each posts through the local Slack stand-in, which checks the token and the blocks.
const SLACK_ENV = { FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token", FIREWATCH_SLACK__SIGNING_SECRET: "scale-test-signing-secret" };
const prefix = (i: number) => String.fromCharCode(97 + i); // a..l: each source's blocks are its own findings


describe.skipIf(avail.missing !== undefined)(`watchers sharing sources by lease ${avail.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let redis: RedisInstance;
  let store: RedisStore;
  let slack: FakeSlack;
  const running: WatchProcess[] = [];
  const saved = new Map<string, string | undefined>();
  beforeAll(async () => {
    tmp = await makeTempDir("scale");
    redis = await startRedis();
    store = await RedisStore.connect(redis.url, { clock: systemClock });
    slack = await startFakeSlack();
    for (const [k, v] of Object.entries(SLACK_ENV)) {
      saved.set(k, process.env[k]);
      process.env[k] = v;
    }
  });
  afterAll(async () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    for (const w of running) await w.kill9();
    await slack?.close();
    await store?.close();
    await redis?.cleanup();
    await tmp?.remove();
  });

  test("12 sources spread 4/4/4; kill -9 of one hands its 4 over within the lease time; every line counted once", { timeout: 120_000 }, async () => {
    const rules = path.join(tmp.path, "rules");
    await mkdir(rules);
    await writeFile(path.join(rules, "block.yaml"), BLOCK_RULE);
    const files = Array.from({ length: SOURCES }, (_, i) => path.join(tmp.path, `svc${i}.log`));
    for (const f of files) await writeFile(f, "");
    const names = files.map((_, i) => `s${i}`);
    const config = await writeConfig(path.join(tmp.path, "fw.yaml"), {
      sources: files.map((f, i) => ({ kind: "file", name: names[i], paths: [f], startAt: "beginning", poll: "50ms", flushAfter: "200ms" })),
      rules: { dirs: [rules] },
      store: { url: redis.url },
      scale: { leaseTime: "3s", renewEvery: "1s" },
      slack: { apiUrl: slack.apiUrl, port: 0, poll: 1000, minUpdateInterval: 1000, routing: { channel: CH } },
    });
    const board = store.leaseBoard(2_000);
    const survey = () => board.survey(names);
    const until = (what: string, pred: (s: LeaseSurvey) => boolean, ms: number) => surveyUntil(survey, what, pred, ms);

    try {
      for (let i = 0; i < 3; i++) running.push(startWatch(config));
      const even = await until("4/4/4", (s) => s.watchers.length === 3 && [...spread(s).values()].map((v) => v.length).join() === "4,4,4", 60_000);
      // Each watcher's /healthz shows its own leases and the others.
      const port = Number(/"healthPort":(\d+)/.exec(running[0]?.proc.stderr() ?? "")?.[1]);
      const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { scale: { watcher: string; held: Record<string, number>; watchers: unknown[] } };
      expect(Object.keys(health.scale.held)).toHaveLength(4);
      expect(health.scale.watchers).toHaveLength(3);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/^firewatch_leases_held 4$/m);
      // `firewatch status` says the same from the store.
      let out = "";
      const program = new Command().exitOverride();
      registerStatus(program, { stdout: { write: (t: string) => (out += t) }, env: {}, clock: systemClock });
      await program.parseAsync(["node", "firewatch", "status", "--store", redis.url, "--format", "json"]);
      const status = JSON.parse(out) as { watchers: { id: string; leases: string[]; slack: boolean }[]; leases: { source: string; owner: string | null }[] };
      expect(status.watchers.map((w) => w.leases.length)).toEqual([4, 4, 4]);
      // Each has a slack: section, so each posts (the store's claim keeps one post per incident): status says who.
      expect(status.watchers.map((w) => w.slack)).toEqual([true, true, true]);
      expect(status.leases.filter((l) => l.owner === null)).toEqual([]);

      const writers = files.map((f, i) => startWriter(f, 400, prefix(i)));
      await new Promise((r) => setTimeout(r, 2_000));
      // kill -9 of the first watcher mid-stream: its sources are unread until the others take them over.
      const victim = running[0];
      if (victim === undefined) throw new Error("no watcher");
      const victimId = health.scale.watcher;
      expect(spread(even).get(victimId)?.sort()).toEqual(Object.keys(health.scale.held).sort());
      await victim.kill9();
      const killedAt = Date.now();
      const after = await until("handover", (s) => {
        const sp = spread(s);
        return !sp.has(victimId) && [...sp.values()].reduce((n, v) => n + v.length, 0) === SOURCES;
      }, 20_000);
      const handoverMs = Date.now() - killedAt;
      console.log(`handover of ${victimId}'s 4 sources took ${handoverMs} ms (lease ${LEASE_MS} ms, renewal ${RENEW_MS} ms)`);
      expect([...spread(after).values()].map((v) => v.length).sort().join()).toBe("6,6");
      // At most the lease's time left (3 s) and the survivors' next round; the rest is slack for a loaded machine.
      expect(handoverMs).toBeLessThan(LEASE_MS + 2 * RENEW_MS + 3_000);

      // A watcher that is only slow (SIGSTOP past the lease time, as a long pause or a frozen VM would): the other
      // takes its sources over; woken up, it must not commit what it read before (fenced), and rebalances to 6/6.
      const slow = running[1];
      if (slow === undefined) throw new Error("no watcher");
      const slowPort = Number(/"healthPort":(\d+)/.exec(slow.proc.stderr())?.[1]);
      const slowId = ((await (await fetch(`http://127.0.0.1:${slowPort}/healthz`)).json()) as { scale: { watcher: string } }).scale.watcher;
      slow.proc.child.kill("SIGSTOP");
      await until("takeover from the stopped watcher", (s) => spread(s).size === 1 && !spread(s).has(slowId) && [...spread(s).values()][0]?.length === SOURCES, 20_000);
      slow.proc.child.kill("SIGCONT");
      await until("6/6 again", (s) => spread(s).get(slowId)?.length === 6 && [...spread(s).values()].every((v) => v.length === 6), 20_000);
      for (const w of writers) w.stop();
      const written = writers.map((w) => w.written);

      // Every line of every source counted exactly once, per block (a loss and a repeat cannot cancel out).
      let errors: [string, number, number][] = [];
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
        const counts = new Map<string, number>();
        for (const s of await store.list()) {
          for (const f of s.incident.findings) if (f.rule === "seq_block") counts.set(f.fields.blk ?? "", (counts.get(f.fields.blk ?? "") ?? 0) + f.count);
        }
        errors = written.flatMap((n, i) => blockErrors(counts, n, prefix(i)));
        if (errors.length === 0) break;
      }
      expect(errors).toEqual([]);
      // ...and the slow watcher noticed: its commit under the lost leases was refused, or its renewal found them gone
      // first (then its run ends without committing anything of theirs).
      expect(slow.proc.stderr()).toMatch(/A commit was refused: another watcher took over a source of this run|Lost a source's lease/);
      const total = written.reduce((a, b) => a + b, 0);
      console.log(`${total} numbered lines over ${SOURCES} sources, each counted once`);
      expect(total).toBeGreaterThan(10_000);

      // One Slack post per incident, whichever watchers committed to it (the store's post claim).
      const incidents = await store.list();
      await slack.waitFor(() => (slack.postsIn(CH).length >= incidents.length ? true : undefined), 20_000);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(slack.postsIn(CH)).toHaveLength(incidents.length);
      console.log(`${incidents.length} incident(s), ${slack.postsIn(CH).length} Slack post(s), ${slack.callsOf("chat.update").length} update(s) by 3 watchers`);
      expect(slack.callsOf("chat.update").length).toBeGreaterThan(0);

      // SIGTERM: each gives its leases back and leaves at once, not after the lease time.
      for (const w of running.slice(1)) expect(await w.term()).toBe(0);
      const gone = await survey();
      expect(gone.watchers).toHaveLength(0);
      expect(spread(gone).size).toBe(0);
    } finally {
      await board.close();
    }
  });
});

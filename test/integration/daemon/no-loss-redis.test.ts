// No loss, no duplicates with the Redis store: kill -9 of `watch`, and redis-server itself killed and restarted under it.
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { makeTempDir } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { seqLines, SEQ_RULE, startWatch, writeConfig, type WatchProcess } from "./watch-process.js";

const avail = redisAvailability();

describe.skipIf(avail.missing !== undefined)(`firewatch watch with the Redis store ${avail.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let redis: RedisInstance;
  const running: WatchProcess[] = [];
  beforeAll(async () => {
    tmp = await makeTempDir("watch-redis");
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const w of running) await w.kill9();
    await redis?.cleanup();
    await tmp?.remove();
  });

  test("counts every line once through kill -9 of watch and of redis-server (--store overrides the config)", { timeout: 180_000 }, async () => {
    const rules = path.join(tmp.path, "rules");
    await mkdir(rules);
    await writeFile(path.join(rules, "seq.yaml"), SEQ_RULE);
    const log = path.join(tmp.path, "app.log");
    await writeFile(log, "");
    // The config names a file store; --store on the command line wins.
    const config = await writeConfig(path.join(tmp.path, "fw.yaml"), {
      sources: [{ kind: "file", name: "app", paths: [log], startAt: "beginning", poll: "50ms" }],
      rules: { dirs: [rules] },
      store: { url: `file:${path.join(tmp.path, "unused-state")}` },
    });
    const store = ["--store", redis.url];
    let written = 0;
    const write = async (n: number) => {
      await appendFile(log, seqLines(written + 1, written + n));
      written += n;
    };
    for (let cycle = 0; cycle < 4; cycle++) {
      const w = startWatch(config, store);
      running.push(w);
      const before = written;
      await write(10_000);
      await w.waitFor((c) => c.count > before);
      if (cycle === 1) {
        // The store goes away mid-stream: commits fail and are retried with everything since; then it is back.
        await redis.kill9();
        await write(3_000);
        // /healthz says so while the commit waits for the store: 503 naming it (after 5 s).
        const port = Number(/"healthPort":(\d+)/.exec(w.proc.stderr())?.[1]);
        let health: { status: number; body: string } = { status: 0, body: "" };
        for (const deadline = Date.now() + 30_000; health.status !== 503 && Date.now() < deadline; ) {
          const r = await fetch(`http://127.0.0.1:${port}/healthz`);
          health = { status: r.status, body: await r.text() };
        }
        expect(health.status).toBe(503);
        expect(health.body).toContain('"store"');
        await redis.restart();
        await w.waitFor((c) => c.count > before + 10_000);
      }
      await write(5_000);
      await w.kill9();
    }
    const last = startWatch(config, [...store, "--once-idle"]);
    running.push(last);
    expect((await last.exit()).code).toBe(0);
    const s = await RedisStore.connect(redis.url, { clock: systemClock });
    try {
      const [incident, ...others] = await s.list();
      expect(others).toHaveLength(0);
      expect(incident?.incident.findings[0]?.count).toBe(written);
    } finally {
      await s.close();
    }
  });
});

// Seed 000 fixed end to end by an unprivileged daemon: `firewatch watch` runs as nobody beside a root actuator; its
// probe names root's rogue through the actuator, the post offers the kill, Alice asks and Bob approves in Slack, the
// actuator kills the rogue, the unit comes up and the incident resolves. nobody alone could do none of it.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { alive, crashLoop, startRogue, writeStandInSystemctl, type Rogue } from "../bot/rogue.js";
import { buttonsOf, slackDriver } from "../bot/slack-driver.js";
import { NOBODY, rootAvailability, SECRET, startActuator, startFirewatch, stopActuator, type Running } from "./act-helpers.js";

const missing = [redisAvailability(), requireProgram("setpriv", "util-linux"), requireProgram("ss", "iproute2"), rootAvailability()].find((a) => a.missing !== undefined)?.missing;
const CH = "C0ONCALL";
const SIGNING = "watch-actuator-slack-signing-secret";
const UNIT = "transcription-palantir";

describe.skipIf(missing !== undefined)(`watch as nobody fixes seed 000 through Slack and a root actuator ${missing ?? ""}`, () => {
  let redis: RedisInstance;
  let slack: FakeSlack;
  let tmp: { path: string; remove(): Promise<void> };
  let store: RedisStore;
  let actuator: Running | undefined;
  let watch: Running | undefined;
  let rogue: Rogue | undefined;

  beforeAll(async () => {
    [redis, slack] = await Promise.all([startRedis(), startFakeSlack()]);
    tmp = await makeTempDir("watch-actuator-slack");
    await chmod(tmp.path, 0o755);
    store = await RedisStore.connect(redis.url, { clock: systemClock }, { namespace: "firewatch" });
  }, 60_000);

  afterAll(async () => {
    if (rogue !== undefined && alive(rogue.pid)) rogue.kill("SIGKILL");
    watch?.child.kill("SIGTERM");
    await watch?.done();
    await stopActuator(actuator);
    await store?.close();
    await slack?.close();
    await redis?.cleanup();
    await tmp?.remove();
  });

  test("nobody's watch posts the kill; Alice asks, Bob approves; the actuator kills root's rogue; resolved", async () => {
    const port = await freePort();
    rogue = await startRogue(port);
    const pid = rogue.pid;
    // No systemd here: a stand-in systemctl answers for the unit (restarting while the rogue lives), on every PATH.
    const bin = join(tmp.path, "bin");
    await writeStandInSystemctl(bin, pid, UNIT);
    await chmod(bin, 0o755);
    const run = join(tmp.path, "run");
    await mkdir(run, { mode: 0o755 });
    const socket = join(run, "actuator.sock");
    const log = join(tmp.path, "journal.log");
    await writeFile(log, crashLoop(UNIT, 476, 485, Date.now(), `Error: listen EADDRINUSE: address already in use :::${port}`), { mode: 0o644 });
    const receiver = await freePort();
    const cfg = join(tmp.path, "firewatch.yaml");
    await writeFile(cfg, `${JSON.stringify({
      hosts: { mithrandir: { kind: "local" } },
      sources: [{ kind: "file", name: "journal", host: "mithrandir", paths: [log], startAt: "beginning", poll: "100ms" }],
      store: { url: redis.url },
      health: { port: 0 },
      slack: { apiUrl: slack.apiUrl, port: receiver, poll: 1000, minUpdateInterval: 1000, routing: { channel: CH } },
      guard: {
        // nogroup is nobody's primary group: the socket's group here (firewatch's own in a real deployment).
        actuator: { socket, group: "nogroup", user: "nobody", hosts: ["mithrandir"] },
        actions: { kill_port_owner: { users: ["U0ALICE", "U0BOB"], channels: [CH], hosts: ["mithrandir"], ports: ["1024-65535"], processUsers: ["root"], targets: [`${UNIT}*`] } },
      },
    }, null, 2)}\n`, { mode: 0o644 });
    const env = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, FIREWATCH_GUARD__SECRET: SECRET, FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token", FIREWATCH_SLACK__SIGNING_SECRET: SIGNING };
    actuator = await startActuator(cfg, socket, env);
    watch = startFirewatch(["watch", "--config", cfg], { uid: NOBODY.uid, env });
    // What each printed, for a failure's message.
    let watchErr = "";
    let actuatorErr = "";
    watch.child.stderr?.on("data", (d: Buffer) => (watchErr += d.toString()));
    actuator.child.stderr?.on("data", (d: Buffer) => (actuatorErr += d.toString()));

    // The post's kill button names root's rogue: nobody's own `ss -ltnp` cannot see its PID, the actuator's can.
    const post = () => slack.postsIn(CH).find((m) => buttonsOf(m).some((b) => b.action_id === "fw_act:0"));
    const withButton = await slack.waitFor(post, 90_000).catch(async (e: unknown) => {
      const probes = (await store.list()).map((i) => `${i.incident.title}: ${i.probes.map((p) => `${p.probe} ${p.ok ? "ok" : "FAILED"} ${p.summary} ${JSON.stringify(p.data ?? null)}`).join("; ")}`).join("\n");
      throw new Error(`no kill button: ${String(e)}\n${probes}\nwatch: ${watchErr.slice(-3000)}`);
    });
    const kill = buttonsOf(withButton).find((b) => b.action_id === "fw_act:0");
    expect(kill?.text).toBe(`Kill PID ${pid} holding :${port}`);

    const drive = slackDriver(slack, `http://127.0.0.1:${receiver}/slack/events`, SIGNING, Date.now, CH);
    const asked = await drive.click("U0ALICE", kill ?? fail(), withButton.ts);
    expect(asked, asked).toContain("second person must approve");
    const approval = slack.repliesTo(CH, withButton.ts).find((m) => buttonsOf(m).some((b) => b.action_id === "fw_approve"));
    const done = await drive.click("U0BOB", buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail(), approval?.ts ?? "");
    expect(done, `${done}\nwatch: ${watchErr.slice(-3000)}\nactuator: ${actuatorErr.slice(-3000)}`).toContain("done");
    await rogue.exited;
    expect(alive(pid)).toBe(false);
    expect(slack.repliesTo(CH, withButton.ts).map((m) => m.text).join("\n")).toContain(`is free of PID ${pid}; ${UNIT} is active (running)`);

    // The actuator ran it, for the peer nobody: its own audit entry says so, with the peer's uid.
    const executed = (await store.listAudit({ action: "actuator.execute" })).map((e) => e.details["peerUid"]);
    expect(executed).toEqual([NOBODY.uid]);
    await slack.waitFor(() => (JSON.stringify(slack.messages.get(`${CH}/${withButton.ts}`)?.blocks).includes("Resolved") ? true : undefined), 30_000);
  }, 180_000);
});

function fail(): never {
  throw new Error("button not found");
}

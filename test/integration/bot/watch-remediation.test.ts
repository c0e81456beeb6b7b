// Issue 7 through the daemon: `firewatch watch` reads seed 000's loop for a port a real rogue process holds, probes it,
// posts the kill button; Alice requests, Bob approves in Slack; the rogue is gone and the incident resolved.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { startWatch, storedIncidents, writeConfig, type WatchProcess } from "../daemon/watch-process.js";
import { alive, crashLoop, startRogue, writeStandInSystemctl, type Rogue } from "./rogue.js";
import { buttonsOf, slackDriver } from "./slack-driver.js";

const CH = "C0ONCALL";
const SECRET = "watch-remediation-signing-secret";
const UNIT = "transcription-palantir";
const ENV: Record<string, string> = {
  FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token",
  FIREWATCH_SLACK__SIGNING_SECRET: SECRET,
  FIREWATCH_GUARD__SECRET: "0123456789abcdef0123456789abcdef-watch",
};
const ss = requireProgram("ss", "iproute2");

describe.skipIf(ss.missing !== undefined)(`firewatch watch: one approved click kills the rogue ${ss.missing ?? ""}`, () => {
  let slack: FakeSlack;
  let dir: { path: string; remove(): Promise<void> };
  let rogue: Rogue;
  let w: WatchProcess | undefined;
  let port = 0;
  let receiver = 0;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    slack = await startFakeSlack();
    dir = await makeTempDir("bot-watch-remediation");
    port = await freePort();
    rogue = await startRogue(port);
    // The stand-in systemctl goes first on the daemon's PATH.
    const bin = path.join(dir.path, "bin");
    await writeStandInSystemctl(bin, rogue.pid ?? 0, UNIT);
    for (const [k, v] of Object.entries({ ...ENV, PATH: `${bin}:${process.env.PATH ?? ""}` })) {
      saved.set(k, process.env[k]);
      process.env[k] = v;
    }
    const log = path.join(dir.path, "journal.log");
    await writeFile(log, crashLoop(UNIT, 476, 485, Date.now(), `Error: listen EADDRINUSE: address already in use :::${port}`));
    receiver = await freePort();
    const config = await writeConfig(path.join(dir.path, "fw.yaml"), {
      hosts: { mithrandir: { kind: "local" } },
      sources: [{ kind: "file", name: "journal", host: "mithrandir", paths: [log], startAt: "beginning", poll: "100ms" }],
      store: { url: `file:${path.join(dir.path, "state")}` },
      slack: { apiUrl: slack.apiUrl, port: receiver, poll: 1000, minUpdateInterval: 1000, routing: { channel: CH } },
      guard: { actions: { kill_port_owner: { users: ["U0ALICE", "U0BOB"], channels: [CH], hosts: ["mithrandir"], ports: ["1024-65535"], targets: [`${UNIT}*`] } } },
    });
    w = startWatch(config);
  });
  afterAll(async () => {
    if (w) await w.term().catch(() => undefined);
    if (rogue.exitCode === null && rogue.signalCode === null) rogue.kill("SIGKILL");
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await slack?.close();
    await dir?.remove();
  });

  test("the probe names the rogue on the post; A requests, B approves; it is killed, the thread and the store say so", async () => {
    const pid = rogue.pid ?? 0;
    const post = () => slack.postsIn(CH).find((m) => buttonsOf(m).some((b) => b.action_id === "fw_act:0"));
    const withButton = await slack.waitFor(post, 60_000);
    const run = buttonsOf(withButton).find((b) => b.action_id === "fw_act:0");
    expect(run?.text).toBe(`Kill PID ${pid} holding :${port}`);
    expect(JSON.stringify(withButton.blocks)).toContain(`PID ${pid}`);

    const drive = slackDriver(slack, `http://127.0.0.1:${receiver}/slack/events`, SECRET, Date.now, CH);
    const asked = await drive.click("U0ALICE", run ?? fail(), withButton.ts);
    expect(asked, asked).toContain("second person must approve");
    const approval = slack.repliesTo(CH, withButton.ts).find((m) => buttonsOf(m).some((b) => b.action_id === "fw_approve"));
    const exited = rogue.exited;
    const done = await drive.click("U0BOB", buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail(), approval?.ts ?? "");
    expect(done, done).toContain("done");
    await exited;
    expect(alive(pid)).toBe(false);
    expect(slack.repliesTo(CH, withButton.ts).map((m) => m.text).join("\n")).toContain(`is free of PID ${pid}; ${UNIT} is active (running)`);
    await slack.waitFor(() => (JSON.stringify(slack.messages.get(`${CH}/${withButton.ts}`)?.blocks).includes("Resolved") ? true : undefined), 20_000);

    expect(await w?.term()).toBe(0);
    w = undefined;
    const [stored] = (await storedIncidents(path.join(dir.path, "state"))).filter((s) => s.slack?.ts === withButton.ts);
    expect(stored?.status).toBe("resolved");
    expect(stored?.resolved?.by).toBe("slack:U0BOB");
  }, 120_000);
});

function fail(): never {
  throw new Error("button not found");
}

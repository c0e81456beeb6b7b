// Issue 14 (items 4, 8): `firewatch watch` runs with Slack while the CLI, as separate processes on the same store,
// acknowledges, dry-runs the fix, silences and resolves; the daemon's post follows each change within seconds.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import { startFakeSlack, type FakeSlack, type StoredMessage } from "../../harness/fake-slack.js";
import { freePort, makeTempDir } from "../../harness/program.js";
import { firewatch, type Run } from "../actions/act-helpers.js";
import { startWatch, writeConfig, type WatchProcess } from "../daemon/watch-process.js";
import { localActor } from "../../../src/cli/act.js";
import { alive, crashLoop, startRogue, writeStandInSystemctl, type Rogue } from "./rogue.js";
import { buttonsOf } from "./slack-driver.js";

const CH = "C0ONCALL";
const UNIT = "transcription-palantir";
/** The bound: a change made elsewhere shows on the post within this. */
export const FOLLOW_WITHIN_MS = 5_000;

export interface FollowScenario {
  /** Runs the checks; `store` undefined: the embedded default in FIREWATCH_DATA_DIR. */
  run(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Sets up Slack, a rogue holding a port, its crash loop in a log file, and `watch` on `storeUrl` (undefined: the
 * default). `only: "resolve"` runs just the resolve (the rest is the same code on every store; each CLI process costs
 * seconds).
 */
export async function followScenario(storeUrl: string | undefined, opts: { only?: "resolve" } = {}): Promise<FollowScenario> {
  const slack: FakeSlack = await startFakeSlack();
  const dir = await makeTempDir("follow-store");
  const port = await freePort();
  const rogue: Rogue = await startRogue(port);
  const bin = path.join(dir.path, "bin");
  await writeStandInSystemctl(bin, rogue.pid ?? 0, UNIT);
  const env: Record<string, string> = {
    FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token",
    FIREWATCH_SLACK__SIGNING_SECRET: "follow-store-signing-secret",
    FIREWATCH_GUARD__SECRET: "0123456789abcdef0123456789abcdef-follow",
    FIREWATCH_DATA_DIR: path.join(dir.path, "data"),
    PATH: `${bin}:${process.env.PATH ?? ""}`,
  };
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(env)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  const log = path.join(dir.path, "journal.log");
  await writeFile(log, crashLoop(UNIT, 476, 485, Date.now(), `Error: listen EADDRINUSE: address already in use :::${port}`));
  const config = await writeConfig(path.join(dir.path, "fw.yaml"), {
    hosts: { mithrandir: { kind: "local" } },
    sources: [{ kind: "file", name: "journal", host: "mithrandir", paths: [log], startAt: "beginning", poll: "100ms" }],
    ...(storeUrl === undefined ? {} : { store: { url: storeUrl } }),
    // A poll far longer than the bound: what the post shows within it came through the store's change feed.
    slack: { apiUrl: slack.apiUrl, port: await freePort(), poll: 120_000, minUpdateInterval: 1000, routing: { channel: CH } },
    guard: { actions: { kill_port_owner: { users: ["U0ALICE", "U0BOB", localActor()], channels: [CH, "cli"], hosts: ["mithrandir"], targets: [`${UNIT}*`], ports: [port] } } },
  });
  let w: WatchProcess | undefined = startWatch(config);
  const cli = async (...args: string[]): Promise<Run> => {
    const r = await firewatch(args, { env: { ...process.env, ...env } });
    expect(r.code, `firewatch ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r;
  };
  const storeArgs = storeUrl === undefined ? [] : ["--store", storeUrl];
  const text = (m: StoredMessage | undefined) => JSON.stringify(m?.blocks ?? []);

  return {
    async run() {
      const pid = rogue.pid ?? 0;
      // The daemon probed the port and posted the kill button: the post has every button it can have.
      const withButton = await slack.waitFor(() => slack.postsIn(CH).find((m) => buttonsOf(m).some((b) => b.action_id === "fw_act:0")), 60_000);
      const id = /fw-[0-9a-f]{8}/.exec(text(withButton))?.[0] ?? "";
      expect(id).not.toBe("");
      const post = () => slack.messages.get(`${CH}/${withButton.ts}`);
      /** Waits for the post to satisfy `ok`, within the bound counted from now (the CLI command has exited). */
      const shows = async (what: string, ok: (m: StoredMessage) => boolean) => {
        const m = await slack.waitFor(() => {
          const p = post();
          return p && ok(p) ? p : undefined;
        }, FOLLOW_WITHIN_MS).catch(() => undefined);
        expect(m, `the post did not show ${what} within ${FOLLOW_WITHIN_MS} ms: ${text(post())}`).toBeDefined();
      };

      /** Ack, a dry run of the fix and a silence from the CLI, each while `watch` runs on the same store. */
      const others = async () => {
        await cli("incidents", "ack", id, ...storeArgs, "--note", "looking");
        await shows("the ack", (m) => text(m).includes("Acknowledged by") && !buttonsOf(m).some((b) => b.action_id === "fw_ack"));
        // Shown, nothing run: the rogue still holds the port.
        const dry = await cli("act", "kill_port_owner", "--incident", id, "--config", config, ...storeArgs, "--dry-run", "--param", `pid=${pid}`);
        expect(dry.stdout).toMatch(/dry.run/i);
        expect(dry.stdout).toContain("kill");
        expect(alive(pid)).toBe(true);
        // A second daemon on the same store is refused (it would follow the same sources); the CLI never is.
        if (storeUrl === undefined) {
          const second = await firewatch(["watch", "--config", config], { env: { ...process.env, ...env } });
          expect(second.code).toBe(2);
          expect(second.stderr).toMatch(/followed by `firewatch watch` pid \d+/);
        }
        await cli("incidents", "silence", "add", "--service", UNIT, "--for", "1h", ...storeArgs, "--reason", "deploying");
        await shows("the silence", (m) => text(m).includes("silenced by"));
      };
      if (opts.only !== "resolve") await others();

      await cli("incidents", "resolve", id, ...storeArgs, "--note", "fixed by hand");
      await shows("the resolve without its buttons", (m) => {
        const ids = buttonsOf(m).map((b) => b.action_id);
        return text(m).includes("Resolved by") && !ids.includes("fw_act:0") && !ids.includes("fw_resolve") && !ids.includes("fw_ack");
      });
      // Updated in place: still one post.
      expect(slack.postsIn(CH).filter((m) => text(m).includes(id))).toHaveLength(1);
      const stopped = w;
      w = undefined;
      expect(await stopped?.term()).toBe(0);
    },
    async close() {
      if (w) await w.term().catch(() => undefined);
      if (rogue.exitCode === null && rogue.signalCode === null) rogue.kill("SIGKILL");
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await slack.close();
      await dir.remove();
    },
  };
}

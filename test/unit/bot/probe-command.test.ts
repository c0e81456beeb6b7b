// `/firewatch probe ID` as text: off without hosts, the results kept with setProbes, the post refreshed, failures counted.
import { describe, expect, test } from "vitest";
import { SlackAccessSchema } from "../../../src/bot/access.js";
import { PROBES_OFF, runCommand, type CommandDeps } from "../../../src/bot/slash-command.js";
import type { Store, StoredIncident, StoredProbe } from "../../../src/store/index.js";
import { manualClock, stored, T0 } from "./support.js";

const who = { userId: "U0ALICE", channelId: "C0ONCALL" };
const ID = stored().incident.id;

const result = (probe: string, ok: boolean, summary: string): StoredProbe => ({ probe, params: {}, host: "mithrandir", at: T0, ok, summary, data: {} });

/** A store holding seed 000's incident that records setProbes calls. */
function fakeStore(saved: { fp: string; probes: readonly StoredProbe[] }[]): Partial<Store> {
  return {
    get: (id: string) => Promise.resolve(id === ID ? stored() : undefined),
    setProbes: (fp: string, probes: readonly StoredProbe[]) => {
      saved.push({ fp, probes });
      return Promise.resolve<StoredIncident>(stored({ probes: [...probes] }));
    },
  };
}

function deps(store: Partial<Store>, over: Partial<CommandDeps> = {}): CommandDeps {
  return { store: store as Store, clock: manualClock(T0), access: SlackAccessSchema.parse({ default: { users: [who.userId] } }), rules: () => Promise.resolve(new Map()), ...over };
}

describe("/firewatch probe", () => {
  test("without the hosts it says how to start the bot, and runs nothing", async () => {
    const saved: { fp: string; probes: readonly StoredProbe[] }[] = [];
    const reply = await runCommand(`probe ${ID}`, who, deps(fakeStore(saved)));
    expect(reply.text).toBe(`⚠️ ${PROBES_OFF}`);
    expect(reply.text).toContain("--config");
    expect(saved).toEqual([]);
  });

  test("the results are stored by fingerprint, the post refreshed, and the reply counts the failures", async () => {
    const saved: { fp: string; probes: readonly StoredProbe[] }[] = [];
    const changed: string[] = [];
    const results = [result("port_owner", true, "port 9003 on mithrandir: held by PID 1573702 <!channel>"), result("unit_status", false, "unit_status on mithrandir failed: no systemd")];
    const probed: string[] = [];
    const reply = await runCommand(`probe ${ID}`, who, deps(fakeStore(saved), {
      probe: (s) => (probed.push(s.incident.id), Promise.resolve(results)),
      onChange: (id) => changed.push(id),
    }));
    expect(probed).toEqual([ID]);
    expect(saved).toEqual([{ fp: stored().incident.fingerprint, probes: results }]);
    expect(changed).toEqual([ID]);
    expect(reply.text).toBe(`❌ 2 probe(s) run again for \`${ID}\` by <@U0ALICE>: 1 failed.`);
    const blocks = JSON.stringify(reply.blocks);
    expect(blocks).toContain("held by PID 1573702");
    // Log-derived text in a probe summary cannot mention anyone.
    expect(blocks).not.toContain("<!channel>");
  });

  test("an incident whose rules name no probe stores nothing", async () => {
    const saved: { fp: string; probes: readonly StoredProbe[] }[] = [];
    const reply = await runCommand(`probe ${ID}`, who, deps(fakeStore(saved), { probe: () => Promise.resolve([]) }));
    expect(reply.text).toContain("names a probe: nothing to run");
    expect(saved).toEqual([]);
  });

  test("usage lists it; a bad id and the allow-list refuse before any probe runs", async () => {
    expect((await runCommand("help", who, deps({}))).text).toContain("`probe ID`");
    let ran = 0;
    const probe = () => ((ran += 1), Promise.resolve([]));
    expect((await runCommand("probe ../etc", who, deps({}, { probe }))).text).toContain("is not an incident id");
    const access = SlackAccessSchema.parse({ commands: { probe: { users: ["U0BOSS"] } } });
    expect((await runCommand(`probe ${ID}`, who, { ...deps({}, { probe }), access })).text).toMatch(/^⛔ You are not allowed to run `probe`/);
    expect(ran).toBe(0);
  });
});

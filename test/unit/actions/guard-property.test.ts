import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGuard, createNonceCache, createTokenService, GuardConfigSchema, type Requester } from "../../../src/actions/index.js";
import { fakeProbes, recordingExecutor, SECRET, seed000World, tempStore, testClock, type TestStore } from "./support.js";

const config = GuardConfigSchema.parse({
  actions: {
    kill_port_owner: { users: ["U_ALICE", "U_BOB"], channels: ["C_OPS"], hosts: ["mithrandir"], ports: ["1024-65535"], targets: ["transcription-*"], rateLimit: { max: 1000, per: "1h" } },
    restart_unit: { users: ["U_ALICE", "U_BOB"], channels: ["C_OPS"], hosts: ["mithrandir"], targets: ["*"], rateLimit: { max: 1000, per: "1h" } },
    restart_container: { users: ["U_ALICE"], channels: ["C_OPS"], hosts: ["*"], targets: ["*"], rateLimit: { max: 1000, per: "1h" } },
    clean_failed_jobs: { users: ["U_ALICE"], channels: ["C_OPS"], hosts: ["mithrandir"], targets: ["*"], rateLimit: { max: 1000, per: "1h" } },
  },
});

// Values in the shape of what a log line or a hostile payload could put into a token.
const value = fc.oneof(
  fc.constantFrom("1573680", "9003", "transcription-palantir.service", "palantir-api", "transcription", "1", "0", "-9", "foo; rm -rf /", "$(id)", "`id`", "--help", "a b", "x\ny", ""),
  fc.string({ maxLength: 12 }),
);
const randomClaims = fc.record({
  incident: fc.constantFrom("fw-1", "fw-2"),
  action: fc.constantFrom("kill_port_owner", "restart_unit", "restart_container", "clean_failed_jobs", "reboot"),
  params: fc.oneof(
    fc.dictionary(fc.constantFrom("pid", "port", "unit", "scope", "container", "queue", "extra"), value, { maxKeys: 4 }),
    fc.record({ pid: value, port: value, unit: value }),
    fc.record({ unit: value }),
    fc.record({ container: value }),
    fc.record({ queue: value }),
  ),
  host: fc.constantFrom("mithrandir", "gandalf", "mithrandir; id"),
});
// Requests the lists allow, so the allowed and needs_approval paths are walked often, not by luck.
const validClaims = fc.oneof(
  fc.constant({ incident: "fw-1", action: "kill_port_owner", params: { pid: "1573680", port: "9003", unit: "transcription-palantir.service" }, host: "mithrandir" }),
  fc.constantFrom("palantir-api", "3f2a9c1b7e4d").map((container) => ({ incident: "fw-1", action: "restart_container", params: { container }, host: "gandalf" })),
  fc.constant({ incident: "fw-2", action: "clean_failed_jobs", params: { queue: "transcription" }, host: "mithrandir" }),
);
const claims = fc.oneof(randomClaims, validClaims);
const requester = fc.record({ user: fc.constantFrom("U_ALICE", "U_ALICE", "U_BOB", "U_MALLORY"), groups: fc.constant([] as string[]), channel: fc.constantFrom("C_OPS", "C_OPS", "C_RANDOM") });

describe("guard properties", () => {
  let store: TestStore;
  let cleanup: () => Promise<void>;
  const clock = testClock();
  beforeAll(async () => {
    ({ store, cleanup } = await tempStore(clock));
  });
  afterAll(async () => {
    await cleanup();
  });

  test("every request is audited exactly once, and only validated, allowed values ever reach an argv", async () => {
    const tokens = createTokenService({ clock, secret: SECRET, nonces: createNonceCache({ clock }) });
    const guard = createGuard({ clock, store, tokens, probes: fakeProbes(seed000World()), config });
    const kinds = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(claims, requester, fc.boolean(), async (c, who: Requester, dryRun) => {
        const before = (await store.listAudit()).length;
        const d = await guard.authorize({ token: tokens.issueToken(c, 60_000), requester: who, dryRun });
        expect((await store.listAudit()).length).toBe(before + 1);
        kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1);
        if (d.kind === "refused") return;
        expect(["U_ALICE", "U_BOB"]).toContain(who.user);
        expect(who.channel).toBe("C_OPS");
        const cmd = d.plan.command;
        const args = cmd.kind === "argv" ? cmd.argv : [cmd.queue];
        for (const a of args) expect(a).toMatch(/^[A-Za-z0-9_][A-Za-z0-9:_.@-]*$|^-TERM$/);
        if (d.kind === "allowed" && d.dryRun) {
          const exec = recordingExecutor();
          await guard.execute(d.grant, exec);
          expect(exec.calls).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
    // The generators must reach every kind of decision, or the checks above say nothing about the allowed paths.
    expect([...kinds.keys()].sort()).toEqual(["allowed", "needs_approval", "refused"]);
  });
});

import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createNonceCache, createTokenService, type Plan } from "../../../src/actions/index.js";
import { approvalRequestMessage, MAX_OFFERS, outcomeMessage, remediationBlocks, type RemediationOffer } from "../../../src/bot/action-blocks.js";
import { incidentMessage } from "../../../src/bot/blocks.js";
import { createTokenShelf } from "../../../src/bot/token-shelf.js";
import { blockKitProblems } from "../../harness/fake-slack.js";
import { manualClock, stored, T0 } from "./support.js";

const KILL: RemediationOffer = { action: "kill_port_owner", host: "mithrandir", params: { pid: "1573680", port: "9003", unit: "transcription-palantir" }, label: "Kill PID 1573680 holding :9003", why: "PID 1573680 (node) holds 9003, PPID 1" };
const token = () => "t".repeat(300);
/** Every mrkdwn text object in the blocks. */
function mrkdwnTexts(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(mrkdwnTexts);
  if (typeof v !== "object" || v === null) return [];
  const o = v as Record<string, unknown>;
  const own = o["type"] === "mrkdwn" && typeof o["text"] === "string" ? [o["text"]] : [];
  return [...own, ...Object.values(o).flatMap(mrkdwnTexts)];
}
const buttons = (blocks: unknown[]) => JSON.stringify(blocks).match(/"action_id":"[^"]+"/g) ?? [];

describe("remediation blocks", () => {
  test("the confirm dialog names both steps of the kill and the host", () => {
    const blocks = remediationBlocks(stored(), [KILL], token);
    const all = JSON.stringify(blocks);
    expect(all).toContain("kill -TERM 1573680");
    expect(all).toContain("then kill -KILL 1573680 after 5 s if the same PID still holds the port");
    expect(all).toContain("*mithrandir*");
    expect(blockKitProblems(blocks)).toEqual([]);
  });

  test("an action firewatch cannot run on the host gets no button; the post says why and what to grant", () => {
    const blocks = remediationBlocks(stored(), [], token, [{ offer: KILL, why: "firewatch may not signal other users' processes", grant: "run `firewatch actuator` on this host" }]);
    expect(buttons(blocks)).toEqual([]);
    const text = mrkdwnTexts(blocks).join("\n");
    expect(text).toContain("*Kill PID 1573680 holding :9003*: not offered, firewatch cannot run `kill -TERM 1573680` on *mithrandir*: firewatch may not signal other users' processes");
    expect(text).toMatch(/To allow it: run `\S*firewatch actuator`\S* on this host/);
    expect(blockKitProblems(blocks)).toEqual([]);
  });

  test("an offer whose values do not validate gets no button", () => {
    for (const pid of ["1; rm -rf /", "$(id)", "1", "-9"]) {
      expect(remediationBlocks(stored(), [{ ...KILL, params: { ...KILL.params, pid } }], token)).toEqual([]);
    }
    expect(remediationBlocks(stored(), [{ ...KILL, params: { ...KILL.params, unit: "foo; rm -rf /" } }], token)).toEqual([]);
  });

  test(`at most ${MAX_OFFERS} offers; none on a resolved incident`, () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ ...KILL, params: { ...KILL.params, pid: String(1000 + i) } }));
    expect(buttons(remediationBlocks(stored(), many, token)).filter((b) => b.includes("fw_act:"))).toHaveLength(MAX_OFFERS);
    expect(remediationBlocks(stored({ status: "resolved" }), [KILL], token)).toEqual([]);
  });

  test("any label, reason and host text stays within Block Kit limits and mentions nobody", () => {
    const text = fc.string({ unit: "grapheme", maxLength: 4000 });
    fc.assert(
      fc.property(text, text, fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/), (label, why, host) => {
        const offer = { ...KILL, label: `<!channel> ${label}`, why: `<@U0BOSS> @here ${why}`, host };
        const m = incidentMessage(stored(), remediationBlocks(stored(), [offer, { ...offer, action: "restart_unit" as const, params: { unit: "x.service" } }], token));
        expect(blockKitProblems(m.blocks)).toEqual([]);
        // Slack reads mentions and links only in mrkdwn; plain_text (button labels) shows them as typed.
        const all = mrkdwnTexts(m.blocks).join("\n");
        expect(all).toContain("&lt;!channel&gt;");
        expect(all).not.toContain("<!channel>");
        expect(all).not.toContain("<@U0BOSS>");
        expect(all).not.toMatch(/@here/);
      }),
      { numRuns: 200 },
    );
  });
});

describe("the post shows what the probes found", () => {
  test("one line per probe, escaped, failed ones marked", () => {
    const probe = { params: {}, host: "mithrandir", at: T0, data: {} };
    const m = incidentMessage(stored({ probes: [
      { ...probe, probe: "port_owner", ok: true, summary: "PID 1573680 (node <!channel>) holds 9003, PPID 1, outside the unit" },
      { ...probe, probe: "unit_status", ok: false, summary: "systemctl cannot talk to a service manager" },
    ] }));
    const all = JSON.stringify(m.blocks);
    expect(all).toContain("PID 1573680 (node &lt;!channel&gt;) holds 9003");
    expect(all).toContain("⚠️ `unit_⁠status` on mithrandir: systemctl cannot talk");
    expect(blockKitProblems(m.blocks)).toEqual([]);
  });
});

describe("approval and result messages", () => {
  const plan: Plan = {
    incident: "fw-de060825", action: "kill_port_owner", params: KILL.params, host: "mithrandir", destructive: true,
    command: { kind: "argv", host: "mithrandir", argv: ["kill", "-TERM", "1573680"] }, requestedBy: "U0ALICE", approvedBy: undefined,
  };

  test("the approval request names requester, command, host and the time left, with Approve and Deny", () => {
    const m = approvalRequestMessage(plan, "appr-1", T0 + 600_000, T0);
    expect(m.text).toContain("<@U0ALICE> requests `kill -TERM 1573680` on *mithrandir*");
    expect(m.text).toContain("within 10 min");
    expect(buttons(m.blocks)).toEqual(['"action_id":"fw_approve"', '"action_id":"fw_deny"']);
    expect(blockKitProblems(m.blocks)).toEqual([]);
  });

  test("results escape what the world said and name what ran", () => {
    const m = outcomeMessage({ status: "world_changed", plan, precondition: { ok: false, observed: "port 9003 is now held by PID 7 (<!here>)" } }, []);
    expect(m.text).toContain("Not run");
    expect(m.text).toContain("&lt;!here&gt;");
    const done = outcomeMessage({ status: "done", plan, postcondition: { ok: true, observed: "port 9003 is free" } }, ["kill -TERM 1573680: exit 0"]);
    expect(done.text).toContain("✅ *Done*: `kill -TERM 1573680` on *mithrandir*");
    expect(done.text).toContain("exit 0");
  });
});

describe("token shelf", () => {
  test("keeps a token for two thirds of its life, then signs a new one; a clicked token is replaced at once", () => {
    const clock = manualClock(T0);
    const tokens = createTokenService({ clock, secret: randomBytes(32), nonces: createNonceCache({ clock }) });
    const shelf = createTokenShelf({ tokens, clock, ttlMs: 900_000 });
    const claims = { incident: "fw-de060825", action: "kill_port_owner", params: KILL.params, host: "mithrandir" };
    const first = shelf.tokenFor(claims);
    clock.advance(599_000);
    // The same params in another key order are the same claims.
    expect(shelf.tokenFor({ ...claims, params: { unit: "transcription-palantir", port: "9003", pid: "1573680" } })).toBe(first);
    clock.advance(2_000);
    const second = shelf.tokenFor(claims);
    expect(second).not.toBe(first);
    expect(tokens.verifyToken(second).ok).toBe(true);
    shelf.forget(second);
    expect(shelf.tokenFor(claims)).not.toBe(second);
  });
});

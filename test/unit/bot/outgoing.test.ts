// Secrets in log text never reach Slack: the post, its evidence thread, probe replies, `show` and the uploaded report
// are redacted before any cut; the store keeps the lines verbatim.
import { describe, expect, test } from "vitest";
import { SlackAccessSchema } from "../../../src/bot/access.js";
import { evidenceMessage, incidentMessage, probesMessage } from "../../../src/bot/blocks.js";
import { runCommand, type CommandDeps } from "../../../src/bot/slash-command.js";
import type { Store } from "../../../src/store/index.js";
import { evidence, finding, incident, manualClock, stored, T0 } from "./support.js";

const J = (...p: string[]) => p.join("");
const KEY_BODY = Array.from({ length: 80 }, (_, i) => J("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB", String(i).padStart(4, "0"))).join("\n");
// Longer than a section (3000 characters): the END line falls after any cut.
const KEY = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----`;
const PASSWORD = J("Gr33n", "Turtle77x");
const TOKEN = J("xoxb-", "2048123456789-", "4096123456789-", "q5WvXzTn1YbKcP0dRe3sUa7m");

const leaky = stored(
  { probes: [{ probe: "process_info", host: "mithrandir", at: T0, ok: true, summary: `PID 4711 /usr/bin/agent --password ${PASSWORD}`, params: {} }] },
  incident({
    title: `Slack auth failed for ${TOKEN}`,
    findings: [finding({ evidence: [evidence(`could not load key ${KEY}`), evidence(`backup-agent --user backup --password ${PASSWORD}`, 2)], fields: { port: "9003", token: TOKEN } })],
  }),
);

const secretsIn = (v: unknown) => {
  const all = JSON.stringify(v);
  return [all.includes("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB") && "private key", all.includes(PASSWORD) && "password", all.includes("q5WvXzTn1YbKcP0dRe3sUa7m") && "slack token"].filter(Boolean);
};

describe("what is sent to Slack carries no secret from the logs", () => {
  test("the post, the evidence thread and the probe reply", () => {
    expect(secretsIn(incidentMessage(leaky))).toEqual([]);
    expect(secretsIn(evidenceMessage(leaky))).toEqual([]);
    expect(secretsIn(probesMessage(leaky))).toEqual([]);
    expect(JSON.stringify(evidenceMessage(leaky))).toContain("--password &lt;SECRET_");
  });

  test("`show` and the uploaded report; the store's copy stays verbatim", async () => {
    const deps: CommandDeps = {
      store: { get: () => Promise.resolve(leaky) } as unknown as Store,
      clock: manualClock(T0),
      access: SlackAccessSchema.parse({ default: { users: ["U0ALICE"] } }),
      rules: () => Promise.resolve(new Map()),
    };
    const who = { userId: "U0ALICE", channelId: "C0ONCALL" };
    const show = await runCommand("show fw-de060825", who, deps);
    const report = await runCommand("report fw-de060825", who, deps);
    expect(report.file?.content).toContain("# Incident Report");
    expect(secretsIn(show)).toEqual([]);
    expect(secretsIn(report)).toEqual([]);
    expect(secretsIn(leaky)).toEqual(["private key", "password", "slack token"]);
  });
});

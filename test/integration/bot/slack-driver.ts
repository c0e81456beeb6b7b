// Drives the bot's HTTP receiver as Slack does: signed block_actions clicks on buttons found in the fake Slack's messages.
import { expect } from "vitest";
import { signSlackRequest } from "../../../src/bot/verify.js";
import type { FakeSlack, StoredMessage } from "../../harness/fake-slack.js";

export interface ButtonRef {
  readonly action_id: string;
  readonly block_id: string;
  readonly value: string;
  readonly text: string;
  readonly confirm: Record<string, unknown> | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every button of a message, with the block it sits in. */
export function buttonsOf(msg: StoredMessage | undefined): ButtonRef[] {
  const out: ButtonRef[] = [];
  for (const b of msg?.blocks ?? []) {
    if (!isRecord(b) || b["type"] !== "actions" || !Array.isArray(b["elements"])) continue;
    for (const e of b["elements"]) {
      if (!isRecord(e)) continue;
      const text = isRecord(e["text"]) ? String(e["text"]["text"]) : "";
      out.push({ action_id: String(e["action_id"]), block_id: String(b["block_id"]), value: String(e["value"]), text, confirm: isRecord(e["confirm"]) ? e["confirm"] : undefined });
    }
  }
  return out;
}

export interface Driver {
  /** Clicks `button` on message `ts` as `user` in `channel`; resolves with the ephemeral answer's JSON text. */
  click(user: string, button: Pick<ButtonRef, "action_id" | "block_id" | "value">, ts: string, channel?: string): Promise<string>;
  /** Posts a body signed like Slack (or with `secret`, at `at` ms); returns the HTTP status. */
  sendSigned(body: string, opts?: { secret?: string; tamper?: (b: string) => string; at?: number }): Promise<number>;
  /** Posts the same signed request twice (a replay): both HTTP statuses. */
  sendTwice(body: string): Promise<[number, number]>;
}

/** A driver for the receiver at `url`, signing with `secret` at `now()` (the clock the bot's verifier reads). */
export function slackDriver(slack: FakeSlack, url: string, secret: string, now: () => number, defaultChannel: string): Driver {
  let seq = 0;
  async function post(body: string, timestamp: string, signature: string): Promise<number> {
    const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp, "x-slack-signature": signature } });
    await res.text();
    return res.status;
  }
  async function sendSigned(body: string, o: { secret?: string; tamper?: (b: string) => string; at?: number } = {}): Promise<number> {
    const timestamp = String(Math.floor((o.at ?? now()) / 1000));
    return post(o.tamper ? o.tamper(body) : body, timestamp, signSlackRequest(o.secret ?? secret, timestamp, body));
  }
  return {
    sendSigned,
    async sendTwice(body) {
      const timestamp = String(Math.floor(now() / 1000));
      const signature = signSlackRequest(secret, timestamp, body);
      return [await post(body, timestamp, signature), await post(body, timestamp, signature)];
    },
    async click(user, button, ts, channel = defaultChannel) {
      seq += 1;
      const responseId = `click-${seq}-${user}`;
      const payload = {
        type: "block_actions", team: { id: "T0FAKE" }, user: { id: user }, api_app_id: "A0FW", token: "legacy", trigger_id: `t${seq}`,
        channel: { id: channel }, container: { type: "message", channel_id: channel, message_ts: ts }, response_url: slack.responseUrl(responseId),
        actions: [{ type: "button", action_id: button.action_id, block_id: button.block_id, value: button.value, action_ts: String(seq) }],
      };
      expect(await sendSigned(new URLSearchParams({ payload: JSON.stringify(payload) }).toString())).toBe(200);
      return JSON.stringify(await slack.waitFor(() => slack.responses.find((r) => r.id === responseId)?.body, 20_000));
    },
  };
}

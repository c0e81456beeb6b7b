// `watch` on the embedded default store while the CLI acts on it: every change shows on the Slack post within 5 s.
import { afterAll, beforeAll, describe, test } from "vitest";
import { requireProgram } from "../../harness/program.js";
import { followScenario, type FollowScenario } from "./follow-store.js";

const ss = requireProgram("ss", "iproute2");

describe.skipIf(ss.missing !== undefined)(`the daemon and the CLI on the embedded store ${ss.missing ?? ""}`, () => {
  let scenario: FollowScenario | undefined;
  beforeAll(async () => {
    scenario = await followScenario(undefined);
  });
  afterAll(async () => {
    await scenario?.close();
  });

  test("ack, act --dry-run, silence and resolve from the CLI beside `watch`; the post follows each, buttons go on resolve", async () => {
    await scenario?.run();
  }, 150_000);
});

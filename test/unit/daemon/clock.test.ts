import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { leakFreeClock } from "../../../src/daemon/clock.js";
import { systemClock } from "../../../src/time.js";

describe("leakFreeClock", () => {
  it("leaves no abort listener on the signal after sleeps that ended normally", async () => {
    const ac = new AbortController();
    const clock = leakFreeClock(systemClock);
    for (let i = 0; i < 20; i++) await clock.sleep(0, ac.signal);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });

  it("still ends a sleep when the signal aborts, with its reason", async () => {
    const ac = new AbortController();
    const p = leakFreeClock(systemClock).sleep(60_000, ac.signal);
    ac.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });
});

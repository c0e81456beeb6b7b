// Handing a grant from the approver's process to the waiting requester's: two records next to the guard's own.
import type { ActIo, Session } from "./act-session.js";
import { localActor } from "./actor.js";

const WAIT_NS = "act-wait";
const HANDOFF_NS = "act-grant";
const POLL_MS = 500;
/** How long a handed-over grant waits for the requester to pick it up. */
const HANDOFF_TTL_MS = 5 * 60_000;

/** Waits for the approver's process to hand over the grant; undefined when the approval window passes first. */
export async function awaitHandoff(io: ActIo, s: Session, approvalId: string, until: number, signal: AbortSignal): Promise<string | undefined> {
  await s.store.putRecord(WAIT_NS, approvalId, { pid: process.pid, by: localActor() }, Math.max(1, until - io.clock.now()));
  try {
    while (io.clock.now() < until && !signal.aborted) {
      const got = await s.store.takeRecord(HANDOFF_NS, approvalId);
      if (got && typeof got === "object" && "grant" in got && typeof got.grant === "string") return got.grant;
      await io.clock.sleep(POLL_MS, signal).catch(() => undefined);
    }
    return undefined;
  } finally {
    await s.store.takeRecord(WAIT_NS, approvalId).catch(() => undefined);
  }
}

/** The approver's side: true when a requester is waiting and now has the grant; false: nobody waits, run it here. */
export async function handOver(s: Session, approvalId: string, grant: string): Promise<boolean> {
  const waiting = await s.store.takeRecord(WAIT_NS, approvalId);
  if (!waiting) return false;
  await s.store.putRecord(HANDOFF_NS, approvalId, { grant }, HANDOFF_TTL_MS);
  return true;
}

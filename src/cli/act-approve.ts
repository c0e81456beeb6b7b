// `firewatch act approve ID`: a second OS user approves; the waiting requester runs it, or this process does.
import { APPROVAL_NS, decodeApproval } from "../actions/index.js";
import { FirewatchError } from "../errors.js";
import { formatIso } from "../time.js";
import { handOver } from "./act-handoff.js";
import { ACT_EXIT, confirm, planText, refused, result, say } from "./act-output.js";
import { run } from "./act-run.js";
import { localActor } from "./actor.js";
import { openSession, requester, type ActIo, type CommonFlags } from "./act-session.js";

export async function approve(io: ActIo, approvalId: string | undefined, f: CommonFlags): Promise<void> {
  if (!approvalId) throw new FirewatchError("usage", "act approve needs the approval id the requester was given");
  const s = await openSession(io, f);
  try {
    const pending = decodeApproval(await s.store.getRecord(APPROVAL_NS, approvalId));
    if (pending) {
      say(io, f, planText(pending.plan, [["requested", `by ${pending.plan.requestedBy}, approve until ${formatIso(pending.expiresAt)}`]]));
      await confirm(io, f, "Approve it?");
    }
    const me = localActor();
    const d = await s.kit.guard.approve({ approvalId, requester: requester() });
    if (d.kind === "refused") return refused(io, f, d);
    if (d.kind !== "allowed") return;
    if (await handOver(s, approvalId, d.grant)) {
      return result(io, f, { status: "approved", approvalId, by: me, runBy: "requester" }, `approved by ${me}; the requester's waiting firewatch runs it\n`, ACT_EXIT.done);
    }
    say(io, f, `approved by ${me}; the requester is not waiting, so running it here\n`);
    await run(io, s, f, d.grant, me);
  } finally {
    await s.close();
  }
}

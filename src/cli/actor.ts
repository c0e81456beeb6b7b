// Who a command line acts as, for audit entries and incident history: the real local user ("cli:alice"), from the
// process's uid, never from $USER (anyone can set that); `--by` is recorded beside it, never instead of it.
import { userInfo } from "node:os";

/** "cli:NAME" of the real uid ("cli:uid:1001" without a passwd entry). */
export function localActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid:${process.getuid?.() ?? "unknown"}`;
  }
}

/** The actor an audit entry records: the real user, with what `--by` claimed beside it ("cli:alice (--by bob)"). */
export function auditActor(by: string | undefined): string {
  const real = localActor();
  return by === undefined || by === real ? real : `${real} (--by ${by})`;
}

// Who a command line acts as, for audit entries and incident history: the local user ("cli:alice").
import { userInfo } from "node:os";

export function localActor(env: NodeJS.ProcessEnv): string {
  let name = env.USER ?? "";
  try {
    name ||= userInfo().username;
  } catch {
    // no passwd entry (containers): fall through to "unknown"
  }
  return `cli:${name || "unknown"}`;
}

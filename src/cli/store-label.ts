// Names the store a command looked in ("the file store /var/lib/firewatch"), for messages such as "no incident X in ...".
import type { StoreSpec } from "../store/index.js";

/** "the file store DIR", "the redis store redis://host:6379" (password hidden), whatever kinds of store there are. */
export function storeLabel(spec: StoreSpec): string {
  const [where] = Object.entries(spec).filter(([k]) => k !== "kind").map(([, v]) => String(v));
  return `the ${spec.kind} store ${(where ?? "").replace(/\/\/[^@/]*@/, "//***@")}`.trimEnd();
}

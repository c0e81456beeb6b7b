// `incidents silence add`: refuses a rule id nobody has, and says what the new silence matches now (as amtool does).
import { FirewatchError } from "../errors.js";
import { escapeTerminal } from "../report/index.js";
import { silenceMatches, type Silence, type Store, type StoredIncident } from "../store/index.js";
import { closestKey } from "../yaml-position.js";
import { counted } from "./words.js";

/**
 * A silence for a rule no one has would silence nothing, silently: the id must be a built-in rule, one of the
 * `--rules` directories, or a rule of an incident already in the store (a daemon's own rules directory).
 */
export async function checkSilenceRule(rule: string, dirs: readonly string[], store: Store, where: string): Promise<void> {
  const { loadRules } = await import("../rules/index.js");
  const ids = (await loadRules({ dirs })).map((r) => r.id);
  if (ids.includes(rule) || (await store.list({ rule })).length > 0) return;
  const near = closestKey(rule, ids);
  throw new FirewatchError("rule_unknown", `--rule ${rule}: no such rule (not built in, not in --rules, not in an incident of ${where})`, {
    hint: `${near === undefined ? "" : `did you mean ${near}? `}\`firewatch rules list\` shows the rule ids; --rules DIR adds your own`,
  });
}

/** The live incidents a silence covers as of now. */
export async function silencedNow(store: Store, silence: Silence): Promise<StoredIncident[]> {
  return (await store.list({ status: ["open", "observed", "acknowledged"] })).filter((s) => silenceMatches(silence.match, s.incident));
}

/** "matches 2 incidents now:" and one line each, or that it matches none yet. */
export function describeSilenced(list: readonly StoredIncident[]): string {
  if (list.length === 0) return "matches no live incident now; it applies to matching incidents until it expires\n";
  const lines = list.map((s) => `  ${s.incident.id}  ${s.status}  ${escapeTerminal(s.incident.title)}`);
  return `matches ${counted(list.length, "live incident")} now:\n${lines.join("\n")}\n`;
}

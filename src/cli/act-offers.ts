// `firewatch act offers --incident ID`: what the incident's rules and probe results allow here, as commands to run.
import { offerActions, ownPortsOf, selfScope } from "../actions/index.js";
import { loadConfig } from "../config/index.js";
import { FirewatchError } from "../errors.js";
import { escapeTerminal } from "../report/index.js";
import { openStore, parseStoreSpec, type StoredIncident } from "../store/index.js";
import type { ActIo, CommonFlags } from "./act-session.js";

export async function offers(io: ActIo, f: CommonFlags & { incident?: string }): Promise<void> {
  if (!f.incident) throw new FirewatchError("usage", "--incident ID is required");
  const config = await loadConfig({ file: f.config, env: io.env });
  const store = await openStore(parseStoreSpec(f.store ?? config.store.url ?? io.env.FIREWATCH_STORE, io.env), { clock: io.clock }, { readOnly: true, namespace: f.namespace, unavailableAfterMs: 5_000 });
  let stored: StoredIncident | undefined;
  try {
    stored = await store.get(f.incident);
  } finally {
    await store.close();
  }
  if (!stored) throw new FirewatchError("usage", `no incident ${JSON.stringify(f.incident)} in the store`, { hint: "`firewatch incidents list` shows them" });
  const { loadRules } = await import("../rules/index.js");
  const rules = new Map((await loadRules({ dirs: config.rules.dirs })).map((r) => [r.id, r]));
  const list = offerActions(stored, rules, config.guard, selfScope(ownPortsOf(config)));
  if (f.format === "json") return void io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  if (list.length === 0) {
    io.stdout.write(`No action is offered for ${stored.incident.id}: none of its rules' actions is backed by its probe results and enabled in the guard config.\n`);
    return;
  }
  for (const o of list) {
    const params = Object.entries(o.params).map(([k, v]) => ` --param ${k}=${v}`).join("");
    io.stdout.write(`${escapeTerminal(o.label)}: ${escapeTerminal(o.why)}\n  firewatch act ${o.action} --incident ${stored.incident.id} --host ${o.host}${escapeTerminal(params)}\n`);
  }
}

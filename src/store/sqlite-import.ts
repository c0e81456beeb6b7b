// Moves a file store into the embedded database beside it, once: the upgrade path from the old default.
import { rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { AUDIT_FILE, LOCK_FILE, loadAudit, loadState, STATE_FILE } from "./file-load.js";
import { acquireDirLock } from "./file-lock.js";
import { encodeJson } from "./records.js";
import { retryBusy, type Db } from "./sqlite-db.js";
import type { StoreDeps } from "./store.js";

const IMPORTED = "imported_file_store";

/**
 * When the database's directory holds a file store (state.json) and the database has never imported one and holds no
 * incidents or audit yet, copies everything in one transaction: incidents, silences, cursors, claims, records and the
 * audit log. The file store's lock is held meanwhile (a running old daemon makes this refuse, "locked"); afterwards
 * state.json and audit.jsonl are renamed *.imported-TIME and kept. A crash before the commit imports again next time;
 * after it, the files stay where they were, ignored (the database says it imported them).
 */
export async function importFileStore(db: Db, path: string, deps: StoreDeps): Promise<boolean> {
  const dir = dirname(path);
  const due = () => {
    const done = db.prepare("SELECT 1 FROM meta WHERE key = ?").get(IMPORTED) !== undefined;
    const empty = db.prepare("SELECT (SELECT count(*) FROM incidents) + (SELECT count(*) FROM audit) AS n").get();
    return !done && z.object({ n: z.number() }).parse(empty).n === 0;
  };
  if (!(await retryBusy(path, "import check", due))) return false;
  const opts = { onCorrupt: "refuse" as const, readOnly: true };
  if ((await loadState(dir, deps, opts)) === undefined) return false;
  const lock = await acquireDirLock(join(dir, LOCK_FILE), new Date(deps.clock.now()));
  try {
    const state = await loadState(dir, deps, opts);
    if (state === undefined) return false;
    const audit = await loadAudit(dir, deps, opts, true);
    const now = deps.clock.now();
    const imported = await retryBusy(path, "import", () =>
      db
        .transaction(() => {
          if (!due()) return false;
          const incident = db.prepare("INSERT OR REPLACE INTO incidents (fingerprint, id, status, last_activity, resolved_at, json) VALUES (?, ?, ?, ?, ?, ?)");
          for (const s of state.incidents) incident.run(s.incident.fingerprint, s.incident.id, s.status, s.lastActivityAt, s.resolved?.at ?? null, encodeJson(s));
          const silence = db.prepare("INSERT OR REPLACE INTO silences (id, expires_at, json) VALUES (?, ?, ?)");
          for (const s of state.silences) silence.run(s.id, s.expiresAt, encodeJson(s));
          const cursor = db.prepare("INSERT OR REPLACE INTO cursors (source, cursor) VALUES (?, ?)");
          for (const [k, v] of Object.entries(state.cursors)) cursor.run(k, v);
          const claim = db.prepare("INSERT OR REPLACE INTO claims (key, owner, expires_at) VALUES (?, ?, ?)");
          for (const [k, c] of Object.entries(state.claims)) claim.run(k, c.owner, c.expiresAt);
          const record = db.prepare("INSERT OR REPLACE INTO records (ns, key, json, expires_at, incident) VALUES (?, ?, ?, ?, ?)");
          for (const [id, r] of Object.entries(state.records)) {
            const at = id.indexOf(":");
            record.run(id.slice(0, at), id.slice(at + 1), r.json, r.expiresAt, r.incident ?? null);
          }
          const line = db.prepare("INSERT INTO audit (at, action, target, json) VALUES (?, ?, ?, ?)");
          for (const a of audit) line.run(a.at, a.action, a.target ?? null, encodeJson(a));
          db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)").run(IMPORTED, JSON.stringify({ from: dir, at: now, incidents: state.incidents.length, audit: audit.length }));
          return true;
        })
        .immediate(),
    );
    if (!imported) return false;
    const stamp = new Date(now).toISOString().replace(/[:.]/g, "-");
    await rename(join(dir, STATE_FILE), join(dir, `${STATE_FILE}.imported-${stamp}`));
    await rename(join(dir, AUDIT_FILE), join(dir, `${AUDIT_FILE}.imported-${stamp}`)).catch(() => undefined);
    deps.log?.info({ store: path, incidents: state.incidents.length, audit: audit.length }, "Imported the file store beside the database; its files were kept as *.imported-TIME.");
    return true;
  } finally {
    await lock.release();
  }
}

// The embedded store's change feed and audit queries: plain SQL over the `changes` and `audit` tables.
import { z } from "zod";
import { AuditEntrySchema, type AuditEntry } from "./records.js";
import { decodeRow, type Statement } from "./sqlite-db.js";
import { CHANGE_FEED_KEEP, type AuditFilter, type ChangeBatch, type StoreChange } from "./store.js";

/** A prepared (cached) statement for `sql`. */
export type Stmt = (sql: string) => Statement;

const ChangeRow = z.object({ seq: z.number().int(), at: z.number(), incident: z.string(), kind: z.enum(["activity", "status", "probes", "silence", "slack", "action"]) });
const Seq = z.object({ seq: z.number() });

/** Appends a feed entry (inside the caller's transaction); one indexed range delete keeps CHANGE_FEED_KEEP of them. */
export function insertChange(stmt: Stmt, c: StoreChange | undefined): void {
  if (!c) return;
  const { lastInsertRowid } = stmt("INSERT INTO changes (at, incident, kind) VALUES (?, ?, ?)").run(c.at, c.incident, c.kind);
  stmt("DELETE FROM changes WHERE seq <= ?").run(Number(lastInsertRowid) - CHANGE_FEED_KEEP);
}

/** Store.changes on the table: AUTOINCREMENT never reuses a seq, so a gap right after `after` means it was trimmed. */
export function readChanges(stmt: Stmt, after: string | undefined, limit: number): ChangeBatch {
  const headRow = stmt("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get();
  const head = headRow === undefined ? 0 : Seq.parse(headRow).seq;
  const from = after === undefined ? head : /^\d+$/.test(after) ? Number(after) : -1;
  if (from < 0 || from > head) return { next: String(head), changes: [], lost: true };
  const rows = z.array(ChangeRow).parse(stmt("SELECT seq, at, incident, kind FROM changes WHERE seq > ? ORDER BY seq LIMIT ?").all(from, Math.max(1, limit)));
  const first = rows[0]?.seq;
  const lost = from < head && (first === undefined || first > from + 1);
  return { next: String(rows.at(-1)?.seq ?? from), changes: rows.map((r) => ({ incident: r.incident, kind: r.kind, at: r.at })), lost };
}

/** listAudit with target, action and since as SQL conditions (indexed), actor and limit applied after; oldest first. */
export function queryAudit(stmt: Stmt, path: string, filter: AuditFilter): AuditEntry[] {
  const conditions: [string, string | number | undefined][] = [
    ["target = ?", filter.target],
    ["action = ?", filter.action],
    ["at >= ?", filter.since],
  ];
  const given = conditions.filter((c): c is [string, string | number] => c[1] !== undefined);
  const sql = `SELECT seq, json FROM audit${given.length ? ` WHERE ${given.map(([c]) => c).join(" AND ")}` : ""} ORDER BY seq`;
  const rows = z.array(z.object({ seq: z.number(), json: z.string() })).parse(stmt(sql).all(...given.map(([, v]) => v)));
  const all = rows.map((r) => decodeRow(path, r.json, AuditEntrySchema, `audit entry ${r.seq}`)).filter((e) => filter.actor === undefined || e.actor === filter.actor);
  return filter.limit === undefined ? all : all.slice(Math.max(0, all.length - filter.limit));
}

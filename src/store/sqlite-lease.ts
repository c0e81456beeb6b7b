// The embedded store's writer lease: one `firewatch watch` at a time follows sources into a database; others still
// read it and make lifecycle changes (ack, resolve, silence, act). A lease whose holder died (kill -9) is taken over.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { z } from "zod";
import { StoreError } from "./errors.js";
import { alive } from "./file-lock.js";
import type { Db } from "./sqlite-db.js";

const Holder = z.object({ pid: z.number().int(), host: z.string(), since: z.string(), token: z.string() });

export interface Lease {
  /** Gives the lease up (only if this process still holds it). */
  release(): void;
}

/** Takes lease `name` for this process, in one write transaction; refuses while a live process holds it. */
export function takeLease(db: Db, path: string, name: string, now: Date): Lease {
  const me = { pid: process.pid, host: hostname(), since: now.toISOString(), token: randomUUID() };
  db.transaction(() => {
    const row: unknown = db.prepare("SELECT pid, host, since, token FROM lease WHERE name = ?").get(name);
    const held = Holder.safeParse(row);
    if (held.success && (held.data.host !== me.host || alive(held.data.pid))) {
      throw new StoreError("locked", `the store ${path} is followed by \`firewatch ${name}\` pid ${held.data.pid} on ${held.data.host} since ${held.data.since}`, {
        hint: "one daemon per store follows the sources; stop the other one. The CLI (ack, resolve, silence, act) works beside it",
      });
    }
    db.prepare("INSERT OR REPLACE INTO lease (name, pid, host, since, token) VALUES (?, ?, ?, ?, ?)").run(name, me.pid, me.host, me.since, me.token);
  }).immediate();
  return {
    release: () => {
      db.prepare("DELETE FROM lease WHERE name = ? AND token = ?").run(name, me.token);
    },
  };
}

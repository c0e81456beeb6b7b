import { appendFileSync, copyFileSync, existsSync, statSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import type { LogRecord } from "../../../src/parsers/index.js";
import { HostError } from "../../../src/hosts/index.js";
import { decodeFileCursor, FileFollower, FileSourceConfig, followFile, localFileAccess, type FileAccess } from "../../../src/sources/index.js";
import type { Clock } from "../../../src/time.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "fw-tail-"));
  dirs.push(d);
  return d;
}

const numbers = (rs: readonly LogRecord[]) => rs.map((r) => Number(/^line (\d+)\b/.exec(r.text)?.[1] ?? NaN));

/** Drives a follower to the end of what is written: polls until nothing new arrives, then flushes. */
async function drain(f: FileFollower): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (let i = 0; i < 1000; i++) {
    const before = f.stats.bytes;
    const got = await f.poll();
    out.push(...got);
    if (got.length === 0 && f.stats.bytes === before) break;
  }
  out.push(...f.flush());
  return out;
}

describe("FileFollower", () => {
  const access = localFileAccess();

  test("checkpoint resumes at the first line still held back", async () => {
    const path = join(tempDir(), "k.log");
    writeFileSync(path, "line 1\nline 2\n");
    const a = new FileFollower({ access, path, startAt: "beginning" });
    // Two lines are too few to settle the format: both are held, so the checkpoint stays at 0.
    expect(await a.poll()).toEqual([]);
    expect(decodeFileCursor(a.checkpoint() ?? "").offset).toBe(0);
    const b = new FileFollower({ access, path, cursor: a.checkpoint() ?? "" });
    expect(numbers(await drain(b))).toEqual([1, 2]);
    expect(decodeFileCursor(b.checkpoint() ?? "").offset).toBe(14);
  });

  test("resumes after the last handed-out record: nothing lost, nothing repeated, no half line", async () => {
    const path = join(tempDir(), "app.log");
    writeFileSync(path, Array.from({ length: 30 }, (_, i) => `line ${i + 1} ok\n`).join(""));
    const a = new FileFollower({ access, path, startAt: "beginning" });
    const first = await a.poll();
    const cut = first[9];
    expect(cut?.cursor).toBeDefined();
    appendFileSync(path, "line 31 ok\npartial line 32 without newline");
    const b = new FileFollower({ access, path, cursor: cut?.cursor ?? "" });
    // The unterminated last line is held back until its "\n" arrives: handing it out could split it in two.
    expect(numbers(await drain(b))).toEqual(Array.from({ length: 21 }, (_, i) => i + 11));
  });

  test("a cursor names the file by device, inode and offset", async () => {
    const path = join(tempDir(), "x.log");
    writeFileSync(path, "line 1\nline 2\n");
    const [r] = await drain(new FileFollower({ access, path, startAt: "beginning" }));
    const c = decodeFileCursor(r?.cursor ?? "");
    expect(c.offset).toBe(7);
    expect(c.fpLen).toBe(14);
  });

  test("startAt end skips what is already there", async () => {
    const path = join(tempDir(), "y.log");
    writeFileSync(path, "line 1\n");
    const f = new FileFollower({ access, path });
    expect(await f.poll()).toEqual([]);
    appendFileSync(path, "line 2\n");
    expect(numbers(await drain(f))).toEqual([2]);
  });

  test("rename rotation: the old file's unread tail comes first, then the new file", async () => {
    const path = join(tempDir(), "r.log");
    writeFileSync(path, "line 1\n");
    const f = new FileFollower({ access, path, startAt: "beginning" });
    await f.poll();
    appendFileSync(path, "line 2\n");
    renameSync(path, path + ".1");
    writeFileSync(path, "line 3\n");
    expect(numbers(await drain(f))).toEqual([1, 2, 3]);
    expect(f.stats.rotations).toBe(1);
  });

  test("copytruncate: lines written before the copy are read from the copy", async () => {
    const path = join(tempDir(), "c.log");
    writeFileSync(path, "line 1\n");
    const f = new FileFollower({ access, path, startAt: "beginning" });
    await f.poll();
    appendFileSync(path, "line 2\nline 3\n");
    copyFileSync(path, path + ".1");
    truncateSync(path, 0);
    appendFileSync(path, "line 4 is longer than everything before it together\n");
    expect(numbers(await drain(f))).toEqual([1, 2, 3, 4]);
    expect(f.stats.truncations).toBe(1);
  });

  test("deleted and re-created at the same path: the new file is read from its start", async () => {
    const path = join(tempDir(), "d.log");
    writeFileSync(path, "line 1\n");
    const f = new FileFollower({ access, path, startAt: "beginning" });
    await f.poll();
    unlinkSync(path);
    // The generation ended: what it held back is handed out now.
    expect(numbers(await f.poll())).toEqual([1]);
    expect(await f.poll()).toEqual([]);
    writeFileSync(path, "line 2\n");
    expect(numbers(await drain(f))).toEqual([2]);
  });

  test("followFile keeps its position through a host that is down for a while", async () => {
    const path = join(tempDir(), "h.log");
    writeFileSync(path, Array.from({ length: 25 }, (_, i) => `line ${i + 1}\n`).join(""));
    let failNext = 0;
    const flaky: FileAccess = {
      ...access,
      stat: (p, n) => (failNext-- > 0 ? Promise.reject(new HostError("web1", "link_lost", "connection lost")) : access.stat(p, n)),
    };
    const clock: Clock = { now: () => 0, sleep: async () => undefined };
    const it = followFile({ access: flaky, path, startAt: "beginning", clock });
    const got: LogRecord[] = [];
    while (got.length < 5) got.push((await it.next()).value as LogRecord);
    failNext = 3;
    appendFileSync(path, "line 26\nline 27\n");
    while (got.length < 26) got.push((await it.next()).value as LogRecord);
    await it.return(undefined);
    expect(numbers(got)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
    expect(failNext).toBeLessThan(0);
  });

  test("followFile stops on a host error that waiting does not fix", async () => {
    const path = join(tempDir(), "p.log");
    writeFileSync(path, "line 1\n");
    const denied: FileAccess = { ...access, stat: () => Promise.reject(new HostError("web1", "permission_denied", "denied")) };
    const it = followFile({ access: denied, path, startAt: "beginning", clock: { now: () => 0, sleep: async () => undefined } });
    await expect(it.next()).rejects.toMatchObject({ reason: "permission_denied" });
  });

  test("FileSourceConfig applies defaults, parses durations and refuses unknown keys", () => {
    expect(FileSourceConfig.parse({ paths: ["/var/log/app.log"], poll: "2s" })).toEqual({ paths: ["/var/log/app.log"], startAt: "end", poll: 2000, flushAfter: 1000 });
    expect(FileSourceConfig.safeParse({ paths: [] }).success).toBe(false);
    expect(FileSourceConfig.safeParse({ paths: ["/x"], pollMs: 5 }).success).toBe(false);
  });

  type Op =
    | { kind: "write"; lines: number }
    | { kind: "rename"; create: boolean }
    | { kind: "copytruncate" }
    | { kind: "truncate" }
    | { kind: "recreate" }
    | { kind: "restart" }
    | { kind: "poll" };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant("write" as const), lines: fc.integer({ min: 1, max: 25 }) }), weight: 5 },
    fc.record({ kind: fc.constant("rename" as const), create: fc.boolean() }),
    fc.constant({ kind: "copytruncate" as const }),
    fc.constant({ kind: "truncate" as const }),
    fc.constant({ kind: "recreate" as const }),
    { arbitrary: fc.constant({ kind: "restart" as const }), weight: 2 },
    { arbitrary: fc.constant({ kind: "poll" as const }), weight: 3 },
  );

  test("property: through writes, rotations, truncations and restarts every line comes out once, in order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.boolean(), async (ops, small) => {
        const dir = tempDir();
        const path = join(dir, "app.log");
        const opts = { access, path, startAt: "beginning" as const, ...(small ? { maxReadBytes: 64 } : {}) };
        let f = new FileFollower(opts);
        const got: LogRecord[] = [];
        let next = 1;
        let rotatedSincePoll = false;
        let gen = 0;
        const poll = async () => {
          got.push(...(await f.poll()));
          rotatedSincePoll = false;
        };
        await poll();
        // A rotation may only follow a poll (two within one poll interval skip a generation: documented).
        const beforeRotation = async () => {
          if (rotatedSincePoll) await poll();
          rotatedSincePoll = true;
        };
        for (const o of ops) {
          switch (o.kind) {
            case "write":
              // Bytes written to a new or empty file and rotated away before any poll read one of them cannot be
              // told apart from other siblings (no fingerprint yet): the first write counts as a rotation.
              if (!existsSync(path) || statSync(path).size === 0) rotatedSincePoll = true;
              for (let i = 0; i < o.lines; i++) appendFileSync(path, `line ${next++} of generation ${gen} ${"x".repeat(next % 7)}\n`);
              break;
            case "rename":
              await beforeRotation();
              try { renameSync(path, `${path}.${++gen}`); } catch { /* nothing to rotate yet */ }
              if (o.create) writeFileSync(path, "");
              break;
            case "copytruncate":
              await beforeRotation();
              try { copyFileSync(path, `${path}.c${++gen}`); truncateSync(path, 0); } catch { /* no file */ }
              break;
            case "truncate":
            case "recreate":
              // Lines not yet read when a file is truncated or deleted exist nowhere: read them first.
              got.push(...(await drain(f)));
              rotatedSincePoll = true;
              gen++;
              if (o.kind === "truncate") { try { truncateSync(path, 0); } catch { /* no file */ } }
              else { try { unlinkSync(path); } catch { /* no file */ } writeFileSync(path, ""); }
              break;
            case "restart": {
              // What the daemon commits once it has processed every record handed out so far.
              const cursor = f.checkpoint();
              // With nothing handed out yet there is nothing to resume from: a first start.
              if (cursor !== undefined) f = new FileFollower({ ...opts, cursor });
              break;
            }
            case "poll":
              await poll();
              break;
          }
        }
        got.push(...(await drain(f)));
        expect(numbers(got)).toEqual(Array.from({ length: next - 1 }, (_, i) => i + 1));
      }),
      { numRuns: Number(process.env.FW_TAIL_RUNS ?? 150) },
    );
  }, 120_000);
});

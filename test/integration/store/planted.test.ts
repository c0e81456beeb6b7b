// Another local user's plants are refused: a store or report directory they own, can write, or made a symlink, and
// symlinks or hard links in place of firewatch's files. Nothing is written through them. (Runs as root or not: the
// "other user" cases need root to hand a directory to nobody, and say so when they cannot.)
import { spawnSync } from "node:child_process";
import { chmod, chown, link, lstat, mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ensureSafeDir, FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { makeTempDir } from "../../harness/program.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const NOBODY = 65534;
const isRoot = process.geteuid?.() === 0;
let tmp: { path: string; remove(): Promise<void> };
beforeEach(async () => (tmp = await makeTempDir("planted")));
afterEach(async () => tmp.remove());

const open = (dir: string) => FileStore.open(dir, { clock: systemClock });

describe("the file store refuses a directory another user could plant in", () => {
  test("owned by another user (the README's /tmp/firewatch-demo made first by someone else): refused, nothing written", async () => {
    expect(isRoot, "this test hands a directory to uid 65534 and needs root").toBe(true);
    const dir = path.join(tmp.path, "firewatch-demo");
    await mkdir(dir, { mode: 0o755 });
    await chown(dir, NOBODY, NOBODY);
    await expect(open(dir)).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("belongs to uid 65534") });
    expect(await readdir(dir)).toEqual([]);
  });

  test("group- or world-writable (0777): refused", async () => {
    const dir = path.join(tmp.path, "open");
    await mkdir(dir);
    await chmod(dir, 0o777);
    await expect(open(dir)).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("writable by everyone (mode 777)") });
    await chmod(dir, 0o770);
    await expect(open(dir)).rejects.toMatchObject({ message: expect.stringContaining("writable by its group") });
    expect(await readdir(dir)).toEqual([]);
  });

  test("a symlink to a directory: refused, its target untouched", async () => {
    const target = path.join(tmp.path, "root-only");
    await mkdir(target, { mode: 0o700 });
    const dir = path.join(tmp.path, "store");
    await symlink(target, dir);
    await expect(open(dir)).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("is a symbolic link") });
    expect(await readdir(target)).toEqual([]);
  });

  test("a fresh directory is created 0700 and works; its temporary files have unguessable names", async () => {
    const dir = path.join(tmp.path, "a", "b");
    const store = await open(dir);
    await store.close();
    expect((await lstat(dir)).mode & 0o777).toBe(0o700);
    expect((await readdir(dir)).filter((n) => /\d+$/.test(n) && n.includes(String(process.pid)))).toEqual([]);
  });

  test("audit.jsonl as a symlink or a hard link to another file: refused, the file not written", async () => {
    const victim = path.join(tmp.path, "victim");
    await writeFile(victim, "root-owned content\n", { mode: 0o600 });
    const viaSymlink = path.join(tmp.path, "s1");
    await mkdir(viaSymlink, { mode: 0o700 });
    await symlink(victim, path.join(viaSymlink, "audit.jsonl"));
    await expect(open(viaSymlink)).rejects.toMatchObject({ message: expect.stringMatching(/symbolic link|ELOOP/) });
    const viaLink = path.join(tmp.path, "s2");
    await mkdir(viaLink, { mode: 0o700 });
    await link(victim, path.join(viaLink, "audit.jsonl"));
    await expect(open(viaLink)).rejects.toMatchObject({ message: expect.stringContaining("hard link") });
    expect(await readFile(victim, "utf8")).toBe("root-owned content\n");
  });
});

describe("report directories", () => {
  test("ensureSafeDir refuses a world-writable or foreign report directory and a symlink", async () => {
    const open777 = path.join(tmp.path, "reports");
    await mkdir(open777);
    await chmod(open777, 0o777);
    await expect(ensureSafeDir(open777, { mode: 0o755, what: "the report directory" })).rejects.toMatchObject({ code: "usage" });
    const link2 = path.join(tmp.path, "reports-link");
    await symlink(tmp.path, link2);
    await expect(ensureSafeDir(link2, { mode: 0o755, what: "the report directory" })).rejects.toMatchObject({ message: expect.stringContaining("symbolic link") });
  });

  test("`analyze --out` into a world-writable directory or under /proc: exit 2 at once, one line, nothing written", () => {
    const open777 = path.join(tmp.path, "out");
    spawnSync("mkdir", ["-m", "777", open777]);
    const run = (out: string) =>
      spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli.ts"), "analyze", path.join(ROOT, "fixtures/seed-000-port-conflict/journal.log"), "--format", "markdown", "--out", out], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    const a = run(open777);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/--out .* is writable by everyone/);
    expect(spawnSync("ls", ["-A", open777], { encoding: "utf8" }).stdout).toBe("");
    // A recursive mkdir under /proc used to spin for minutes.
    const p = run("/proc/x");
    expect(p.signal).toBeNull();
    expect(p.status).toBe(2);
    expect(p.stderr.trim().split("\n")[0]).toMatch(/--out \/proc\/x: cannot make this directory/);
  }, 60_000);
});

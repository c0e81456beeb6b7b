// What an operator's mistakes and a normal user's permissions cost: a warning or one line and exit 2, never "internal error".
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { firewatch, NOBODY, REPO, rootAvailability } from "../actions/act-helpers.js";

const SEED_000 = path.join(REPO, "fixtures/seed-000-port-conflict");
const tmp = mkdtempSync(path.join(tmpdir(), "fw-user-errors-"));
chmodSync(tmp, 0o755);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const EADDRINUSE = "Dec 26 16:42:02 mithrandir node[1]: Error: listen EADDRINUSE: address already in use :::9003\n";
const oneLine = (stderr: string) => expect(stderr).not.toMatch(/internal error|\n\s+at /);

const root = rootAvailability();
describe.skipIf(root.missing !== undefined)(`a normal user reading a log tree ${root.missing ?? ""}`, () => {
  test("unreadable files and directories inside it are skipped with one counted warning; the rest is read", async () => {
    const logs = path.join(tmp, "var-log");
    mkdirSync(path.join(logs, "private"), { recursive: true });
    writeFileSync(path.join(logs, "private", "secret.log"), EADDRINUSE);
    writeFileSync(path.join(logs, "btmp"), "x\n");
    writeFileSync(path.join(logs, "app.log"), EADDRINUSE.repeat(3));
    chmodSync(logs, 0o755);
    chmodSync(path.join(logs, "private"), 0o700);
    chmodSync(path.join(logs, "btmp"), 0o600);
    chmodSync(path.join(logs, "app.log"), 0o644);
    const r = await firewatch(["analyze", logs], { uid: NOBODY.uid, env: {} });
    expect(r.stderr).toContain(`firewatch: warning: skipped 2 entries this user may not read (EACCES): ${path.join(logs, "btmp")}, ${path.join(logs, "private")}`);
    oneLine(r.stderr);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("eaddrinuse_loop  ×3");
  });

  test("a directory with nothing readable is exit 2 and says why", async () => {
    const logs = path.join(tmp, "closed");
    mkdirSync(logs);
    writeFileSync(path.join(logs, "syslog"), EADDRINUSE);
    chmodSync(logs, 0o755);
    chmodSync(path.join(logs, "syslog"), 0o600);
    const r = await firewatch(["analyze", logs], { uid: NOBODY.uid, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`No log files in ${logs} that this user may read (1 unreadable)`);
  });
});

describe("user-caused errors are one line and exit 2", () => {
  test("an --out directory that cannot be made: under /proc (where mkdir -p would loop), under a file, not writable", async () => {
    const file = path.join(tmp, "a-file");
    writeFileSync(file, "");
    for (const [out, why] of [["/proc/firewatch-x", "a part of the path does not exist and cannot be made"], [path.join(file, "reports"), "a part of the path is a file"], [file, "it is a file"]] as const) {
      const r = await firewatch(["analyze", "--out", out, SEED_000], { env: {} });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`firewatch: --out ${out}: cannot make this directory (${why}`);
      oneLine(r.stderr);
    }
  });

  test("config init onto an existing file, or where no file can be made", async () => {
    const file = path.join(tmp, "firewatch.yaml");
    writeFileSync(file, "# mine\n");
    const kept = await firewatch(["config", "init", "--out", file], { env: {} });
    expect([kept.code, kept.stderr.split("\n")[0]]).toEqual([2, `firewatch: ${file} exists; nothing was written`]);
    const proc = await firewatch(["config", "init", "--out", "/proc/firewatch-x/firewatch.yaml"], { env: {} });
    expect([proc.code, proc.stderr.split("\n")[0]]).toEqual([2, "firewatch: cannot open /proc/firewatch-x/firewatch.yaml: ENOENT"]);
    oneLine(proc.stderr);
  });
});

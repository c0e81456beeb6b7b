// The stale-file probe through a real Host: LocalHost (spawned test/find) and SshHost against a real sshd.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalHost, SshHost, type Host } from "../../../src/hosts/index.js";
import { escapeFindGlob, hostFileProbe, staleTable } from "../../../src/jobs/index.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";

const avail = sshdAvailability();
const ODD = "07 Live Coaching 3 - Guest [Scott] * Lacey's $(id).m4a";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fw-hostprobe-"));
  await mkdir(join(root, "completed", "Course", "Ch 3"), { recursive: true });
  await mkdir(join(root, "inbox", "Course", "Ch 3"), { recursive: true });
  await writeFile(join(root, "completed", "Course", "Ch 3", ODD), "");
  await writeFile(join(root, "completed", "Course", "Ch 3", "07 Live Coaching 3 - Guest S.m4a"), ""); // what the glob would also match
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

function probeContract(name: string, make: () => Promise<Host>) {
  describe(`hostFileProbe on ${name}`, () => {
    let host: Host;
    beforeAll(async () => { host = await make(); });
    afterAll(async () => { await host?.close(); });

    test("exists and findByName see the file with shell and glob characters literally", async () => {
      const p = hostFileProbe(host);
      expect(await p.exists(join(root, "completed", "Course", "Ch 3", ODD))).toBe(true);
      expect(await p.exists(join(root, "inbox", "Course", "Ch 3", ODD))).toBe(false);
      expect(await p.findByName(join(root, "completed"), ODD)).toEqual([join(root, "completed", "Course", "Ch 3", ODD)]);
      expect(await p.findByName(join(root, "completed"), "nope.m4a")).toEqual([]);
    });

    test("paths from logs that are not absolute, or carry a newline, are never probed", async () => {
      const p = hostFileProbe(host);
      expect(await p.exists("-rf")).toBe(false);
      expect(await p.exists("relative/x")).toBe(false);
      expect(await p.findByName("-delete", "x")).toEqual([]);
      expect(await p.findByName(root, "a/b")).toEqual([]);
      expect(await p.exists(`${root}\n/etc/passwd`)).toBe(false);
    });

    test("the seed 000 table comes out the same through this host", async () => {
      const rows = await staleTable([{ jobId: "1", path: join(root, "inbox", "Course", "Ch 3", ODD) }, { jobId: "2", path: join(root, "inbox", "x.m4a") }], hostFileProbe(host));
      expect(rows.map((r) => [r.file, r.completedPath !== undefined])).toEqual([[ODD, true], ["x.m4a", false]]);
    });
  });
}

test("glob characters are escaped for find -name", () => {
  expect(escapeFindGlob("a*b?[c]\\d")).toBe("a\\*b\\?\\[c\\]\\\\d");
});

probeContract("LocalHost", async () => new LocalHost());

describe.skipIf(avail.missing !== undefined)(`over SSH ${avail.missing ?? ""}`, () => {
  let sshd: SshdInstance;
  beforeAll(async () => { sshd = await startSshd(); });
  afterAll(async () => { await sshd?.stop(); });
  probeContract("SshHost", async () =>
    new SshHost({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] } }),
  );
});

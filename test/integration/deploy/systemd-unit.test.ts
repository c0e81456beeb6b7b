// deploy/systemd: the unit, its Docker drop-in and the sysusers entry, checked by systemd's own tools, with broken twins.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeTempDir, requireProgram } from "../../harness/program.js";

const DEPLOY = fileURLToPath(new URL("../../../deploy/systemd/", import.meta.url));
const UNIT = readFileSync(join(DEPLOY, "firewatch.service"), "utf8");
const DOCKER_DROP_IN = readFileSync(join(DEPLOY, "firewatch.service.d/docker.conf"), "utf8");
const SYSUSERS = readFileSync(join(DEPLOY, "firewatch.sysusers.conf"), "utf8");
const ACTUATOR = readFileSync(join(DEPLOY, "firewatch-actuator.service"), "utf8");

const analyze = requireProgram("systemd-analyze", "systemd");
const sysusers = requireProgram("systemd-sysusers", "systemd");

let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await makeTempDir("unit");
});
afterAll(async () => {
  await dir.remove();
});

/**
 * `systemd-analyze verify` exits 0 on most mistakes: a misspelt key, a bad value or an unknown syscall group is
 * printed ("..., ignoring") and the unit loads without that line. So a unit passes only when verify exits 0 AND
 * prints nothing. verify also requires ExecStart's binary to exist; /usr/bin/node is the unit's path, and where
 * this machine's node lives elsewhere the copy points at it instead (only that path, nothing else is rewritten).
 */
function verify(unitText: string, name = "firewatch.service"): { ok: boolean; output: string } {
  const text = existsSync("/usr/bin/node") ? unitText : unitText.replaceAll("/usr/bin/node ", `${process.execPath} `);
  const file = join(dir.path, name);
  writeFileSync(file, text);
  const r = spawnSync(analyze.path ?? "systemd-analyze", ["verify", "--man=no", file], { encoding: "utf8", env: { ...process.env, SYSTEMD_LOG_COLOR: "0" } });
  const output = `${r.stdout}${r.stderr}`.trim();
  return { ok: r.status === 0 && output === "", output };
}

/** The offline exposure score (0 safest .. 10 unsafe) of `systemd-analyze security`. */
function exposure(unitText: string): number {
  const file = join(dir.path, "scored.service");
  writeFileSync(file, unitText);
  const r = spawnSync(analyze.path ?? "systemd-analyze", ["security", "--offline=true", "--no-pager", file], { encoding: "utf8" });
  const m = /Overall exposure level for scored\.service: (\d+(?:\.\d+)?)/.exec(r.stdout);
  if (!m?.[1]) throw new Error(`no exposure level in: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/** `key=value` lines of the unit (the last one wins, as in systemd). */
function settings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2]);
  }
  return out;
}

describe.skipIf(analyze.missing !== undefined)("deploy/systemd/firewatch.service", () => {
  test("systemd-analyze verify accepts it without a single warning", () => {
    expect(verify(UNIT)).toEqual({ ok: true, output: "" });
  });

  test.each([
    ["a misspelt key", "NoNewPrivileges=yes", "NoNewPrivilege=yes", /Unknown key 'NoNewPrivilege'/],
    ["a bad Restart value", "Restart=on-failure", "Restart=sometimes", /restart specifier/],
    ["an unknown syscall group", "SystemCallFilter=@system-service", "SystemCallFilter=@no-such-set", /Unknown system call group/],
    ["an unknown address family", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK", "RestrictAddressFamilies=AF_UNIX AF_BOGUS", /address family/],
    ["a missing ExecStart binary", "ExecStart=/usr/bin/node ", "ExecStart=/usr/bin/no-such-node ", /no-such-node is not executable/],
    ["a misspelt section", "[Service]", "[Servce]", /Unknown section 'Servce'/],
  ])("fails on %s", (_name, from, to, message) => {
    expect(UNIT).toContain(from);
    const broken = verify(UNIT.replace(from, to));
    expect(broken.ok).toBe(false);
    expect(broken.output).toMatch(message);
  });

  test("with the Docker drop-in applied it still verifies, and adds only the docker group", () => {
    expect(verify(`${UNIT}\n${DOCKER_DROP_IN}`)).toEqual({ ok: true, output: "" });
    expect([...settings(DOCKER_DROP_IN)]).toEqual([["SupplementaryGroups", "docker"]]);
  });

  test("is hardened as documented: the settings the operations guide promises are there", () => {
    const s = settings(UNIT);
    expect(s.get("ExecStart")).toBe("/usr/bin/node --max-old-space-size=512 --max-semi-space-size=4 /opt/firewatch/dist/cli.js watch --config /etc/firewatch/firewatch.yaml");
    expect(Object.fromEntries(["User", "Group", "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "SystemCallFilter", "Restart", "KillSignal", "KillMode", "StateDirectory"].map((k) => [k, s.get(k)]))).toEqual({
      User: "firewatch",
      Group: "firewatch",
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      SystemCallFilter: "@system-service",
      Restart: "on-failure",
      KillSignal: "SIGTERM",
      KillMode: "mixed",
      StateDirectory: "firewatch",
    });
    expect(s.get("RestrictAddressFamilies")?.split(" ")).toEqual(expect.arrayContaining(["AF_UNIX", "AF_INET", "AF_INET6"]));
    expect(s.get("SupplementaryGroups")?.split(" ")).toEqual(["systemd-journal", "adm"]);
    expect(s.get("TimeoutStopSec")).toMatch(/^\d+s$/);
    // V8's JIT needs writable+executable memory: this line would make node abort at start.
    expect(s.has("MemoryDenyWriteExecute")).toBe(false);
  });

  test("systemd-analyze security rates it OK (exposure at most 2.5), and the same unit without its sandbox much worse", () => {
    const hardened = exposure(UNIT);
    expect(hardened).toBeLessThanOrEqual(2.5);
    const sandbox = /^(NoNewPrivileges|Protect\w+|Private\w+|Restrict\w+|LockPersonality|RemoveIPC|CapabilityBoundingSet|AmbientCapabilities|SystemCall\w+|UMask)=.*$/gm;
    const bare = UNIT.replace(sandbox, "");
    expect(exposure(bare)).toBeGreaterThan(hardened + 4);
  });
});

describe.skipIf(analyze.missing !== undefined)("deploy/systemd/firewatch-actuator.service", () => {
  test("systemd-analyze verify accepts it without a single warning, and catches a broken twin", () => {
    expect(verify(ACTUATOR, "firewatch-actuator.service")).toEqual({ ok: true, output: "" });
    expect(verify(ACTUATOR.replace("RuntimeDirectoryMode=0750", "RuntimeDirectoryMode=0x750"), "firewatch-actuator.service").ok).toBe(false);
  });

  test("root cut down to the capabilities its actions need, the socket directory made for it, the rest read-only", () => {
    const s = settings(ACTUATOR);
    expect(s.get("ExecStart")).toMatch(/ actuator --config \/etc\/firewatch\/firewatch\.yaml$/);
    expect(s.get("User")).toBe("root");
    expect(s.get("CapabilityBoundingSet")?.split(" ").sort()).toEqual(["CAP_CHOWN", "CAP_DAC_READ_SEARCH", "CAP_KILL", "CAP_NET_ADMIN", "CAP_SYS_PTRACE"]);
    expect(s.get("AmbientCapabilities")).toBe("");
    expect(s.get("RuntimeDirectory")).toBe("firewatch");
    expect(s.get("RuntimeDirectoryMode")).toBe("0750");
    expect(s.get("Group")).toBe("firewatch");
    expect(s.get("ProtectSystem")).toBe("strict");
    expect(s.get("NoNewPrivileges")).toBe("yes");
    expect(s.has("ProtectProc")).toBe(false);
  });

  test("systemd-analyze security rates it OK (exposure at most 3.5) though it runs as root", () => {
    expect(exposure(ACTUATOR)).toBeLessThanOrEqual(3.5);
  });
});

describe.skipIf(sysusers.missing !== undefined)("deploy/systemd/firewatch.sysusers.conf", () => {
  function dryRun(text: string): { status: number | null; output: string } {
    const r = spawnSync(sysusers.path ?? "systemd-sysusers", [`--root=${dir.path}`, "--dry-run", "-"], { input: text, encoding: "utf8" });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }

  test("systemd-sysusers would create the firewatch user and group, with no login shell", () => {
    const r = dryRun(SYSUSERS);
    expect(r.status).toBe(0);
    expect(r.output).toMatch(/Creating group 'firewatch'/);
    expect(r.output).toMatch(/Creating user 'firewatch' \(firewatch incident analyzer\)/);
    expect(SYSUSERS).toMatch(/^u firewatch - "[^"]+" \/var\/lib\/firewatch \/usr\/sbin\/nologin$/m);
  });

  test("a broken entry is refused", () => {
    const r = dryRun(SYSUSERS.replace(/^u firewatch/m, "q firewatch"));
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/Unknown command type 'q'/);
  });
});

// `firewatch act` and `firewatch audit` in-process on a file store: usage errors, refusals, filters, exit codes.
import { userInfo } from "node:os";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { spawn } from "node:child_process";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { localActor, registerAct } from "../../../src/cli/act.js";
import { registerAudit } from "../../../src/cli/audit.js";
import { registerIncidents } from "../../../src/cli/incidents.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { requireProgram } from "../../harness/program.js";
import { REPO, SECRET, seed000Incident } from "./act-helpers.js";

let dir: string;
let cfg: string;
let out: string;
let err: string;
let code: number;

async function cli(args: readonly string[], env: NodeJS.ProcessEnv = { FIREWATCH_GUARD__SECRET: SECRET }): Promise<{ out: string; code: number }> {
  out = "";
  err = "";
  code = 0;
  const program = new Command("firewatch").exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, stdin: new PassThrough(), env, clock: systemClock, setExitCode: (c: number) => { code = c; } };
  registerAct(program, io.setExitCode, io);
  registerAudit(program, io);
  registerIncidents(program, io);
  await program.parseAsync(["node", "firewatch", ...args]);
  return { out, code };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-cli-act-"));
  cfg = join(dir, "firewatch.yaml");
  await writeFile(cfg, [
    "store:",
    `  url: file:${join(dir, "state")}`,
    "guard:",
    "  actions:",
    "    kill_port_owner:",
    `      users: ["${localActor()}"]`,
    "      channels: [cli]",
    "      hosts: [local]",
    '      targets: ["api"]',
    '      ports: ["1-65535"]',
    "",
  ].join("\n"));
  const store = await FileStore.open(join(dir, "state"), { clock: systemClock });
  await store.upsert(seed000Incident({ fingerprint: "c0ffee00000000000000000000000001", host: "local", container: "api", port: 1, at: Date.now() - 60_000 }));
  await store.close();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ID = "fw-c0ffee00";

describe("firewatch act", () => {
  test("usage errors name what is wrong", async () => {
    await expect(cli(["act", "reboot_host", "--incident", ID, "--config", cfg])).rejects.toMatchObject({ code: "usage", message: expect.stringContaining('unknown action "reboot_host"') });
    await expect(cli(["act", "kill_port_owner", "--config", cfg])).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("--incident ID is required") });
    await expect(cli(["act", "kill_port_owner", "--incident", "fw-nothere", "--config", cfg])).rejects.toMatchObject({ code: "usage", message: expect.stringContaining('no incident "fw-nothere"') });
    await expect(cli(["act", "kill_port_owner", "--incident", ID, "--config", cfg, "--param", "pid"])).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("expected KEY=VALUE") });
    await expect(cli(["act", "approve", "--config", cfg])).rejects.toMatchObject({ code: "usage" });
    await expect(cli(["act", "kill_port_owner", "--incident", ID, "--config", cfg, "--host", "prod-db"])).rejects.toMatchObject({ code: "usage", message: expect.stringContaining('host "prod-db" is not in the hosts of firewatch.yaml (known: local)') });
  });

  test("without a token secret nothing is offered: config_invalid with the variable to set", async () => {
    await expect(cli(["act", "kill_port_owner", "--incident", ID, "--config", cfg], {})).rejects.toMatchObject({ code: "config_invalid", message: expect.stringContaining("FIREWATCH_GUARD__SECRET") });
  });

  test("stdin that is not a terminal and no --yes: refused before anything is requested", async () => {
    await expect(cli(["act", "kill_port_owner", "--incident", ID, "--config", cfg, "--param", "pid=4000000"])).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("pass --yes") });
    expect(out).toContain("command   kill -TERM 4000000");
    const audit = await cli(["audit", "--incident", ID, "--kind", "remediation", "--config", cfg]);
    expect(audit.out).toBe(`No audit entries in the file store ${join(dir, "state")}.\n`);
  });

  test("a PID of 1 is refused by the guard and audited; audit filters by actor, action and time", async () => {
    const r = await cli(["act", "kill_port_owner", "--incident", ID, "--config", cfg, "--param", "pid=1", "--yes"]);
    expect(r.out).toContain("refused (invalid_params): invalid parameters: pid: PID must be between 2 and 4194304");
    expect(r.code).toBe(1);
    const text = await cli(["audit", "--config", cfg, "--action", "action.refused"]);
    // One set of filters over every kind: the incident's creation is there by default, not with --kind remediation.
    expect((await cli(["audit", "--config", cfg])).out).toMatch(/ {2}firewatch {2}incident\.created {2}fw-c0ffee00 {2}fingerprint=/);
    expect((await cli(["audit", "--config", cfg, "--kind", "remediation"])).out).not.toContain("incident.created");
    expect((await cli(["incidents", "audit", "--config", cfg, "--kind", "remediation", "--format", "json"])).out).toBe((await cli(["audit", "--config", cfg, "--kind", "remediation", "--format", "json"])).out);
    await expect(cli(["audit", "--config", cfg, "--kind", "everything"])).rejects.toMatchObject({ code: "usage" });
    expect(text.out).toMatch(/^\S+Z {2}cli:\S+ {2}refused {2}fw-c0ffee00 {2}kill_port_owner; on local; reason invalid_params; detail: invalid parameters: pid: PID must be between 2 and 4194304\n$/);
    expect((await cli(["audit", "--config", cfg, "--action", "kill_port_owner", "--format", "json"])).out).toContain('"reason": "invalid_params"');
    expect((await cli(["audit", "--config", cfg, "--actor", "cli:someone-else"])).out).toMatch(/^No audit entries in the file store /);
    expect((await cli(["audit", "--config", cfg, "--since", "2099-01-01"])).out).toMatch(/^No audit entries in the file store /);
    await expect(cli(["audit", "--config", cfg, "--since", "yesterday-ish"])).rejects.toMatchObject({ code: "usage" });
  });

  test("a file store admits one process: a destructive request does not wait, it exits 3 with the approval id", async () => {
    const r = await cli(["act", "kill_port_owner", "--incident", ID, "--config", cfg, "--param", "pid=4000000", "--yes"]);
    expect(r.out).toMatch(/approval [0-9a-f]{20} requested by cli:/);
    expect(r.out).toContain("not waiting: the file store admits one process at a time");
    expect(r.code).toBe(3);
    const id = /approval ([0-9a-f]{20})/.exec(r.out)?.[1] ?? "";
    const self = await cli(["act", "approve", id, "--config", cfg, "--yes"]);
    expect(self.out).toContain("refused (same_person)");
    expect(self.code).toBe(1);
    // Asked again for the same action and target: the pending request is shown, no second one is made.
    const again = await cli(["act", "kill_port_owner", "--incident", ID, "--config", cfg, "--param", "pid=4000000", "--yes"]);
    expect(again.out).toMatch(new RegExp(`approval ${id} already pending, requested by ${localActor()}; until `));
    expect(again.code).toBe(3);
    const audit = await cli(["audit", "--incident", ID, "--config", cfg]);
    expect(audit.out.match(/approval_requested/g), audit.out).toHaveLength(1);
  });

  test("--format json: stdout is one JSON object (refused, pending), the plan goes to stderr", async () => {
    const bad = await cli(["act", "kill_port_owner", "--incident", ID, "--config", cfg, "--param", "pid=1", "--yes", "--format", "json"]);
    expect(JSON.parse(bad.out)).toEqual({ status: "refused", reason: "invalid_params", detail: "invalid parameters: pid: PID must be between 2 and 4194304" });
    expect(err).toContain("params    port=1 (finding eaddrinuse_loop)");
    const pending = await cli(["act", "kill_port_owner", "--incident", ID, "--config", cfg, "--param", "pid=4000000", "--yes", "--format", "json"]);
    expect(JSON.parse(pending.out)).toMatchObject({ status: "pending", approvalId: expect.stringMatching(/^[0-9a-f]{20}$/), expiresAt: expect.any(Number) });
    expect(pending.code).toBe(3);
    expect(err).toContain("command   kill -TERM 4000000");
  });

  test("offers: none without probe results; with a proven rogue, the command to run", async () => {
    expect((await cli(["act", "offers", "--incident", ID, "--config", cfg])).out).toBe(`No action is offered for ${ID}: none of its rules' actions is backed by its probe results and enabled in the guard config.\n`);
    const store = await FileStore.open(join(dir, "state"), { clock: systemClock });
    await store.setProbes(ID, [{
      probe: "port_owner", params: { port: 1, container: "api" }, host: "local", at: Date.now(), ok: true,
      summary: "rogue process: port 1 held by PID 4000000 (node)", data: { port: 1, pid: 4000000, ppid: 1, command: "node x.js", user: userInfo().username, holders: [4000000], container: "api", inContainer: false, rogue: true },
    }]);
    await store.close();
    const r = await cli(["act", "offers", "--incident", ID, "--config", cfg]);
    expect(r.out).toBe(`Kill PID 4000000 holding :1: PID 4000000 (node) holds 1 outside container api, PPID 1\n  firewatch act kill_port_owner --incident ${ID} --host local --param pid=4000000 --param port=1 --param container=api\n`);
    expect(JSON.parse((await cli(["act", "offers", "--incident", ID, "--config", cfg, "--format", "json"])).out)).toMatchObject([{ action: "kill_port_owner", params: { pid: "4000000" } }]);
    // And act itself takes the PID from that stored result.
    await cli(["act", "kill_port_owner", "--incident", ID, "--config", cfg, "--dry-run"]);
    expect(out).toContain("pid=4000000 (probe port_owner)");
  });

  // On a terminal act asks before anything is requested. `script` gives the process a real pty to ask on.
  const script = requireProgram("script", "util-linux");
  test.skipIf(script.missing !== undefined)(`on a terminal: 'n' requests nothing, 'y' requests the approval ${script.missing ?? ""}`, async () => {
    const run = (answer: string) =>
      new Promise<{ stdout: string }>((resolve) => {
        const cmd = `${process.execPath} --import tsx src/cli.ts act kill_port_owner --incident ${ID} --config ${cfg} --param pid=4000000`;
        const child = spawn("script", ["-qec", cmd, "/dev/null"], { cwd: REPO, env: { ...process.env, FIREWATCH_GUARD__SECRET: SECRET }, stdio: ["pipe", "pipe", "inherit"] });
        let stdout = "";
        child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
        child.once("close", () => resolve({ stdout }));
        child.stdin.end(answer);
      });
    const no = await run("n\n");
    expect(no.stdout).toContain("Ask a second person to approve this? [y/N]");
    expect(no.stdout).toContain("not confirmed; nothing was done");
    expect((await cli(["audit", "--incident", ID, "--kind", "remediation", "--config", cfg])).out).toMatch(/^No audit entries in /);
    const yes = await run("y\n");
    expect(yes.stdout).toMatch(/approval [0-9a-f]{20} requested by cli:/);
    expect((await cli(["audit", "--incident", ID, "--config", cfg])).out).toMatch(/approval_requested {2}fw-c0ffee00/);
  }, 90_000);
});

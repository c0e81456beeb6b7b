// sudoers and polkit rules name exactly the configured restart targets; visudo accepts what is written.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHostExecutor, GuardConfigSchema, polkitRules, sudoersRules } from "../../../src/actions/index.js";
import type { Host } from "../../../src/hosts/index.js";
import { requireProgram } from "../../harness/program.js";

const visudo = requireProgram("visudo", "sudo");

const who = { users: ["U_ALICE"], channels: ["C_OPS"] };
const config = GuardConfigSchema.parse({
  actions: {
    restart_unit: { ...who, hosts: ["web*"], targets: ["transcription-palantir.service", "worker@2.service", "api", "db-*"] },
    restart_container: { ...who, hosts: ["web1"], targets: ["palantir-api", "ingester-?"] },
    kill_port_owner: { ...who, hosts: ["web1"], targets: ["*"], ports: [9003] },
  },
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-rules-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** visudo's verdict on a file: 0 parses. */
async function check(text: string): Promise<{ status: number | null; out: string }> {
  const file = join(dir, `sudoers-${Math.random().toString(16).slice(2)}`);
  await writeFile(file, text, { mode: 0o440 });
  const r = spawnSync(visudo.path ?? "visudo", ["-c", "-f", file], { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("sudoersRules", () => {
  test("exactly the named units and containers of the host, as the argv firewatch sends; patterns are left out and said", () => {
    const r = sudoersRules(config, { host: "web1", user: "firewatch", dockerHost: "unix:///run/docker.sock" }, "/etc/firewatch/firewatch.yaml");
    expect(r.granted).toEqual({ restart_unit: ["transcription-palantir.service", "worker@2.service", "api"], restart_container: ["palantir-api"] });
    expect(r.skipped).toEqual([expect.stringContaining('"db-*"'), expect.stringContaining('"ingester-?"')]);
    const commands = r.text.split("\n").filter((l) => !l.startsWith("#")).join("\n");
    expect(commands).toContain("/usr/bin/systemctl restart transcription-palantir.service");
    expect(commands).toContain("/usr/bin/docker -H unix\\:///run/docker.sock restart palantir-api");
    expect(commands).toMatch(/^firewatch ALL=\(root\) NOPASSWD: FIREWATCH_RESTARTS$/m);
    // Nothing but the configured names: no wildcard, no kill, no pattern target.
    expect(commands).not.toMatch(/\*|kill|db-|ingester/);
  });

  test("visudo accepts the output (and refuses a broken file, so the check can fail)", async () => {
    if (visudo.missing !== undefined) return;
    const r = sudoersRules(config, { host: "web1", user: "firewatch", dockerHost: "unix:///run/docker.sock" }, "test");
    expect(await check(r.text)).toMatchObject({ status: 0 });
    expect(await check(sudoersRules(config, { host: "db9", user: "firewatch" }, "test").text)).toMatchObject({ status: 0 });
    expect((await check("firewatch ALL=(root) NOPASSWD: /usr/bin/docker -H unix:///x restart\n")).status).not.toBe(0);
  });

  test("another host gets only what its own policy lists; a bad user name is refused", () => {
    expect(sudoersRules(config, { host: "web2", user: "firewatch" }, "x").granted).toEqual({ restart_unit: ["transcription-palantir.service", "worker@2.service", "api"], restart_container: [] });
    expect(sudoersRules(config, { host: "db9", user: "firewatch" }, "x").text).toContain("Nothing to grant");
    expect(() => sudoersRules(config, { host: "web1", user: "root ALL=(ALL) ALL" }, "x")).toThrow(/not a user name/);
  });
});

describe("polkitRules", () => {
  test("manage-units for the user, verb restart, the named units by full name only", () => {
    const r = polkitRules(config, { host: "web1", user: "firewatch" }, "x");
    expect(r.granted.restart_unit).toEqual(["transcription-palantir.service", "worker@2.service", "api.service"]);
    expect(r.text).toContain('action.id === "org.freedesktop.systemd1.manage-units" && subject.user === "firewatch"');
    expect(r.text).toContain('action.lookup("verb") === "restart"');
    expect(r.text).toContain('var units = ["transcription-palantir.service","worker@2.service","api.service"];');
    expect(r.text.split("\n").filter((l) => !l.startsWith("//")).join("\n")).not.toMatch(/db-|palantir-api/);
    // It is a script polkit can load: it parses as JavaScript and answers YES only for the named restart.
    const answers: unknown[] = [];
    const polkit = { Result: { YES: "yes", NOT_HANDLED: "no" }, addRule: (f: (a: unknown, s: unknown) => unknown) => {
      const ask = (unit: string, verb: string, user = "firewatch") => f({ id: "org.freedesktop.systemd1.manage-units", lookup: (k: string) => (k === "unit" ? unit : verb) }, { user });
      answers.push(ask("api.service", "restart"), ask("api.service", "stop"), ask("db-1.service", "restart"), ask("api.service", "restart", "mallory"));
    } };
    new Function("polkit", r.text)(polkit);
    expect(answers).toEqual(["yes", "no", "no", "no"]);
  });
});

describe("createHostExecutor with sudo", () => {
  test("restarts on a sudo host run as `sudo -n …`; a kill never does", async () => {
    const ran: (readonly string[])[] = [];
    const fake: Host = {
      name: "web1",
      exec: (argv) => {
        ran.push(argv);
        return Promise.resolve({ code: 0, signal: null, stdout: "", stderr: "", truncated: false, timedOut: false });
      },
      spawn: () => Promise.reject(new Error("no")),
      close: () => Promise.resolve(),
    };
    const exec = createHostExecutor({ host: () => fake, cleanFailedJobs: () => Promise.resolve({ removed: 0, detail: "" }), sudo: (h) => h === "web1" });
    await exec({ kind: "argv", host: "web1", argv: ["systemctl", "restart", "api.service"] });
    await exec({ kind: "argv", host: "web1", argv: ["docker", "restart", "palantir-api"] });
    await exec({ kind: "argv", host: "web1", argv: ["kill", "-TERM", "1234"] });
    await exec({ kind: "argv", host: "web2", argv: ["systemctl", "restart", "api.service"] });
    expect(ran).toEqual([
      ["sudo", "-n", "systemctl", "restart", "api.service"],
      ["sudo", "-n", "docker", "restart", "palantir-api"],
      ["kill", "-TERM", "1234"],
      ["systemctl", "restart", "api.service"],
    ]);
  });
});

// What `firewatch doctor` concludes from the rights read on a host: per enabled action, can it run, how, what to grant.
import { describe, expect, test } from "vitest";
import { actionReadiness, countListeners, GuardConfigSchema, hasCapKill, hasRestartRule, type HostRights } from "../../../src/actions/index.js";

const who = { users: ["U_ALICE"], channels: ["C_OPS"] };
const actions = {
  kill_port_owner: { ...who, hosts: ["*"], targets: ["*"], ports: [9003] },
  restart_unit: { ...who, hosts: ["*"], targets: ["transcription-palantir.service"] },
  restart_container: { ...who, hosts: ["*"], targets: ["palantir-api"] },
  clean_failed_jobs: { ...who, hosts: ["*"], targets: ["transcription"] },
};
const plain = GuardConfigSchema.parse({ actions });
const withActuator = GuardConfigSchema.parse({ actions, actuator: { hosts: ["local"] } });
const withSudo = GuardConfigSchema.parse({ actions, sudo: ["web*"] });

const firewatchUser: HostRights = { host: "local", user: "firewatch", uid: 998, canSignal: false, listeners: { total: 5, hidden: 3 }, docker: false, sudo: undefined, polkit: undefined, actuator: undefined };
const SUDO_L = [
  "User firewatch may run the following commands on web1:",
  "    (root) NOPASSWD: /usr/bin/systemctl restart transcription-palantir.service,",
  "        /usr/bin/docker -H unix\\:///run/docker.sock restart palantir-api",
].join("\n");

const verdicts = (r: ReturnType<typeof actionReadiness>) => Object.fromEntries(r.map((a) => [a.action, a.ok]));

describe("actionReadiness", () => {
  test("an unprivileged user with nothing granted: only the queue cleanup can run, each other says what to grant", () => {
    const r = actionReadiness(plain, "local", firewatchUser);
    expect(verdicts(r)).toEqual({ kill_port_owner: false, restart_unit: false, restart_container: false, clean_failed_jobs: true });
    expect(r.find((a) => a.action === "kill_port_owner")).toMatchObject({ how: expect.stringContaining("sees 3 of 5 listeners without their process"), grant: expect.stringContaining("firewatch actuator") });
    expect(r.find((a) => a.action === "restart_unit")?.grant).toContain("firewatch doctor --sudoers --user firewatch --host local");
  });

  test("with the actuator answering as root, everything it enables runs through it; unreachable, nothing does", () => {
    const up = actionReadiness(withActuator, "local", { ...firewatchUser, actuator: { ok: true, uid: 0, actions: ["kill_port_owner", "restart_unit", "restart_container"] } });
    expect(verdicts(up)).toEqual({ kill_port_owner: true, restart_unit: true, restart_container: true, clean_failed_jobs: true });
    const down = actionReadiness(withActuator, "local", { ...firewatchUser, actuator: { ok: false, why: "cannot reach the actuator at /run/firewatch/actuator.sock: EACCES" } });
    expect(verdicts(down)).toEqual({ kill_port_owner: false, restart_unit: false, restart_container: false, clean_failed_jobs: true });
    expect(down[0]?.how).toContain("EACCES");
  });

  test("sudo rules listing every named target make the restarts runnable on a sudo host; kill still needs the actuator", () => {
    const r = actionReadiness(withSudo, "web1", { ...firewatchUser, host: "web1", sudo: SUDO_L });
    expect(verdicts(r)).toEqual({ kill_port_owner: false, restart_unit: true, restart_container: true, clean_failed_jobs: true });
    const missingOne = actionReadiness(withSudo, "web1", { ...firewatchUser, host: "web1", sudo: SUDO_L.replace("palantir-api", "other-api") });
    expect(verdicts(missingOne).restart_container).toBe(false);
  });

  test("root runs everything but a container restart without a Docker daemon", () => {
    expect(verdicts(actionReadiness(plain, "local", { ...firewatchUser, user: "root", uid: 0, canSignal: true }))).toEqual({ kill_port_owner: true, restart_unit: true, restart_container: false, clean_failed_jobs: true });
  });
});

describe("reading the rights", () => {
  test("CAP_KILL is bit 5 of CapEff", () => {
    expect(hasCapKill("CapEff:\t0000000000000020\n")).toBe(true);
    expect(hasCapKill("CapEff:\t000001ffffffffff\n")).toBe(true);
    expect(hasCapKill("CapEff:\t0000000000000000\n")).toBe(false);
  });

  test("ss -ltnpH: listeners without a users column are another user's", () => {
    expect(countListeners([
      'LISTEN 0 511 0.0.0.0:9003 0.0.0.0:* users:(("node",pid=1573680,fd=21))',
      "LISTEN 0 128 127.0.0.1:6379 0.0.0.0:*",
      "ESTAB 0 0 127.0.0.1:1 127.0.0.1:2",
    ].join("\n"))).toEqual({ total: 2, hidden: 1 });
  });

  test("sudo -n -l: the exact restart of the exact target, by any path of the program", () => {
    expect(hasRestartRule(SUDO_L, "systemctl", "transcription-palantir.service")).toBe(true);
    expect(hasRestartRule(SUDO_L, "docker", "palantir-api")).toBe(true);
    expect(hasRestartRule(SUDO_L, "systemctl", "palantir-api")).toBe(false);
    expect(hasRestartRule(SUDO_L, "systemctl", "transcription-palantir")).toBe(false);
    expect(hasRestartRule(undefined, "docker", "palantir-api")).toBe(false);
  });
});

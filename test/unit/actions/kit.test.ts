// The token secret from config, the kit wired from it, and the params an incident suggests for an action.
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import fc from "fast-check";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ACTION_IDS, ACTIONS, createGuardKit, createHostExecutor, dockerHostOf, GuardConfigSchema, readGuardSecret, suggestParams, type ParamSources } from "../../../src/actions/index.js";
import { LocalHost, type Host } from "../../../src/hosts/index.js";
import { SECRET, tempStore, testClock } from "./support.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-secret-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readGuardSecret", () => {
  test("from guard.secret (the env variable), or from a file only its owner may read", async () => {
    expect(await readGuardSecret({ secret: SECRET.toString("utf8") })).toEqual(SECRET);
    const file = join(dir, "secret");
    await writeFile(file, `${SECRET.toString("utf8")}\n`, { mode: 0o600 });
    expect(await readGuardSecret({ secretFile: file })).toEqual(SECRET);
    await chmod(file, 0o644);
    await expect(readGuardSecret({ secretFile: file })).rejects.toMatchObject({ code: "config_invalid", message: expect.stringContaining("chmod 600") });
  });

  test("none, both, too short, or unreadable: config_invalid with a hint", async () => {
    await expect(readGuardSecret({})).rejects.toMatchObject({ code: "config_invalid", message: expect.stringMatching(/no action token secret[\s\S]*FIREWATCH_GUARD__SECRET/) });
    await expect(readGuardSecret({ secret: "x".repeat(40), secretFile: "/nonexistent" })).rejects.toMatchObject({ code: "config_invalid" });
    const short = join(dir, "short");
    await writeFile(short, "too-short", { mode: 0o600 });
    await expect(readGuardSecret({ secretFile: short })).rejects.toMatchObject({ message: expect.stringContaining("is 9 bytes; at least 32") });
    await expect(readGuardSecret({ secretFile: join(dir, "missing") })).rejects.toMatchObject({ code: "config_invalid", message: expect.stringContaining("cannot read") });
  });

  test("the schema refuses a short secret and accepts a secret file", () => {
    expect(GuardConfigSchema.safeParse({ secret: "short" }).success).toBe(false);
    expect(GuardConfigSchema.parse({ secretFile: "/etc/firewatch/secret" }).secretFile).toBe("/etc/firewatch/secret");
  });
});

describe("createGuardKit", () => {
  test("tokens from one kit are redeemed once across two kits on the same store", async () => {
    const clock = testClock();
    const { store, cleanup } = await tempStore(clock);
    const host = new LocalHost();
    try {
      const config = GuardConfigSchema.parse({ secret: SECRET.toString("utf8") });
      const a = await createGuardKit({ config, store, clock, host: () => host });
      const b = await createGuardKit({ config, store, clock, host: () => host });
      const token = a.tokens.issueToken({ incident: "fw-1", action: "restart_unit", params: { unit: "x.service" }, host: "local" }, 60_000);
      expect((await b.tokens.redeemToken(token)).ok).toBe(true);
      expect(await a.tokens.redeemToken(token)).toEqual({ ok: false, reason: "replayed" });
      expect(await a.executor({ kind: "clean_failed_jobs", host: "local", queue: "q" })).toEqual({ ok: false, detail: "no job queue is configured for this firewatch" });
    } finally {
      await host.close();
      await cleanup();
    }
  });
});

describe("dockerHostOf", () => {
  test("each host's docker commands go to the daemon its docker source reads; no socketPath: docker's default", async () => {
    const of = dockerHostOf({ sources: [
      { kind: "file", host: "local" },
      { kind: "docker", host: "box", socketPath: "/run/box.sock" },
      { kind: "docker", socketPath: "/tmp/d/dock.sock" },
      { kind: "docker", host: "plain" },
    ] });
    expect([of("local"), of("box"), of("plain"), of("unknown")]).toEqual(["unix:///tmp/d/dock.sock", "unix:///run/box.sock", undefined, undefined]);
    const seen: string[] = [];
    const fake = (name: string): Host => ({ name, spawn: () => Promise.reject(new Error("no")), close: () => Promise.resolve(), exec: (argv) => { seen.push(`${name}: ${argv.join(" ")}`); return Promise.resolve({ code: 0, signal: null, stdout: "", stderr: "", truncated: false, timedOut: false }); } });
    const exec = createHostExecutor({ host: fake, cleanFailedJobs: () => Promise.reject(new Error("no")), dockerHost: of });
    await exec({ kind: "argv", host: "box", argv: ["docker", "restart", "api"] });
    await exec({ kind: "argv", host: "plain", argv: ["docker", "restart", "api"] });
    expect(seen).toEqual(["box: docker -H unix:///run/box.sock restart api", "plain: docker restart api"]);
  });
});

describe("suggestParams", () => {
  const seed000: ParamSources = {
    service: "transcription-palantir.service",
    findings: [
      { rule: "eaddrinuse_loop", fields: { port: "9003" } },
      { rule: "systemd_restart_loop", fields: { unit: "transcription-palantir.service" } },
    ],
    probes: [
      { probe: "port_owner", params: { port: 9003, unit: "transcription-palantir.service" }, host: "mithrandir", at: 1, ok: true, summary: "", data: { pid: 1000, rogue: true } },
      { probe: "port_owner", params: { port: 9003, unit: "transcription-palantir.service" }, host: "mithrandir", at: 2, ok: true, summary: "", data: { pid: 1573680, rogue: true } },
      { probe: "port_owner", params: { port: 9003 }, host: "mithrandir", at: 3, ok: false, summary: "ss failed" },
    ],
  };

  test("seed 000: port from the finding, unit from the finding, PID from the newest probe that named a rogue", () => {
    expect(suggestParams("kill_port_owner", seed000)).toEqual({
      port: { value: "9003", from: "finding eaddrinuse_loop" },
      unit: { value: "transcription-palantir.service", from: "finding systemd_restart_loop" },
      pid: { value: "1573680", from: "probe port_owner" },
    });
    expect(suggestParams("restart_unit", seed000)).toEqual({ unit: { value: "transcription-palantir.service", from: "finding systemd_restart_loop" } });
  });

  test("a container named by a finding makes the container form; no PID when no probe proved a rogue", () => {
    const docker: ParamSources = { service: "api", findings: [{ rule: "eaddrinuse_loop", fields: { port: "9003" } }, { rule: "docker_restart_loop", fields: { container: "api" } }], probes: [{ probe: "port_owner", ok: true, at: 1, params: { port: 9003, container: "api" }, data: { pid: 55, rogue: false } }] };
    expect(suggestParams("kill_port_owner", docker)).toEqual({ port: { value: "9003", from: "finding eaddrinuse_loop" }, container: { value: "api", from: "finding docker_restart_loop" } });
    expect(suggestParams("restart_container", docker)).toEqual({ container: { value: "api", from: "finding docker_restart_loop" } });
  });

  test("probe results that are not in the expected shape are ignored", () => {
    const odd: ParamSources = { service: undefined, findings: [], probes: [null, "x", { probe: "port_owner", ok: true, at: 1, params: {}, data: { pid: "1; id", rogue: true } }] };
    expect(suggestParams("kill_port_owner", odd)).toEqual({});
  });

  test("whatever a log line put in a finding, a suggestion either fails the action's validators or builds a clean argv", () => {
    let built = 0;
    const text = fc.oneof(fc.string(), fc.constantFrom("9003", "1573680", "api", "x.service", "$(id)", "foo; rm -rf /", "-x", "1", "0", "a b", "`id`"));
    fc.assert(
      fc.property(fc.constantFrom(...ACTION_IDS), text, text, text, text, text, (action, port, unit, container, queue, service) => {
        const src: ParamSources = { service, findings: [{ rule: "r", fields: { port, unit, container, queue } }], probes: [{ probe: "port_owner", ok: true, at: 1, params: { port }, data: { pid: 42, rogue: true } }] };
        const params = Object.fromEntries(Object.entries(suggestParams(action, src)).map(([k, v]) => [k, v.value]));
        const parsed = ACTIONS[action].params.safeParse(params);
        if (!parsed.success) return;
        built++;
        const cmd = ACTIONS[action].command(parsed.data, "h");
        const args = cmd.kind === "argv" ? cmd.argv.slice(1) : [cmd.queue];
        for (const a of args) expect(a).toMatch(/^(?:-TERM|--user|restart|[A-Za-z0-9_][A-Za-z0-9:_.@-]*)$/);
      }),
      { numRuns: 2000 },
    );
    // Not vacuous: plenty of the suggestions were valid and built an argv.
    expect(built).toBeGreaterThan(100);
  });
});

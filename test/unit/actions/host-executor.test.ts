// The host executor over a real LocalHost: argv runs as given (never a shell), exits and failures become results.
import { spawn } from "node:child_process";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { createHostExecutor } from "../../../src/actions/index.js";
import { LocalHost, type Host } from "../../../src/hosts/index.js";

const host = new LocalHost({ name: "here" });
afterAll(async () => {
  await host.close();
});

const cleaner = { cleanFailedJobs: () => Promise.resolve({ removed: 0, detail: "" }) };
const exec = createHostExecutor({ host: (n) => (n === "here" ? host : undefined), ...cleaner, timeoutMs: 5_000 });

function sleeper(): { pid: number; gone: Promise<string | null> } {
  const child = spawn("sleep", ["60"], { stdio: "ignore" });
  if (child.pid === undefined) throw new Error("sleep did not start");
  return { pid: child.pid, gone: new Promise((r) => child.once("exit", (_c, sig) => r(sig))) };
}

describe("createHostExecutor", () => {
  test("runs kill's argv on the named host: the process gets SIGTERM and the result is ok", async () => {
    const s = sleeper();
    const r = await exec({ kind: "argv", host: "here", argv: ["kill", "-TERM", String(s.pid)] });
    expect(r).toEqual({ ok: true, detail: "kill on here: exit 0" });
    expect(await s.gone).toBe("SIGTERM");
  });

  test("a non-zero exit is ok:false with stderr in the detail", async () => {
    const r = await exec({ kind: "argv", host: "here", argv: ["kill", "-TERM", "4194000"] });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^kill on here ended with exit 1: .*(No such process|no such process)/);
  });

  test("shell text in an argument stays one literal argument: nothing expands it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fw-exec-"));
    try {
      const canary = join(dir, "canary");
      const r = await exec({ kind: "argv", host: "here", argv: ["kill", "-TERM", `$(touch ${canary})`] });
      expect(r.ok).toBe(false);
      await expect(access(canary)).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a command past its timeout is stopped and reported as failed", async () => {
    const quick = createHostExecutor({ host: () => host, ...cleaner, timeoutMs: 200 });
    const r = await quick({ kind: "argv", host: "here", argv: ["sleep", "5"] });
    expect(r).toEqual({ ok: false, detail: "sleep on here took longer than 200 ms and was stopped" });
  });

  test("an unknown host and a missing command run nothing and say why", async () => {
    expect(await exec({ kind: "argv", host: "elsewhere", argv: ["kill", "-TERM", "2"] })).toEqual({ ok: false, detail: 'no configured host named "elsewhere"; nothing ran' });
    const r = await exec({ kind: "argv", host: "here", argv: ["no-such-command-fw", "x"] });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/command not found: no-such-command-fw/);
  });

  test("output is kept to one line of at most 500 characters", async () => {
    const r = await exec({ kind: "argv", host: "here", argv: ["printf", "%s\\n\\033[31m%s", "a".repeat(800), "red"] });
    expect(r.ok).toBe(true);
    expect(r.detail.includes("\n") || r.detail.includes("\u001b")).toBe(false);
    expect(r.detail.length).toBe(500);
  });

  test("clean_failed_jobs goes to the injected cleaner, and its failure is a result, not a throw", async () => {
    const calls: string[] = [];
    const ok = createHostExecutor({ host: () => undefined, cleanFailedJobs: (h, q) => { calls.push(`${h}/${q}`); return Promise.resolve({ removed: 7, detail: "3 skipped" }); } });
    expect(await ok({ kind: "clean_failed_jobs", host: "mithrandir", queue: "transcription" })).toEqual({ ok: true, detail: "removed 7 failed jobs of transcription: 3 skipped" });
    expect(calls).toEqual(["mithrandir/transcription"]);
    const bad = createHostExecutor({ host: () => undefined, cleanFailedJobs: () => Promise.reject(new Error("redis down")) });
    expect(await bad({ kind: "clean_failed_jobs", host: "mithrandir", queue: "transcription" })).toEqual({ ok: false, detail: "redis down" });
  });

  test("docker commands go to the configured daemon with -H; a docker host that is not a URL runs nothing", async () => {
    const seen: (readonly string[])[] = [];
    const recording: Host = { name: "here", spawn: (a, o) => host.spawn(a, o), close: () => Promise.resolve(), exec: (argv: readonly string[]) => { seen.push(argv); return Promise.resolve({ code: 0, signal: null, stdout: "api\n", stderr: "", truncated: false, timedOut: false }); } };
    const viaH = createHostExecutor({ host: () => recording, ...cleaner, dockerHost: "unix:///run/d.sock" });
    expect(await viaH({ kind: "argv", host: "here", argv: ["docker", "restart", "api"] })).toEqual({ ok: true, detail: "docker on here: exit 0: api" });
    expect(await viaH({ kind: "argv", host: "here", argv: ["kill", "-TERM", "42"] })).toMatchObject({ ok: true });
    expect(seen).toEqual([["docker", "-H", "unix:///run/d.sock", "restart", "api"], ["kill", "-TERM", "42"]]);
    const bad = createHostExecutor({ host: () => recording, ...cleaner, dockerHost: "--config=/tmp/x" });
    expect(await bad({ kind: "argv", host: "here", argv: ["docker", "restart", "api"] })).toEqual({ ok: false, detail: 'docker host "--config=/tmp/x" is not unix://, tcp:// or ssh://; nothing ran' });
    expect(seen).toHaveLength(2);
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { LocalHost } from "../../../src/hosts/index.js";

describe("LocalHost", () => {
  const host = new LocalHost();

  test("passes argv without a shell", async () => {
    const r = await host.exec(["printf", "%s\\n", "$(id)", "; echo pwned"]);
    expect(r).toMatchObject({ code: 0, stdout: "$(id)\n; echo pwned\n", truncated: false, timedOut: false });
  });

  test("a non-zero exit is a result, not an error", async () => {
    const r = await host.exec(["sh", "-c", "echo oops >&2; exit 3"]);
    expect(r).toMatchObject({ code: 3, stderr: "oops\n" });
  });

  test("caps output and says so", async () => {
    const r = await host.exec(["sh", "-c", "yes | head -c 100000"], { maxOutputBytes: 1000 });
    expect(r.stdout.length).toBe(1000);
    expect(r.truncated).toBe(true);
  });

  test("a timeout stops the command", async () => {
    const r = await host.exec(["sleep", "30"], { timeoutMs: 100 });
    expect(r).toMatchObject({ code: null, signal: "SIGTERM", timedOut: true });
  });

  test("a missing command and a non-executable file are clear errors", async () => {
    await expect(host.exec(["no-such-command-fw"])).rejects.toMatchObject({ reason: "command_not_found" });
    const dir = await mkdtemp(join(tmpdir(), "fw-host-"));
    const plain = join(dir, "not-executable");
    await writeFile(plain, "echo hi\n", { mode: 0o644 });
    await expect(host.exec([plain])).rejects.toMatchObject({ reason: "permission_denied" });
    await expect(host.exec([])).rejects.toMatchObject({ reason: "invalid_argument" });
    await rm(dir, { recursive: true });
  });

  test("spawn streams stdout and close stops the process", async () => {
    const p = await host.spawn(["sh", "-c", "echo ready; exec sleep 30"]);
    const it = p.stdout[Symbol.asyncIterator]();
    const first = await it.next();
    expect(String(first.value)).toBe("ready\n");
    await p.close();
    await expect(p.exited).resolves.toMatchObject({ signal: "SIGTERM" });
  });

  test("an aborted signal stops a spawned process", async () => {
    const ac = new AbortController();
    const p = await host.spawn(["sleep", "30"], { signal: ac.signal });
    ac.abort();
    await expect(p.exited).resolves.toMatchObject({ code: null, signal: "SIGTERM" });
  });
});

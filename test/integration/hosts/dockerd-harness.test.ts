// Proves the dockerd starter works here: a container from the imported busybox image runs and its output comes back.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";

const avail = dockerdAvailability();

describe.skipIf(avail.missing !== undefined)(`dockerd harness ${avail.missing ?? ""}`, () => {
  let dockerd: DockerdInstance;
  beforeAll(async () => {
    dockerd = await startDockerd();
  });
  afterAll(async () => {
    await dockerd?.stop();
  });

  test("a busybox container runs a shell command and exits with its code", async () => {
    const out = await dockerd.docker(["run", "--name", "hello", "--network", "host", dockerd.image, "sh", "-c", "echo hello-from-busybox; exit 3"]).catch((e: Error) => e.message);
    expect(out).toContain("hello-from-busybox");
    const code = await dockerd.docker(["inspect", "-f", "{{.State.ExitCode}}", "hello"]);
    expect(code.trim()).toBe("3");
  }, 90_000);
});

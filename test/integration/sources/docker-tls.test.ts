// A Docker source on a TCP daemon with mutual TLS (dockerd --tlsverify): logs through the verified connection, and the
// failures an operator meets: no TLS, a certificate that does not match its key, a file that is not there.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isFirewatchError } from "../../../src/errors.js";
import type { LogRecord } from "../../../src/parsers/index.js";
import { DockerSourceConfig, followContainerLogs, localDockerClient } from "../../../src/sources/index.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";

const avail = dockerdAvailability();

test("the config takes a tcp daemon with TLS files and refuses a daemon that is not tcp://HOST:PORT", () => {
  const tls = { ca: "/etc/firewatch/ca.pem", cert: "/etc/firewatch/cert.pem", key: "/etc/firewatch/key.pem" };
  expect(DockerSourceConfig.parse({ daemon: "tcp://10.0.0.5:2376", tls })).toMatchObject({ daemon: "tcp://10.0.0.5:2376", tls });
  for (const daemon of ["http://10.0.0.5:2376", "tcp://10.0.0.5", "tcp://h:1; rm -rf /"]) expect(DockerSourceConfig.safeParse({ daemon }).success).toBe(false);
  expect(DockerSourceConfig.safeParse({ daemon: "tcp://h:2376", tls: { ca: "a", cert: "b" } }).success).toBe(false);
  const refused = (entry: Parameters<typeof localDockerClient>[0]) => {
    try {
      localDockerClient(entry);
      return "accepted";
    } catch (e) {
      return isFirewatchError(e) && e.code === "config_invalid" ? e.message : String(e);
    }
  };
  expect(refused({ socketPath: "/var/run/docker.sock", daemon: "tcp://h:2376" })).toMatch(/either socketPath or daemon/);
  expect(refused({ tls })).toMatch(/tls needs daemon/);
  expect(refused({ daemon: "tcp://127.0.0.1:2376", tls: { ...tls, ca: "/nonexistent/ca.pem" } })).toBe("docker source: cannot read the TLS CA file /nonexistent/ca.pem (ENOENT)");
});

describe.skipIf(avail.missing !== undefined)(`Docker source on a TLS daemon ${avail.missing ?? ""}`, () => {
  let dockerd: DockerdInstance;
  let tls: NonNullable<DockerdInstance["tls"]>;
  beforeAll(async () => {
    dockerd = await startDockerd({ tls: true });
    if (dockerd.tls === undefined) throw new Error("the harness started no TLS listener");
    tls = dockerd.tls;
  }, 180_000);
  afterAll(async () => {
    await dockerd?.stop();
  });

  test("logs are read through the verified TLS connection", async () => {
    await dockerd.docker(["run", "-d", "--name", "tls-app", dockerd.image, "sh", "-c", "for i in 1 2 3; do echo line $i; done; sleep 30"]);
    const docker = localDockerClient({ daemon: tls.url, tls: { ca: tls.ca, cert: tls.cert, key: tls.key } });
    const ac = new AbortController();
    const logs = followContainerLogs({ docker, container: "tls-app", signal: ac.signal, pollMs: 50 });
    const got: LogRecord[] = [];
    while (got.length < 3) {
      const r = await logs.next();
      if (r.done) break;
      got.push(r.value);
    }
    ac.abort();
    expect(got.map((r) => r.message)).toEqual(["line 1", "line 2", "line 3"]);
  }, 60_000);

  test("plain HTTP to the TLS daemon is refused, a certificate that does not match its key fails, the right pair works", async () => {
    await expect(localDockerClient({ daemon: tls.url }).version()).rejects.toThrow();
    const wrong = localDockerClient({ daemon: tls.url, tls: { ca: tls.ca, cert: tls.ca, key: tls.key } });
    await expect(wrong.version()).rejects.toThrow();
    const right = localDockerClient({ daemon: tls.url, tls: { ca: tls.ca, cert: tls.cert, key: tls.key } });
    expect((await right.version()).ApiVersion).toMatch(/^\d+\.\d+$/);
  }, 60_000);
});

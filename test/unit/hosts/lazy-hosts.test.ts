import { describe, expect, test } from "vitest";
import { lazyHosts } from "../../../src/hosts/index.js";

describe("lazyHosts", () => {
  test("hands out configured hosts, opens each on its first command, and knows no other name", async () => {
    const hosts = lazyHosts({ box: { kind: "local" } });
    const box = hosts.host("box");
    expect(box?.name).toBe("box");
    const ran = await box?.exec(["echo", "$(id)"]);
    // argv, not a shell: the text arrives as it is.
    expect(ran?.stdout).toBe("$(id)\n");
    expect(hosts.host("local")).toBeUndefined();
    expect(hosts.host("constructor")).toBeUndefined();
    await hosts.close();
  });

  test("implicitLocal makes 'local' this machine even when the config lists only other hosts", async () => {
    const hosts = lazyHosts({}, { implicitLocal: true });
    expect((await hosts.host("local")?.exec(["echo", "here"]))?.stdout).toBe("here\n");
    expect(hosts.host("web1")).toBeUndefined();
    await hosts.close();
  });

  test("a host that is never asked is never opened: an unreadable SSH key fails only on first use", async () => {
    const hosts = lazyHosts({ web1: { kind: "ssh", host: "127.0.0.1", port: 1, user: "x", privateKeyFile: "/nonexistent/key", fingerprints: ["SHA256:" + "A".repeat(43)], keepalive: 15_000, connectAttempts: 1 } });
    const web1 = hosts.host("web1");
    expect(web1).toBeDefined();
    await expect(web1?.exec(["true"])).rejects.toThrow(/cannot read the private key \/nonexistent\/key/);
    await hosts.close();
  });
});

describe("lazyHosts and unix sockets", () => {
  test("a local host has no link to open a unix socket through: refused with the reason, nothing opened", async () => {
    const hosts = lazyHosts({ box: { kind: "local" } });
    await expect(hosts.host("box")?.openUnixSocket?.("/run/firewatch/actuator.sock")).rejects.toMatchObject({ reason: "invalid_argument", message: expect.stringMatching(/box is this machine: connect to \/run\/firewatch\/actuator.sock directly/) });
    await hosts.close();
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, storeSpecOf } from "../../../src/config/index.js";
import { FirewatchError, FirewatchErrors } from "../../../src/errors.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(text: string, name = "firewatch.yaml"): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** The config_invalid message for `text`, or fails the test when it loads. */
async function errorOf(text: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const file = await write(text);
  const e: unknown = await loadConfig({ file, env }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FirewatchError);
  expect((e as FirewatchError).code).toBe("config_invalid");
  return (e as FirewatchError).message.replace(file, "firewatch.yaml");
}

describe("loadConfig: the example", () => {
  it("loads examples/firewatch.yaml with its three sources, the file store and defaults filled in", async () => {
    const c = await loadConfig({ file: "examples/firewatch.yaml", env: {} });
    expect(c.sources.map((s) => s.kind)).toEqual(["file", "journald", "docker"]);
    expect(c.sources.every((s) => s.host === "local")).toBe(true);
    const file = c.sources[0];
    expect(file?.kind === "file" && file.poll).toBe(250);
    expect(c.guard.tokenTtl).toBe(15 * 60_000);
    expect(storeSpecOf(c, {})).toEqual({ kind: "sqlite", path: "/var/lib/firewatch/firewatch.db" });
    expect(c.health).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(c.slack).toBeUndefined();
    expect(c.llm).toBeUndefined();
  });

  it("without a file gives the defaults: the local host, no sources, the default data directory", async () => {
    const c = await loadConfig({ env: { HOME: "/home/op" } });
    expect(c.hosts).toEqual({ local: { kind: "local" } });
    expect(c.sources).toEqual([]);
    expect(storeSpecOf(c, { HOME: "/home/op" })).toEqual({ kind: "sqlite", path: "/home/op/.local/state/firewatch/firewatch.db" });
  });
});

describe("loadConfig: sections a command does not use", () => {
  it("a slack section without its secrets in the environment loads for a command that says Slack is unused", async () => {
    const file = await write("slack:\n  routing: { channel: C0ONCALL }\nguard:\n  actions: {}\n", "unused.yaml");
    expect(await errorOf("slack:\n  routing: { channel: C0ONCALL }\n")).toMatch(/slack\.botToken: missing/);
    const c = await loadConfig({ file, env: { FIREWATCH_SLACK__BOT_TOKEN: "xoxb-1" }, unused: ["slack", "llm"] });
    expect(c.slack).toBeUndefined();
    // What the command does use is still checked.
    await writeFile(file, "slack:\n  routing: { channel: C0ONCALL }\nguard:\n  nonsense: 1\n");
    await expect(loadConfig({ file, env: {}, unused: ["slack"] })).rejects.toThrow(/guard\.nonsense: unknown key/);
  });
});

describe("loadConfig: every error names file:line, the field and what is expected", () => {
  it("a wrong type", async () => {
    expect(await errorOf("health:\n  host: 0.0.0.0\n  port: high\n")).toBe('firewatch.yaml:3 health.port: expected number, got string');
  });

  it("a missing field inside the second source (the line of that list item)", async () => {
    const text = "sources:\n  - kind: journald\n  - kind: file\n    startAt: end\n";
    expect(await errorOf(text)).toBe("firewatch.yaml:3 sources[1].paths: missing (expected array)");
  });

  it("a value out of its enum", async () => {
    expect(await errorOf("sources:\n  - kind: file\n    paths: [/a]\n    startAt: middle\n")).toMatch(/^firewatch\.yaml:4 sources\[0\]\.startAt: expected one of "beginning"\|"end"/);
  });

  it("an unknown source kind", async () => {
    expect(await errorOf("sources:\n  - kind: syslog\n")).toMatch(/^firewatch\.yaml:2 sources\[0\]\.kind: /);
  });

  it("an unknown key, on its own line, at the top and nested", async () => {
    expect(await errorOf("hosts: {}\nsoruces: []\n")).toBe("firewatch.yaml:2 soruces: unknown key (did you mean sources?)");
    expect(await errorOf("outputs:\n  jsonLines: true\n  reprotDir: /tmp\n")).toBe("firewatch.yaml:3 outputs.reprotDir: unknown key (did you mean reportDir?)");
    expect(await errorOf("sources:\n  - kind: docker\n    events: true\n    socket: /run/docker.sock\n")).toBe("firewatch.yaml:4 sources[0].socket: unknown key");
  });

  it("a source on a host that is not configured", async () => {
    expect(await errorOf("sources:\n  - kind: journald\n    host: web1\n")).toBe('firewatch.yaml:3 sources[0].host: no host "web1" in hosts (known: local)');
  });

  it("an ssh host without a pinned key (the line of that host)", async () => {
    const text = "hosts:\n  web1:\n    kind: ssh\n    host: 10.0.0.5\n    user: fw\n    privateKeyFile: /k\n";
    expect(await errorOf(text)).toMatch(/^firewatch\.yaml:2 hosts\.web1\.fingerprints: pin the host key/);
  });

  it("a store url that is none of sqlite:, file:, redis://", async () => {
    expect(await errorOf("\nstore:\n  url: /var/lib/fw\n")).toBe('firewatch.yaml:3 store.url: expected "sqlite:FILE", "file:DIR" or "redis://HOST:PORT"');
  });

  it("a model setting readLlmConfig refuses", async () => {
    expect(await errorOf("llm:\n  model: m\n  maxAttempts: 10\n", { FIREWATCH_LLM__API_KEY: "sk-1" })).toMatch(/^firewatch\.yaml:3 llm\.maxAttempts: model configuration invalid: FIREWATCH_LLM__MAX_ATTEMPTS/);
  });

  it("an unknown model setting", async () => {
    expect(await errorOf("llm:\n  model: m\n  baseUrl: http://127.0.0.1:8080/v1\n  temperature: 0.2\n")).toBe("firewatch.yaml:4 llm.temperature: unknown key");
  });

  it("a model on a local endpoint needs no key; OpenAI's own does, and the message says which variable", async () => {
    const local = await loadConfig({ file: await write("llm:\n  model: m\n  baseUrl: http://127.0.0.1:8080/v1\n"), env: {} });
    expect(local.llm).toMatchObject({ model: "m", baseUrl: "http://127.0.0.1:8080/v1" });
    expect(local.llm?.apiKey).toBeUndefined();
    expect(await errorOf("llm:\n  model: m\n")).toMatch(/llm: model configuration invalid: FIREWATCH_LLM__API_KEY: api\.openai\.com needs a key .* a local endpoint set with FIREWATCH_LLM__BASE_URL needs none$/);
  });

  it("a secret written in the file, pointing at the variable to use", async () => {
    const text = "slack:\n  routing: { channel: C0123ABC }\n  botToken: xoxb-123\n";
    const msg = await errorOf(text);
    // Listed with the other problem of the file (no signing secret in the environment).
    expect(msg.split("\n")[1]?.trim()).toBe("firewatch.yaml:3 slack.botToken: a secret: set FIREWATCH_SLACK__BOT_TOKEN in the environment instead of writing it here");
    expect(msg).not.toContain("xoxb-123");
  });

  it("the guard's token secret written in the file", async () => {
    const msg = await errorOf("guard:\n  secret: 0123456789abcdef0123456789abcdef\n");
    expect(msg).toBe("firewatch.yaml:2 guard.secret: a secret: set FIREWATCH_GUARD__SECRET in the environment instead of writing it here");
    expect(msg).not.toContain("0123456789abcdef");
  });

  it("broken YAML and an unreadable file", async () => {
    expect(await errorOf("hosts:\n  local: {kind: local\nsources: []\n")).toMatch(/^firewatch\.yaml:\d+ not valid YAML/);
    await expect(loadConfig({ file: join(dir, "absent.yaml"), env: {} })).rejects.toThrow(/absent\.yaml: cannot read the config file \(ENOENT\)/);
  });

  it("a file that is a list, not a mapping", async () => {
    expect(await errorOf("- a\n- b\n")).toBe("firewatch.yaml:1 (top level): expected a mapping of sections (hosts, sources, store, ...)");
  });
});

describe("loadConfig: every problem at once", () => {
  it("four mistakes in one file are four lines, misspelt keys with the key they meant", async () => {
    const file = await write("sourcs: []\nhosts:\n  web1: { kind: ssh, hots: 10.0.0.5, user: fw }\nhealth:\n  port: high\nslack:\n  botToken: xoxb-1\n");
    const e: unknown = await loadConfig({ file, env: {} }).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(FirewatchErrors);
    expect((e as FirewatchErrors).problems.map((p) => p.message.replace(file, "firewatch.yaml")).sort()).toEqual([
      "firewatch.yaml:1 sourcs: unknown key (did you mean sources?)",
      "firewatch.yaml:3 hosts.web1.host: missing (expected string)",
      "firewatch.yaml:3 hosts.web1.hots: unknown key (did you mean host?)",
      "firewatch.yaml:5 health.port: expected number, got string",
      "firewatch.yaml:6 slack.routing: missing (expected object)",
      "firewatch.yaml:7 slack.botToken: a secret: set FIREWATCH_SLACK__BOT_TOKEN in the environment instead of writing it here",
    ]);
  });
});

describe("loadConfig: unknown keys (property)", () => {
  const SECTIONS = ["hosts", "sources", "rules", "store", "slack", "guard", "llm", "outputs", "health"];
  it("names any misspelt section at its own line, after any number of comment lines", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,15}$/).filter((k) => !SECTIONS.includes(k)),
        fc.nat(20),
        async (key, comments) => {
          const text = `${"# note\n".repeat(comments)}health:\n  port: 1\n${key}: 1\n`;
          expect(await errorOf(text)).toMatch(new RegExp(`^firewatch\\.yaml:${comments + 3} ${key}: unknown key(?: \\(did you mean (?:${SECTIONS.join("|")})\\?\\))?$`));
        },
      ),
      { numRuns: 40 },
    );
  });
});

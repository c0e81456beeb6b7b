import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import fc from "fast-check";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerConfig } from "../../../src/cli/config.js";
import { loadConfig, showConfig } from "../../../src/config/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-config-env-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SLACK_ENV = { FIREWATCH_SLACK__BOT_TOKEN: "xoxb-111-secret", FIREWATCH_SLACK__SIGNING_SECRET: "signing-secret-222", FIREWATCH_SLACK__ROUTING__CHANNEL: "C0123ABC" };

describe("environment overrides", () => {
  it("set a top-level section, a nested one, and parse a number where the schema wants one", async () => {
    const c = await loadConfig({
      file: "examples/firewatch.yaml",
      env: { ...SLACK_ENV, FIREWATCH_STORE__URL: "redis://127.0.0.1:6380", FIREWATCH_HEALTH__PORT: "9999", FIREWATCH_SLACK__SOCKET_MODE: "false" },
    });
    expect(c.store.url).toBe("redis://127.0.0.1:6380");
    expect(c.health.port).toBe(9999);
    expect(c.slack?.botToken).toBe("xoxb-111-secret");
    expect(c.slack?.routing.channel).toBe("C0123ABC");
    expect(c.slack?.socketMode).toBe(false);
  });

  it("win over the file, split lists on commas, and read the FIREWATCH_LLM__* variables the report floor reads", async () => {
    const file = join(dir, "a.yaml");
    await writeFile(file, "health:\n  port: 1000\nrules:\n  dirs: [/from-file]\n");
    const c = await loadConfig({
      file,
      env: { FIREWATCH_HEALTH__PORT: "2000", FIREWATCH_RULES__DIRS: "/a, /b", FIREWATCH_LLM__MODEL: "gpt-x", FIREWATCH_LLM__API_KEY: "sk-9", FIREWATCH_LLM__PRICE_PER_1K_INPUT: "0.5" },
    });
    expect(c.health.port).toBe(2000);
    expect(c.rules.dirs).toEqual(["/a", "/b"]);
    expect(c.llm).toMatchObject({ model: "gpt-x", apiKey: "sk-9", pricePer1kInput: 0.5, maxAttempts: 3 });
  });

  it("leave variables that name no section alone (FIREWATCH_DATA_DIR is the store's)", async () => {
    const c = await loadConfig({ env: { FIREWATCH_DATA_DIR: "/d", FIREWATCH_CONFIG: "/etc/fw.yaml", FIREWATCH_DEBUG: "1" } });
    expect(c.sources).toEqual([]);
  });

  it("name the variable, not a line, when its value is wrong, and never echo the value", async () => {
    const run = loadConfig({ env: { FIREWATCH_HEALTH__PORT: "ninety" } });
    await expect(run).rejects.toThrow(/^env FIREWATCH_HEALTH__PORT health\.port: expected number/);
    const bad = loadConfig({ env: { ...SLACK_ENV, FIREWATCH_SLACK__BOT_TOKEN: "not-a-token-333" } });
    await expect(bad).rejects.toThrow(/^env FIREWATCH_SLACK__BOT_TOKEN slack\.botToken: a bot token starting with "xoxb-"/);
    await expect(bad).rejects.not.toThrow(/333/);
    await expect(loadConfig({ env: { FIREWATCH_HEALTH__PROT: "1" } })).rejects.toThrow(/^env FIREWATCH_HEALTH__PROT health\.prot: unknown key/);
  });

  it("keep a value that looks like shell or YAML a plain string", async () => {
    const shelly = "$(touch /tmp/pwned); `id` ~ ${HOME} | true";
    const file = join(dir, "shell.yaml");
    await writeFile(file, 'outputs:\n  reportDir: "$(rm -rf /) ~"\n');
    const fromFile = await loadConfig({ file, env: {} });
    expect(fromFile.outputs.reportDir).toBe("$(rm -rf /) ~");
    const fromEnv = await loadConfig({ env: { FIREWATCH_OUTPUTS__REPORT_DIR: shelly, FIREWATCH_HEALTH__HOST: "~" } });
    expect(fromEnv.outputs.reportDir).toBe(shelly);
    expect(fromEnv.health.host).toBe("~");
  });
});

describe("show", () => {
  it("prints durations as the config reads them (15m, 250ms), so the output pasted back is the same config", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fw-show-"));
    const original = await loadConfig({ file: "examples/watch-localhost.yaml", env: {} });
    const text = showConfig(original);
    expect(text).toMatch(/\bpoll: 250ms\n/);
    expect(text).toMatch(/\btokenTtl: 15m\n/);
    await writeFile(join(dir, "again.yaml"), text);
    expect(await loadConfig({ file: join(dir, "again.yaml"), env: {} })).toEqual(original);
    await rm(dir, { recursive: true, force: true });
  });

  it("masks every secret and a Redis password, keeping everything else", async () => {
    const env = { ...SLACK_ENV, FIREWATCH_LLM__MODEL: "m", FIREWATCH_LLM__API_KEY: "sk-444", FIREWATCH_STORE__URL: "redis://fw:pw555@127.0.0.1:6379/0" };
    const text = showConfig(await loadConfig({ file: "examples/firewatch.yaml", env }));
    for (const secret of ["xoxb-111-secret", "signing-secret-222", "sk-444", "pw555"]) expect(text).not.toContain(secret);
    const shown = parse(text) as { slack: Record<string, unknown>; llm: Record<string, unknown>; store: { url: string }; health: { port: number } };
    expect(shown.slack["botToken"]).toBe("***");
    expect(shown.slack["signingSecret"]).toBe("***");
    expect(shown.llm["apiKey"]).toBe("***");
    expect(shown.llm["model"]).toBe("m");
    expect(shown.store.url).toBe("redis://fw:***@127.0.0.1:6379/0");
    expect(shown.health.port).toBe(9464);
  });

  it("masks the guard's token secret from the environment", async () => {
    const secret = "guard-secret-0123456789abcdef0123456789";
    const text = showConfig(await loadConfig({ file: "examples/firewatch.yaml", env: { FIREWATCH_GUARD__SECRET: secret } }));
    expect(text).not.toContain(secret);
    expect((parse(text) as { guard: Record<string, unknown> }).guard["secret"]).toBe("***");
  });

  it("masks a secret whatever its value (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), async (key) => {
        const text = showConfig(await loadConfig({ env: { FIREWATCH_LLM__MODEL: "m", FIREWATCH_LLM__API_KEY: `k${key}` } }));
        expect((parse(text) as { llm: { apiKey: string } }).llm.apiKey).toBe("***");
      }),
      { numRuns: 50 },
    );
  });
});

describe("firewatch config show / check", () => {
  async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    let out = "";
    const program = new Command().exitOverride();
    registerConfig(program, { stdout: { write: (s: string) => (out += s) }, env });
    await program.parseAsync(["node", "firewatch", ...args]);
    return out;
  }

  it("check accepts the example and says what it found", async () => {
    // The example's /var/log/syslog may not exist on this machine: then a warning line follows.
    expect(await run(["config", "check", "--config", "examples/firewatch.yaml"])).toMatch(/^examples\/firewatch\.yaml: valid \(1 host, 3 sources, slack off\)\n/);
  });

  it("check warns about a file source's path that does not exist, and stays valid", async () => {
    const file = join(dir, "missing-path.yaml");
    await writeFile(file, `sources:\n  - { kind: file, name: app, paths: [${join(dir, "no-such.log")}] }\n`);
    expect(await run(["config", "check", "--config", file])).toBe(`${file}: valid (1 host, 1 source, slack off)\nwarning: source app: ${join(dir, "no-such.log")} does not exist (it is read once it appears)\n`);
  });

  it("check rejects an invalid file with config_invalid (exit 2 in program.ts)", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(file, "hosts: {}\nsoruces: []\n");
    await expect(run(["config", "check", "--config", file])).rejects.toMatchObject({ code: "config_invalid", message: `${file}:2 soruces: unknown key (did you mean sources?)` });
  });

  it("show reads $FIREWATCH_CONFIG and masks secrets", async () => {
    const out = await run(["config", "show"], { FIREWATCH_CONFIG: "examples/firewatch.yaml", ...SLACK_ENV });
    expect(out).toContain("botToken: \"***\"");
    expect(out).not.toContain("xoxb-111-secret");
    expect(out).toContain("/var/log/syslog");
  });
});

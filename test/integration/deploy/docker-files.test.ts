// deploy/docker: what can be checked without pulling a base image. The compose file through docker-compose's own
// validation, the Dockerfile through dockerfile-utils' linter, and every path either one names exists in the repository.
// Not checked here (node:20-slim cannot be pulled on these machines): that the image builds and runs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DockerfileParser } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { makeTempDir, requireProgram } from "../../harness/program.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DOCKER_DIR = join(ROOT, "deploy/docker");
const DOCKERFILE = readFileSync(join(DOCKER_DIR, "Dockerfile"), "utf8");
const COMPOSE = readFileSync(join(DOCKER_DIR, "compose.yaml"), "utf8");
const IGNORE = readFileSync(join(DOCKER_DIR, "Dockerfile.dockerignore"), "utf8");

describe("deploy/docker/Dockerfile", () => {
  test("dockerfile-utils finds no problem in it", () => {
    expect(validate(DOCKERFILE).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  test("the linter does catch a broken Dockerfile (unknown instruction, bad flag, missing arguments)", () => {
    const broken = DOCKERFILE.replace("RUN npm install", "RUNN npm install").replace("--interval=30s", "--intervl=30s").replace(/^USER firewatch$/m, "USER");
    const messages = validate(broken).map((d) => d.message);
    expect(messages).toEqual(expect.arrayContaining(["Unknown instruction: RUNN", "Unknown flag: intervl", "Instruction has no arguments"]));
  });

  test("builds from node:20-slim in two stages and runs as the non-root firewatch user", () => {
    const df = DockerfileParser.parse(DOCKERFILE);
    expect(df.getFROMs().map((f) => f.getImageName() + ":" + f.getImageTag())).toEqual(["node:20-slim", "node:20-slim"]);
    const users = df.getInstructions().filter((i) => i.getKeyword() === "USER").map((i) => i.getArgumentsContent());
    expect(users.at(-1)).toBe("firewatch");
    const entry = df.getInstructions().find((i) => i.getKeyword() === "ENTRYPOINT")?.getArgumentsContent();
    expect(entry).toBe('["node", "--max-old-space-size=512", "--max-semi-space-size=4", "/opt/firewatch/dist/cli.js"]');
  });

  test("every file the build stage copies from the context exists and is not excluded by Dockerfile.dockerignore", () => {
    const df = DockerfileParser.parse(DOCKERFILE);
    const allowed = IGNORE.split("\n").filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/\*\*$/, ""));
    const sources: string[] = [];
    for (const copy of df.getCOPYs()) {
      if (copy.getFromFlag() !== null) continue; // from the build stage, not the context
      sources.push(...copy.getArguments().map((a) => a.getValue()).slice(0, -1));
    }
    expect(sources.length).toBeGreaterThan(3);
    for (const src of sources) {
      expect(existsSync(join(ROOT, src)), `${src} exists in the repository`).toBe(true);
      expect(allowed.some((a) => src.replace(/\/$/, "") === a || src.startsWith(`${a}/`)), `${src} is let through by Dockerfile.dockerignore`).toBe(true);
    }
    // `npm run build` in the build stage runs every script and reads every tsconfig its command names: each is copied.
    const build = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { build: string } }).scripts.build;
    const needed = [...build.matchAll(/\b((?:scripts\/[\w.-]+\.mjs)|(?:tsconfig[\w.-]*\.json))\b/g)].map((m) => m[1] ?? "");
    expect(needed).toEqual(expect.arrayContaining(["scripts/copy-assets.mjs", "scripts/bundle.mjs", "tsconfig.build.json"]));
    for (const file of needed) expect(sources, `${file} (run by npm run build) is copied into the build stage`).toContain(file);
  });
});

const compose = requireProgram("docker-compose", "docker-compose");

describe.skipIf(compose.missing !== undefined)("deploy/docker/compose.yaml", () => {
  let dir: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    dir = await makeTempDir("compose");
  });
  afterAll(async () => {
    await dir.remove();
  });

  /**
   * `docker-compose config` validates against Compose's schema and resolves the build context, so it runs on a copy
   * laid out like the repository (context ../.. must exist) with the two files an operator writes (firewatch.yaml,
   * firewatch.env) present and empty. No daemon is needed.
   */
  function config(text: string): { status: number | null; stdout: string; stderr: string } {
    const d = join(dir.path, "deploy/docker");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "compose.yaml"), text);
    writeFileSync(join(d, "Dockerfile"), DOCKERFILE);
    writeFileSync(join(d, "firewatch.yaml"), "");
    writeFileSync(join(d, "firewatch.env"), "");
    const r = spawnSync(compose.path ?? "docker-compose", ["-f", join(d, "compose.yaml"), "config"], { encoding: "utf8", env: { ...process.env, FIREWATCH_DOCKER_GID: "", FIREWATCH_JOURNAL_GID: "" } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test("docker-compose config accepts it, read-only, with no capabilities and the socket and journal mounted read-only", () => {
    const r = config(COMPOSE);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const resolved = parse(r.stdout) as { services: { firewatch: Record<string, unknown> } };
    const svc = resolved.services.firewatch;
    expect(svc).toMatchObject({
      read_only: true,
      user: "firewatch",
      cap_drop: ["ALL"],
      security_opt: ["no-new-privileges:true"],
      init: true,
      stop_signal: "SIGTERM",
      group_add: ["999", "101"],
      ports: ["127.0.0.1:9464:9464/tcp"],
      build: { context: dir.path, dockerfile: "deploy/docker/Dockerfile" },
    });
    expect(svc.volumes).toEqual(
      expect.arrayContaining([
        "/var/run/docker.sock:/var/run/docker.sock:ro",
        "/var/log/journal:/var/log/journal:ro",
        "/run/log/journal:/run/log/journal:ro",
        "firewatch-state:/var/lib/firewatch:rw",
      ]),
    );
    // Nothing of the host is mounted writable: the state volume is the one read-write mount.
    const writable = (svc.volumes as string[]).filter((v) => !v.endsWith(":ro"));
    expect(writable).toEqual(["firewatch-state:/var/lib/firewatch:rw"]);
  });

  test("the build context and Dockerfile it names exist in the repository", () => {
    const svc = (parse(COMPOSE) as { services: { firewatch: { build: { context: string; dockerfile: string } } } }).services.firewatch;
    const context = join(DOCKER_DIR, svc.build.context);
    expect(existsSync(join(context, svc.build.dockerfile))).toBe(true);
    expect(existsSync(join(context, "package.json"))).toBe(true);
  });

  test.each([
    ["a misspelt option", "    cap_drop:", "    cap_dorp:", /Unsupported config option for services\.firewatch: 'cap_dorp'/],
    ["a non-boolean", "read_only: true", "read_only: maybe", /not a valid boolean/],
  ])("docker-compose config refuses %s", (_name, from, to, message) => {
    expect(COMPOSE).toContain(from);
    const r = config(COMPOSE.replace(from, to));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});

describe("deploy/docker's firewatch.yaml and firewatch.env.example", () => {
  test("the shipped config is valid and reads the host's logs where the container sees them", async () => {
    const { loadConfig } = await import("../../../src/config/index.js");
    const config = await loadConfig({ file: join(DOCKER_DIR, "firewatch.yaml"), env: {} });
    const mounts = ((parse(COMPOSE) as { services: { firewatch: { volumes: string[] } } }).services.firewatch.volumes).map((v) => v.split(":")[1] ?? "");
    const files = config.sources.flatMap((s) => (s.kind === "file" ? s.paths : []));
    expect(files.length).toBeGreaterThan(0);
    for (const p of files) expect(mounts.some((m) => m !== "" && p.startsWith(`${m}/`)), `${p} is under a mount of compose.yaml`).toBe(true);
    expect(files.every((p) => p.startsWith("/host/var/log/"))).toBe(true);
    expect(config.sources.map((s) => s.kind)).toEqual(["file", "journald", "docker"]);
    expect(mounts).toEqual(expect.arrayContaining(["/var/log/journal", "/var/run/docker.sock", "/var/lib/firewatch"]));
    expect(config.store.url).toBe("sqlite:/var/lib/firewatch/firewatch.db");
  });

  test("the env example names only FIREWATCH_ variables and sets none (secrets are the operator's)", () => {
    const lines = readFileSync(join(DOCKER_DIR, "firewatch.env.example"), "utf8").split("\n").filter((l) => l.trim() !== "");
    expect(lines.every((l) => l.startsWith("#"))).toBe(true);
    const named = lines.flatMap((l) => /^# (FIREWATCH_[A-Z0-9_]+)=/.exec(l)?.[1] ?? []);
    expect(named).toEqual(expect.arrayContaining(["FIREWATCH_SLACK__BOT_TOKEN", "FIREWATCH_GUARD__SECRET"]));
  });
});

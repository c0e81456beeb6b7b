// A command loads only what it needs: help and `analyze` on files never load the SDKs of Slack, Redis, SQLite, Docker,
// SSH or OpenAI (hundreds of milliseconds each). Checked on the list of packages the process loaded, not on a time.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { COMMAND_INDEX } from "../../../src/cli/command-index.js";
import { fullProgram } from "../../../src/cli/program.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const HEAVY = ["@slack/bolt", "better-sqlite3", "bullmq", "dockerode", "ioredis", "openai", "pino", "ssh2"];
const tmp = mkdtempSync(path.join(tmpdir(), "fw-lazy-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let runs = 0;
/** The packages (node_modules/NAME) `firewatch ARGS` loaded. */
function packagesLoaded(args: readonly string[]): { packages: string[]; files: string[]; code: number | null } {
  const out = path.join(tmp, `loaded-${++runs}.txt`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--import", path.join(ROOT, "test/harness/loaded-modules.mjs"), path.join(ROOT, "src/cli.ts"), ...args], {
    cwd: ROOT, env: { ...process.env, FIREWATCH_LOADED_OUT: out, FIREWATCH_DATA_DIR: tmp }, encoding: "utf8", timeout: 60_000,
  });
  const lines = readFileSync(out, "utf8").split("\n");
  const names = lines.flatMap((l) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(l)?.[1] ?? []);
  const files = lines.flatMap((l) => /\/(src\/[\w/.-]+)$/.exec(l)?.[1] ?? []);
  return { packages: [...new Set(names)].sort(), files, code: r.status };
}

describe("what a command loads", () => {
  test("--help lists every command without loading any command's dependencies", () => {
    const { packages, code } = packagesLoaded(["--help"]);
    expect(code).toBe(0);
    expect(packages.filter((p) => HEAVY.includes(p))).toEqual([]);
  });

  test("analyze on files loads none of the SDKs", () => {
    const { packages, code } = packagesLoaded(["analyze", "--quiet", "fixtures/seed-000-port-conflict"]);
    expect(code).toBe(1);
    expect(packages.filter((p) => HEAVY.includes(p))).toEqual([]);
  });

  test("watch with a file source and the file store loads none of the SDKs (no slack:, no redis://, no llm:)", () => {
    const config = path.join(tmp, "watch.yaml");
    const log = path.join(ROOT, "fixtures/seed-000-port-conflict/journal.log");
    writeFileSync(config, `sources: [{ kind: file, name: seed, paths: [${JSON.stringify(log)}], startAt: beginning }]\nstore: { url: ${JSON.stringify(`file:${path.join(tmp, "watch-state")}`)} }\nhealth: { port: 0 }\n`);
    const { packages, files, code } = packagesLoaded(["watch", "--config", config, "--once-idle"]);
    expect(code).toBe(0);
    // Without a slack section the bot floor stays unloaded: only the modules of its config schema.
    expect(files).toEqual(expect.arrayContaining(["src/daemon/watch.ts", "src/bot/config.ts"]));
    expect(files.filter((f) => f.startsWith("src/bot/")).sort()).toEqual(["src/bot/access.ts", "src/bot/config.ts", "src/bot/routing.ts"]);
    // The list does see what watch loads (its logger and its metrics)...
    expect(packages).toEqual(expect.arrayContaining(["pino", "prom-client"]));
    // ...and Bolt (35 MiB of RSS before a line is read), Redis, Docker, SSH, SQLite and OpenAI are not among them.
    expect(packages.filter((p) => HEAVY.includes(p) && p !== "pino")).toEqual([]);
  });

  test("a command on the embedded database loads better-sqlite3 (the list sees required modules), and not the others", () => {
    const { packages, code } = packagesLoaded(["incidents", "list", "--store", `sqlite:${path.join(tmp, "firewatch.db")}`]);
    expect(code).toBe(0);
    expect(packages.filter((p) => HEAVY.includes(p))).toEqual(["better-sqlite3"]);
  });

  test("the index --help lists is what each command's module registers", async () => {
    const program = await fullProgram();
    const help = program.createHelp();
    expect(program.commands.map((c) => [c.name(), help.subcommandTerm(c), help.subcommandDescription(c)])).toEqual(COMMAND_INDEX);
  });
});

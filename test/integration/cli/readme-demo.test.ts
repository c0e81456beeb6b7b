// README's daemon demo, run as written: its two bash blocks, line by line, through bash. Only what would collide with
// other runs on this machine is moved (the demo directory, the ports, $HOME's store), and `node dist/cli.js` runs the
// source; the reader's own user stands in the guard section, as the README asks.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";
import { localActor } from "../../../src/cli/actor.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const run = promisify(execFile);
const tmp = mkdtempSync(path.join(tmpdir(), "fw-readme-demo-"));
let watch: ChildProcess | undefined;
let holder: Server | undefined;
afterAll(async () => {
  watch?.kill("SIGTERM");
  await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

/** The bash blocks of README's "Running the daemon" section, each a list of command lines (comments dropped). */
function demoBlocks(): string[][] {
  const section = README.slice(README.indexOf("## Running the daemon"));
  const end = section.indexOf("\n## ", 3);
  return [...(end === -1 ? section : section.slice(0, end)).matchAll(/```bash\n([\s\S]*?)```/g)].map((m) =>
    (m[1] ?? "").split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l !== "" && !l.startsWith("#")),
  );
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test("README's daemon demo runs: watch, three lines, an incident with its report, ack, and act --dry-run", async () => {
  const [first, second] = demoBlocks();
  expect(first?.length, "README's watch block").toBeGreaterThanOrEqual(5);
  expect(second?.length, "README's act block").toBe(1);
  const [health, port] = [await freePort(), await freePort()];
  const demo = path.join(tmp, "firewatch-demo");
  const config = path.join(tmp, "watch-localhost.yaml");
  const moved = (text: string) => text.replaceAll("/tmp/firewatch-demo", demo).replaceAll("9464", String(health)).replaceAll("9003", String(port));
  writeFileSync(config, moved(readFileSync(path.join(ROOT, "examples/watch-localhost.yaml"), "utf8")).replace(/users: \["cli:[^"]*"\]/, `users: ["${localActor()}"]`));
  let id = "ID";
  const command = (line: string) => moved(line).replaceAll("examples/watch-localhost.yaml", config).replaceAll("node dist/cli.js", `node --import tsx ${path.join(ROOT, "src/cli.ts")}`).replace(/\bID\b/g, id);
  // The default store, under this test's $HOME: nothing of the machine's own firewatch is read or written.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries({ ...process.env, HOME: tmp }).filter(([k]) => k !== "FIREWATCH_DATA_DIR" && k !== "FIREWATCH_STORE"));
  const bash = (line: string) => run("bash", ["-c", command(line)], { cwd: ROOT, env, timeout: 60_000 });

  const [mkdir, watchLine, append, look, ack] = first ?? [];
  await bash(mkdir ?? "");
  watch = spawn("bash", ["-c", `exec ${command(watchLine ?? "")}`], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let watchErr = "";
  watch.stderr?.on("data", (d: Buffer) => (watchErr += d.toString()));
  const up = async () => fetch(`http://127.0.0.1:${health}/healthz`).then((r) => r.ok, () => false);
  for (let i = 0; i < 120 && !(await up()); i++) await new Promise((r) => setTimeout(r, 250));
  expect(await up(), `watch did not answer /healthz:\n${watchErr}`).toBe(true);

  await bash(append ?? "");
  const reports = async () => (await run("ls", [path.join(demo, "reports")]).catch(() => ({ stdout: "" }))).stdout.trim();
  for (let i = 0; i < 120 && (await reports()) === ""; i++) await new Promise((r) => setTimeout(r, 250));
  const seen = await bash(look ?? "");
  expect(seen.stdout).toMatch(/"status":"ok"/);
  expect(seen.stdout).toMatch(/fw-[0-9a-f]{8}\.md/);
  id = /^(fw-[0-9a-f]{8}) +open +/m.exec(seen.stdout)?.[1] ?? "none";
  expect(id, seen.stdout).toMatch(/^fw-/);
  expect((await bash(ack ?? "")).stdout).toContain(`${id} acknowledged by ${localActor()}`);

  // Something holds the port, as the README says; the dry run names it and runs nothing.
  holder = createServer();
  await new Promise<void>((resolve) => holder?.listen(port, resolve));
  const act = await bash(second?.[0] ?? "");
  expect(act.stdout).toMatch(/action +kill_port_owner/);
  expect(act.stdout).toMatch(/host +web1/);
  expect(act.stdout).toContain(`params    port=${port} (finding eaddrinuse_loop)`);
  expect(act.stdout).toContain(`kill -TERM ${process.pid}`);
  expect(act.stdout).toMatch(/dry run: nothing ran/);
}, 120_000);

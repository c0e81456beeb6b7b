// For `probe` on demand: a node listener in a process of its own, and seed 000's crash loop moved to its port.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { runAnalyze } from "../../../src/cli/analyze.js";
import type { Incident } from "../../../src/incidents/index.js";

/** A node net server on every address (dual-stack: nothing else can hold the port on ::1 beside it); says when it listens. */
const LISTENER = 'const s = require("node:net").createServer(); s.listen(Number(process.argv[1]), () => process.stdout.write("listening\\n"));';

export interface NodeListener { readonly pid: number; stop(): void }

/**
 * Starts the listener as a process of its own: in the test process, a child between fork and exec holds the socket
 * for a moment too, and port_owner would then see "PID x and 1 other process".
 */
export async function startNodeListener(port: number): Promise<NodeListener> {
  const child = spawn(process.execPath, ["-e", LISTENER, String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  await once(child.stdout ?? child, "data");
  if (child.pid === undefined) throw new Error("the listener did not start");
  return { pid: child.pid, stop: () => void child.kill() };
}

/** Seed 000's journal (host mithrandir) with its port 9003 moved to `port`, through the pipeline: the eaddrinuse_loop incident. */
export async function seed000At(port: number, dir: string): Promise<Incident> {
  const journal = join(dir, "journal.log");
  await writeFile(journal, (await readFile(resolve("fixtures/seed-000-port-conflict/journal.log"), "utf8")).replaceAll("9003", String(port)));
  const { incidents } = await runAnalyze([journal], { rules: [] }, { now: () => Date.now() });
  const loop = incidents.find((i) => i.findings.some((f) => f.rule === "eaddrinuse_loop"));
  if (!loop) throw new Error("seed 000 gave no eaddrinuse_loop incident");
  return loop;
}

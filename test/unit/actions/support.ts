// Test helpers for the guard: a clock the test moves, fake probes whose world the test changes, a recording executor.
import { userInfo } from "node:os";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ActionCommand, ActionProbes, ContainerState, Executor, PortHolder, UnitState } from "../../../src/actions/index.js";
import { FileStore } from "../../../src/store/index.js";
import type { Clock } from "../../../src/time.js";

export interface TestClock extends Clock {
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2025, 11, 26, 22, 0, 0)): TestClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => { t += ms; },
    // Sleeping moves the test's time instead of waiting.
    sleep: (ms) => { t += ms; return Promise.resolve(); },
  };
}

/** The world as the probes see it; tests mutate it between request and click. */
export interface FakeWorld {
  ports: Map<string, PortHolder>;
  units: Map<string, UnitState>;
  containers: Map<string, ContainerState>;
  failedJobs: Map<string, number>;
}

/** Seed 000's shape: PID 1573680 (node, outside systemd) holds 9003; the unit is in auto-restart. */
export function seed000World(): FakeWorld {
  return {
    ports: new Map([["9003", { pid: "1573680", command: "node dist/index.js", inUnit: false, otherHolders: [], user: userInfo().username }]]),
    units: new Map([["transcription-palantir.service", { mainPid: "0", activeState: "activating", subState: "auto-restart", nRestarts: 485 }]]),
    containers: new Map([["palantir-api", { running: false, restarting: true, restartCount: 31, exitCode: 1 }]]),
    failedJobs: new Map([["transcription", 42]]),
  };
}

export function fakeProbes(world: FakeWorld): ActionProbes {
  return {
    portHolder: (_host, port) => Promise.resolve(world.ports.get(port)),
    unitState: (_host, unit) => Promise.resolve(world.units.get(unit)),
    containerState: (_host, c) => Promise.resolve(world.containers.get(c)),
    failedJobCount: (_host, q) => Promise.resolve(world.failedJobs.get(q) ?? 0),
  };
}

/** An executor that records every command and applies `effect` to the fake world, like the real one would. */
export function recordingExecutor(effect: (c: ActionCommand) => void = () => undefined): Executor & { calls: ActionCommand[] } {
  const calls: ActionCommand[] = [];
  const run = (c: ActionCommand) => {
    calls.push(c);
    effect(c);
    return Promise.resolve({ ok: true, detail: "exit 0" });
  };
  return Object.assign(run, { calls });
}

/** The guard's store in tests: a real FileStore (audit log, records with expiry, claims) on the test's clock. */
export type TestStore = FileStore;

export async function tempStore(clock: Clock): Promise<{ store: TestStore; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "fw-guard-"));
  const store = await FileStore.open(dir, { clock });
  return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
}

export const SECRET = Buffer.from("0123456789abcdef0123456789abcdef-test-secret", "utf8");

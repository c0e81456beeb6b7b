// Test helpers for the guard: a clock the test moves, fake probes whose world the test changes, a recording executor.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ActionCommand, ActionProbes, ContainerState, Executor, GuardStore, PortHolder, UnitState } from "../../../src/actions/index.js";
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
    ports: new Map([["9003", { pid: "1573680", command: "node dist/index.js", inUnit: false, otherHolders: [] }]]),
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

/** The guard's store in tests: a real FileStore's audit log, records and claims as the store contract says. */
export type TestStore = GuardStore & Pick<FileStore, "close">;

/**
 * Records with expiry on the test's clock, take-once, and set-if-absent claims: the semantics interfaces.md gives
 * the Store. Used until the store's own putRecord/takeRecord/claim land; then tests pass the FileStore itself.
 */
export function withRecords(store: FileStore, clock: Clock): TestStore {
  const records = new Map<string, { value: string; until: number }>();
  const claims = new Map<string, { owner: string; until: number }>();
  const live = <T extends { until: number }>(m: Map<string, T>, k: string): T | undefined => {
    const v = m.get(k);
    if (v && v.until <= clock.now()) m.delete(k);
    return v && v.until > clock.now() ? v : undefined;
  };
  return {
    appendAudit: (e) => store.appendAudit(e),
    listAudit: (f) => store.listAudit(f),
    close: () => store.close(),
    putRecord: (ns, key, value, ttlMs) => { records.set(`${ns}:${key}`, { value: JSON.stringify(value), until: clock.now() + ttlMs }); return Promise.resolve(); },
    getRecord: (ns, key) => { const r = live(records, `${ns}:${key}`); return Promise.resolve(r ? (JSON.parse(r.value) as unknown) : undefined); },
    takeRecord: (ns, key) => {
      const r = live(records, `${ns}:${key}`);
      records.delete(`${ns}:${key}`);
      return Promise.resolve(r ? (JSON.parse(r.value) as unknown) : undefined);
    },
    claim: (key, owner, ttlMs) => {
      const c = live(claims, key);
      if (c) return Promise.resolve({ claimed: false, owner: c.owner });
      claims.set(key, { owner, until: clock.now() + ttlMs });
      return Promise.resolve({ claimed: true, owner });
    },
  };
}

export async function tempStore(clock: Clock): Promise<{ store: TestStore; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "fw-guard-"));
  const store = withRecords(await FileStore.open(dir, { clock }), clock);
  return { store, cleanup: async () => { await store.close(); await rm(dir, { recursive: true, force: true }); } };
}

export const SECRET = Buffer.from("0123456789abcdef0123456789abcdef-test-secret", "utf8");

// The setup every part of the Store contract shares: a fresh place, a test clock, and opening/restarting stores on it.
import { afterEach, beforeEach } from "vitest";
import type { FlapPolicy, Store, StoreDeps } from "../../../src/store/index.js";
import { testClock, type TestClock } from "./support.js";

/** A place a store lives (a directory, a Redis namespace): open it (again) with deps, remove it at the end. */
export interface StoreHome {
  open(deps: StoreDeps): Promise<Store>;
  cleanup(): Promise<void>;
}

export interface StoreKit {
  /** This test's clock (a new one for every test). */
  readonly clock: TestClock;
  /** Opens a store on this test's place (closed after the test). */
  open(deps?: StoreDeps): Promise<Store>;
  /** Closes every store opened so far and opens a new one on the same place: a process restart. */
  restart(): Promise<Store>;
}

/** Registers the per-test setup in the enclosing describe: a new place and clock before each test, cleanup after. */
export function useStoreHome(makeHome: () => Promise<StoreHome>, flap?: FlapPolicy): StoreKit {
  let home: StoreHome | undefined;
  let clock = testClock();
  const opened: Store[] = [];
  const open = async (d?: StoreDeps) => {
    if (!home) throw new Error("useStoreHome: open() outside a test");
    const s = await home.open(d ?? (flap ? { clock, flap } : { clock }));
    opened.push(s);
    return s;
  };
  beforeEach(async () => {
    home = await makeHome();
    clock = testClock();
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await home?.cleanup();
  });
  return {
    get clock() {
      return clock;
    },
    open,
    restart: async () => {
      for (const s of opened.splice(0)) await s.close();
      return open();
    },
  };
}

// The firing condition of each rule kind (single, threshold, sequence, absence, recurrence) for one group.
import type { Rule } from "../rules/schema.js";
import type { SignalRole } from "../rules/signal.js";
import { createCadenceTracker } from "./cadence.js";

/**
 * Per-group state of a rule's condition. Time is event time; a signal without a time (plain text, a pasted
 * excerpt) cannot be placed in a window, so it never satisfies one: thresholds ("3 within 5m") and sequences
 * ("B within 1m of A") count it but do not fire on it; an absence's miss can still be shown by `until` (order,
 * not a window). Recurrence needs times and never fires without them.
 */
export interface Condition {
  observe(role: SignalRole, time: number | undefined): void;
  /** Whether the condition holds once event time has reached `now` (only absence looks at `now`). */
  holds(now: number | undefined): boolean;
  /** A `clears` line ended the episode: forget it, a new match starts from scratch. */
  reset(): void;
  /**
   * Absence only: how many A's went unanswered by `now`. For an absence the finding counts misses, not A's:
   * an A still waiting for its B (a process that is simply still running) is not a failure.
   */
  misses?(now: number | undefined): number;
  /**
   * Absence only: the time an A still waiting for its B becomes overdue after (a `now` past it counts one more miss),
   * or undefined when none waits. No later `now` changes `holds` or `misses` otherwise.
   */
  deadline?(): number | undefined;
}

/** How many recent A and B times a sequence keeps to pair signals that arrive out of order. */
const SEQUENCE_MEMORY = 16;

export function createCondition(rule: Rule): Condition {
  switch (rule.kind) {
    case "single":
      return latched((role) => role === "match");
    case "threshold":
      return thresholdCondition(rule.threshold.count, rule.threshold.within);
    case "sequence":
      return sequenceCondition(rule.within);
    case "absence":
      return absenceCondition(rule.within);
    case "recurrence":
      return recurrenceCondition(rule.recurrence);
  }
}

function latched(fires: (role: SignalRole) => boolean): Condition {
  let fired = false;
  return {
    observe(role) {
      if (fires(role)) fired = true;
    },
    holds: () => fired,
    reset() {
      fired = false;
    },
  };
}

/**
 * N signals within W. Keeps only the N newest times, sorted (a ring by time, not by arrival), so a signal
 * that arrives a little out of order still completes a window; a window is reached when some N
 * consecutive kept times span at most W (exactly W counts). Once reached it stays reached. Untimed
 * signals are counted by the finding but take no place in the window.
 */
function thresholdCondition(n: number, withinMs: number): Condition {
  let times: number[] = [];
  let fired = false;
  return {
    observe(role, time) {
      if (role !== "match" || fired || time === undefined) return;
      let at = times.length;
      while (at > 0 && (times[at - 1] ?? 0) > time) at -= 1;
      times.splice(at, 0, time);
      for (let i = 0; i + n <= times.length; i += 1) {
        if ((times[i + n - 1] ?? Infinity) - (times[i] ?? 0) <= withinMs) fired = true;
      }
      if (times.length > n) times.shift();
    },
    holds: () => fired,
    reset() {
      times = [];
      fired = false;
    },
  };
}

/**
 * B (then) follows A (match) within W: 0 <= t(B) - t(A) <= W, whichever of the two arrived first (equal
 * times count only when A arrived first). A or B without a time cannot be within W of anything.
 */
function sequenceCondition(withinMs: number): Condition {
  let as: number[] = [];
  let bs: number[] = [];
  let fired = false;
  const remember = (list: number[], t: number) => {
    list.push(t);
    list.sort((x, y) => x - y);
    if (list.length > SEQUENCE_MEMORY) list.shift();
  };
  return {
    observe(role, time) {
      if (fired || time === undefined) return;
      if (role === "match") {
        // A B already seen follows this A only if it is later in time: at the same instant, arrival order
        // (B first) says it came before.
        if (bs.some((b) => b > time && b - time <= withinMs)) fired = true;
        remember(as, time);
      } else if (role === "then") {
        if (as.some((a) => time >= a && time - a <= withinMs)) fired = true;
        remember(bs, time);
      }
    },
    holds: () => fired,
    reset() {
      as = [];
      bs = [];
      fired = false;
    },
  };
}

/**
 * After A (match), B (expect) must come within W. Fires when a later signal of the group shows W has
 * passed with no B (a new A, a late B), when C (until) comes first, or when `holds(now)` is asked with
 * now - A > W. Several A's before a B are answered together; the earliest unanswered one sets the deadline.
 */
function absenceCondition(withinMs: number): Condition {
  let pending: number | undefined;
  let pendingUntimed = false;
  let missed = 0;
  const overdue = (t: number | undefined) => t !== undefined && pending !== undefined && t - pending > withinMs;
  return {
    observe(role, time) {
      if (role === "match") {
        if (overdue(time)) {
          missed += 1;
          pending = undefined;
        }
        if (time === undefined) pendingUntimed = true;
        else pending = pending === undefined ? time : Math.min(pending, time);
      } else if (role === "expect") {
        // A B from before the pending A (out of order) answers nothing.
        if (time !== undefined && pending !== undefined && time < pending) return;
        if (overdue(time)) missed += 1;
        pending = undefined;
        pendingUntimed = false;
      } else if (role === "until") {
        if (pendingUntimed || (pending !== undefined && (time === undefined || time >= pending))) missed += 1;
        pending = undefined;
        pendingUntimed = false;
      }
    },
    holds: (now) => missed > 0 || overdue(now),
    misses: (now) => missed + (overdue(now) ? 1 : 0),
    deadline: () => (pending === undefined ? undefined : pending + withinMs),
    reset() {
      pending = undefined;
      pendingUntimed = false;
      missed = 0;
    },
  };
}

/** At least min_count occurrences at a steady interval (see cadence.ts); bursts within min_interval fold. */
function recurrenceCondition(opts: { min_count: number; tolerance: number; min_interval: number }): Condition {
  const make = () => createCadenceTracker({ tolerance: opts.tolerance, foldMs: opts.min_interval });
  let tracker = make();
  return {
    observe(role, time) {
      if (role === "match" && time !== undefined) tracker.observe(time);
    },
    holds() {
      const cadence = tracker.snapshot();
      return tracker.occurrences() >= opts.min_count && cadence !== undefined && cadence.steady && cadence.medianMs > 0;
    },
    reset() {
      tracker = make();
    },
  };
}

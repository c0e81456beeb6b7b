// The `scale:` section of firewatch.yaml: several `watch` processes on one Redis store divide the sources by lease.
import { z } from "zod";
import { Duration } from "../time.js";

export const ScaleConfig = z
  .object({
    leaseTime: Duration.default(15_000).describe("How long a source's lease (and a watcher's heartbeat) lasts without renewal: a dead watcher's sources are taken over after it"),
    renewEvery: Duration.optional().describe("How often a watcher renews its leases, beats its heartbeat and rebalances (default: a third of leaseTime)"),
    leaseBy: z
      .enum(["source", "host"])
      .default("source")
      .describe("What one lease covers: one source, or every source of one host (one watcher then counts the findings that a host's journal and its log files both feed)"),
  })
  .strict()
  .refine((c) => c.leaseTime >= 1000, { message: "leaseTime must be at least 1s", path: ["leaseTime"] })
  .refine((c) => c.renewEvery === undefined || (c.renewEvery > 0 && c.renewEvery * 2 <= c.leaseTime), {
    message: "renewEvery must be above 0 and at most half of leaseTime (a lease must survive one late renewal)",
    path: ["renewEvery"],
  });
export type ScaleConfig = z.infer<typeof ScaleConfig>;

/** The renewal period a config means: its renewEvery, else a third of its leaseTime. */
export function renewPeriod(c: ScaleConfig): number {
  return c.renewEvery ?? Math.floor(c.leaseTime / 3);
}

// The `scale:` section of firewatch.yaml: several `watch` processes on one Redis store divide the sources by lease.
import { z } from "zod";
import { Duration } from "../time.js";

/** `scale.streams`: records of the sources go through Redis Streams partitioned by host and service (docs/scaling.md). */
export const StreamsConfig = z
  .object({
    role: z.enum(["collector", "analyzer"]).describe("collector: reads the sources it leases and publishes their records; analyzer: reads the partitions it leases through the consumer group and keeps the incidents"),
    partitions: z.number().int().min(1).max(1024).default(16).describe("How many streams the records are spread over, by host + service; the same on every process of the namespace"),
    maxLen: z.number().int().min(16).default(200).describe("Entries a partition may hold before collectors wait for the analyzers (an entry is one flush's records of one partition); never trimmed below what the analyzers have not acknowledged"),
    batch: z.number().int().min(1).max(10_000).default(500).describe("Records per stream entry at most"),
  })
  .strict();
export type StreamsConfig = z.infer<typeof StreamsConfig>;

export const ScaleConfig = z
  .object({
    leaseTime: Duration.default(15_000).describe("How long a source's lease (and a watcher's heartbeat) lasts without renewal: a dead watcher's sources are taken over after it"),
    renewEvery: Duration.optional().describe("How often a watcher renews its leases, beats its heartbeat and rebalances (default: a third of leaseTime)"),
    leaseBy: z
      .enum(["source", "host"])
      .default("source")
      .describe("What one lease covers: one source, or every source of one host (one watcher then counts the findings that a host's journal and its log files both feed)"),
    streams: StreamsConfig.optional().describe("Records through Redis Streams: this process is a collector (reads sources, publishes records) or an analyzer (reads partitions, keeps the incidents); absent: a watcher reads and analyses its sources itself"),
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

// The file source's part of firewatch.yaml: which paths to follow, on which host, and how often to look.
import { z } from "zod";
import { Duration } from "../time.js";

export const FileSourceConfig = z
  .object({
    paths: z.array(z.string().min(1)).min(1).describe("Log files to follow (each path is followed through its rotations)"),
    startAt: z.enum(["beginning", "end"]).default("end").describe("Where a file without a stored cursor starts"),
    poll: Duration.default(250).describe("Time between looks at each file"),
    flushAfter: Duration.default(1000).describe("Quiet time after which a held multi-line record is handed out"),
    rotateWait: Duration.default(5000).describe("How long a renamed-away file must stay unchanged, at its end, before the next generation is read (its writer may append until it reopens; like Fluent Bit's Rotate_Wait)"),
    maxLineBytes: z.number().int().min(256).optional().describe("Longer lines are cut (default 64 KiB)"),
  })
  .strict();
export type FileSourceConfig = z.infer<typeof FileSourceConfig>;

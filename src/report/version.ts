// firewatch's own version, for "Reported By": read from package.json, which sits two folders up from src/report and dist/report.
import { readFileSync } from "node:fs";
import { z } from "zod";

const PackageJson = z.object({ version: z.string().min(1) });

/** The version in firewatch's package.json, or undefined when it cannot be read (the report then names no version). */
export function firewatchVersion(): string | undefined {
  try {
    const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    const parsed = PackageJson.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.version : undefined;
  } catch {
    // Not fatal: a report without a version number is still a complete report.
    return undefined;
  }
}

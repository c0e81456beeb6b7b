import { onTestFinished } from "vitest";
import { makeTempDir } from "./program.js";

/**
 * makeTempDir's directory, removed when the calling test ends (pass or fail), so that a run leaves nothing behind.
 * Call it inside a test.
 */
export async function scratchDir(prefix: string): Promise<string> {
  const { path, remove } = await makeTempDir(prefix);
  onTestFinished(remove);
  return path;
}

// The server secret action tokens are signed with: FIREWATCH_GUARD__SECRET (guard.secret) or guard.secretFile.
import { readFile, stat } from "node:fs/promises";
import { FirewatchError } from "../errors.js";
import type { GuardConfig } from "./policy.js";

const HINT = "generate one with `openssl rand -base64 48` and set FIREWATCH_GUARD__SECRET, or write it to a file named by guard.secretFile (mode 0600)";

/**
 * The secret's bytes (UTF-8 of the text, a file's trailing newline dropped). Every process that issues or redeems
 * tokens (watch, bot, act) must read the same one. A secret file others may read is refused: it signs kill tokens.
 */
export async function readGuardSecret(config: Pick<GuardConfig, "secret" | "secretFile">): Promise<Buffer> {
  if (config.secret !== undefined && config.secretFile !== undefined) {
    throw new FirewatchError("config_invalid", "guard.secret and guard.secretFile are both set; give one", { hint: HINT });
  }
  let text = config.secret;
  if (config.secretFile !== undefined) {
    const file = config.secretFile;
    try {
      if (((await stat(file)).mode & 0o077) !== 0) {
        throw new FirewatchError("config_invalid", `guard.secretFile ${file} may be read by other users; chmod 600 it`);
      }
      text = (await readFile(file, "utf8")).replace(/\r?\n$/, "");
    } catch (e) {
      if (e instanceof FirewatchError) throw e;
      throw new FirewatchError("config_invalid", `cannot read guard.secretFile ${file}`, { cause: e, hint: HINT });
    }
  }
  if (text === undefined) throw new FirewatchError("config_invalid", "no action token secret: actions are off until one is set", { hint: HINT });
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length < 32) throw new FirewatchError("config_invalid", `the action token secret is ${bytes.length} bytes; at least 32 are needed`, { hint: HINT });
  return bytes;
}

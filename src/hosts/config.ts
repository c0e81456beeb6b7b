// The hosts part of firewatch.yaml (zod) and openHost, which turns one entry into a LocalHost or an SshHost.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { FirewatchError } from "../errors.js";
import { Duration, type Clock } from "../time.js";
import type { Host } from "./host.js";
import { LocalHost } from "./local-host.js";
import { SshHost } from "./ssh-host.js";

const Fingerprint = z.string().regex(/^(?:SHA256:)?[A-Za-z0-9+/]{43}=?$/, 'expected "SHA256:" and 43 base64 characters, as ssh-keygen -l -E sha256 prints it');

// The names a host's lines may carry (syslog's hostname field, journald's _HOSTNAME): not followed, only not flagged.
const Aliases = z
  .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a host name of letters, digits, _ . -"))
  .optional()
  .describe("Other names this host's log lines carry (a local host also answers to the machine's hostname)");

export const HostConfig = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("local"), aliases: Aliases }).strict(),
  z
    .object({
      kind: z.literal("ssh"),
      host: z.string().min(1).describe("Address or name to connect to"),
      port: z.number().int().min(1).max(65535).default(22),
      user: z.string().min(1),
      privateKeyFile: z.string().optional().describe("Path of the private key (OpenSSH or PEM)"),
      privateKey: z.string().optional().describe("The private key itself; set it from the environment, not in the file"),
      passphrase: z.string().optional().describe("Passphrase of the key; from the environment"),
      fingerprints: z.array(Fingerprint).default([]).describe("Pinned host key fingerprints"),
      knownHostsFile: z.string().optional().describe("known_hosts file whose lines for this host pin its key"),
      keepalive: Duration.default(15_000).describe("Interval of SSH keepalives"),
      connectAttempts: z.number().int().min(1).default(5).describe("Connection attempts before a call fails (each later call tries again)"),
      aliases: Aliases,
    })
    .strict()
    .refine((h) => h.privateKey !== undefined || h.privateKeyFile !== undefined, { message: "give privateKeyFile (or privateKey from the environment)", path: ["privateKeyFile"] })
    .refine((h) => h.fingerprints.length > 0 || h.knownHostsFile !== undefined, { message: "pin the host key: fingerprints or knownHostsFile (unknown keys are refused)", path: ["fingerprints"] }),
]);
export type HostConfig = z.infer<typeof HostConfig>;

/** A Host for a validated config entry; reads the key and known_hosts files it names. */
export async function openHost(name: string, config: HostConfig, deps: { clock?: Clock } = {}): Promise<Host> {
  if (config.kind === "local") return new LocalHost({ name });
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file, "utf8");
    } catch (e) {
      throw new FirewatchError("config_invalid", `host ${name}: cannot read ${what} ${file}`, { cause: e });
    }
  };
  const privateKey = config.privateKey ?? (config.privateKeyFile === undefined ? "" : await read(config.privateKeyFile, "the private key"));
  const knownHosts = config.knownHostsFile === undefined ? undefined : await read(config.knownHostsFile, "known_hosts");
  return new SshHost(
    {
      name,
      host: config.host,
      port: config.port,
      user: config.user,
      privateKey,
      ...(config.passphrase === undefined ? {} : { passphrase: config.passphrase }),
      hostKey: { fingerprints: config.fingerprints, ...(knownHosts === undefined ? {} : { knownHosts }) },
      keepaliveIntervalMs: config.keepalive,
      connectAttempts: config.connectAttempts,
    },
    deps.clock ? { clock: deps.clock } : {},
  );
}

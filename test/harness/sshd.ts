// A real sshd for tests: own loopback port, throwaway host and user keys in a temp dir, logs on stderr.
import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { findProgram, freePort, makeTempDir, requireProgram, startProgram, type Availability, type Started } from "./program.js";

const run = promisify(execFile);

export interface SshdInstance {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The user's private key (OpenSSH format), accepted by this sshd through its authorized_keys. */
  readonly privateKey: Buffer;
  /** "SHA256:..." of the host key, as `ssh-keygen -l` prints it. */
  readonly hostKeyFingerprint: string;
  /** The host key as a known_hosts line: "[127.0.0.1]:PORT ssh-ed25519 AAAA...". */
  readonly knownHostsLine: string;
  readonly dir: string;
  /** The listener's pid; its children are this sshd's sessions (one per connection). */
  pid(): number | undefined;
  /** Drops every connection to this sshd (SIGKILL to its session processes, not to the listener, not to other sshds). */
  dropSessions(): Promise<number>;
  /** Everything sshd logged so far (-e sends its log to stderr). */
  output(): string;
  /** Stops the listener it started (SIGTERM) and removes the temp dir. Session children die with their connections. */
  stop(): Promise<void>;
  /** SIGKILL to the listener only: existing sessions live on, as when sshd crashes. */
  kill9(): Promise<void>;
  /** Starts the listener again on the same port, keys and config (after stop or kill9: drops the link in tests). */
  restart(): Promise<void>;
}

export function sshdAvailability(): Availability {
  return requireProgram("sshd", "openssh-server");
}

async function keygen(file: string): Promise<void> {
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "firewatch-test", "-f", file]);
}

/**
 * `extraConfig`: more sshd_config lines, e.g. `SetEnv DOCKER_HOST=unix:///tmp/x/dock.sock` for the sessions.
 * `user`: the account the key logs in as (default this process's); its authorized_keys is made readable to it.
 */
export async function startSshd(opts: { extraConfig?: readonly string[]; user?: string } = {}): Promise<SshdInstance> {
  const bin = findProgram("sshd");
  if (!bin) throw new Error("sshd not found: install it with `apt-get install openssh-server`");
  const tmp = await makeTempDir("sshd");
  const dir = tmp.path;
  // sshd refuses to start without its privilege-separation directory.
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  const hostKey = join(dir, "host_ed25519");
  const userKey = join(dir, "user_ed25519");
  await Promise.all([keygen(hostKey), keygen(userKey)]);
  await writeFile(join(dir, "authorized_keys"), await readFile(`${userKey}.pub`));
  // sshd reads authorized_keys with the user's rights: another user needs to traverse the directory and read it.
  if (opts.user !== undefined) {
    await chmod(dir, 0o755);
    await chmod(join(dir, "authorized_keys"), 0o644);
  }
  const port = await freePort();
  const config = join(dir, "sshd_config");
  await writeFile(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      "UsePAM no",
      "StrictModes no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "LogLevel VERBOSE",
      ...(opts.extraConfig ?? []),
      "",
    ].join("\n"),
  );
  const { stdout: fp } = await run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${hostKey}.pub`]);
  const hostKeyFingerprint = fp.split(" ")[1] ?? "";
  const pub = (await readFile(`${hostKey}.pub`, "utf8")).trim().split(" ").slice(0, 2).join(" ");
  let proc: Started | undefined;
  const start = async () => {
    proc = await startProgram(bin, ["-D", "-e", "-f", config], { readyWhen: `Server listening on 127.0.0.1 port ${port}` });
  };
  await start();
  return {
    host: "127.0.0.1",
    port,
    user: opts.user ?? userInfo().username,
    privateKey: await readFile(userKey),
    hostKeyFingerprint,
    knownHostsLine: `[127.0.0.1]:${port} ${pub}`,
    dir,
    output: () => proc?.output() ?? "",
    pid: () => proc?.child.pid,
    dropSessions: async () => {
      const pid = proc?.child.pid;
      if (pid === undefined) return 0;
      const { stdout } = await run("pgrep", ["-P", String(pid)]).catch(() => ({ stdout: "" }));
      const sessions = stdout.split("\n").filter(Boolean);
      if (sessions.length > 0) await run("kill", ["-9", ...sessions]);
      return sessions.length;
    },
    stop: async () => {
      await proc?.stop();
      await tmp.remove();
    },
    kill9: async () => {
      await proc?.kill9();
    },
    restart: async () => {
      await proc?.stop();
      await start();
    },
  };
}

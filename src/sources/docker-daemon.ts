// Where a Docker source's API is on its host: the local socket, or a daemon on TCP, with mutual TLS when configured.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type Dockerode from "dockerode";
import { z } from "zod";
import { FirewatchError } from "../errors.js";

// Loaded by the first client made, not with the sources floor: reading files never loads dockerode.
const require = createRequire(import.meta.url);
const dockerode = (): typeof Dockerode => require("dockerode") as typeof Dockerode;

/** The TCP daemon part of a Docker source (docker -H tcp://HOST:PORT --tlsverify ...). */
export const DockerDaemonConfig = {
  daemon: z
    .string()
    .regex(/^tcp:\/\/[A-Za-z0-9.:[\]-]+:\d{1,5}$/, 'expected "tcp://HOST:PORT"')
    .optional()
    .describe("A Docker daemon on TCP (tcp://HOST:PORT) instead of the socket; with `tls` its certificate is verified and ours presented"),
  tls: z
    .object({
      ca: z.string().min(1).describe("CA certificate file that signed the daemon's certificate (docker's --tlscacert)"),
      cert: z.string().min(1).describe("Client certificate file (--tlscert)"),
      key: z.string().min(1).describe("Client key file (--tlskey); keep it readable by firewatch only"),
    })
    .strict()
    .optional()
    .describe("Mutual TLS for `daemon`, as dockerd --tlsverify expects; without it the TCP daemon is spoken to in plain HTTP"),
};

export interface DockerDaemonEntry {
  readonly socketPath?: string | undefined;
  readonly daemon?: string | undefined;
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string } | undefined;
}

function readPem(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new FirewatchError("config_invalid", `docker source: cannot read the TLS ${what} file ${path} (${code})`, { cause: e });
  }
}

/** A Dockerode for a local Docker source: its TCP daemon (TLS files read now, so a wrong path fails at start) or its socket. */
export function localDockerClient(entry: DockerDaemonEntry): Dockerode {
  if (entry.daemon !== undefined && entry.socketPath !== undefined) {
    throw new FirewatchError("config_invalid", "docker source: give either socketPath or daemon, not both");
  }
  if (entry.tls !== undefined && entry.daemon === undefined) throw new FirewatchError("config_invalid", "docker source: tls needs daemon: tcp://HOST:PORT");
  if (entry.daemon === undefined) return new (dockerode())({ socketPath: entry.socketPath ?? "/var/run/docker.sock" });
  const url = new URL(entry.daemon.replace(/^tcp:/, "http:"));
  const port = Number(url.port);
  if (entry.tls === undefined) return new (dockerode())({ protocol: "http", host: url.hostname, port });
  const { ca, cert, key } = entry.tls;
  return new (dockerode())({ protocol: "https", host: url.hostname, port, ca: readPem("CA", ca), cert: readPem("certificate", cert), key: readPem("key", key) });
}

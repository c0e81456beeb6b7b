// Dockerode talking to a remote Docker daemon through an SshHost: `docker system dial-stdio` on the shared, pinned connection.
//
// docker-modem's own ssh transport opens a new SSH connection per request and takes whatever host key the
// server offers; this one reuses the SshHost (one connection per host, pinned key, reconnects) and opens one
// channel per HTTP connection.
import { Agent } from "node:http";
import type { Socket } from "node:net";
import { createRequire } from "node:module";
import type Dockerode from "dockerode";
import type { SshHost } from "../hosts/index.js";

// Loaded by the first client made, not with the sources floor: reading files never loads dockerode.
const require = createRequire(import.meta.url);
const dockerode = (): typeof Dockerode => require("dockerode") as typeof Dockerode;

/** A Dockerode whose every request goes through `docker system dial-stdio` on `host` (the remote user's DOCKER_HOST). */
export function dockerOverSsh(host: SshHost): Dockerode {
  const agent = new Agent({ keepAlive: false });
  // http.Agent accepts an asynchronous createConnection that answers through the callback.
  agent.createConnection = ((_opts: unknown, callback: (err: Error | null, socket?: Socket) => void) => {
    host.dial(["docker", "system", "dial-stdio"]).then(
      (stream) => callback(null, stream as unknown as Socket),
      (err: Error) => callback(err),
    );
    return undefined;
  }) as unknown as Agent["createConnection"];
  return new (dockerode())({ protocol: "http", host: "docker", port: 2375, agent } as Dockerode.DockerOptions);
}

// A real dockerd for tests: vfs storage, no bridge or iptables, own socket and dirs in a temp dir, busybox image.
import { execFile, spawn } from "node:child_process";
import { copyFile, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { findProgram, freePort, makeTempDir, requireProgram, startProgram, type Availability, type Started } from "./program.js";

const run = promisify(execFile);

export interface DockerdInstance {
  /** unix socket path, for dockerode's `socketPath`. */
  readonly socketPath: string;
  /** `unix://...`, for `docker -H`. */
  readonly host: string;
  readonly dir: string;
  /** Name of the busybox image imported at start ("fw-busybox"). */
  readonly image: string;
  /** Runs the docker CLI against this daemon; rejects with its stderr on a non-zero exit. */
  docker(args: readonly string[], opts?: { timeoutMs?: number }): Promise<string>;
  output(): string;
  /** Removes the containers it ran, stops dockerd (SIGTERM, it stops its containerd) and removes the temp dir. */
  stop(): Promise<void>;
  /** Restarts dockerd on the same dirs and socket (containers with a restart policy come back). */
  restart(): Promise<void>;
  /** Stops dockerd (SIGTERM: its containers stop with it) and keeps its dirs, for a later start(). */
  halt(): Promise<void>;
  /** Starts dockerd again after halt(), on the same dirs and socket. */
  start(): Promise<void>;
  /** With `tls: true`: the daemon also listens on TCP with mutual TLS (`--tlsverify`); the client's files. */
  readonly tls?: { readonly url: string; readonly ca: string; readonly cert: string; readonly key: string };
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl in `dir`. */
async function makeTlsFiles(dir: string): Promise<{ ca: string; caKey: string; serverCert: string; serverKey: string; cert: string; key: string }> {
  const f = (n: string) => join(dir, n);
  const ssl = (args: string[]) => run("openssl", args, { timeout: 60_000 });
  await ssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=fw-test-ca", "-keyout", f("ca-key.pem"), "-out", f("ca.pem")]);
  await writeFile(f("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  await writeFile(f("client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, subj] of [["server", "/CN=127.0.0.1"], ["client", "/CN=firewatch"]] as const) {
    await ssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", subj, "-keyout", f(`${name}-key.pem`), "-out", f(`${name}.csr`)]);
    await ssl(["x509", "-req", "-in", f(`${name}.csr`), "-CA", f("ca.pem"), "-CAkey", f("ca-key.pem"), "-CAcreateserial", "-days", "2", "-extfile", f(`${name}.ext`), "-out", f(`${name}.pem`)]);
  }
  return { ca: f("ca.pem"), caKey: f("ca-key.pem"), serverCert: f("server.pem"), serverKey: f("server-key.pem"), cert: f("client.pem"), key: f("client-key.pem") };
}

export function dockerdAvailability(): Availability {
  const d = requireProgram("dockerd", "docker.io");
  if (d.missing) return d;
  const c = requireProgram("docker", "docker.io");
  if (c.missing) return c;
  return requireProgram("busybox", "busybox-static");
}

const BUSYBOX_LINKS = ["sh", "nc", "sleep", "echo", "cat", "printf", "head", "yes", "dd", "true", "false", "seq", "ls"];

/** dockerd leaves mounts (exec/netns/default, overlay of a killed container) under its dirs: undo only those. */
async function unmountUnder(dir: string): Promise<void> {
  const info = await readFile("/proc/self/mountinfo", "utf8");
  const points = info
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((p) => p === dir || p.startsWith(dir + "/"))
    .sort((a, b) => b.length - a.length);
  for (const p of points) await run("umount", ["-l", p]).catch(() => undefined);
}

export async function startDockerd(opts: { image?: string; tls?: boolean } = {}): Promise<DockerdInstance> {
  const bin = findProgram("dockerd");
  const cli = findProgram("docker");
  const busybox = findProgram("busybox");
  if (!bin || !cli || !busybox) throw new Error("dockerd, docker or busybox not found: install docker.io and busybox-static");
  const tmp = await makeTempDir("dockerd");
  const dir = tmp.path;
  const socketPath = join(dir, "dock.sock");
  const host = `unix://${socketPath}`;
  const image = opts.image ?? "fw-busybox";
  const args = [
    "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
    `--host=${host}`, `--data-root=${join(dir, "data")}`, `--exec-root=${join(dir, "exec")}`, `--pidfile=${join(dir, "dockerd.pid")}`,
  ];
  let tls: DockerdInstance["tls"];
  if (opts.tls === true) {
    const files = await makeTlsFiles(dir);
    const url = `tcp://127.0.0.1:${await freePort()}`;
    args.push(`--host=${url}`, "--tlsverify", `--tlscacert=${files.ca}`, `--tlscert=${files.serverCert}`, `--tlskey=${files.serverKey}`);
    tls = { url, ca: files.ca, cert: files.cert, key: files.key };
  }
  let proc: Started | undefined;
  const docker = async (a: readonly string[], o: { timeoutMs?: number } = {}): Promise<string> => {
    try {
      const { stdout } = await run(cli, ["-H", host, ...a], { timeout: o.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024 });
      return stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`docker ${a.join(" ")} failed: ${err.stderr ?? err.message}`, { cause: e });
    }
  };
  const start = async () => {
    proc = await startProgram(bin, args, { readyWhen: "API listen on", timeoutMs: 60_000 });
    // "API listen on" comes before the socket always answers; wait for a real reply.
    for (let i = 0; ; i++) {
      try {
        await docker(["version", "--format", "{{.Server.Version}}"], { timeoutMs: 5_000 });
        break;
      } catch (e) {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  await start();
  // The image: a root holding bin/busybox and its applet links, imported from a tar stream.
  const root = join(dir, "image-root");
  await mkdir(join(root, "bin"), { recursive: true });
  await copyFile(busybox, join(root, "bin", "busybox"));
  for (const l of BUSYBOX_LINKS) await symlink("busybox", join(root, "bin", l));
  await mkdir(join(root, "tmp"));
  await new Promise<void>((resolve, reject) => {
    const tar = spawn("tar", ["-C", root, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    const imp = spawn(cli, ["-H", host, "import", "--change", "ENV PATH=/bin", "-", image], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    imp.stderr.on("data", (d: Buffer) => { err += d.toString(); });
    tar.stdout.pipe(imp.stdin);
    imp.once("error", reject);
    imp.once("exit", (c) => (c === 0 ? resolve() : reject(new Error(`docker import exited ${c}: ${err}`))));
  });
  return {
    socketPath,
    host,
    dir,
    image,
    docker,
    ...(tls === undefined ? {} : { tls }),
    output: () => proc?.output() ?? "",
    async stop() {
      try {
        const ids = (await docker(["ps", "-aq"], { timeoutMs: 15_000 })).split("\n").filter(Boolean);
        if (ids.length > 0) await docker(["rm", "-f", ...ids], { timeoutMs: 30_000 });
      } catch {
        // the daemon may already be gone; its containers die with it below
      }
      await proc?.stop(20_000);
      await unmountUnder(dir);
      await tmp.remove();
    },
    async restart() {
      await proc?.stop(20_000);
      await start();
    },
    async halt() {
      await proc?.stop(20_000);
    },
    start,
  };
}

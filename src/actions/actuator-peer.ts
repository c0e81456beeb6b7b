// Who is on the other end of an actuator connection: Node has no SO_PEERCRED, so ss -xp and /proc say it.
import { readFile, readlink } from "node:fs/promises";
import type { Socket } from "node:net";
import { z } from "zod";
import type { Host } from "../hosts/index.js";

/** The connecting process, as the kernel tells it (uid and every gid it holds). */
export interface Peer {
  readonly pid: number;
  readonly uid: number;
  readonly gids: readonly number[];
}

/** Answers the peer of one accepted connection, or undefined when it cannot be told (the actuator then refuses). */
export type PeerOf = (socket: Socket) => Promise<Peer | undefined>;

// net.Socket keeps its descriptor on an internal handle; read it through a schema, never trusted to be there.
const WithFd = z.object({ _handle: z.object({ fd: z.number().int().min(0) }).loose() }).loose();

/** The inode of our end of an accepted unix connection ("socket:[1079519]"), from /proc/self/fd. */
async function ownInode(socket: Socket): Promise<string | undefined> {
  const h = WithFd.safeParse(socket);
  if (!h.success) return undefined;
  const link = await readlink(`/proc/self/fd/${h.data._handle.fd}`).catch(() => "");
  return /^socket:\[(\d+)\]$/.exec(link)?.[1];
}

/**
 * The PID whose unix socket is connected to inode `ours`, from `ss -xpnH` lines: "u_str ESTAB 0 0 * 1079518 * 1079519
 * users:(("node",pid=29224,fd=20))" is the client's end (its own inode, then its peer's).
 */
export function peerPidFromSs(text: string, ours: string): number | undefined {
  for (const line of text.split("\n")) {
    const m = /\s(\d+)\s+\S+\s+(\d+)\s+users:\(\("(?:[^"\\]|\\.)*",pid=(\d+),fd=\d+\)/.exec(line);
    if (m && m[2] === ours && m[1] !== ours) return Number(m[3]);
  }
  return undefined;
}

/** Real uid and every gid (primary and supplementary) from /proc/PID/status. */
export function credentialsFromStatus(text: string): { uid: number; gids: number[] } | undefined {
  const uid = /^Uid:\s+(\d+)/m.exec(text)?.[1];
  const gid = /^Gid:\s+(\d+)/m.exec(text)?.[1];
  if (uid === undefined || gid === undefined) return undefined;
  const groups = (/^Groups:[ \t]*([0-9 \t]*)$/m.exec(text)?.[1] ?? "").split(/\s+/).filter((g) => g !== "").map(Number);
  return { uid: Number(uid), gids: [...new Set([Number(gid), ...groups])] };
}

/** The peer lookup through `ss -xpnH` on the actuator's own host (it needs the right to read other processes' fds). */
export function createPeerLookup(host: Host): PeerOf {
  return async (socket) => {
    const ours = await ownInode(socket);
    if (ours === undefined) return undefined;
    const ss = await host.exec(["ss", "-xpnH"], { timeoutMs: 5_000, maxOutputBytes: 4 * 1024 * 1024 }).catch(() => undefined);
    if (!ss || ss.code !== 0) return undefined;
    const pid = peerPidFromSs(ss.stdout, ours);
    if (pid === undefined) return undefined;
    const creds = credentialsFromStatus(await readFile(`/proc/${pid}/status`, "utf8").catch(() => ""));
    return creds === undefined ? undefined : { pid, ...creds };
  };
}

/**
 * Whether a peer may use the actuator: root, the socket's owner, or a member of the socket's group: what the file
 * mode 0660 already says, checked again for a descriptor that reached a process some other way.
 */
export function peerAllowed(peer: Peer, socketFile: { readonly uid: number; readonly gid: number }): boolean {
  return peer.uid === 0 || peer.uid === socketFile.uid || peer.gids.includes(socketFile.gid);
}

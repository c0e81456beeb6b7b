// Status snapshots people paste while on call (docker ps, docker inspect, systemctl status), read as what they are.
import { createDockerInspectReader, looksLikeDockerInspect } from "./snapshot-docker-inspect.js";
import { createDockerPsReader, looksLikeDockerPs } from "./snapshot-docker-ps.js";
import { createSystemctlStatusReader, looksLikeSystemctlStatus } from "./snapshot-systemctl.js";

export type { SnapshotEntry, SnapshotKind, SnapshotReader } from "./snapshot-entry.js";
import type { SnapshotKind, SnapshotReader } from "./snapshot-entry.js";

/**
 * The snapshot kind the first lines of a stream show, if any. systemctl status wins over docker: its journal lines
 * could look like anything; docker inspect over docker ps: an inspect document never has a ps row.
 */
export function detectSnapshot(lines: readonly string[]): SnapshotKind | undefined {
  if (looksLikeSystemctlStatus(lines)) return "systemctl-status";
  if (looksLikeDockerInspect(lines)) return "docker-inspect";
  if (looksLikeDockerPs(lines)) return "docker-ps";
  return undefined;
}

/** A reader for one stream of the given kind; it keeps the state a multi-line snapshot needs. */
export function createSnapshotReader(kind: SnapshotKind): SnapshotReader {
  switch (kind) {
    case "docker-ps":
      return createDockerPsReader();
    case "docker-inspect":
      return createDockerInspectReader();
    case "systemctl-status":
      return createSystemctlStatusReader();
  }
}

// Public surface of the sources floor: where log bytes come from and how they become LogRecords.
/** expandInputs turns paths (files, directories, "-") into a sorted, de-duplicated InputFile list. */
export { errnoCode, expandInputs, isLogFileName, serviceFromFileName } from "./paths.js";
export type { ExpandOptions, InputFile, UnreadableEntry } from "./paths.js";
/** openInput streams one input's bytes, gunzipped when it is gzip. */
export { openInput } from "./files.js";
export type { OpenDeps } from "./files.js";
/** readLogRecords composes open → frame → parse → join for `analyze`, counting lines, bytes and issues. */
export { createReadStats, latestLineTime, readLogRecords } from "./read-records.js";
export type { ReadOptions, ReadStats } from "./read-records.js";
/** findYearHint: the latest dated stamp at the head of a run's files, so yearless files agree with them on the year. */
export { findYearHint } from "./year-hint.js";
/** FileFollower/followFile follow one file through rotation, copytruncate, truncation and re-creation, resumable from a cursor. */
export { FileFollower, followFile } from "./file-tail.js";
export type { FileFollowOptions, FileFollowStats, FileLag, FileLoss, FollowFileOptions } from "./file-tail.js";
/** Filesystems the tailer reads: local (node:fs) or on a Host (stat, tail|head over SSH). */
export { hostFileAccess, localFileAccess } from "./file-tail-access.js";
export type { FileAccess, FileStat, Look, Want } from "./file-tail-access.js";
/** File cursors: device, inode, offset and a fingerprint of the first bytes, as one string. */
export { decodeFileCursor, encodeFileCursor, FINGERPRINT_BYTES } from "./file-tail-cursor.js";
export type { FileCursor } from "./file-tail-cursor.js";
/** followJournal streams journalctl -o json records (unit and priority filters, here or over SSH), resuming after a cursor. */
export { createJournaldStats, followJournal, JournaldSourceConfig, journalctlArgv } from "./journald.js";
export type { JournaldOptions, JournaldStats } from "./journald.js";
/** Docker through dockerode: container logs across restarts (demuxed, stamped, no repeats), events as records, inspect. */
export { decodeDockerCursor, dockerEventsCursorAt, dockerTimeNs, encodeDockerCursor, followContainerLogs, followDockerEvents, inspectContainer } from "./docker.js";
export type { ContainerLogsOptions, ContainerState, DockerEventsOptions, DockerLogCursor } from "./docker.js";
export { demuxDockerStream } from "./docker-demux.js";
export type { DockerFrame } from "./docker-demux.js";
/** followContainers merges the logs of every container matching labels or a name pattern, new ones included, round-robin. */
export { followContainers } from "./docker-containers.js";
export type { ContainerSelector, FollowContainersOptions } from "./docker-containers.js";
/** dockerOverSsh: a Dockerode for a remote daemon, through dial-stdio on an SshHost's shared, pinned connection. */
export { dockerOverSsh } from "./docker-ssh.js";
/** localDockerClient: the Dockerode of a local Docker source: its socket, or a TCP daemon with mutual TLS. */
export { localDockerClient, type DockerDaemonEntry } from "./docker-daemon.js";
/** The file and Docker sources' pieces of firewatch.yaml (journald's is JournaldSourceConfig). */
export { FileSourceConfig } from "./file-tail-config.js";
export { DockerSourceConfig } from "./docker.js";
/** The bullmq source's piece of firewatch.yaml, queue names, and its cursor of emitted failed jobs (no bullmq import). */
export { BullmqSourceConfig, cursorAfter, decodeJobsCursor, encodeJobsCursor, newJobs } from "./bullmq-config.js";
export type { JobsCursor, JobStamp } from "./bullmq-config.js";

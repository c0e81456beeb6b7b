// Public surface of the probes floor: read-only diagnosis commands on a Host whose output becomes evidence.
/** runProbe never throws (a failure is evidence); probesForRule validates finding fields into params or says why not. */
export { PROBES, probesForRule, runProbe } from "./registry.js";
export type { PlannedProbe, ProbeResult } from "./registry.js";
/** The probe contract and its coded error. */
export { ProbeError } from "./probe.js";
export type { Probe, ProbeContext, ProbeFailure } from "./probe.js";
/** Validators for values taken from logs: port, PID, unit, container, path, docker host. */
export { ContainerValue, DockerHostValue, PathValue, PidValue, PortValue, UnitValue } from "./values.js";
/** The probes and their evidence types. */
export { portOwner, type PortOwner, type PortOwnerParams } from "./port-owner.js";
export { processInfo, type ProcessInfo, type ProcessInfoParams } from "./process-info.js";
export { unitStatus, type UnitStatus, type UnitStatusParams } from "./unit-status.js";
export { containerState, type ContainerState, type ContainerStateParams } from "./container-state.js";
export { diskUsage, fileExists, type DiskUsage, type FileExists, type PathParams } from "./file-exists.js";
export { inotifyUsage, type InotifyUsage } from "./inotify-usage.js";

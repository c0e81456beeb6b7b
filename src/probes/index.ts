// Public surface of the probes floor: read-only diagnosis commands on a Host whose output becomes evidence.
/** runProbe never throws (a failure is evidence); probesForRule validates finding fields into params or says why not. */
export { PROBES, probesForRule, runProbe } from "./registry.js";
export type { PlannedProbe, ProbeResult } from "./registry.js";
/** The probe contract and its coded error. */
export { ProbeError } from "./probe.js";
export type { Probe, ProbeContext, ProbeFailure } from "./probe.js";
/** Validators for values taken from logs: port, PID, unit, container, path, docker host. */
export { ContainerValue, DockerHostValue, NetHostValue, PathValue, PidValue, PortValue, UnitValue, parseAddress } from "./values.js";
/** The probes and their evidence types. */
export { portOwner, type PortOwner, type PortOwnerParams } from "./port-owner.js";
export { processInfo, type ProcessInfo, type ProcessInfoParams } from "./process-info.js";
export { unitStatus, type UnitStatus, type UnitStatusParams } from "./unit-status.js";
export { containerState, type ContainerState, type ContainerStateParams } from "./container-state.js";
export { diskUsage, fileExists, type DiskUsage, type FileExists, type PathParams } from "./file-exists.js";
export { inotifyUsage, type InotifyUsage } from "./inotify-usage.js";
export { redisPing, parseRedisInfo, type RedisPing, type RedisPingParams } from "./redis-ping.js";
export { kernelOom, parseOomKills, type KernelOom, type KernelOomParams, type OomKill } from "./kernel-oom.js";
export { healthEndpoint, type HealthEndpoint, type HealthEndpointParams } from "./health-endpoint.js";
/** ProbeNetworkConfig (probes.network in firewatch.yaml) and the check health_endpoint and redis_ping make before connecting. */
export { DEFAULT_PROBE_ALLOW, ProbeNetworkConfig, isProbeTargetAllowed } from "./network-allow.js";
/** runIncidentProbes(stored, rules, deps): the probes an incident's rules name, each asked once, as stored results. */
export { PROBE_CONCURRENCY, runIncidentProbes, type IncidentProbeDeps } from "./incident-probes.js";
/** What runIncidentProbes returns is the store's StoredProbe (re-exported for callers that import it from here). */
export type { StoredProbe } from "../store/index.js";
/** findingHost(finding, incidentHost): the host name a finding's probes and actions run on ("local" when the logs name none). */
export { findingHost } from "./incident-probes.js";
/** Probe history: fresh answers first, earlier answers that said something else kept with their time; the newest per question. */
export { latestProbes, mergeProbeHistory, PROBE_HISTORY_LIMIT, probeQuestion } from "./history.js";

// Public surface of the jobs floor: BullMQ job queues read, classified by the rules, stale files found, cleaned with a guard.
/** Reads every queue (or one), classifies failed jobs with the rules, builds the stale-file table; read-only. */
export { inspectJobs, STALE_RULE_ID } from "./inspect.js";
export type { CategoryCount, ClassifiedJob, InspectDeps, InspectOptions, JobsReport, QueueReport } from "./inspect.js";
/** The category a rule stands for (label and solution from its YAML); the classifier built once per run. */
export { categoryOf, createClassifier, findCategory, UNCATEGORIZED, UNCATEGORIZED_CATEGORY } from "./categories.js";
export type { Classification, JobCategory } from "./categories.js";
/** A failed job as a LogRecord ("Job <id> failed: <reason>"), so log rules and the correlator take it as they are. */
export { failedJobToRecord, jobDataFile } from "./job-record.js";
export type { JobOrigin } from "./job-record.js";
/** The read-only file probe (local; SSH later) and seed 000's file × failed jobs × completed table. */
export { localFileProbe, locateCompleted, staleTable, MAX_WALK_ENTRIES } from "./stale.js";
export type { FileProbe, StaleOptions, StaleRow } from "./stale.js";
/** The same probe on any Host (LocalHost, SshHost): `test -e` and `find -name`, argv only. */
export { escapeFindGlob, hostFileProbe } from "./host-probe.js";
/** Text like seed 003's check_jobs, and the JSON shape. */
export { jobsJson, renderJobsText } from "./render.js";
/** Plan (dry-run) and guarded execution of a category clean, audited. */
export { executeClean, planClean } from "./clean.js";
export type { CleanCandidate, CleanDeps, CleanPlan, CleanResult, SkipReason } from "./clean.js";
/** Job records into signals for the correlator, so job findings join the incident of their service. */
export { jobSignals, probeRecord } from "./signals.js";
/** The read-only BullMQ reader (counts, failed jobs parsed with zod, queue names validated) and its types. */
export { checkQueueName, JOB_STATES, parseJobHash, QueueName, QueueReader } from "../sources/bullmq.js";
export type { FailedJob, JobCounts, JobDataIssue, JobState, QueueReaderOptions, QueueSnapshot } from "../sources/bullmq.js";
/** clean_failed_jobs for the guard: a queue's failed jobs of the given rules' categories, re-checked and audited. */
export { cleanQueueCategories } from "./queue-clean.js";
export type { QueueCleanDeps } from "./queue-clean.js";
/** The guard's job queue side (counts, clean_failed_jobs) over the bullmq sources of firewatch.yaml. */
export { createJobsSide, placeOf, queuePlaces } from "./guard-side.js";
export type { JobsSide, JobsSideDeps, QueuePlace, QueuePlacesConfig } from "./guard-side.js";

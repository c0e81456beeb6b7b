// Public surface of the sources floor: where log bytes come from and how they become LogRecords.
/** expandInputs turns paths (files, directories, "-") into a sorted, de-duplicated InputFile list. */
export { errnoCode, expandInputs, isLogFileName, serviceFromFileName } from "./paths.js";
export type { InputFile } from "./paths.js";
/** openInput streams one input's bytes, gunzipped when it is gzip. */
export { openInput } from "./files.js";
export type { OpenDeps } from "./files.js";
/** readLogRecords composes open → frame → parse → join for `analyze`, counting lines, bytes and issues. */
export { createReadStats, readLogRecords } from "./read-records.js";
export type { ReadOptions, ReadStats } from "./read-records.js";

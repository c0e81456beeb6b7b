// Times are read on every one of Loghub's 16 formats: a test per format, on the vendored 2k samples (fixtures/loghub).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import type { LogFormat, LogRecord } from "../../../src/parsers/index.js";
import { expandInputs, readLogRecords } from "../../../src/sources/index.js";

const LOGHUB = process.env.FIREWATCH_LOGHUB_DIR ?? fileURLToPath(new URL("../../../fixtures/loghub/", import.meta.url));
/** The day the run pretends to be read on: yearless stamps (syslog, logcat, Proxifier) must not land after it. */
const REFERENCE = Date.parse("2026-12-07T02:45:00Z");

/** file → the format it is read as, and the first record's time read in UTC (ISO). */
const CASES: readonly [file: string, format: LogFormat, first: string][] = [
  ["Android_2k.log", "logcat", "2026-03-17T16:13:38.811Z"], // "03-17 16:13:38.811": no year, so the reference's
  ["Apache_2k.log", "apache", "2005-12-04T04:47:44.000Z"], // "[Sun Dec 04 04:47:44 2005] [notice]"
  ["BGL_2k.log", "ras", "2005-06-03T22:42:50.675Z"], // epoch 1117838570 + the µs of "2005-06-03-15.42.50.675872"
  ["HDFS_2k.log", "stamped", "2008-11-09T20:36:15.000Z"], // "081109 203615 148 INFO"
  ["HPC_2k.log", "hpc", "2004-02-26T14:12:22.000Z"], // epoch 1077804742 in the fifth column
  ["Hadoop_2k.log", "stamped", "2015-10-18T18:01:47.978Z"], // log4j "2015-10-18 18:01:47,978 INFO [main]"
  ["HealthApp_2k.log", "stamped", "2017-12-23T22:15:29.606Z"], // "20171223-22:15:29:606|"
  ["Linux_2k.log", "syslog", "2026-06-14T15:16:01.000Z"], // "Jun 14 15:16:01"
  ["Mac_2k.log", "syslog", "2026-07-01T09:00:55.000Z"], // "Jul  1 09:00:55"
  ["OpenSSH_2k.log", "syslog", "2025-12-10T06:55:46.000Z"], // "Dec 10": after Dec 7, so the year before
  ["OpenStack_2k.log", "stamped", "2017-05-16T00:00:00.008Z"], // "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO"
  ["Proxifier_2k.log", "proxifier", "2026-10-30T16:49:06.000Z"], // "[10.30 16:49:06]"
  ["Spark_2k.log", "stamped", "2017-06-09T20:10:40.000Z"], // log4j "17/06/09 20:10:40 INFO"
  ["Thunderbird_2k.log", "ras", "2005-11-09T20:01:01.000Z"], // epoch 1131566461 (the syslog stamp inside is local time)
  ["Windows_2k.log", "stamped", "2016-09-28T04:30:30.000Z"], // CBS "2016-09-28 04:30:30, Info"
  ["Zookeeper_2k.log", "python", "2015-07-29T17:41:44.747Z"], // "2015-07-29 17:41:44,747 - INFO  [..]"
];

const byFile = new Map<string, LogRecord[]>();
beforeAll(async () => {
  if (!existsSync(LOGHUB)) throw new Error(`Loghub corpus not found at ${LOGHUB} (set FIREWATCH_LOGHUB_DIR)`);
  const inputs = await expandInputs(CASES.map(([f]) => `${LOGHUB}/${f}`));
  for await (const r of readLogRecords(inputs, { timeZone: "UTC", referenceMs: REFERENCE })) {
    const name = r.ref.file.split("/").pop() ?? "";
    byFile.set(name, [...(byFile.get(name) ?? []), r]);
  }
});

describe.each(CASES)("Loghub %s", (file, format, first) => {
  test(`is read as ${format} and every record has its time`, () => {
    const records = byFile.get(file) ?? [];
    expect(records.length).toBeGreaterThan(1900);
    expect(records.filter((r) => r.format !== format).map((r) => r.text.slice(0, 120))).toEqual([]);
    expect(records.filter((r) => r.time === undefined).map((r) => r.text.slice(0, 120))).toEqual([]);
    expect(new Date(records[0]?.time ?? NaN).toISOString()).toBe(first);
  });

  test("no record is placed after the reference day", () => {
    const late = (byFile.get(file) ?? []).filter((r) => (r.time ?? 0) >= REFERENCE + 86_400_000);
    expect(late.map((r) => r.text.slice(0, 120))).toEqual([]);
  });
});

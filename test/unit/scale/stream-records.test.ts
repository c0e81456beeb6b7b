// Partitioning of records by host and service, stream entries encoded and parsed back, a collector's cursor.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { LogRecord } from "../../../src/parsers/index.js";
import { decodeCollectorCursor, decodeEntry, encodeCollectorCursor, encodeEntry, partitionName, partitionOf } from "../../../src/scale/index.js";

const record = (o: Partial<LogRecord> = {}): LogRecord => ({
  text: "Dec  7 14:00:00 web1 api[12]: Error: listen EADDRINUSE: address already in use :::9003",
  message: "Error: listen EADDRINUSE: address already in use :::9003",
  time: Date.UTC(2026, 11, 7, 14),
  host: "web1",
  service: "api",
  pid: 12,
  level: "error",
  fields: { unit: "api.service" },
  format: "syslog",
  ref: { file: "/var/log/syslog", line: 4, endLine: 4 },
  truncatedBytes: 0,
  ...o,
});

describe("partitionOf", () => {
  test("the records of one service on one host go to one partition, the same in every process", () => {
    expect(partitionOf("web1", "api", 16)).toBe(partitionOf("web1", "api", 16));
    // Fixed figures: a change of the hash would move every partition's records (and its stored cursor) elsewhere.
    expect([partitionOf("web1", "api", 16), partitionOf("web1", "worker", 16), partitionOf("web2", "api", 16), partitionOf("web1", undefined, 16)]).toEqual([0, 14, 9, 0]);
  });

  test("host and service are not confused by concatenation", () => {
    expect(partitionOf("web1a", "pi", 1024)).not.toBe(partitionOf("web1", "api", 1024));
  });

  test("200 services over 16 partitions: every partition gets some, none more than twice its share", () => {
    const n = new Array<number>(16).fill(0);
    for (let h = 0; h < 10; h++) for (let s = 0; s < 20; s++) n[partitionOf(`host${h}`, `svc-${s}`, 16)]! += 1;
    expect(Math.min(...n)).toBeGreaterThan(0);
    expect(Math.max(...n)).toBeLessThanOrEqual(25);
  });

  test("names sort in partition order", () => {
    expect([partitionName(0), partitionName(7), partitionName(11)]).toEqual(["stream:p00", "stream:p07", "stream:p11"]);
  });
});

describe("stream entries", () => {
  test("records come back as they went, without their source cursor", () => {
    const a = record({ cursor: "i:1:o:200", raw: '{"msg":"x"}', errors: ["boom"] });
    const b = record({ time: undefined, host: undefined, service: undefined, pid: undefined, level: undefined, fields: {} });
    const back = decodeEntry(encodeEntry([{ host: "web1", source: "syslog", seq: 7, record: a }, { host: "local", source: "app", seq: 1, record: b }]));
    const { cursor: _c, ...withoutCursor } = a;
    expect(back).toEqual([{ host: "web1", source: "syslog", seq: 7, record: withoutCursor }, { host: "local", source: "app", seq: 1, record: b }]);
  });

  test("any text and fields survive", () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), fc.string()), fc.nat(), (text, fields, seq) => {
        const r = record({ text, message: text, fields });
        expect(decodeEntry(encodeEntry([{ host: "h", source: "s", seq: seq + 1, record: r }]))).toEqual([{ host: "h", source: "s", seq: seq + 1, record: r }]);
      }),
    );
  });

  test("an entry that is not firewatch's is refused, not half read", () => {
    expect(decodeEntry("not json")).toBeUndefined();
    expect(decodeEntry(JSON.stringify([["h", "s", 0, {}]]))).toBeUndefined();
    expect(decodeEntry(encodeEntry([{ host: "h", source: "s", seq: 1, record: record() }]).replace('"syslog"', '"bogus"'))).toBeUndefined();
  });
});

describe("collector cursors", () => {
  test("the record number and the source's own cursor travel together", () => {
    expect(decodeCollectorCursor(encodeCollectorCursor(42, "multi1:{\"a\":\"1:2\"}"))).toEqual({ seq: 42, inner: "multi1:{\"a\":\"1:2\"}" });
    expect(decodeCollectorCursor(encodeCollectorCursor(0, ""))).toEqual({ seq: 0, inner: undefined });
  });

  test("a cursor a plain watcher stored is resumed from, numbering from 0", () => {
    expect(decodeCollectorCursor("s=abc;i=12")).toEqual({ seq: 0, inner: "s=abc;i=12" });
    expect(decodeCollectorCursor(undefined)).toEqual({ seq: 0, inner: undefined });
  });
});

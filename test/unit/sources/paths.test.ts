// Which program a log file's name suggests, for lines that name none.
import { describe, expect, test } from "vitest";
import { serviceFromFileName } from "../../../src/sources/index.js";

describe("serviceFromFileName", () => {
  test("names the program a log file is named after, rotations and .gz stripped", () => {
    expect(serviceFromFileName("/var/log/streamvault.log.2.gz")).toBe("streamvault");
    expect(serviceFromFileName("logs/rust-ingester.log")).toBe("rust-ingester");
    expect(serviceFromFileName("/srv/api/worker-20251108.log")).toBe("worker");
    expect(serviceFromFileName("transcription-palantir-debug.log")).toBe("transcription-palantir");
  });
  test("says nothing for stdin, generic names and odd ones", () => {
    expect(serviceFromFileName("-")).toBeUndefined();
    for (const p of ["app.log", "/var/log/syslog", "compose.log", "docker-events.log", "dmesg.log", "out.txt", "$(id).log", ".hidden.log"]) {
      expect(serviceFromFileName(p), p).toBeUndefined();
    }
  });
});

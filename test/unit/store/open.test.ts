import { describe, expect, test } from "vitest";
import { parseStoreSpec } from "../../../src/store/index.js";

describe("--store values", () => {
  test("nothing is the embedded database in the default data directory; sqlite:, file: and redis:// name the others", () => {
    expect(parseStoreSpec(undefined, { HOME: "/home/op" })).toEqual({ kind: "sqlite", path: "/home/op/.local/state/firewatch/firewatch.db" });
    expect(parseStoreSpec("", { FIREWATCH_DATA_DIR: "/srv/fw" })).toEqual({ kind: "sqlite", path: "/srv/fw/firewatch.db" });
    expect(parseStoreSpec(undefined, { XDG_STATE_HOME: "/x" })).toEqual({ kind: "sqlite", path: "/x/firewatch/firewatch.db" });
    expect(parseStoreSpec("sqlite:/var/lib/firewatch/fw.db", {})).toEqual({ kind: "sqlite", path: "/var/lib/firewatch/fw.db" });
    expect(parseStoreSpec("sqlite:rel.db", {})).toEqual({ kind: "sqlite", path: `${process.cwd()}/rel.db` });
    expect(parseStoreSpec("file:/var/lib/firewatch", {})).toEqual({ kind: "file", dir: "/var/lib/firewatch" });
    expect(parseStoreSpec("redis://127.0.0.1:6379", {})).toEqual({ kind: "redis", url: "redis://127.0.0.1:6379" });
  });

  test("anything else is a usage error naming the three forms", () => {
    for (const bad of ["sqlite:", "file:", "/var/lib/fw", "postgres://x"]) {
      expect(() => parseStoreSpec(bad, {})).toThrow(expect.objectContaining({ code: "usage", message: expect.stringContaining("sqlite:FILE, file:DIR, redis://HOST:PORT") }));
    }
  });
});

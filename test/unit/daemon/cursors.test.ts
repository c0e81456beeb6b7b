import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CursorTracker, decodeSourceCursor, encodeSourceCursor } from "../../../src/daemon/cursors.js";

describe("source cursors", () => {
  it("a lone unnamed part is stored as it is (a journal cursor stays a journal cursor)", () => {
    expect(encodeSourceCursor(new Map([["", "s=abc;i=1"]]))).toBe("s=abc;i=1");
    expect(decodeSourceCursor("s=abc;i=1")).toEqual(new Map([["", "s=abc;i=1"]]));
    expect(decodeSourceCursor(undefined)).toEqual(new Map());
  });

  it("round-trips any parts (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string(), { minKeys: 1 }), (obj) => {
        const parts = new Map(Object.entries(obj));
        expect(decodeSourceCursor(encodeSourceCursor(parts))).toEqual(parts);
      }),
    );
  });

  it("refuses a damaged multi-part cursor as store_corrupt", () => {
    expect(() => decodeSourceCursor("multi1:{nope")).toThrow(expect.objectContaining({ code: "store_corrupt" }));
  });

  it("offers only the sources that moved, and keeps a source pending when it moved again after the commit was read", () => {
    const t = new CursorTracker(new Map([["app", "multi1:{\"/a\":\"c0\"}"]]));
    expect(t.pending()).toEqual({});
    t.advance("app", "/b", "c1");
    t.advance("journal", "", "j1");
    const batch = t.pending();
    expect(batch).toEqual({ app: 'multi1:{"/a":"c0","/b":"c1"}', journal: "j1" });
    t.advance("journal", "", "j2");
    t.markCommitted(batch);
    expect(t.pending()).toEqual({ journal: "j2" });
  });
});

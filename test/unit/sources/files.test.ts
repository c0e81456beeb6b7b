import { Buffer } from "node:buffer";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expandInputs, isLogFileName, openInput } from "../../../src/sources/index.js";
import { collect } from "../parsers/helpers.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-sources-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = async (chunks: AsyncIterable<Buffer>) => Buffer.concat(await collect(chunks)).toString();

describe("isLogFileName", () => {
  test.each([
    ["app.log", true], ["syslog", true], ["syslog.1", true], ["syslog.2.gz", true], ["app.log-20251226", true],
    ["notes.txt", true], ["events.jsonl", true], ["app.log.2025-12-26.gz", true], ["x.gz", true],
    [".hidden.log", false], ["photo.png", false], ["README.md", false], ["expected.yaml", false], ["lib.so.1", false],
  ])("%s → %s", (name, keep) => {
    expect(isLogFileName(name)).toBe(keep);
  });
});

describe("expandInputs", () => {
  test("walks directories recursively, sorted, skipping dot-files and non-logs; keeps argument order", async () => {
    const root = join(dir, "walk");
    await mkdir(join(root, "b", ".git"), { recursive: true });
    await mkdir(join(root, "a"), { recursive: true });
    await writeFile(join(root, "b", "z.log"), "z\n");
    await writeFile(join(root, "b", "syslog.1"), "s\n");
    await writeFile(join(root, "b", ".git", "HEAD.log"), "no\n");
    await writeFile(join(root, "a", "x.txt"), "x\n");
    await writeFile(join(root, "a", "image.png"), "no\n");
    await writeFile(join(root, ".env"), "no\n");
    await symlink(root, join(root, "a", "loop")); // a loop must not hang the walk
    const single = join(dir, "single.dat");
    await writeFile(single, "named files are read whatever their extension\n");
    const got = await expandInputs([single, root, "-", join(root, "a", "x.txt")]);
    expect(got.map((f) => f.path)).toEqual([single, join(root, "a", "x.txt"), join(root, "b", "syslog.1"), join(root, "b", "z.log"), "-"]);
    expect(got[0]).toMatchObject({ kind: "file", size: 46 });
    expect(typeof got[0]?.mtimeMs).toBe("number");
    expect(got[4]).toEqual({ path: "-", kind: "stdin" });
  });

  test("a missing path is input_missing naming it", async () => {
    const missing = join(dir, "nope.log");
    await expect(expandInputs([missing])).rejects.toMatchObject({ code: "input_missing", message: expect.stringContaining(missing) });
  });

  test("a directory without log files is input_empty", async () => {
    const empty = join(dir, "empty");
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, "picture.jpg"), "x");
    await expect(expandInputs([empty])).rejects.toMatchObject({ code: "input_empty", message: expect.stringContaining(empty) });
  });
});

describe("openInput", () => {
  test("streams a plain file", async () => {
    const p = join(dir, "plain.log");
    await writeFile(p, "a\nb\n");
    expect(await text(openInput({ path: p, kind: "file" }))).toBe("a\nb\n");
  });

  test("gunzips by magic bytes, whatever the name, and multi-member gzip", async () => {
    const p = join(dir, "rotated.1");
    await writeFile(p, Buffer.concat([gzipSync("first\n"), gzipSync("second\n")]));
    expect(await text(openInput({ path: p, kind: "file" }))).toBe("first\nsecond\n");
  });

  test("a truncated gzip yields what was read, then input_invalid naming the file", async () => {
    const p = join(dir, "broken.log.gz");
    const body = Buffer.from(Array.from({ length: 20000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}\n`).join(""));
    const gz = gzipSync(body);
    await writeFile(p, gz.subarray(0, Math.floor(gz.length * 0.8)));
    const got: Buffer[] = [];
    await expect((async () => { for await (const c of openInput({ path: p, kind: "file" })) got.push(c); })()).rejects.toMatchObject({
      code: "input_invalid",
      message: expect.stringContaining(p),
    });
    const read = Buffer.concat(got);
    expect(read.length).toBeGreaterThan(0);
    expect(body.subarray(0, read.length).equals(read)).toBe(true);
  });

  test("reads stdin from the stream it is given (no TTY needed), gzip included", async () => {
    expect(await text(openInput({ path: "-", kind: "stdin" }, undefined, { stdin: Readable.from([Buffer.from("x\n"), Buffer.from("y\n")]) }))).toBe("x\ny\n");
    expect(await text(openInput({ path: "-", kind: "stdin" }, undefined, { stdin: Readable.from([gzipSync("zipped\n")]) }))).toBe("zipped\n");
  });

  test("a stdin stream set to text still reads as bytes", async () => {
    const r = Readable.from([Buffer.from("é\n")]);
    r.setEncoding("utf8");
    expect(await text(openInput({ path: "-", kind: "stdin" }, undefined, { stdin: r }))).toBe("é\n");
  });

  test("a file that vanished is input_missing", async () => {
    await expect(text(openInput({ path: join(dir, "gone.log"), kind: "file" }))).rejects.toMatchObject({ code: "input_missing" });
  });
});

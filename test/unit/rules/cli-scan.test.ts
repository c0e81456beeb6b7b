import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { formatScan, runScan, type ScanIo } from "../../../src/cli/scan.js";
import { scratchDir } from "../../harness/scratch-dir.js";

function io(isTTY: boolean): ScanIo & { err: string[] } {
  const err: string[] = [];
  let t = 0;
  return { err, stdout: { write: () => true }, stderr: { isTTY, write: (s: string) => err.push(s) }, now: () => (t += 150) };
}

async function fixture(): Promise<{ dir: string; patterns: string }> {
  const dir = await scratchDir("scan");
  await writeFile(join(dir, "a.log"), "Error: listen EADDRINUSE: address already in use :::9003\nok\r\nIs port 9003 in use?\r\n");
  await writeFile(join(dir, "b.log.gz"), gzipSync(Buffer.from("disk: No space left on device\nEADDRINUSE again")));
  const patterns = join(dir, "sigs.tsv");
  await writeFile(patterns, "# ad-hoc\neaddrinuse\t(?:EADDRINUSE|Is port \\d+ in use\\?$)\ndisk_full\tNo space left on device\nnever\tzzz_nothing\n");
  return { dir, patterns };
}

describe("runScan", () => {
  test("counts per id over files, gzip and directories, sorted by id, zeros included", async () => {
    const { dir, patterns } = await fixture();
    const result = await runScan([dir], { patterns }, io(false));
    expect(result.counts).toEqual([["disk_full", 1], ["eaddrinuse", 3], ["never", 0]]);
    expect(formatScan(result, "tsv")).toBe("disk_full\t1\neaddrinuse\t3\nnever\t0\n");
    expect(JSON.parse(formatScan(result, "json"))).toMatchObject({ counts: { disk_full: 1, eaddrinuse: 3, never: 0 } });
  });

  test("is silent on a non-TTY stderr and draws progress on a TTY", async () => {
    const { dir, patterns } = await fixture();
    const quiet = io(false);
    await runScan([join(dir, "a.log")], { patterns }, quiet);
    expect(quiet.err).toEqual([]);
    const tty = io(true);
    const result = await runScan([join(dir, "a.log")], { patterns }, tty);
    expect(tty.err.join("")).toMatch(/lines\/s/);
    expect(tty.err.at(-1)).toMatch(/100% .*\n$/);
    expect(result.lines).toBe(3);
  });

  test("a file of several read chunks (two buffers taken in turn) counts as its lines do", async () => {
    const { dir, patterns } = await fixture();
    // 3.4 MiB of lines of every length around the 1 MiB chunk edges: each chunk's last line is cut by the read.
    const lines: string[] = [];
    for (let k = 0; lines.join("\n").length < 3.4 * (1 << 20); k++) {
      const pad = "x".repeat((k * 7919) % 3000);
      lines.push(k % 5 === 0 ? `${pad} Error: listen EADDRINUSE ${k}` : k % 7 === 0 ? `No space left on device ${pad}` : `${pad} fine ${k}`);
    }
    await writeFile(join(dir, "big.log"), `${lines.join("\n")}\n`);
    const result = await runScan([join(dir, "big.log")], { patterns }, io(false));
    const expected = (re: RegExp) => lines.filter((l) => re.test(l)).length;
    expect(result.counts).toEqual([["disk_full", expected(/No space left on device/)], ["eaddrinuse", expected(/EADDRINUSE|Is port \d+ in use\?$/)], ["never", 0]]);
    expect(expected(/EADDRINUSE/)).toBeGreaterThan(100);
  });

  test("a bad pattern line is located; a missing input is input_missing", async () => {
    const { dir } = await fixture();
    const bad = join(dir, "bad.tsv");
    await writeFile(bad, "ok\tfine\nevil\t(a+)+$\n");
    await expect(runScan([dir], { patterns: bad }, io(false))).rejects.toMatchObject({ code: "rule_unsafe", line: 2 });
    await expect(runScan([join(dir, "nope.log")], { patterns: join(dir, "sigs.tsv") }, io(false))).rejects.toMatchObject({ code: "input_missing" });
  });
});

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, showConfig, sourceName } from "../../../src/config/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-config-bullmq-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(text: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, "firewatch.yaml");
  await writeFile(file, text);
  return loadConfig({ file, env });
}

describe("the bullmq source in firewatch.yaml", () => {
  it("takes redis and queues, with prefix bull, poll 30 s, no quiet by default", async () => {
    const c = await load("sources:\n  - kind: bullmq\n    redis: redis://127.0.0.1:6379\n    queues: [transcription]\n    host: local\n    service: whisper-batch\n");
    const s = c.sources[0];
    expect(s).toMatchObject({ kind: "bullmq", redis: "redis://127.0.0.1:6379", queues: ["transcription"], prefix: "bull", poll: 30_000, service: "whisper-batch", retries: 5 });
    expect(s?.quiet).toBeUndefined();
    if (s) expect(sourceName(s)).toBe("bullmq:local");
  });

  it("refuses a queue name a shell or a glob could read differently, naming the line", async () => {
    await expect(load("sources:\n  - kind: bullmq\n    redis: redis://h:6379\n    queues: [\"q; rm -rf /\"]\n")).rejects.toThrow(/firewatch\.yaml:4 sources\[0\]\.queues\[0\]: expected a queue name/);
  });

  it("refuses a password in the file, in the URL or as a key, and takes it from the environment", async () => {
    await expect(load("sources:\n  - kind: bullmq\n    redis: redis://:hunter2@h:6379\n")).rejects.toThrow(/a password in the URL: set it with FIREWATCH_SOURCES__<index>__PASSWORD/);
    await expect(load("sources:\n  - kind: bullmq\n    redis: redis://h:6379\n    password: hunter2\n")).rejects.toThrow(/FIREWATCH_SOURCES__0__PASSWORD/);
    const c = await load("sources:\n  - kind: bullmq\n    redis: redis://h:6379\n", { FIREWATCH_SOURCES__0__PASSWORD: "hunter2" });
    expect(c.sources[0]).toMatchObject({ password: "hunter2" });
    expect(showConfig(c)).not.toContain("hunter2");
  });

  it("masks a password that came in the store URL form under `redis` too", async () => {
    // Only the environment can set such a URL for the source (the schema refuses it): show masks it anyway.
    const c = await load("");
    expect(showConfig({ ...c, sources: [{ kind: "bullmq", redis: "redis://u:pw@h:6379" } as never] })).toContain("redis://u:***@h:6379");
  });
});

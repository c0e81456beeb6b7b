// Fills real BullMQ queues for tests: jobs that fail with a given reason (a Worker whose processor throws it), or succeed.
import { Queue, QueueEvents, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";

/** One job to create: `fail` is the error message the processor throws; without it the job completes. */
export interface JobSpec {
  readonly data: Record<string, unknown>;
  readonly fail?: string;
  readonly attempts?: number;
  readonly jobId?: string;
}

export interface Filled {
  readonly ids: string[];
}

/** A client for a test's own checks (state of a job, raw hash edits); close it in afterAll. */
export function testRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/**
 * Adds the jobs, then runs one Worker until every one of them has finished (completed, or failed after its last
 * attempt), then closes it. Awaits BullMQ's own events: no sleeping.
 */
export async function runJobs(url: string, queueName: string, specs: readonly JobSpec[], prefix = "bull"): Promise<Filled> {
  const connection = { url, maxRetriesPerRequest: null };
  const queue = new Queue(queueName, { connection, prefix });
  const events = new QueueEvents(queueName, { connection, prefix });
  await events.waitUntilReady();
  const pending = new Set<string>();
  let resolveAll: () => void = () => undefined;
  const allDone = new Promise<void>((r) => { resolveAll = r; });
  const settle = (id: string) => {
    pending.delete(id);
    if (pending.size === 0) resolveAll();
  };
  const ids: string[] = [];
  for (const [i, s] of specs.entries()) {
    const job = await queue.add(`job-${i}`, { ...s.data, __fail: s.fail ?? null }, { attempts: s.attempts ?? 1, ...(s.jobId ? { jobId: s.jobId } : {}) });
    if (job.id === undefined) throw new Error("BullMQ returned a job without id");
    ids.push(job.id);
    pending.add(job.id);
  }
  events.on("completed", ({ jobId }) => settle(jobId));
  events.on("failed", async ({ jobId }) => {
    // "failed" fires per attempt; the job is done only once it sits in the failed set.
    if ((await queue.getJobState(jobId)) === "failed") settle(jobId);
  });
  const worker = new Worker(
    queueName,
    async (job: Job) => {
      const fail: unknown = job.data.__fail;
      if (typeof fail === "string") throw new Error(fail);
      return "ok";
    },
    { connection, prefix, concurrency: 4 },
  );
  try {
    // A job that settled before the listeners were attached is found by asking for its state.
    for (const id of [...pending]) {
      const st = await queue.getJobState(id);
      if (st === "completed" || st === "failed") settle(id);
    }
    if (pending.size > 0) await allDone;
  } finally {
    await worker.close();
    await events.close();
    await queue.close();
  }
  return { ids };
}

/** Adds jobs no worker will run: they stay waiting. */
export async function addWaiting(url: string, queueName: string, count: number, prefix = "bull"): Promise<string[]> {
  const queue = new Queue(queueName, { connection: { url, maxRetriesPerRequest: null }, prefix });
  try {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const job = await queue.add(`waiting-${i}`, { n: i });
      if (job.id !== undefined) ids.push(job.id);
    }
    return ids;
  } finally {
    await queue.close();
  }
}

/**
 * Starts a Worker whose processor holds its job until `release()`: the job stays active (locked) meanwhile.
 * Resolves once the job is active.
 */
export async function holdActive(url: string, queueName: string, prefix = "bull"): Promise<{ id: string; release(): Promise<void> }> {
  const connection = { url, maxRetriesPerRequest: null };
  const queue = new Queue(queueName, { connection, prefix });
  let started: (id: string) => void = () => undefined;
  const isActive = new Promise<string>((r) => { started = r; });
  let let_go: () => void = () => undefined;
  const gate = new Promise<void>((r) => { let_go = r; });
  const worker = new Worker(queueName, async (job: Job) => {
    started(job.id ?? "");
    await gate;
    return "released";
  }, { connection, prefix, concurrency: 1 });
  await queue.add("held", { held: true });
  const id = await isActive;
  return {
    id,
    release: async () => {
      let_go();
      await worker.close();
      await queue.close();
    },
  };
}

// `/firewatch jobs`: the configured BullMQ queues read now (src/jobs inspectJobs, read-only), as firewatch jobs prints them.
import { compileRules, createMatcher, type Rule } from "../rules/index.js";
import type { SlackJobs } from "./config.js";

/** Failed jobs read per queue at most: a chat answer needs the categories, not every job. */
const MAX_FAILED = 5_000;

/** What `/firewatch jobs` says when no queue is configured. */
export const NO_QUEUE_CONFIGURED = "No job queue is configured for Slack (slack.jobs.redis in firewatch.yaml, or FIREWATCH_SLACK__JOBS__REDIS): only stored incidents about failed jobs are listed.";

/**
 * The live queues as `firewatch jobs` text: one connection per call (closed after), every configured queue (or every
 * queue under the prefix). A queue that cannot be read says so in the text; Redis being down is one sentence.
 */
export function createJobsText(jobs: SlackJobs, deps: { rules: () => Promise<ReadonlyMap<string, Rule>> }): () => Promise<string> {
  let matcher: Promise<{ rules: Rule[]; match: ReturnType<typeof createMatcher> }> | undefined;
  const compiled = () =>
    (matcher ??= deps.rules().then((map) => {
      const rules = [...map.values()];
      return { rules, match: createMatcher(compileRules(rules)) };
    }));
  return async () => {
    // Loaded on first use: bullmq costs ~0.3 s to import, which a bot that never answers `jobs` should not pay.
    const lib = await import("../jobs/index.js");
    const { rules, match } = await compiled();
    const reader = await lib.QueueReader.connect(jobs.redis, { prefix: jobs.prefix, maxFailed: MAX_FAILED });
    try {
      const probe = lib.localFileProbe();
      const stale = jobs.completedDir === undefined ? {} : { completedDir: jobs.completedDir };
      const names: (string | undefined)[] = jobs.queues.length > 0 ? jobs.queues : [undefined];
      const parts: string[] = [];
      for (const queue of names) {
        try {
          const report = await lib.inspectJobs({ reader, rules, match, probe }, { ...(queue === undefined ? {} : { queue }), ...stale });
          parts.push(lib.renderJobsText(report, { verbose: false }));
        } catch (e) {
          parts.push(`${queue ?? "queues"}: ${e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e)}`);
        }
      }
      return parts.join("\n");
    } finally {
      await reader.close();
    }
  };
}

// What `firewatch --help` lists: each command's term and summary, known without loading its module.
// test/integration/cli/lazy-load.test.ts checks it against the commands the modules register.

/** [name, the term help shows, the summary], in the order the program registers them. */
export const COMMAND_INDEX: readonly (readonly [name: string, term: string, summary: string])[] = [
  ["analyze", "analyze [options] [paths...]", "Read log files (or stdin) and report the incidents in them"],
  ["scan", "scan [options] <paths...>", "Count the lines each rule matches (the matching stage only, like grep -c per rule)"],
  ["rules", "rules", "Check rules and try them on logs"],
  ["jobs", "jobs [options]", "Failed BullMQ jobs by category, with the documented solution, and stale jobs whose file is already completed"],
  ["bot", "bot [options]", "Run the Slack app: /firewatch, the incident post buttons, and posts updated in place"],
  ["config", "config", "Write, show or check firewatch.yaml (with FIREWATCH_* overrides applied)"],
  ["watch", "watch [options]", "Follow the configured journald, Docker and file sources and keep incidents up to date"],
  ["actuator", "actuator [options]", "Run actions and privileged port questions for an unprivileged firewatch, on a unix socket"],
  ["doctor", "doctor [options]", "Say per host which probes and actions work with firewatch's rights there, and what to grant"],
  ["incidents", "incidents", "List, inspect, acknowledge, resolve and silence stored incidents (the embedded database, a file store or Redis)"],
  ["report", "report [options] <id>", "Write the markdown incident report of a stored incident"],
  ["act", "act [options] <action> [approvalId]", "Run a remediation on an incident through the guard, as the local user (a second user approves destructive ones)"],
  ["probe", "probe [options] <id>", "Run an incident's read-only probes again now and keep the results with it"],
  ["audit", "audit [options]", "The audit log, oldest first: every guard decision and remediation, incident change (created, acknowledged, resolved, reopened), silence and jobs clean"],
  ["status", "status [options]", "The watchers sharing a Redis store (scale:), which one reads each source, and the record streams' lag"],
  ["completion", "completion <shell>", "Print a shell completion script for firewatch's commands and options"],
];

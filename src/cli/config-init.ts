// `firewatch config init`: a commented starting firewatch.yaml that `config check` accepts, for an operator's first hour.
import { writeFile } from "node:fs/promises";
import { FirewatchError } from "../errors.js";

/** The starting config: this machine's syslog, the journal and Docker ready to uncomment, a file store, health. */
export const STARTER_CONFIG = `# firewatch.yaml, written by \`firewatch config init\`. Every key is in docs/config.md.
# Check it:  firewatch config check --config firewatch.yaml
# Run it:    firewatch watch --config firewatch.yaml
# Secrets never go in this file: Slack tokens, the guard's secret and model keys come from the environment
# (FIREWATCH_SLACK__BOT_TOKEN, FIREWATCH_GUARD__SECRET, FIREWATCH_LLM__API_KEY...).

# What to read. Each source has a kind, a name (it keys the source's stored position) and a host ("local" by
# default; SSH hosts with pinned keys go under \`hosts:\`, see docs/sources.md).
sources:
  # A log file, followed through rotation. startAt: end reads new lines only; beginning reads it all first.
  - kind: file
    name: syslog
    paths: [/var/log/syslog]
    startAt: end

  # The journal: every unit at priority emerg..warning (the reader must be root or in the systemd-journal group).
  # - kind: journald
  #   name: journal
  #   priority: "0..4"
  #   units: []              # or only these: [nginx.service, app.service]

  # Docker: every container's logs and the daemon's events (die, oom, restart); needs the Docker socket.
  # - kind: docker
  #   name: docker
  #   events: true
  #   namePattern: ".*"

# Rules of your own, added to the built-in library (a rule with a built-in's id replaces it). See docs/rules.md.
rules:
  dirs: []

# Where incidents, positions, silences and the audit log are kept: file:DIR (one process) or redis://HOST:PORT.
store:
  url: file:/var/lib/firewatch

outputs:
  jsonLines: true                          # one JSON line per incident change on stdout
  reportDir: /var/lib/firewatch/reports    # one markdown report per incident

# /healthz and /metrics (port 0: any free port, printed at start).
health:
  host: 127.0.0.1
  port: 9464

# Slack (docs/slack.md): tokens from the environment, the channel here.
# slack:
#   routing: { channel: C0123ABCDEF }

# Remediation stays off until an action is allowed here (docs/guard.md).
guard:
  tokenTtl: 15m
  actions: {}
`;

/** Writes the starting config to `file` ("-": stdout); an existing file is kept unless `force`. */
export async function writeStarterConfig(file: string, opts: { force: boolean; stdout: { write(s: string): unknown } }): Promise<void> {
  if (file === "-") return void opts.stdout.write(STARTER_CONFIG);
  try {
    await writeFile(file, STARTER_CONFIG, { flag: opts.force ? "w" : "wx", mode: 0o644 });
  } catch (e) {
    if (typeof e === "object" && e !== null && "code" in e && e.code === "EEXIST") {
      throw new FirewatchError("usage", `${file} exists; nothing was written`, { hint: "check it with `firewatch config check --config " + file + "`, or pass --force to replace it" });
    }
    throw e;
  }
  opts.stdout.write(`wrote ${file}; check it with: firewatch config check --config ${file}\n`);
}

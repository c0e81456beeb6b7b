// The rules' expert knowledge as report sections: Impact, Immediate Actions, Root Cause Analysis, Prevention, Docs, Next Steps.
import type { TimeFormat } from "./clock-format.js";
import { codeBlock, escapeInline } from "./escape.js";
import { commandValues, fillOrUnknown, fillStrict, fillWith, placeholderNames } from "./fill.js";
import type { FindingView } from "./finding-view.js";
import { bullets, filled } from "./markdown-issues.js";

/** Said instead of an empty section, so a reader knows nothing was left out by mistake. */
const NONE = (what: string) => `None: the matching rules record no ${what}.`;

function unique(lines: Iterable<string>): string[] {
  return [...new Set(lines)];
}

/** Impact Assessment: every finding's impact bullets, merged, without duplicates. */
export function renderImpact(views: readonly FindingView[]): string {
  const lines = unique(views.flatMap((v) => filled(v.knowledge.impact, v)));
  return lines.length > 0 ? bullets(lines) : NONE("impact");
}

/**
 * A value may go into a command shown for copy-and-paste only if no shell would read it as more than one word,
 * and it cannot be taken for an option (`kill -9 {pid}` with pid "-1" would signal every process).
 */
const SHELL_SAFE = /^[A-Za-z0-9_.:/@%+=,][A-Za-z0-9_.:/@%+=,-]*$/;

/**
 * Immediate Actions Required, grouped under the finding they belong to: "### N. finding title", then "#### N.M
 * action title" and the exact commands, filled. An action identical to one of an earlier finding appears once.
 * Observed findings (below their rule's condition) are not acted on: their actions are left out, and counted in a
 * note, unless `allActions`.
 */
export function renderActions(views: readonly FindingView[], fmt: TimeFormat, opts: { allActions?: boolean } = {}): string {
  const groups: string[] = [];
  const seen = new Set<string>();
  let leftOut = 0;
  for (const view of views) {
    if (view.finding.state !== "firing" && opts.allActions !== true) {
      if (view.knowledge.immediate_actions.length > 0) leftOut++;
      continue;
    }
    const blocks: string[] = [];
    const all = commandValues(view.finding, fmt);
    const safe: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(all)) if (SHELL_SAFE.test(v)) safe[k] = v;
    for (const action of view.knowledge.immediate_actions) {
      const title = fillOrUnknown(action.title, view.values, escapeInline);
      const commands = action.commands.map((cmd) => {
        // Every {name} must be filled: a command with a hole is shown as what it would be, commented out.
        const line = fillStrict(cmd, safe, (v) => v);
        if (line !== undefined) return line;
        const lacking = unique(placeholderNames(cmd).filter((n) => !Object.hasOwn(safe, n)));
        const why = lacking.map((n) => (!Object.hasOwn(all, n) ? `${n} is not known from the logs` : `${n} is not a plain word`));
        // Shown with <name> where the value is missing, so the reader sees the command without a raw placeholder.
        const shape = fillWith(cmd, safe, (v) => v, (n) => `<${n}>`);
        return `# omitted (${why.join("; ")}): ${shape}`;
      });
      const key = `${title}\u0000${commands.join("\n")}`;
      if (seen.has(key)) continue;
      seen.add(key);
      blocks.push(`#### ${groups.length + 1}.${blocks.length + 1} ${title}\n${codeBlock(commands.join("\n"), "bash")}`);
    }
    if (blocks.length > 0) groups.push(`### ${groups.length + 1}. ${view.title}\n\n${blocks.join("\n\n")}`);
  }
  const note = leftOut === 0 ? [] : [`_The actions of ${leftOut} observed finding${leftOut === 1 ? "" : "s"} (seen, but below the rule's condition) are left out; \`--all-actions\` shows them._`];
  return groups.length > 0 || note.length > 0 ? [...groups, ...note].join("\n\n") : NONE("immediate action");
}

/** Root Cause Analysis: per finding, the hypothesis and the numbered possible causes. */
export function renderAnalysis(views: readonly FindingView[]): string {
  const blocks: string[] = [];
  for (const view of views) {
    const { hypothesis, possible_causes } = view.knowledge;
    const causes = filled(possible_causes, view);
    if (hypothesis === undefined && causes.length === 0) continue;
    const h = hypothesis === undefined ? undefined : fillStrict(hypothesis, view.values, escapeInline);
    const lines = [`### ${blocks.length + 1}. ${view.title}`, `**Hypothesis:** ${h ?? "unknown"}`];
    if (causes.length > 0) lines.push("", "**Possible Causes:**", ...causes.map((c, i) => `${i + 1}. ${c}`));
    blocks.push(lines.join("\n"));
  }
  return blocks.length > 0 ? blocks.join("\n\n") : NONE("hypothesis");
}

/** Prevention Measures: checkboxes grouped per finding; a measure already listed under an earlier finding is not repeated. */
export function renderPrevention(views: readonly FindingView[]): string {
  const seen = new Set<string>();
  const blocks: string[] = [];
  for (const view of views) {
    const items = filled(view.knowledge.prevention, view).filter((p) => !seen.has(p));
    if (items.length === 0) continue;
    for (const p of items) seen.add(p);
    blocks.push(`### ${blocks.length + 1}. ${view.title}\n${items.map((p) => `- [ ] ${p}`).join("\n")}`);
  }
  return blocks.length > 0 ? blocks.join("\n\n") : NONE("prevention measure");
}

/** Related Documentation: a link for URLs, "title: `path`" for files, the text as written otherwise. */
export function renderDocs(views: readonly FindingView[]): string {
  const lines = unique(
    views.flatMap((v) =>
      v.knowledge.docs.map((d) => {
        if (typeof d === "string") return d;
        if (/^https?:\/\/\S+$/.test(d.ref)) return `[${d.title}](${d.ref})`;
        return `${d.title}: ${codeSpan(d.ref)}`;
      }),
    ),
  );
  return lines.length > 0 ? bullets(lines) : NONE("documentation");
}

/** A code span for a path; a path with backticks is written as escaped text instead. */
function codeSpan(ref: string): string {
  return ref.includes("`") || /[\r\n]/.test(ref) ? escapeInline(ref) : `\`${ref}\``;
}

/** Next Steps: numbered, without duplicates. */
export function renderNextSteps(views: readonly FindingView[]): string {
  const lines = unique(views.flatMap((v) => filled(v.knowledge.next_steps, v)));
  return lines.length > 0 ? lines.map((l, i) => `${i + 1}. ${l}`).join("\n") : NONE("next step");
}

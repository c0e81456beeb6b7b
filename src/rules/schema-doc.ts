// The rule format as documentation, generated from the zod schema's descriptions (docs/rules.md is its output).
import { z } from "zod";
import { RuleSchema } from "./schema.js";
import { RULE_GUIDE } from "./schema-guide.js";
import { ERROR_KEYS, ERROR_TEXT_LEAVES, MAX_ERROR_TEXTS } from "../parsers/index.js";

/** JSON Schema of a rule file's rule (what editors with a YAML language server can validate against). */
export function ruleJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RuleSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}

interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  anyOf?: Node[];
  oneOf?: Node[];
  additionalProperties?: Node | boolean;
}

function typeOf(n: Node): string {
  if (n.const !== undefined) return JSON.stringify(n.const);
  if (n.enum) return n.enum.map((e) => JSON.stringify(e)).join(" \\| ");
  const alts = n.anyOf ?? n.oneOf;
  if (alts) return [...new Set(alts.map(typeOf))].join(" or ");
  if (n.type === "array") return `list of ${n.items ? typeOf(n.items) : "any"}`;
  if (n.type === "object" && !n.properties && typeof n.additionalProperties === "object") return `map of ${typeOf(n.additionalProperties)}`;
  return Array.isArray(n.type) ? n.type.join(" or ") : (n.type ?? "any");
}

/** The object a node describes, looking through `anyOf` (a shorthand string or the full object). */
function objectOf(n: Node): Node | undefined {
  if (n.properties) return n;
  if (n.type === "array" && n.items) return objectOf(n.items);
  return (n.anyOf ?? n.oneOf)?.map(objectOf).find((x) => x !== undefined);
}

function rows(n: Node, prefix: string, out: string[], seen: Set<string>): void {
  const obj = objectOf(n);
  if (!obj?.properties) return;
  for (const [key, child] of Object.entries(obj.properties)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (seen.has(path)) continue;
    seen.add(path);
    const required = obj.required?.includes(key) && child.default === undefined ? "yes" : "";
    const def = child.default !== undefined && JSON.stringify(child.default).length < 40 ? `\`${JSON.stringify(child.default)}\`` : "";
    const desc = (child.description ?? objectOf(child)?.description ?? "").replaceAll("|", "\\|");
    out.push(`| \`${path}\` | ${typeOf(child)} | ${required} | ${def} | ${desc} |`);
    rows(child, path, out, seen);
  }
}

/** Markdown reference of every key a rule may have, per kind. */
export function ruleSchemaMarkdown(): string {
  const schema = ruleJsonSchema() as Node;
  const kinds = schema.oneOf ?? [];
  const out = [
    "# Rule format",
    "",
    "Generated from the zod schema in `src/rules/schema.ts` by `firewatch rules schema --format markdown`; a test keeps",
    "this file in step with the schema. `firewatch rules schema` prints the JSON Schema (for editors).",
    "",
    "A rule file holds one rule, or `rules: [...]`. Unknown keys are errors. The smallest rule is an `id` and a",
    "`match` regex; `kind` defaults to `single`. Durations are strings like `30s`, `5m`, `1h30m`, `2d` or seconds.",
    "Templates (`title`, knowledge texts, commands) take `{field}` placeholders: captured and derived fields, and",
    "`host`, `service`, `count`, `firstSeen`, `lastSeen`, `interval`, `span`.",
    "",
    "A pattern set (`match`, `then`, `expect`, `until`, `clears`) may also recognise a record by its structured fields:",
    "`structured` lists alternatives, each a mapping `FIELD: regex` that must all hold (journald's `MESSAGE_ID`,",
    "`N_RESTARTS`, `UNIT`, `UNIT_RESULT`, `EXIT_STATUS`; any field a parser keeps). Their named groups become fields,",
    "as a text regex's do. They are tried only when no regex of `any` matched, so a record both forms match is one",
    "signal with the text's fields; the literal prefilter never skips them (they read no text); a `not` that matches",
    "the record's text vetoes them too. Example: systemd's \"Scheduled restart job\" in any language, by its catalog id:",
    "",
    "```yaml",
    "match:",
    "  any: ['(?<unit>[\\w@.:-]{1,200})\\.service: Scheduled restart job, restart counter is at (?<counter>\\d+)\\.']",
    "  structured:",
    "    - MESSAGE_ID: '^5eb03494b6584870a536b337290809b3$'",
    "      UNIT: '^(?<unit>[\\w@.:-]{1,200})\\.service$'",
    "      N_RESTARTS: '^(?<counter>\\d{1,10})$'",
    "examples:",
    "  - line: 'api.service: Geplanter Neustart-Auftrag, Neustartzähler steht bei 3.'",
    "    structured: { MESSAGE_ID: 5eb03494b6584870a536b337290809b3, UNIT: api.service, N_RESTARTS: '3' }",
    "    fields: { unit: api, counter: '3' }",
    "```",
    "",
    "`scan` counts raw lines without parsing formats, so it counts `any` only; `analyze`, `watch` and",
    "`rules test` parse records and use both.",
    "",
    "## Error fields",
    "",
    "Structured logs often say only \"Job failed\" in their message and put the cause in an error field. Patterns on",
    "`text` or `message` (the default) are therefore also tried on the record's error texts, one at a time, each",
    "through the same literal prefilter; the first text that matches gives the fields, `not` vetoes as on the text,",
    "and the evidence quotes the line as logged. An error text is a string field (JSON, logfmt, or a JSON line",
    "inside journald's `MESSAGE` or `docker logs`) that is either named by one of these keys (as written, Capitalized,",
    "UPPER or camelCase: `stackTrace`, `errorMessage`) or sits under one, nested up to three levels, and is named by",
    "one of the text leaves:",
    "",
    `- keys: ${[...ERROR_KEYS].map((k) => `\`${k}\``).join(", ")}`,
    `- text leaves inside them: ${[...ERROR_TEXT_LEAVES].map((k) => `\`${k}\``).join(", ")}`,
    "",
    "So pino/bunyan `{\"msg\":\"Job failed\",\"err\":{\"message\":…,\"stack\":…}}` (`err.message`, `err.stack`),",
    "zap/logrus `\"error\":\"listen tcp :8080: bind: address already in use\"`, winston's top-level `stack`, Python's",
    "`exc_info`, logback's `stack_trace`, ECS `error.message` and a web app's `context.error.cause.message` are all",
    `searched; \`err.type\` or \`error.id\` are not. At most ${MAX_ERROR_TEXTS} error texts per record are searched.`,
    "",
  ];
  out.push(...RULE_GUIDE);
  const common = new Set<string>();
  kinds.forEach((k, i) => {
    const kind = String(k.properties?.["kind"]?.const ?? `variant ${i + 1}`);
    const lines: string[] = [];
    rows(k, "", lines, i === 0 ? common : new Set(common));
    if (i === 0) {
      out.push("## Keys of every rule (shown for `kind: single`)", "", "| key | type | required | default | meaning |", "|---|---|---|---|---|", ...lines, "");
    } else {
      const own = lines.filter((l) => !l.startsWith("| `kind`"));
      out.push(`## \`kind: ${kind}\``, "", "| key | type | required | default | meaning |", "|---|---|---|---|---|", `| \`kind\` | "${kind}" | yes |  |  |`, ...own, "");
    }
  });
  return out.join("\n");
}

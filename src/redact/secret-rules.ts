// gitleaks' maintained rule set (src/redact/gitleaks-rules.json, MIT) as a secret finder: each rule's keywords decide
// whether its regex runs, its capture group picks the secret, its entropy floor and allow-lists drop look-alikes.
import { z } from "zod";
import rulesJson from "./gitleaks-rules.json" with { type: "json" };
import { shannonEntropy } from "./entropy.js";

const Source = z.object({ source: z.string(), flags: z.string().regex(/^[is]*$/) });
const AllowList = z.object({
  regexes: z.array(Source).optional(),
  stopwords: z.array(z.string()).optional(),
  target: z.enum(["secret", "match", "line"]).optional(),
  condition: z.enum(["OR", "AND"]).optional(),
});
const RuleFile = z.object({
  source: z.url(),
  allowlist: z.object({ regexes: z.array(Source), stopwords: z.array(z.string()) }),
  rules: z.array(
    z.object({
      id: z.string(),
      source: z.string(),
      flags: z.string().regex(/^[is]*$/),
      keywords: z.array(z.string()),
      entropy: z.number().optional(),
      secretGroup: z.number().int().min(1).optional(),
      allowlists: z.array(AllowList).optional(),
    }),
  ),
});

interface CompiledAllowList {
  readonly regexes: readonly RegExp[];
  readonly stopwords: readonly string[];
  readonly target: "secret" | "match" | "line";
  readonly and: boolean;
}

interface CompiledRule {
  readonly id: string;
  readonly re: RegExp;
  readonly keywords: readonly string[];
  readonly entropy: number | undefined;
  readonly secretGroup: number | undefined;
  readonly allow: readonly CompiledAllowList[];
}

/** One secret found in a text: where it is (UTF-16 offsets) and which rule found it. */
export interface SecretSpan {
  readonly start: number;
  readonly end: number;
  readonly rule: string;
}

export interface SecretRules {
  /** How many rules are loaded (for the log and the tests). */
  readonly size: number;
  /** Every secret the rules find in `text`, in no particular order (spans may overlap). */
  find(text: string): SecretSpan[];
}

const compileAllow = (a: z.infer<typeof AllowList>): CompiledAllowList => ({
  regexes: (a.regexes ?? []).map((r) => new RegExp(r.source, r.flags)),
  stopwords: a.stopwords ?? [],
  target: a.target ?? "secret",
  and: a.condition === "AND",
});

function allowed(list: CompiledAllowList, secret: string, match: string, line: string): boolean {
  const subject = list.target === "match" ? match : list.target === "line" ? line : secret;
  const byRegex = list.regexes.length > 0 && list.regexes.some((r) => r.test(subject));
  const lower = secret.toLowerCase();
  const byStopword = list.stopwords.length > 0 && list.stopwords.some((w) => lower.includes(w));
  if (list.and) return (list.regexes.length === 0 || byRegex) && (list.stopwords.length === 0 || byStopword);
  return byRegex || byStopword;
}

/** The line of `text` around [start, end): what gitleaks calls the line, for "line" allow-lists. */
function lineAround(text: string, start: number, end: number): string {
  const from = text.lastIndexOf("\n", start - 1) + 1;
  const to = text.indexOf("\n", end);
  return text.slice(from, to === -1 ? text.length : to);
}

/** Compiles the vendored rule set once (about 220 regexes); the caller keeps the result for the life of the process. */
export function loadSecretRules(): SecretRules {
  const file = RuleFile.parse(rulesJson);
  const global = compileAllow({ regexes: file.allowlist.regexes, stopwords: file.allowlist.stopwords });
  const rules: CompiledRule[] = file.rules.map((r) => ({
    id: r.id,
    // "d" gives the offsets of the capture groups, so only the secret part of a match is replaced.
    re: new RegExp(r.source, `${r.flags}gd`),
    keywords: r.keywords,
    entropy: r.entropy,
    secretGroup: r.secretGroup,
    allow: [global, ...(r.allowlists ?? []).map(compileAllow)],
  }));
  return {
    size: rules.length,
    find(text) {
      const lower = text.toLowerCase();
      const spans: SecretSpan[] = [];
      for (const rule of rules) {
        // gitleaks' prefilter: a rule runs only on text holding one of its keywords.
        if (rule.keywords.length > 0 && !rule.keywords.some((k) => lower.includes(k))) continue;
        rule.re.lastIndex = 0;
        for (const m of text.matchAll(rule.re)) {
          const idx = m.indices;
          if (!idx) continue;
          // The secret: the rule's group, else the first group that matched something, else the whole match.
          let span = idx[0];
          if (rule.secretGroup !== undefined) span = idx[rule.secretGroup];
          else for (let g = 1; g < idx.length; g++) if (idx[g] && (idx[g]?.[1] ?? 0) > (idx[g]?.[0] ?? 0)) { span = idx[g]; break; }
          if (!span || span[1] <= span[0]) continue;
          const secret = text.slice(span[0], span[1]);
          if (secret.includes("<SECRET_")) continue;
          if (rule.entropy !== undefined && shannonEntropy(secret) <= rule.entropy) continue;
          const line = lineAround(text, span[0], span[1]);
          if (rule.allow.some((a) => allowed(a, secret, m[0], line))) continue;
          spans.push({ start: span[0], end: span[1], rule: rule.id });
        }
      }
      return spans;
    },
  };
}

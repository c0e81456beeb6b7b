// Summarises captured fields over a group's signals (first, last, max, min, values, count_distinct) and derives more.
import { FirewatchError } from "../errors.js";
import type { Aggregate, Rule } from "../rules/schema.js";
import { fillTemplate } from "./template.js";

/**
 * A fresh fields object without a prototype: a regex may name a group `__proto__` or `constructor`, and
 * such a field must be stored and looked up like any other.
 */
export function emptyFields(...sources: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  return Object.assign(out, ...sources);
}

/** Distinct values a `values` summary lists before it ends in "…". */
export const MAX_LISTED_VALUES = 50;
/** Distinct values a `count_distinct` summary counts exactly; beyond, it says "10000+". */
export const MAX_COUNTED_VALUES = 10_000;

interface Summary {
  add(value: string): void;
  result(): string | undefined;
}

function createSummary(mode: Aggregate): Summary {
  switch (mode) {
    case "first": {
      let v: string | undefined;
      return { add: (x) => void (v ??= x), result: () => v };
    }
    case "last": {
      let v: string | undefined;
      return { add: (x) => void (v = x), result: () => v };
    }
    case "max":
    case "min": {
      // Keeps the original text of the extreme value ("0485" stays "0485"); non-numbers are ignored.
      let best: string | undefined;
      let bestN = 0;
      const better = mode === "max" ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
      return {
        add(x) {
          const n = Number(x);
          if (x.trim() === "" || !Number.isFinite(n)) return;
          if (best === undefined || better(n, bestN)) {
            best = x;
            bestN = n;
          }
        },
        result: () => best,
      };
    }
    case "values": {
      const seen = new Set<string>();
      let more = false;
      return {
        add(x) {
          if (seen.has(x)) return;
          if (seen.size < MAX_LISTED_VALUES) seen.add(x);
          else more = true;
        },
        result: () => (seen.size === 0 ? undefined : [...seen].join(", ") + (more ? ", …" : "")),
      };
    }
    case "count_distinct": {
      const seen = new Set<string>();
      let more = false;
      return {
        add(x) {
          if (seen.size < MAX_COUNTED_VALUES) seen.add(x);
          else if (!seen.has(x)) more = true;
        },
        result: () => `${seen.size}${more ? "+" : ""}`,
      };
    }
  }
}

/** Running summaries of one group's captured fields, per the rule's `fields` (default: last value). */
export interface FieldSummaries {
  add(fields: Readonly<Record<string, string>>): void;
  result(): Record<string, string>;
}

export function createFieldSummaries(modes: Readonly<Record<string, Aggregate>>): FieldSummaries {
  const byName = new Map<string, Summary>();
  return {
    add(fields) {
      for (const [name, value] of Object.entries(fields)) {
        let s = byName.get(name);
        if (s === undefined) {
          s = createSummary((Object.hasOwn(modes, name) ? modes[name] : undefined) ?? "last");
          byName.set(name, s);
        }
        s.add(value);
      }
    },
    result() {
      const out = emptyFields();
      for (const [name, s] of byName) {
        const v = s.result();
        if (v !== undefined) out[name] = v;
      }
      return out;
    },
  };
}

/** A rule's `derive` entries with their regexes compiled once; `extra` values (the count) are read, never returned. */
export type CompiledDerive = (fields: Readonly<Record<string, string>>, extra?: Readonly<Record<string, string>>) => Record<string, string>;

/**
 * Applies the first `derive` entry whose `when` holds (its field's summarised value matches), or that has
 * no `when`; its `set` values are templates filled from the fields and `extra` (the finding's count). Returns the fields with the derived ones
 * added (a derived value replaces a captured one of the same name).
 */
export function compileDerive(rule: Rule): CompiledDerive {
  const entries = rule.derive.map((d, i) => {
    let re: RegExp | undefined;
    if (d.when !== undefined) {
      try {
        re = new RegExp(d.when.matches);
      } catch (cause) {
        throw new FirewatchError("rule_invalid", `rule ${rule.id}: derive[${i}].when.matches is not a valid regex`, {
          cause,
          hint: "derive regexes use JavaScript syntax, like match patterns",
        });
      }
    }
    return { field: d.when?.field, re, set: d.set };
  });
  return (fields, extra) => {
    const values = extra === undefined ? fields : emptyFields(extra, fields);
    const chosen = entries.find((e) => {
      if (e.re === undefined || e.field === undefined) return true;
      const v = Object.hasOwn(values, e.field) ? values[e.field] : undefined;
      return v !== undefined && e.re.test(v);
    });
    const out = emptyFields(fields);
    if (chosen === undefined) return out;
    for (const [name, template] of Object.entries(chosen.set)) out[name] = fillTemplate(template, values);
    return out;
  };
}

// Fills {name} placeholders in rule text (titles, derive values, knowledge) from a finding's fields.

/**
 * A {name} placeholder, as captured groups and record attributes spell names; `{a: 1}` or `{ x }` (jq, shell) are left
 * alone. The one syntax of rule text: the report's filler (report/fill.ts) uses it too. Global: use with replace/matchAll.
 */
export const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/**
 * Plain template filling: `{field}` becomes its value; a name with no value stays visibly as `{field}`,
 * so a missing capture shows in the report instead of silently vanishing.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole: string, name: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    return value ?? whole;
  });
}

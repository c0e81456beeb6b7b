// A rule id's form, shared by the schema and by the pattern-file reader that skips zod (rules/pattern-file.ts).
export const RULE_ID = /^[a-z][a-z0-9_]*$/;

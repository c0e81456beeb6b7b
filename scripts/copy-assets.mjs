// Copies the non-TypeScript files the CLI reads at run time (the built-in rule library) into dist/.
import { cpSync, existsSync } from "node:fs";

const assets = [["src/rules/library", "dist/rules/library"]];
for (const [from, to] of assets) {
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}

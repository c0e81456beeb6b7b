// The floors of CONVENTIONS.md: a folder imports only from folders below it (time and errors at the bottom).
// `npm run deps` fails on an upward import or a cycle.
const FLOORS = [
  // aho-corasick: the literal automaton of the rules' prefilter and of the skimming reader's byte lane.
  // redact: secrets out of outgoing text; imports nothing from firewatch, so every floor may use it.
  ["time.ts", "errors.ts", "yaml-position.ts", "aho-corasick.ts", "redact"],
  ["parsers", "hosts"],
  ["sources"],
  ["rules"],
  ["correlate"],
  ["incidents"],
  ["store"],
  // Scale-out: source leases over the Redis store; config composes its section, the daemon runs it.
  ["scale"],
  ["probes"],
  ["report"],
  ["jobs"],
  ["actions"],
  ["bot"],
  ["config"],
  // The daemon assembles every floor below it; the CLI starts it (`firewatch watch`).
  ["daemon"],
  ["cli"],
];
const rank = new Map(FLOORS.flatMap((names, i) => names.map((n) => [n, i])));
// src/cli.ts, the entry point, belongs to the cli floor; the bottom floor is single files at src/.
const folder = (n) => (n === "cli" ? "^src/cli(?:/|\\.ts$)" : n.endsWith(".ts") ? `^src/${n.replace(".", "\\.")}$` : `^src/${n}/`);

const forbidden = [];
for (const [name, r] of rank) {
  const above = [...rank].filter(([other, q]) => q > r || (q === r && other !== name)).map(([other]) => folder(other).replace(/^\^/, ""));
  if (above.length === 0) continue;
  forbidden.push({
    name: `no-upward-from-${name}`,
    comment: `${name} may not import from a floor above it (or a sibling on its floor)`,
    severity: "error",
    from: { path: folder(name) },
    to: { path: `^(${above.join("|")})` },
  });
}
forbidden.push({ name: "no-cycles", severity: "error", from: { path: "^src/" }, to: { circular: true } });

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(dist|test|bench|fixtures|scripts)/" },
  },
};

// Preloaded with `node --import` (before the program): records every package the process loads into $FIREWATCH_LOADED_OUT,
// ES modules as they are resolved (a hook) and CommonJS ones from require's cache at exit (a require() is not resolved
// through the hooks).
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const out = process.env["FIREWATCH_LOADED_OUT"];
if (out === undefined) throw new Error("FIREWATCH_LOADED_OUT is not set");
register("./loaded-modules-hooks.mjs", import.meta.url, { data: { out } });
const require = createRequire(import.meta.url);
process.on("exit", () => appendFileSync(out, Object.keys(require.cache).map((k) => `${k}\n`).join("")));

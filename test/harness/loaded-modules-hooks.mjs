// The resolve hook of loaded-modules.mjs: appends each resolved file URL to the list.
import { appendFileSync } from "node:fs";

let out = "";
export function initialize(data) {
  out = data.out;
}
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith("file:")) appendFileSync(out, `${r.url}\n`);
  return r;
}

// firewatch's own log: pino, structured, to stderr (stdout carries results only).
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(opts: { debug: boolean }): Logger {
  return pino(
    { name: "firewatch", level: opts.debug ? "debug" : "warn", base: null, redact: ["*.token", "*.password", "*.secret"] },
    pino.destination({ fd: 2, sync: true }),
  );
}

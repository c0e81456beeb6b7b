// Schemas for the values a probe takes from logs (ports, PIDs, unit and container names, paths): refuse anything else.
import { z } from "zod";

/** 1-65535, digits only: "9003" or 9003; never "9003; id" or "0x10". */
export const PortValue = z
  .union([z.number().int(), z.string().regex(/^\d{1,5}$/, "a port is 1-5 digits").transform(Number)])
  .pipe(z.number().int().min(1).max(65535));

/** A PID: digits only, 1..4194304 (Linux pid_max ceiling). */
export const PidValue = z
  .union([z.number().int(), z.string().regex(/^\d{1,7}$/, "a PID is digits only").transform(Number)])
  .pipe(z.number().int().min(1).max(4_194_304));

/**
 * A systemd unit name as systemd itself allows (letters, digits, ":-_.\\@"), optionally with a type suffix.
 * It may not start with "-", so it can never be read as an option; anything a shell would treat specially
 * (";", "$", "(", "`", spaces, "/") is refused. Without a suffix systemctl assumes ".service".
 */
export const UnitValue = z
  .string()
  .regex(
    /^(?!-)[A-Za-z0-9@._:-]{1,240}(?:\.(?:service|socket|timer|target|mount|path|scope|slice))?$/,
    "a unit name is letters, digits and @._:- (e.g. palantir.service)",
  );

/** A container id (hex) or name, Docker's own rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
export const ContainerValue = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "a container is an id or a name of [A-Za-z0-9_.-]");

/** An absolute path with no NUL or newline (a path from a log line; "/" first, so never an option). */
export const PathValue = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^\/[^\0\n]*$/, "a path must be absolute, without NUL or newline");

/** Where docker talks to (`docker -H`): comes from config, never from logs, but still only these schemes. */
export const DockerHostValue = z.string().regex(/^(?:unix|tcp|ssh):\/\/[^\s\0]+$/, "docker host must be unix://, tcp:// or ssh://");

/**
 * A host to connect to, as a log names it: a DNS name, an IPv4 address or a bare IPv6 address. Never starts with
 * "-" (no option), no "/", "@", spaces or shell characters.
 */
export const NetHostValue = z
  .string()
  .regex(/^(?![-.])(?:[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$/, "a host is a DNS name or an IP address");

/**
 * "host:port", "[v6]:port", ":port", "redis://host:port" or a `values` list of them ("a:1, b:2": the first counts)
 * → host and port. An empty host, "*" or "0.0.0.0" means this machine (127.0.0.1).
 */
export function parseAddress(text: string, defaultPort: number): { host: string; port: number } | undefined {
  const listed = String(firstListed(text)).trim();
  // Printable ASCII, nothing else: an empty or odd value is not "this machine" by default.
  if (!/^[!-~]+$/.test(listed)) return undefined;
  const scheme = /^[a-z][a-z0-9+.-]{0,16}:\/\//.exec(listed);
  // Only a URL ("redis://cache:6380/0") has a path to drop; a bare address with a "/" is no address.
  const first = scheme ? listed.slice(scheme[0].length).replace(/\/[0-9]{0,5}$/, "") : listed;
  const m = /^(?:\[([0-9A-Fa-f:.]{2,45})\]|([^:\s]*))(?::(\d{1,5}))?$/.exec(first);
  if (!m) return undefined;
  const raw = m[1] ?? m[2] ?? "";
  const host = raw === "" || raw === "*" || raw === "0.0.0.0" ? "127.0.0.1" : raw === "::" ? "::1" : raw;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (!NetHostValue.safeParse(host).success || !PortValue.safeParse(port).success) return undefined;
  return { host, port };
}

/** The first entry of a `values` summary ("8001, 8002, …" → "8001"); anything else as it is. */
export function firstListed(v: unknown): unknown {
  return typeof v === "string" && v.includes(", ") ? v.split(", ")[0] : v;
}

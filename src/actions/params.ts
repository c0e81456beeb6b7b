// Validators for every value an action takes from a log line or a button, built on the probes' own schemas.
import { z } from "zod";
import { ContainerValue, PidValue, PortValue, UnitValue } from "../probes/index.js";

// The probes floor is the source of truth for what a PID, port, unit or container is (its values reach argv too).
// Actions are stricter in three ways, because here the value is what gets killed or restarted, and it travels as a
// string inside a signed token:
// - digits only, with no leading zero, so one PID or port has exactly one spelling in a token;
// - never PID 1 (init: killing it is never a remediation);
// - a unit name starts with a letter, digit or "_" (the probes refuse a leading "-"; "." "@" ":" are odd there too).

/** A process id as decimal digits, 2..2^22 (no sign, no leading zero, never PID 1). */
export const Pid = z
  .string()
  .regex(/^[1-9][0-9]{0,6}$/, "a PID is decimal digits")
  .refine((s) => PidValue.safeParse(s).success && s !== "1", "PID must be between 2 and 4194304");

/** A TCP port 1..65535 as digits. */
export const Port = z
  .string()
  .regex(/^[1-9][0-9]{0,4}$/, "a port is decimal digits")
  .refine((s) => PortValue.safeParse(s).success, "port must be at most 65535");

/**
 * A systemd unit name: the probes' UnitValue (systemd's character set, never a leading "-"), first character a letter,
 * digit or "_". No spaces, quotes, ";", "$", "(" or "/": "foo; rm -rf /" is refused.
 */
export const UnitName = z
  .string()
  .regex(/^[A-Za-z0-9_]/, "not a systemd unit name")
  .refine((s) => UnitValue.safeParse(s).success, "not a systemd unit name");

/** A Docker container id (hex) or name: exactly the probes' ContainerValue (Docker's own rule for names). */
export const ContainerRef = z.string().refine((s) => ContainerValue.safeParse(s).success, "not a container id or name");

/**
 * A job queue name: the same pattern as src/sources/bullmq.ts QueueName (a unit test holds them equal). Not imported
 * from there: that module loads bullmq and ioredis, which every `firewatch config` would then pay for.
 */
export const QueueName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "not a queue name");

/** systemctl scope: the system manager or `--user`. */
export const UnitScope = z.enum(["system", "user"]);

/** A host name as configured (never put in argv; it names the Host the command runs on), still refused when odd. */
export const HostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/, "not a host name");

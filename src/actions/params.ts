// Validators for every value an action takes from a log line or a button: digits, unit names, container ids, queues.
import { z } from "zod";

// Highest PID Linux hands out (pid_max limit, 2^22). PID 1 is init: killing it is never a remediation.
const PID_MAX = 4_194_304;

/** A process id as decimal digits, 2..2^22 (no sign, no leading zero, never PID 1). */
export const Pid = z
  .string()
  .regex(/^[1-9][0-9]{0,6}$/, "a PID is decimal digits")
  .refine((s) => Number(s) > 1 && Number(s) <= PID_MAX, "PID must be between 2 and 4194304");

/** A TCP port 1..65535 as digits. */
export const Port = z
  .string()
  .regex(/^[1-9][0-9]{0,4}$/, "a port is decimal digits")
  .refine((s) => Number(s) <= 65_535, "port must be at most 65535");

/**
 * A systemd unit name: systemd's own character set (ASCII letters, digits, ":-_.@"), first character not "-" so it
 * can never be read as an option by systemctl. No spaces, quotes, ";", "$", "(" or "/": "foo; rm -rf /" is refused.
 */
export const UnitName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9:_.@-]{0,255}$/, "not a systemd unit name");

/** A Docker container id (hex) or name (Docker's own rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+). */
export const ContainerRef = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "not a container id or name");

/** A job queue name (BullMQ queue names in the seeds: "transcription", "whisper-jobs"). */
export const QueueName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "not a queue name");

/** systemctl scope: the system manager or `--user`. */
export const UnitScope = z.enum(["system", "user"]);

/** A host name as configured (never put in argv; it names the Host the command runs on), still refused when odd. */
export const HostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/, "not a host name");

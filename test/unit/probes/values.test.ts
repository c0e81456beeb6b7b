import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ContainerValue, DockerHostValue, PathValue, PidValue, PortValue, UnitValue } from "../../../src/probes/index.js";

const HOSTILE = ["foo; rm -rf /", "$(id)", "`id`", "a b", "-h", "--help", "x|y", "a\nb", "a\0b", "../etc", "", "a&&b", "$HOME"];

describe("values taken from logs", () => {
  test("ports are 1-65535 digits only", () => {
    expect(PortValue.parse("9003")).toBe(9003);
    expect(PortValue.parse(65535)).toBe(65535);
    for (const bad of ["0", "65536", "9003; id", "0x10", "-1", " 80", "80 ", "1e3", ...HOSTILE]) expect(PortValue.safeParse(bad).success, bad).toBe(false);
  });

  test("PIDs are digits only and positive", () => {
    expect(PidValue.parse("1573680")).toBe(1573680);
    for (const bad of ["0", "-1", "12a", "1 2", "99999999", ...HOSTILE]) expect(PidValue.safeParse(bad).success, bad).toBe(false);
  });

  test("unit names follow systemd's alphabet and never start with a dash", () => {
    for (const ok of ["palantir.service", "palantir", "getty@tty1.service", "sys-kernel.mount", "backup.timer", "a_b:c.socket"]) expect(UnitValue.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["/etc/passwd", "a/b.service", ...HOSTILE]) expect(UnitValue.safeParse(bad).success, bad).toBe(false);
  });

  test("container ids and names follow Docker's rule", () => {
    for (const ok of ["palantir", "3f4e5d6c7b8a", "my_app.1-x"]) expect(ContainerValue.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["_x", ".x", "a/b", ...HOSTILE]) expect(ContainerValue.safeParse(bad).success, bad).toBe(false);
  });

  test("paths are absolute, without NUL or newline", () => {
    expect(PathValue.parse("/data/input/a b.m4a")).toBe("/data/input/a b.m4a");
    for (const bad of ["relative", "-rf", "/a\0b", "/a\nb", ""]) expect(PathValue.safeParse(bad).success, bad).toBe(false);
  });

  test("docker hosts are unix, tcp or ssh URLs", () => {
    expect(DockerHostValue.safeParse("unix:///tmp/x/dock.sock").success).toBe(true);
    for (const bad of ["/tmp/sock", "unix:///a b", "http://x", "-H"]) expect(DockerHostValue.safeParse(bad).success, bad).toBe(false);
  });

  test("no accepted unit, container or port contains a shell metacharacter or starts with a dash", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        for (const schema of [UnitValue, ContainerValue]) {
          const r = schema.safeParse(s);
          if (r.success) expect(r.data).toMatch(/^[A-Za-z0-9@._:][A-Za-z0-9@._:-]*$/);
        }
        const p = PortValue.safeParse(s);
        if (p.success) expect(String(p.data)).toBe(s.replace(/^0+/, ""));
      }),
      { numRuns: 2000 },
    );
  });
});

// Status snapshots pasted on call (docker ps, docker inspect, systemctl status) read as records of their own format.
import { describe, expect, test } from "vitest";
import { createRecordParser, type LogRecord } from "../../../src/parsers/index.js";
import { createSnapshotReader, detectSnapshot, type SnapshotEntry, type SnapshotKind } from "../../../src/parsers/snapshot.js";
import { MAX_ENTRY_LINES } from "../../../src/parsers/snapshot-entry.js";

function read(kind: SnapshotKind, text: string): { entries: SnapshotEntry[]; passed: number[] } {
  const reader = createSnapshotReader(kind);
  const entries: SnapshotEntry[] = [];
  const passed: number[] = [];
  text.split("\n").forEach((line, i) => {
    const r = reader.push(line, i + 1);
    entries.push(...r.entries);
    if (r.passThrough) passed.push(i + 1);
  });
  entries.push(...reader.end());
  return { entries, passed };
}

function records(text: string): LogRecord[] {
  const parser = createRecordParser({ file: "paste.log", referenceMs: Date.parse("2026-01-01T00:00:00Z"), timeZone: "UTC" });
  const out: LogRecord[] = [];
  text.split("\n").forEach((line, i) => parser.push({ bytes: Buffer.from(line), lineNo: i + 1, truncatedBytes: 0 }, (r) => out.push(r)));
  parser.end((r) => out.push(r));
  return out;
}

const PS = [
  "CONTAINER ID   IMAGE           COMMAND                  CREATED          STATUS                          PORTS                  NAMES",
  '29ca70cc3ef8   dperson/samba   "/sbin/tini -- /usr/…"   2 minutes ago    Restarting (1) 6 seconds ago                           samba',
  '530939cedbb6   nginx:1.25      "nginx -g \'daemon …"    32 minutes ago   Up 32 minutes (unhealthy)       0.0.0.0:80->80/tcp     web',
  '1789e586d4f8   redis:7         "docker-entrypoint.s…"   32 minutes ago   Up 32 minutes                   6379/tcp               redis',
].join("\n");

const INSPECT = [
  "$ docker inspect web",
  "[",
  "    {",
  '        "Id": "38ea21ae35b6",',
  '        "Args": [',
  '            "-c"',
  "        ],",
  '        "State": {',
  '            "Status": "exited",',
  '            "OOMKilled": false,',
  '            "ExitCode": 137,',
  '            "Health": {',
  '                "Status": "unhealthy",',
  '                "Log": [',
  "                    {",
  '                        "ExitCode": 1',
  "                    }",
  "                ]",
  "            }",
  "        },",
  '        "Name": "/web",',
  '        "RestartCount": 4',
  "    }",
  "]",
].join("\n");

const STATUS = [
  "● firewalld.service - firewalld - dynamic firewall daemon",
  "   Loaded: loaded (/lib/systemd/system/firewalld.service; enabled; vendor preset: enabled)",
  "   Active: failed (Result: exit-code) since Thu 2019-11-21 14:31:48 IST; 4ms ago",
  "     Docs: man:firewalld(1)",
  "           man:firewalld.conf(5)",
  "  Process: 24827 ExecStartPre=/bin/true (code=exited, status=0/SUCCESS)",
  " Main PID: 24828 (code=exited, status=1/FAILURE)",
  "",
  "Nov 21 14:31:48 host systemd[1]: firewalld.service: Main process exited, code=exited, status=1/FAILURE",
].join("\n");

describe("detectSnapshot", () => {
  test("tells the three snapshots apart and leaves log lines alone", () => {
    expect(detectSnapshot(PS.split("\n"))).toBe("docker-ps");
    expect(detectSnapshot(INSPECT.split("\n"))).toBe("docker-inspect");
    expect(detectSnapshot(STATUS.split("\n"))).toBe("systemctl-status");
    expect(detectSnapshot(["Nov 21 14:31:48 host systemd[1]: firewalld.service: Failed with result 'exit-code'.", "   Active: failed (quoted in a runbook)"])).toBeUndefined();
    expect(detectSnapshot(['{"Status":"unhealthy","FailingStreak":3}'])).toBeUndefined();
    expect(detectSnapshot(["web_1 exited with code 137", "Up 32 minutes (unhealthy)"])).toBeUndefined();
  });
});

describe("docker ps", () => {
  test("one entry per row with its columns; the header is consumed", () => {
    const { entries, passed } = read("docker-ps", PS);
    expect(passed).toEqual([]);
    expect(entries.map((e) => [e.fields.NAMES, e.fields.STATUS, e.fields.PORTS ?? "", e.firstLine])).toEqual([
      ["samba", "Restarting (1) 6 seconds ago", "", 2],
      ["web", "Up 32 minutes (unhealthy)", "0.0.0.0:80->80/tcp", 3],
      ["redis", "Up 32 minutes", "6379/tcp", 4],
    ]);
    expect(entries[0]?.fields).toMatchObject({ SNAPSHOT: "docker-ps", CONTAINER_ID: "29ca70cc3ef8", IMAGE: "dperson/samba" });
  });

  test("docker compose ps rows start with the name", () => {
    const { entries } = read("docker-ps", [
      "NAME            IMAGE          COMMAND                  SERVICE   CREATED       STATUS                          PORTS",
      'app-grafana-1   grafana:10.2   "/run.sh"                grafana   4 hours ago   Restarting (1) 49 seconds ago',
    ].join("\n"));
    expect(entries.map((e) => [e.subject, e.fields.STATUS])).toEqual([["app-grafana-1", "Restarting (1) 49 seconds ago"]]);
  });
});

describe("docker compose ps of older versions", () => {
  test("docker-compose 1.x: the name first, the State column, the dashed line consumed", () => {
    const { entries, passed } = read("docker-ps", [
      "       Name                     Command               State                    Ports",
      "------------------------------------------------------------------------------------------------------",
      "central_mail_1       /bin/entrypoint.sh exim -b ...   Exit 137",
      "central_nginx_1      /bin/bash /scripts/odk-set ...   Up (unhealthy)   0.0.0.0:443->443/tcp",
    ].join("\n"));
    expect(passed).toEqual([]);
    expect(entries.map((e) => [e.fields.NAMES, e.fields.STATUS])).toEqual([["central_mail_1", "Exit 137"], ["central_nginx_1", "Up (unhealthy)"]]);
  });

  test("docker compose 2.0-2.6: NAME COMMAND SERVICE STATUS, lower-case states", () => {
    const { entries } = read("docker-ps", [
      "NAME                  COMMAND                  SERVICE             STATUS              PORTS",
      'docspell-joex         "/opt/joex-entrypoin…"   joex                running (unhealthy)   0.0.0.0:7878->7878/tcp',
    ].join("\n"));
    expect(entries.map((e) => [e.fields.NAMES, e.fields.STATUS])).toEqual([["docspell-joex", "running (unhealthy)"]]);
  });
});

describe("docker inspect", () => {
  test("one entry per container: State and Health by path, the name, the State lines as text", () => {
    const { entries, passed } = read("docker-inspect", INSPECT);
    expect(passed).toEqual([1]);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.fields).toMatchObject({
      SNAPSHOT: "docker-inspect", "State.Status": "exited", "State.OOMKilled": "false", "State.ExitCode": "137",
      "State.Health.Status": "unhealthy", Name: "/web", RestartCount: "4", Id: "38ea21ae35b6",
    });
    // The health log's own ExitCode stays out of State.ExitCode.
    expect(entries[0]?.subject).toBe("web");
    expect([entries[0]?.firstLine, entries[0]?.lastLine]).toEqual([8, 20]);
  });

  test("a paste cut before the end still gives its State, at the end of the stream", () => {
    const cut = INSPECT.split("\n").slice(0, 20).join("\n");
    const { entries } = read("docker-inspect", cut);
    expect(entries[0]?.fields["State.ExitCode"]).toBe("137");
    expect(entries[0]?.subject).toBeUndefined();
  });

  test("keys without quotes and a Health object on its own", () => {
    const bare = read("docker-inspect", ["State:{", "ExitCode:137,", "OOMKilled:false,", 'Status:"exited"', "}"].join("\n"));
    expect(bare.entries[0]?.fields).toMatchObject({ "State.ExitCode": "137", "State.OOMKilled": "false", "State.Status": "exited" });
    const health = read("docker-inspect", ["{", '  "Status": "unhealthy",', '  "FailingStreak": 4,', '  "Log": [', "    {", '      "ExitCode": 1', "    }", "  ]", "}"].join("\n"));
    expect(health.entries[0]?.fields).toMatchObject({ "State.Health.Status": "unhealthy", "State.Health.FailingStreak": "4" });
  });
});

describe("bounded", () => {
  test("an entry keeps at most MAX_ENTRY_LINES lines of text, and still reads the fields after them", () => {
    const tree = Array.from({ length: 2000 }, (_, i) => `           ├─${1000 + i} /usr/bin/worker`);
    const { entries } = read("systemctl-status", ["● big.service - Big", "   Active: failed (Result: exit-code)", "   CGroup: /system.slice/big.service", ...tree, " Main PID: 7 (code=exited, status=1/FAILURE)"].join("\n"));
    expect(entries[0]?.text.split("\n")).toHaveLength(MAX_ENTRY_LINES);
    expect(entries[0]?.fields).toMatchObject({ MAIN_PID: "7", EXIT_STATUS: "1/FAILURE" });
    expect(entries[0]?.lastLine).toBe(MAX_ENTRY_LINES);
  });
});

describe("systemctl status", () => {
  test("the unit block is one entry; the main process's exit wins over a control process's; journal lines pass", () => {
    const { entries, passed } = read("systemctl-status", STATUS);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.fields).toMatchObject({
      SNAPSHOT: "systemctl-status", UNIT: "firewalld.service", MAIN_PID: "24828", EXIT_CODE: "exited", EXIT_STATUS: "1/FAILURE",
      ACTIVE: "failed (Result: exit-code) since Thu 2019-11-21 14:31:48 IST; 4ms ago",
    });
    expect([entries[0]?.firstLine, entries[0]?.lastLine]).toEqual([1, 7]);
    expect(passed).toEqual([8, 9]);
  });

  test("without a Main PID line the last process's exit is used", () => {
    const { entries } = read("systemctl-status", ["* sshd.service - OpenSSH server daemon", "   Active: activating (auto-restart) (Result: exit-code)", "  Process: 19610 ExecStart=/usr/sbin/sshd $OPTIONS (code=exited, status=255)"].join("\n"));
    expect(entries[0]?.fields).toMatchObject({ UNIT: "sshd.service", EXIT_STATUS: "255" });
    expect(entries[0]?.fields.MAIN_PID).toBeUndefined();
  });
});

describe("through the record parser", () => {
  test("snapshot entries become records of their format, spanning their lines; other lines stay log lines", () => {
    const got = records(STATUS);
    expect(got.map((r) => [r.format, r.ref.line, r.ref.endLine, r.service])).toEqual([
      ["systemctl-status", 1, 7, "firewalld"],
      ["syslog", 9, 9, "firewalld"],
    ]);
    expect(got[0]?.text).toBe(STATUS.split("\n").slice(0, 7).join("\n"));
  });

  test("a log file that is no snapshot is parsed as before", () => {
    const got = records("Nov 21 14:31:48 host systemd[1]: firewalld.service: Failed with result 'exit-code'.");
    expect(got.map((r) => r.format)).toEqual(["syslog"]);
  });
});

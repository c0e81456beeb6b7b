#!/usr/bin/env python3
"""Converts gitleaks' default config (config/gitleaks.toml, MIT) into src/redact/gitleaks-rules.json.

Usage: python3 scripts/vendor-secret-patterns.py PATH/TO/gitleaks.toml COMMIT > src/redact/gitleaks-rules.json

Go's RE2 syntax becomes JavaScript's: a leading (?i) becomes the "i" flag, an inner (?i:...) makes the whole pattern
case-insensitive (JavaScript on Node 20 has no inline modifiers; a redactor may match more, never less), (?-i:...)
and (?s:.) become plain groups ((?s:.) as [\\s\\S]), \\z becomes $, POSIX classes become ranges. Whether every result
compiles in JavaScript and passes the rule engine's ReDoS check is tested in test/unit/redact/gitleaks-rules.test.ts;
a rule that fails goes into DROPPED below with its reason. The file is data: no code of gitleaks is copied.
"""
import json
import re
import sys
import tomllib

# Rules left out, with the reason (checked by the test that every kept pattern compiles and is safe).
DROPPED = {
    # Needs the file path (gitleaks matches it against the path, not the text); a log line has none.
    "pkcs12-file": "matches file paths only",
    # Multi-line YAML document rules: a log line is not a Kubernetes manifest, and (?s:.){0,200}? spans are slow.
    "kubernetes-secret-yaml": "multi-line manifest rule",
    # "(?:[\\r\\n]{1,2}.*){1,5}" (a command continued over lines) fails the ReDoS check; src/redact/patterns.ts covers
    # `curl -u user:pw` and `-H "Authorization: ..."` on one line instead.
    "curl-auth-header": "fails the ReDoS check (nested quantifier over line breaks)",
    "curl-auth-user": "fails the ReDoS check (nested quantifier over line breaks)",
}

POSIX = {
    "alnum": "A-Za-z0-9", "alpha": "A-Za-z", "digit": "0-9", "xdigit": "0-9A-Fa-f", "upper": "A-Z", "lower": "a-z",
    "space": r"\s", "word": r"\w", "punct": r"!-/:-@\[-`{-~",
}


def to_js(pattern: str) -> tuple[str, str]:
    flags = ""
    if pattern.startswith("(?i)"):
        flags += "i"
        pattern = pattern[4:]
    if "(?i)" in pattern or "(?i:" in pattern:
        if "i" not in flags:
            flags += "i"
        pattern = pattern.replace("(?i)", "").replace("(?i:", "(?:")
    pattern = pattern.replace("(?-i:", "(?:").replace("(?s:.)", r"[\s\S]").replace("(?s:", "(?:")
    pattern = pattern.replace(r"\z", "$").replace(r"\A", "^").replace("(?P<", "(?<")
    pattern = re.sub(r"\[\[:(\w+):\]\]", lambda m: f"[{POSIX[m.group(1)]}]", pattern)
    pattern = re.sub(r"\[:(\w+):\]", lambda m: POSIX[m.group(1)], pattern)
    return pattern, flags


def allowlist(a: dict) -> dict:
    out = {}
    if "regexes" in a:
        out["regexes"] = [dict(zip(("source", "flags"), to_js(r))) for r in a["regexes"]]
    if "stopwords" in a:
        out["stopwords"] = [s.lower() for s in a["stopwords"]]
    if "regexTarget" in a:
        out["target"] = a["regexTarget"]
    if "condition" in a:
        out["condition"] = a["condition"]
    return out


def main() -> None:
    path, commit = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        config = tomllib.load(f)
    rules = []
    for r in config["rules"]:
        if r["id"] in DROPPED or "regex" not in r:
            continue
        source, flags = to_js(r["regex"])
        rule = {"id": r["id"], "source": source, "flags": flags, "keywords": [k.lower() for k in r.get("keywords", [])]}
        if "entropy" in r:
            rule["entropy"] = r["entropy"]
        if "secretGroup" in r:
            rule["secretGroup"] = r["secretGroup"]
        # Path-only allowlists say nothing about a log line.
        lists = [allowlist(a) for a in r.get("allowlists", []) if "regexes" in a or "stopwords" in a]
        if lists:
            rule["allowlists"] = lists
        rules.append(rule)
    glob = config.get("allowlist", {})
    out = {
        "source": f"https://github.com/gitleaks/gitleaks/blob/{commit}/config/gitleaks.toml",
        "licence": "MIT, Copyright (c) 2019 Zachary Rice: see gitleaks-LICENSE beside this file",
        "generatedBy": "scripts/vendor-secret-patterns.py",
        "dropped": DROPPED,
        "allowlist": {"regexes": [dict(zip(("source", "flags"), to_js(r))) for r in glob.get("regexes", [])], "stopwords": [s.lower() for s in glob.get("stopwords", [])]},
        "rules": rules,
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


main()

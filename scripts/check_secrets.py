#!/usr/bin/env python3
"""Fail when a secret is about to be committed (run by `make test` / CI).

Scans every file that git would take (the tree minus what .gitignore excludes) for:

* files that only ever hold secrets: ``.env``, ``*.env``, private keys (``id_rsa``, ``*.pem``,
  ``*.key``, ``*.p12``), ``.pgpass``, ``.netrc``;
* private-key blocks, and token formats with a fixed shape (AWS, GitHub, Slack, Google, Stripe,
  Telegram, JWTs);
* passwords inside connection URLs (``postgresql://user:<password>@host``);
* this project's secrets given a literal value: the Zalo OA secret key, app secret, access and
  refresh tokens, Rasa's auth token / JWT secret, passwords and API keys (``name: value`` or
  ``NAME=value``; in code only quoted literals), unless the value is a placeholder (``${VAR}``,
  ``<...>``, ``changeme``, values that say test / fake / example / dummy). Not in tests/, whose
  fixtures hold made-up credentials on purpose (the other rules apply there too).

A line that must stay can be marked ``secrets-check: allow`` (say why next to it). Values are
never printed, only file, line and rule. Exit code 0: nothing found; 1: findings.

Why our own script and not detect-secrets: the secrets of this project have known names (see
docs/channels.md), which a targeted rule catches with no false positives, while detect-secrets'
entropy rules flag every hash and test token and need a baseline file that drifts; this script
needs no dependency and runs in a second.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
ALWAYS_SKIP = {".git", ".venv", "node_modules", "__pycache__"}
MAX_BYTES = 2 * 1024 * 1024
SECRET_FILES = [
    ".env",
    "*.env",
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    ".pgpass",
    ".netrc",
    "*.keystore",
    "*.jks",
]
SECRET_FILE_EXCEPTIONS = [".env.example", "*.env.example"]
PLACEHOLDER = re.compile(
    r"^\$\{?[A-Za-z_]|^<.*>$|^\*+$|^x{3,}$|changeme|change-me|placeholder|example|dummy|"
    r"fake|test|your[-_ ]|redacted|^none$|^null$|^true$|^false$|^\.\.\.$|"
    r"^(?:password|passwd|pass|secret|s3cret|token)$",
    re.I,
)
CODE_SUFFIXES = {".py", ".js", ".ts"}
PATTERNS: List[Tuple[str, re.Pattern]] = [
    ("private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY-----")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})\b")),
    ("Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("Stripe live key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}\b")),
    ("Telegram bot token", re.compile(r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b")),
    ("JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")),
]
URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^/\s:@'\"]+:([^@\s/'\"]+)@")
NAMED_SECRET = re.compile(
    r"(?i)\b([A-Za-z_]*(?:oa_secret_key|app_secret|secret_key|access_token|refresh_token|auth_token|"
    r"jwt_key|jwt_secret|api_key|apikey|password|passwd|client_secret|private_key)[A-Za-z_]*)\b"
    r"[\"']?\s*(?::|=|:=)\s*([\"']?)([^\s\"'#,;)]+)"
)


def gitignore_patterns(root: Path) -> List[Tuple[str, bool, bool]]:
    """(pattern, anchored, directory only) from the root .gitignore (no negations)."""
    out = []
    path = root / ".gitignore"
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#") or line.startswith("!"):
                continue
            directory = line.endswith("/")
            line = line.rstrip("/")
            anchored = line.startswith("/") or "/" in line
            out.append((line.lstrip("/"), anchored, directory))
    return out


def ignored(rel: str, is_dir: bool, patterns) -> bool:
    name = rel.rsplit("/", 1)[-1]
    for pattern, anchored, directory in patterns:
        if directory and not is_dir:
            continue
        if fnmatch.fnmatch(rel, pattern) if anchored else fnmatch.fnmatch(name, pattern):
            return True
    return False


def files(root: Path) -> Iterator[Path]:
    patterns = gitignore_patterns(root)
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        rel_base = base.relative_to(root).as_posix()
        rel_base = "" if rel_base == "." else rel_base + "/"
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in ALWAYS_SKIP and not (base / d).is_symlink() and not ignored(rel_base + d, True, patterns)
        )
        for filename in sorted(filenames):
            if not ignored(rel_base + filename, False, patterns):
                yield base / filename


def scan_file(path: Path, rel: str) -> List[str]:
    findings = []
    name = path.name
    if any(fnmatch.fnmatch(name, p) for p in SECRET_FILES) and not any(
        fnmatch.fnmatch(name, p) for p in SECRET_FILE_EXCEPTIONS
    ):
        findings.append(f"{rel}: a file that holds secrets ({name}) must not be committed")
    try:
        if path.stat().st_size > MAX_BYTES:
            return findings
        data = path.read_bytes()
    except OSError:
        return findings
    if b"\x00" in data[:4096]:
        return findings  # binary
    text = data.decode("utf-8", "replace")
    code = path.suffix in CODE_SUFFIXES
    fixtures = rel.startswith("tests/")
    for number, line in enumerate(text.splitlines(), 1):
        if "secrets-check: allow" in line:
            continue
        for rule, pattern in PATTERNS:
            if pattern.search(line):
                findings.append(f"{rel}:{number}: {rule}")
        for match in URL_PASSWORD.finditer(line):
            if not PLACEHOLDER.search(match.group(1)):
                findings.append(f"{rel}:{number}: password in a connection URL")
        if fixtures:
            continue  # test fixtures hold made-up credentials by design; the rules above still apply
        for match in NAMED_SECRET.finditer(line):
            quoted, value = match.group(2), match.group(3)
            if code and not quoted:
                continue  # a variable or an expression, not a literal
            if len(value) >= 8 and not PLACEHOLDER.search(value):
                findings.append(f"{rel}:{number}: literal value for {match.group(1)}")
    return findings


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="tree to scan (default: the repository)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    findings, count = [], 0
    for path in files(root):
        count += 1
        findings += scan_file(path, path.relative_to(root).as_posix())
    for finding in findings:
        print(f"SECRET? {finding}")
    print(f"secrets check: {count} files scanned, {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())

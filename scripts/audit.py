#!/usr/bin/env python3
"""Dependency audit (run by `make test` / CI): pip-audit over the project's virtualenv.

pip-audit cannot be installed next to Rasa 3.6 (it needs ``packaging>=23``; Rasa pins
``packaging<21``), so it gets its own virtualenv in ``.venv/audit`` (pinned in
``scripts/audit-requirements.txt``) and audits ``.venv``'s site-packages by path.

Every advisory found must be listed in SECURITY.md (by its id or one of its aliases, e.g. the CVE)
with its exposure here; an advisory that is not is a failure (exit 1). When the vulnerability
service cannot be reached (no network, or PyPI's JSON API blocked as in some sandboxes) pip-audit
itself would report "No known vulnerabilities found" with every package skipped: this script says
``AUDIT NOT RUN`` instead, loudly, and exits 0 (exit 2 with ``--strict``), so an outage of the
service does not block a merge but is never mistaken for a clean audit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOL_VENV = ROOT / ".venv" / "audit"
REQUIREMENTS = ROOT / "scripts" / "audit-requirements.txt"
SECURITY_MD = ROOT / "SECURITY.md"
PROJECT_PYTHON = ROOT / ".venv" / "bin" / "python"


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def ensure_tool() -> Path:
    """The pip-audit executable of the tool virtualenv (created / updated when needed)."""
    exe = TOOL_VENV / "bin" / "pip-audit"
    stamp = TOOL_VENV / ".requirements-sha256"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if exe.exists() and stamp.exists() and stamp.read_text().strip() == want:
        return exe
    if not (TOOL_VENV / "bin" / "python").exists():
        made = run([str(PROJECT_PYTHON), "-m", "venv", str(TOOL_VENV)])
        if made.returncode:
            raise RuntimeError(f"cannot create {TOOL_VENV}: {made.stderr.strip()[-300:]}")
    pip = run(
        [
            str(TOOL_VENV / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            str(REQUIREMENTS),
        ],
        timeout=900,
    )
    if pip.returncode:
        raise RuntimeError(f"cannot install pip-audit: {pip.stderr.strip()[-300:]}")
    stamp.write_text(want)
    return exe


def documented_ids() -> set:
    text = SECURITY_MD.read_text("utf-8") if SECURITY_MD.exists() else ""
    return set(re.findall(r"\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+)\b", text))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="pip-audit of the project's virtualenv")
    parser.add_argument("--strict", action="store_true", help="exit 2 when the audit cannot run")
    args = parser.parse_args(argv)
    not_run = 2 if args.strict else 0
    try:
        exe = ensure_tool()
    except Exception as exc:  # noqa: BLE001 - report, never hide
        print(f"AUDIT NOT RUN: {exc}")
        return not_run
    site = run([str(PROJECT_PYTHON), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    site_packages = site.stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        proc = run(
            [
                str(exe),
                "--path",
                site_packages,
                "--format",
                "json",
                "--output",
                str(out),
                "--progress-spinner",
                "off",
                "--skip-editable",
                "--timeout",
                "20",
            ],
            timeout=1800,
            env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"),
        )
        if not out.exists():
            print(f"AUDIT NOT RUN: pip-audit failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}")
            return not_run
        data = json.loads(out.read_text("utf-8"))
    deps = data.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = [d for d in deps if not d.get("skip_reason")]
    if not audited:
        reason = skipped[0]["skip_reason"] if skipped else "no packages found"
        print(
            f"AUDIT NOT RUN: the vulnerability service could not be reached: {len(skipped)} of "
            f'{len(deps)} packages skipped (e.g. "{reason}"). The known findings are listed in '
            f"SECURITY.md; re-run `scripts/audit.py` where pypi.org's JSON API is reachable."
        )
        return not_run
    known = documented_ids()
    findings, new = [], []
    for dep in audited:
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            fixes = ", ".join(vuln.get("fix_versions") or []) or "none yet"
            line = f"{dep['name']} {dep['version']}: {vuln['id']} ({', '.join(sorted(ids - {vuln['id']}))}) fixed in {fixes}"
            findings.append(line)
            if not ids & known:
                new.append(line)
    print(
        f"pip-audit: {len(audited)} packages audited, {len(skipped)} skipped, {len(findings)} advisories "
        f"({len(findings) - len(new)} documented in SECURITY.md, {len(new)} new)"
    )
    for line in findings:
        print(("  NEW        " if line in new else "  documented ") + line)
    if new:
        print("Add each NEW advisory to SECURITY.md with its exposure here (or upgrade the package).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

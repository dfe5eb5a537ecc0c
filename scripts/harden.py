#!/usr/bin/env python3
"""`make harden`: the hardening suite at full size, then one table of figures.

Runs tests/harden/ (fuzzing of the REST webhook, the Zalo webhook, the widget transport and the
officer CLI with >= 10,000 inputs in all; the faults; 2 x 200 concurrent lead flows on PostgreSQL;
rate / size limits; personal data in the logs at DEBUG; the secrets check) against the real
servers, and prints: inputs tried per surface, 5xx count, log errors, faults injected and
survived, leads expected vs stored vs lost. Exit code 0 only when the suite passed and every
"5xx", "log errors", "lost" and "duplicated" figure is 0.

    scripts/harden.py                  # full size (what `make harden` runs)
    scripts/harden.py --budget small   # the size `make test` / CI runs
    scripts/harden.py -- -k fuzz       # extra pytest arguments after --
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", choices=("small", "full"), default="full")
    parser.add_argument(
        "--report",
        type=Path,
        default=ROOT / "tests" / "artifacts" / f"harden-{os.getpid()}.json",
        help="where the figures are written (default: one file per run)",
    )
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        HARDEN_BUDGET=args.budget,
        HARDEN_REPORT=str(args.report),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
    )
    started = time.monotonic()
    cmd = [str(ROOT / ".venv" / "bin" / "pytest"), "-q", "-p", "no:warnings", "tests/harden", *args.pytest_args]
    print(f"==> {' '.join(cmd)}   (HARDEN_BUDGET={args.budget})", flush=True)
    code = subprocess.call(cmd, cwd=ROOT, env=env)
    minutes = (time.monotonic() - started) / 60

    from devtools.harden_report import render_table, verdict

    try:
        data = json.loads(args.report.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        print("no figures were recorded", file=sys.stderr)
        return 1
    print()
    print(render_table(data))
    problems = verdict(data)
    print()
    print(f"pytest exit code {code}; {minutes:.1f} min; figures in {args.report}")
    if problems or code:
        for problem in problems:
            print(f"FAIL: {problem}")
        return 1
    print("OK: 0 x 5xx, 0 log errors, 0 leads lost or duplicated, every injected fault survived")
    return 0


if __name__ == "__main__":
    sys.exit(main())

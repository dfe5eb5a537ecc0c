"""The figures of the hardening suite (``tests/harden/``) as ``make harden`` prints and judges them.

``tests/harden/support.py`` records the figures while the suite runs; ``scripts/harden.py`` reads
the figures file afterwards and uses :func:`render_table` and :func:`verdict` from here, so that the
script never imports ``tests/``.
"""

from __future__ import annotations

from typing import Any, Dict, List

# Hypothesis examples per fuzzed surface: the full run totals 10,500 (>= 10,000 asked for).
FULL_FUZZ_EXAMPLES = {"REST webhook": 4000, "Zalo webhook": 3000, "widget transport": 2000, "officer CLI": 1500}


# ------------------------------------------------------------------------------- the table
def render_table(data: Dict[str, Any]) -> str:
    """The figures as printed by ``make harden`` (and at the end of a pytest run)."""
    lines = [f"Hardening figures (budget: {data.get('budget', '?')})", ""]
    fuzz = data.get("fuzz", {})
    if fuzz:
        head = f"{'FUZZ: surface':<34}{'inputs':>8}{'answered':>10}{'refused':>9}{'5xx':>6}{'log errors':>12}"
        lines += [head, "-" * len(head)]
        totals = [0, 0, 0, 0, 0]
        for name, f in fuzz.items():
            row = [
                f.get("inputs", 0),
                f.get("ok", 0),
                f.get("rejected", 0),
                f.get("server_errors", 0),
                f.get("log_errors", 0),
            ]
            totals = [a + b for a, b in zip(totals, row)]
            lines.append(f"{name:<34}{row[0]:>8}{row[1]:>10}{row[2]:>9}{row[3]:>6}{row[4]:>12}")
        lines.append(f"{'total':<34}{totals[0]:>8}{totals[1]:>10}{totals[2]:>9}{totals[3]:>6}{totals[4]:>12}")
        lines += [
            "  (answered: 2xx / CLI exit 0; refused: 4xx / CLI exit 1-2 with a message; 5xx: HTTP 5xx,",
            "   a dead server or a CLI traceback; log errors: ERROR / Traceback lines in the servers' logs)",
            "",
        ]
    faults = data.get("faults", {})
    if faults:
        head = f"{'FAULT injected':<58}{'injected':>9}{'survived':>9}"
        lines += [head, "-" * len(head)]
        for name, f in faults.items():
            lines.append(f"{name:<58}{f.get('injected', 0):>9}{f.get('survived', 0):>9}")
        lines.append(
            f"{'total':<58}{sum(f.get('injected', 0) for f in faults.values()):>9}"
            f"{sum(f.get('survived', 0) for f in faults.values()):>9}"
        )
        lines.append("")
    leads = data.get("leads", {})
    if leads:
        head = f"{'LEADS':<52}{'expected':>9}{'stored':>8}{'lost':>6}{'duplicated':>12}"
        lines += [head, "-" * len(head)]
        for name, f in leads.items():
            exp, got = f.get("expected", 0), f.get("stored", 0)
            lines.append(
                f"{name:<52}{exp:>9}{got:>8}{f.get('lost', max(0, exp - got)):>6}"
                f"{f.get('duplicated', max(0, got - exp)):>12}"
            )
        for name, f in leads.items():
            if "p95_ms" in f:
                lines.append(
                    f"  {name}: {f.get('seconds')} s, reply p95 {f['p95_ms']} ms, "
                    f"{f.get('apologies', 0)} busy-apologies (the person resent the message)"
                )
        lines.append("")
    other = data.get("checks", {})
    if other:
        lines.append("OTHER CHECKS")
        for name, f in other.items():
            lines.append(f"  {name}: {f.get('result', '')}")
    return "\n".join(lines).rstrip()


def verdict(data: Dict[str, Any]) -> List[str]:
    """Why the figures are not acceptable (empty when all '5xx' and 'lost' figures are 0)."""
    bad = []
    fuzz = data.get("fuzz", {})
    wanted = sum(FULL_FUZZ_EXAMPLES.values()) if data.get("budget") == "full" else 0
    tried = sum(f.get("inputs", 0) for f in fuzz.values())
    if tried < wanted * 0.95:
        bad.append(f"fuzz: only {tried} inputs tried in all (the full run needs {wanted})")
    for name, f in fuzz.items():
        if f.get("server_errors", 0) or f.get("log_errors", 0):
            bad.append(f"fuzz {name}: {f.get('server_errors', 0)} 5xx, {f.get('log_errors', 0)} log errors")
    for name, f in data.get("faults", {}).items():
        if f.get("survived", 0) < f.get("injected", 0):
            bad.append(f"fault not survived: {name}")
    for name, f in data.get("leads", {}).items():
        exp, got = f.get("expected", 0), f.get("stored", 0)
        if f.get("lost", max(0, exp - got)) or f.get("duplicated", max(0, got - exp)):
            bad.append(f"leads {name}: expected {exp}, stored {got}")
    return bad

"""Machines named in messages, through the trained model (issue 28, item 3).

tests/data/machines_dev.yml (tuning) and tests/data/machines_locked.yml (LOCKED: never used for
tuning) were written by someone who had not seen the bot's word lists: messages that name a
machine or piece of equipment, and messages with look-alike words that do not ("mấy năm", "may
mặc", "may tre dan", "vé máy bay", "người hay máy"). A machine message is read right when the
model's entities carry an equipment activity (``machinery``, or ``technology_line`` for a whole
line, which has its own level); a look-alike is read wrong when they do.

    .venv/bin/python scripts/evaluate_machines.py [--errors]   # --errors: tuning-split misses only
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILES = {
    "tune": ROOT / "tests" / "data" / "machines_dev.yml",
    "locked": ROOT / "tests" / "data" / "machines_locked.yml",
}
EQUIPMENT = {"machinery", "technology_line"}


def load(split: str):
    return yaml.safe_load(FILES[split].read_text("utf-8"))


async def _read(agent, texts):
    out = []
    for text in texts:
        parsed = await agent.parse_message(text)
        out.append({e["value"] for e in parsed.get("entities") or [] if e.get("entity") == "activity"})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(ROOT / "models" / "khuyencong.tar.gz"))
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()

    import bot.channels  # noqa: F401 - the project's Rasa patches, as the server applies them
    from rasa.core.agent import Agent

    agent = Agent.load(args.model)
    print("| split | machine messages read as equipment | look-alikes read as equipment |")
    print("|---|---|---|")
    for split in ("tune", "locked"):
        data = load(split)
        machines = asyncio.run(_read(agent, data["machine"]))
        others = asyncio.run(_read(agent, data["not_machine"]))
        hit = sum(bool(a & EQUIPMENT) for a in machines)
        false = sum(bool(a & EQUIPMENT) for a in others)
        print(
            f"| {split} | {hit}/{len(machines)} = {hit / len(machines):.3f} | "
            f"{false}/{len(others)} = {false / len(others):.3f} |"
        )
        if args.errors and split == "tune":
            for text, a in zip(data["machine"], machines):
                if not a & EQUIPMENT:
                    print(f"  missed: {text}  {sorted(a)}")
            for text, a in zip(data["not_machine"], others):
                if a & EQUIPMENT:
                    print(f"  false:  {text}  {sorted(a)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

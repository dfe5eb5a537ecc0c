"""``khuyencong-kb`` / ``python -m policy_kb``: build and inspect the knowledge database."""

from __future__ import annotations

import argparse
import sys

from policy_kb.db import database_url, get_engine
from policy_kb.loader import KnowledgeDataError, build, read_data


def _redact(url: str) -> str:
    # never print a password that may be in DATABASE_URL
    import re

    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _print_index(data) -> None:
    """Build the answer index as the action server will, and say what it holds and what it cost
    (a record without example questions is found by its text only)."""
    import json
    import time

    from policy_kb.retrieval import AnswerIndex, records_from_rows

    start = time.perf_counter()
    index = AnswerIndex(records_from_rows(data.records))
    took = (time.perf_counter() - start) * 1000
    bare = [r.id for r in data.records if not json.loads(r.questions)]
    print(
        f"Answer index: {len(index.records)} records, {index.size} texts indexed in {took:.0f} ms"
        + (f"; {len(bare)} records without example questions" if bare else "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="khuyencong-kb", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="validate the data files and load them into the database")
    b.add_argument("--force", action="store_true", help="rebuild even if the data is unchanged")
    sub.add_parser("check", help="validate the data files only")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            data = read_data()
            print(
                f"OK: {len(data.documents)} documents, {len(data.facts)} facts, {len(data.levels)} support-level values"
            )
            _print_index(data)
            return 0
        url = database_url()
        changed = build(get_engine(url), force=args.force)
        print(f"Knowledge base {'built' if changed else 'up to date'}: {_redact(url)}")
        _print_index(read_data())
        return 0
    except KnowledgeDataError as exc:
        print(f"ERROR in knowledge data: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

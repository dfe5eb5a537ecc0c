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
            print(f"OK: {len(data.documents)} documents, {len(data.facts)} facts, "
                  f"{len(data.levels)} support-level values")
            return 0
        url = database_url()
        changed = build(get_engine(url), force=args.force)
        print(f"Knowledge base {'built' if changed else 'up to date'}: {_redact(url)}")
        return 0
    except KnowledgeDataError as exc:
        print(f"ERROR in knowledge data: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

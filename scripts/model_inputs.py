"""Print a fingerprint of everything the trained model is made from, so that ``scripts/train.sh``
can skip ``rasa train`` when nothing changed.

Rasa 3.6 has no such check of its own: ``rasa train`` with nothing changed still imports Rasa,
restores every component from its cache and re-packs the model (≈ 11 s here), and every
``make run``, test server and benchmark paid that before its first answer (issue 15).

The fingerprint is a SHA-256 over the training config, the domain, the training data and
lookups, the code the NLU components run (``bot/``, ``vntext/``, ``policy_kb/``, with the
knowledge data), the pinned dependencies and the Python and Rasa versions. Anything outside
that list that changes the model needs ``scripts/train.sh --force``.
"""

from __future__ import annotations

import hashlib
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: files and folders (read recursively) the model depends on
INPUTS = ("config.yml", "pyproject.toml", "nlu_data", "bot", "vntext", "policy_kb")  # bot/: domain, rules too
SUFFIXES = {".yml", ".yaml", ".py", ".toml", ".txt", ".json"}


def files() -> list[Path]:
    out = set()
    for name in INPUTS:
        path = ROOT / name
        if path.is_file():
            out.add(path)
        elif path.is_dir():
            out.update(
                p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES and "__pycache__" not in p.parts
            )
    return sorted(out)


def fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(f"python {sys.version_info[:3]} rasa {metadata.version('rasa')}\n".encode())
    for path in files():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


if __name__ == "__main__":
    print(fingerprint())

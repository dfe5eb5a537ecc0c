"""The 34 province-level units since 1 July 2025 (data/provinces.yml) and their old names.

Users keep naming pre-2025 provinces ("tỉnh Hà Giang", "Bình Dương"); the bot answers for the
unit they now belong to. Whether that unit is a centrally-run city matters for eligibility
(a phường of a province is a rural location, a phường of a centrally-run city is not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Optional, Tuple

from policy_kb.loader import (
    DATA_DIR,
    KnowledgeDataError,
    date_field,
    display_path,
    read_yaml,
    source_field,
    status_field,
    text_field,
)
from vntext.normalize import strip_diacritics

PROVINCES_FILE = DATA_DIR / "provinces.yml"

# Administrative prefixes that people add or leave out ("tỉnh Hà Giang", "TP. Hồ Chí Minh").
_PREFIXES = (("thanh", "pho"), ("tinh",), ("tp",))


@dataclass(frozen=True)
class Province:
    key: str
    name: str  # "Tỉnh Đồng Nai", "Thành phố Hồ Chí Minh"
    short_name: str  # "Đồng Nai", "TP. Hồ Chí Minh"
    centrally_run: bool  # thành phố trực thuộc trung ương
    merged_from: Tuple[str, ...]  # pre-2025 names, own old name included


def name_key(name: str) -> str:
    """Comparison key of a place name: no diacritics, case, punctuation or admin prefix."""
    words = re.findall(r"\w+", strip_diacritics(name or ""))
    for prefix in _PREFIXES:
        if tuple(words[: len(prefix)]) == prefix and len(words) > len(prefix):
            words = words[len(prefix) :]
            break
    return " ".join(words)


def _province(key: str, rec: object, file: str) -> Province:
    if not isinstance(rec, dict):
        raise KnowledgeDataError(file, key, "a province must be a mapping")
    if not isinstance(rec.get("centrally_run"), bool):
        raise KnowledgeDataError(file, key, "'centrally_run' must be true or false")
    old = rec.get("merged_from")
    if not isinstance(old, list) or not old or not all(isinstance(n, str) and n.strip() for n in old):
        raise KnowledgeDataError(file, key, "'merged_from' must be a non-empty list of names")
    return Province(
        key=key,
        name=text_field(rec, "name", file, key),
        short_name=text_field(rec, "short_name", file, key),
        centrally_run=rec["centrally_run"],
        merged_from=tuple(n.strip() for n in old),
    )


@lru_cache(maxsize=8)
def load_provinces(path: Path = PROVINCES_FILE) -> Dict[str, Province]:
    """Province key → Province, validated once (the file must carry its source and status)."""
    path = Path(path)
    file = display_path(path)
    data = read_yaml(path) or {}
    source_field(data.get("source"), file, "provinces")
    status_field(data, file, "provinces")
    date_field(data.get("effective_from"), file, "provinces", "effective_from", True)
    records = data.get("provinces")
    if not isinstance(records, dict) or not records:
        raise KnowledgeDataError(file, None, "no 'provinces' mapping")
    return {key: _province(key, rec, file) for key, rec in records.items()}


@lru_cache(maxsize=8)
def _old_name_index(path: Path = PROVINCES_FILE) -> Dict[str, Tuple[Province, str]]:
    index: Dict[str, Tuple[Province, str]] = {}
    for province in load_provinces(path).values():
        for old in province.merged_from:
            key = name_key(old)
            other = index.get(key)
            if other and other[0].key != province.key:
                # One old name in two units would make the answer depend on file order.
                raise KnowledgeDataError(
                    display_path(Path(path)), province.key, f"old name {old!r} is also listed under {other[0].key}"
                )
            index[key] = (province, old)
    return index


def province_of_old_name(name: str, path: Path = PROVINCES_FILE) -> Optional[Province]:
    """The current unit an old (or current) province name belongs to, or None if unknown."""
    hit = _old_name_index(path).get(name_key(name))
    return hit[0] if hit else None


def canonical_old_name(name: str, path: Path = PROVINCES_FILE) -> Optional[str]:
    """The old name as written in provinces.yml (with diacritics), for display."""
    hit = _old_name_index(path).get(name_key(name))
    return hit[1] if hit else None


def old_name_used(typed: Optional[str], key: str, path: Path = PROVINCES_FILE) -> Optional[str]:
    """The pre-2025 name the person typed for the unit ``key`` ("Bình Phước" for Đồng Nai), as
    written in provinces.yml; None when they typed the current name or another unit's."""
    if not typed:
        return None
    unit = province_of_old_name(typed, path)
    if unit is None or unit.key != key:
        return None
    old = canonical_old_name(typed, path)
    return old if old and name_key(old) not in {name_key(unit.short_name), name_key(unit.name)} else None

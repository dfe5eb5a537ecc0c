"""Administrative unit mentioned in a message: xã (commune), phường (ward) or đặc khu.

Eligibility depends on it (a ward of a centrally-run city is not a rural location). Since 2025
there is no district level; "thị trấn" became communes, so it maps to ``xa``.

Plain-typed keywords are ambiguous ("ở xa" = far away; "địa phương"), so without diacritics a
keyword only counts when a capitalised name follows ("xa Tan Lap") or, for "phuong", after
"ở/tại/thuộc". Offsets index the normalised text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from vntext.fold import fold
from vntext.normalize import strip_diacritics

#: the keys of the administrative units (the Profile's ``unit_type``, the rules' ``when``)
UNIT_TYPES = ("xa", "phuong", "dac_khu")
UNIT_VALUES = {"xã": "xa", "thị trấn": "xa", "phường": "phuong", "đặc khu": "dac_khu"}
_PLAIN = {"xa": "xa", "thi tran": "xa", "phuong": "phuong", "dac khu": "dac_khu"}

# "hợp tác xã", "tổ hợp tác xã", "xã hội", "bảo hiểm xã hội", "xã viên" are not communes
_NOT_A_COMMUNE = re.compile(r"(?:hop\s+tac|ht|kinh\s+te|bao\s+hiem)[\s\-–]*$")
_NOT_A_COMMUNE_AFTER = re.compile(r"^\s*(?:hoi|vien)\b")
_ACCENTED = re.compile(r"(?<!\w)(xã|thị trấn|phường|đặc khu)(?!\w)", re.IGNORECASE)
_PLAIN_RE = re.compile(r"(?<!\w)(xa|thi tran|phuong|dac khu|p\.|x\.)(?=\s*[A-ZĐÂĂÊÔƠƯ]|\s)", re.IGNORECASE)
_NAME = re.compile(r"\s*((?:[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ][\wÀ-ỹ]*\s?){1,4})")
_AFTER_PREP = re.compile(r"(?:^|\s)(?:o|tai|thuoc)\s$")
_ANSWER = re.compile(r"^(?:(?:o|tai|thuoc)\s+)?(xa|thi tran|phuong|dac khu|x|p|tt)\b")
_SHORT = {"x": "xa", "p": "phuong", "tt": "xa"}


@dataclass(frozen=True)
class Place:
    unit_type: str  # xa | phuong | dac_khu
    start: int
    end: int
    name: str  # the unit's name when one follows ("Tân Lập"), else ""


def _with_name(text: str, value: str, start: int, end: int) -> Place:
    name = _NAME.match(text, end)
    if name:
        end = name.start(1) + len(name.group(1).rstrip())
    return Place(value, start, end, name.group(1).strip() if name else "")


def _not_a_commune(folded: str, start: int, end: int) -> bool:
    return folded[start:end].lower().startswith("xa") and bool(
        _NOT_A_COMMUNE.search(folded[max(0, start - 20) : start]) or _NOT_A_COMMUNE_AFTER.match(folded[end:])
    )


def find_places(text: str) -> Iterator[Place]:
    """Units named in ``text`` (normalised); at most one per keyword position."""
    folded = fold(text)
    for m in _ACCENTED.finditer(text):
        if _not_a_commune(folded, m.start(), m.end()):
            continue
        yield _with_name(text, UNIT_VALUES[m.group(1).lower()], m.start(), m.end())
    for m in _PLAIN_RE.finditer(folded):
        if _not_a_commune(folded, m.start(), m.end()):
            continue
        if not text[m.start() : m.end()].isascii():
            continue  # accented forms were handled above; "xá", "phương" are other words
        key = folded[m.start() : m.end()].lower()
        value = {"p.": "phuong", "x.": "xa"}.get(key) or _PLAIN[key]
        has_name = _NAME.match(text, m.end()) is not None
        if not has_name and not (value == "phuong" and _AFTER_PREP.search(folded[: m.start()])):
            continue
        yield _with_name(text, value, m.start(), m.end())


def unit_type_in_answer(text: str) -> Optional[str]:
    """The unit type an answer to "xã, phường hay đặc khu?" starts with ("xa binh son", "P. Tân
    Mai", "thị trấn Hồ"). Once that question is asked, a lower-case "xa" is the commune, not "far
    away", so no capitalised name is needed here."""
    m = _ANSWER.match(" ".join(re.sub(r"[^\w\s]", " ", strip_diacritics(text or "")).split()))
    return (_SHORT.get(m.group(1)) or _PLAIN[m.group(1)]) if m else None

"""Parse Vietnamese money amounts ("800tr", "1 tỷ 2", "1ty2", "1.200.000.000đ", "1,2 tỉ") and
amounts in words ("ba trăm rưỡi triệu", "hai tỷ rưỡi", "một tỷ hai", "tám trăm củ", "1 tỷ rưỡi";
see ``vntext.numbers.money_in_words``).

Works on *folded* text (see ``vntext.fold.fold``), which has the same length as the text, so
match offsets are offsets in the message. A number of thousands (or a bare number) followed by a
counting unit ("2 nghìn người", "1.200.000 lao động") is a count, not money.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Optional

from vntext.numbers import COUNT_UNIT_AFTER, money_in_words

_UNITS = {
    "ty": 1_000_000_000,
    "ti": 1_000_000_000,
    "trieu": 1_000_000,
    "tr": 1_000_000,
    "cu": 1_000_000,
    "nghin": 1_000,
    "ngan": 1_000,
    "k": 1_000,
    "dong": 1,
    "vnd": 1,
    "d": 1,
}
_BIG = "ty|ti|trieu|tr|cu|nghin|ngan|k"
_ALL = "ty|ti|trieu|tr|cu|nghin|ngan|vnd|dong|k|d"

_MONEY = re.compile(
    rf"""(?<![\w.,])
    (?P<num>\d+(?:[.,]\d+)*)
    \s*(?P<unit>{_ALL})?
    (?:(?<=[a-z])\s*(?P<rest>\d{{1,3}})(?:\s*(?P<unit2>{_BIG}))?)?
    (?:\s*(?:dong|vnd|d))?
    (?![\w])""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Money:
    start: int
    end: int
    value: int


def _number(raw: str) -> Optional[float]:
    parts = re.split(r"[.,]", raw)
    if len(parts) == 1:
        return float(raw)
    if all(len(p) == 3 for p in parts[1:]):  # 1.200.000 / 1,200: thousands separators
        return float("".join(parts))
    if len(parts) == 2:  # 1,2 / 1.5: decimal
        return float(f"{parts[0]}.{parts[1]}")
    return None


def find_money(folded: str) -> Iterator[Money]:
    """Amounts in đồng in a folded text, in order of position."""
    words = [Money(s, e, v) for s, e, v in money_in_words(folded)]
    digits = [m for m in _digit_money(folded) if not any(w.start < m.end and m.start < w.end for w in words)]
    yield from sorted(words + digits, key=lambda m: m.start)


def _digit_money(folded: str) -> Iterator[Money]:
    for m in _MONEY.finditer(folded):
        num = _number(m.group("num"))
        if num is None:
            continue
        unit = m.group("unit")
        digits = re.sub(r"\D", "", m.group("num"))
        if unit is None and len(digits) < 6:
            continue  # a bare small number ("năm 2018", "điều 8") is not money
        if unit is None and (
            digits.startswith("0") and 9 <= len(digits) <= 11 or digits.startswith("84") and len(digits) in (11, 12)
        ):
            continue  # a phone number ("0912345678", "0912.345.678", "84912345678"), not đồng
        if unit in (None, "nghin", "ngan", "k") and not m.group("rest") and COUNT_UNIT_AFTER.match(folded, m.end()):
            continue  # "2 nghìn người", "1.200.000 lao động": a count
        mult = _UNITS[unit] if unit else 1
        value = num * mult
        rest = m.group("rest")
        if rest and unit and mult > 1:
            if m.group("unit2"):
                value += int(rest) * _UNITS[m.group("unit2")]
            else:  # "1 tỷ 2" = 1,2 tỷ; "2tr5" = 2,5 triệu
                value += int(rest) * mult / (10 ** len(rest))
        end = m.end()
        yield Money(m.start(), end, int(round(value)))


def parse_money(text_folded: str) -> Optional[int]:
    """The first amount in a folded text, in đồng."""
    return next((m.value for m in find_money(text_folded)), None)

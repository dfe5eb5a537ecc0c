"""Turning slot values and the latest message into canonical knowledge-base keys."""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from rasa_sdk import Tracker

from policy_kb.provinces import Province, load_provinces, old_name_used
from vntext.fold import fold
from vntext.money import parse_money
from vntext.normalize import normalize_text
from vntext.numbers import read_count
from vntext.statements import happens_elsewhere

YES_NO = {"yes", "no", "unknown"}


def latest_entity(tracker: Tracker, name: str) -> Optional[dict]:
    found = [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == name]
    return found[0] if found else None


def latest_value(tracker: Tracker, name: str) -> Any:
    """The value of the first ``name`` entity in the latest message (None if there is none)."""
    return (latest_entity(tracker, name) or {}).get("value")


def canonical(value: Any, entity: str, allowed: set, tracker: Tracker) -> Optional[str]:
    """A known key: the value itself, or the entity NLU found in the latest message."""
    if isinstance(value, str) and value in allowed:
        return value
    ent = latest_entity(tracker, entity)
    if ent and ent.get("value") in allowed:
        return ent["value"]
    return None


class NamedProvince(NamedTuple):
    unit: Province
    old_name: Optional[str]  # the pre-2025 name the person used ("Hà Giang"), if any

    @property
    def place(self) -> str:
        """ "Hà Giang (nay thuộc Tỉnh Tuyên Quang)" or "Tỉnh Tuyên Quang"."""
        return f"{self.old_name} (nay thuộc {self.unit.name})" if self.old_name else self.unit.name


def named_province(tracker: Tracker) -> Optional[NamedProvince]:
    """The province this message names, else the one given earlier in the conversation. A
    province where something else happens ("đi hội chợ ở Hà Nội") is not the one meant."""
    text = tracker.latest_message.get("text") or ""
    ent = next(
        (
            e
            for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == "province" and not happens_elsewhere(text, e)
        ),
        None,
    )
    unit = load_provinces().get((ent or {}).get("value") or tracker.get_slot("province") or "")
    if unit is None:
        return None
    said = (ent or {}).get("text") or (None if ent else tracker.get_slot("old_province"))
    return NamedProvince(unit, old_name_used(said, unit.key))


def parse_count(value: Any) -> Optional[int]:
    """'15', 'khoảng 20 người', 'bốn mươi', '30-40' (→ 40), 'hơn 50' (→ 51) → an integer; None otherwise.
    A range gives its upper end: cautious for the SME ceiling of 200 workers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if value >= 0 else None
    count = read_count(normalize_text(str(value or "")))
    return count.high if count is not None else None


def parse_cost(value: Any) -> Optional[int]:
    """A money slot: an int from the extractor, or free text like '800 triệu'."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return int(value)
    if isinstance(value, str):
        if value.isdigit():
            return int(value) if len(value) >= 6 else None
        return parse_money(fold(normalize_text(value)))
    return None


def channel_of(tracker: Tracker) -> str:
    name = tracker.get_latest_input_channel() or "rest"
    return {"socketio": "web", "webchat": "web"}.get(name, name)

"""Every message, in and out of the forms, is read for what it says about the establishment.

``action_read_message`` is the custom slot mapping of the establishment's slots (see
bot/domain/flows.yml): Rasa's ``action_extract_slots`` calls it after each user message, before
any policy runs, so a form never asks for what was already said, and an answer to a question
outside the form is kept for later. What the message means is decided by
:mod:`vntext.statements` (negation, scope, corrections); this module turns that into slots and
says what changed when a value already given is replaced.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.render import fmt_vnd
from actions.slots import NamedProvince
from policy_kb.labels import FIELD_LABEL, VALUE_LABEL
from policy_kb.provinces import load_provinces, old_name_used
from vntext.fold import fold
from vntext.statements import ANSWER_INTENTS, UNCLEAR, UNKNOWN, Context, changed, is_question, read

#: questions of the eligibility form whose answer, when it cannot be read, is re-asked with help
FORM_SLOTS = (
    "business_type",
    "province",
    "unit_type",
    "craft_village",
    "disadvantaged",
    "industry",
    "employees",
    "revenue_vnd",
    "capital_vnd",
)
#: what the establishment is (a change re-runs a verdict already given)
PROFILE_SLOTS = FORM_SLOTS + ("women_owned", "ethnic_minority_owned", "exports", "local_materials", "fired_clay_brick")
#: slots this action owns (each has ``{type: custom, action: action_read_message}`` in the domain)
READ_SLOTS = PROFILE_SLOTS + ("money",)

_GOODBYE = re.compile(
    r"\b(?:tam biet|bye|bai bai|chao (?:em|ban|nhe|nha|tam biet)|hen gap lai|cam on(?: em)?,? chao)\b"
)


def value_label(slot: str, value: Any) -> str:
    if slot == "province":
        unit = load_provinces().get(str(value))
        return unit.name if unit else str(value)
    if slot in ("revenue_vnd", "capital_vnd", "money"):
        try:
            return fmt_vnd(int(value))
        except (TypeError, ValueError):
            return str(value)
    if slot == "employees":
        return f"{value} người"
    return VALUE_LABEL.get(str(value), str(value))


def _intent(tracker: Tracker) -> tuple:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def _noted(slot: str, value: Any, reading) -> str:
    if slot == "province":
        return (
            f"địa bàn: {NamedProvince(load_provinces()[value], old_name_used(reading.old_province_name, value)).place}"
        )
    return f"{FIELD_LABEL[slot]}: {value_label(slot, value)}"


def merger_text(old: str, key: str) -> str:
    """'sao lại Đồng Nai, tôi ở Bình Phước mà': the 2025 merger, from provinces.yml."""
    unit = load_provinces()[key]
    kind = "thành phố" if unit.centrally_run else "tỉnh"
    return (
        f"Dạ, từ ngày 01/07/2025, {old} đã được sáp nhập vào {unit.name} (sắp xếp lại đơn vị hành chính "
        f'cấp tỉnh). Vì vậy em xét theo {unit.name} và ghi là "{old} (nay thuộc {unit.name})"; cơ sở '
        f"liên hệ Trung tâm Khuyến công hoặc Sở Công Thương {kind} {unit.short_name} ạ.\n"
        f"📄 Căn cứ: Nghị quyết 202/2025/QH15 (sắp xếp đơn vị hành chính cấp tỉnh; theo nguồn thứ cấp, "
        f"chưa đối chiếu điều khoản)."
    )


def is_answer_attempt(text: str, intent: Optional[str]) -> bool:
    """Is this message meant as the answer to the form's question? Questions and commands of their
    own are not (they are answered by their rule and the form resumes)."""
    folded = fold(text or "")
    if not folded or folded.startswith("/"):
        return False
    if intent == "goodbye":
        return not _GOODBYE.search(folded)
    if intent in ANSWER_INTENTS:
        return intent not in ("nlu_fallback", "out_of_scope") or not is_question(folded)
    return False


class ActionReadMessage(Action):
    def name(self) -> Text:
        return "action_read_message"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        text = tracker.latest_message.get("text") or ""
        intent, confidence = _intent(tracker)
        loop = (tracker.active_loop or {}).get("name")
        requested = tracker.get_slot("requested_slot") if loop else None
        reading = read(
            text,
            tracker.latest_message.get("entities") or [],
            Context(requested_slot=requested, active_loop=loop, intent=intent, confidence=confidence),
        )
        values = dict(reading.values)
        events: List[Dict[Text, Any]] = []
        said: List[str] = []
        merger = False

        if "province" in values:
            key = values["province"]
            if key not in load_provinces():
                values.pop("province")
            else:
                old = old_name_used(reading.old_province_name, key)
                if old or key != tracker.get_slot("province"):
                    events.append(SlotSet("old_province", old))
                if old and reading.asks_about_merger:
                    said.append(merger_text(old, key))
                    merger = True
        # "không phải hợp tác xã": what was kept is no longer true, so it is asked again
        for slot, value in reading.denied.items():
            if slot not in values and tracker.get_slot(slot) == value:
                values[slot] = None

        # an answer to the question that could not be read is "unclear" (re-asked with help),
        # unless the message said something else the form uses, or was answered as it was read
        current = {slot: tracker.get_slot(slot) for slot in READ_SLOTS}
        replaced = [
            (s, old, new)
            for s, old, new in changed(current, values)
            if new not in (None, UNCLEAR, UNKNOWN) and s in PROFILE_SLOTS + ("money",)
        ]
        other = [s for s in values if s in FORM_SLOTS and values[s] is not None and values[s] != current.get(s)]
        if loop == "eligibility_form" and requested in FORM_SLOTS and requested not in values:
            new_facts = [s for s in other if s not in {r[0] for r in replaced}]
            if new_facts and not merger:
                # "quảng ngãi" when the product was asked: kept, said, and the question asked again
                said.append("Dạ, em đã ghi nhận " + "; ".join(_noted(s, values[s], reading) for s in new_facts) + ".")
            elif not other and not merger and is_answer_attempt(text, intent):
                values[requested] = UNCLEAR

        if replaced and (loop or tracker.get_slot("verdict") or reading.correction):
            parts = [f"{FIELD_LABEL[s]}: {value_label(s, old)} → {value_label(s, new)}" for s, old, new in replaced]
            said.insert(0, "Dạ, em đã sửa lại " + "; ".join(parts) + ".")
        # Rasa keeps only the slots of a slot-mapping action (its messages are dropped), so what
        # is to be said travels in a slot and the turn's own action says it first (say_note)
        note = "\n\n".join(said) or None
        if note != tracker.get_slot("reader_note"):
            events.append(SlotSet("reader_note", note))

        events += [SlotSet(slot, value) for slot, value in values.items() if value != current.get(slot)]
        changed_now = json.dumps([s for s, _, _ in replaced]) if replaced else None
        if changed_now != tracker.get_slot("profile_changed"):
            events.append(SlotSet("profile_changed", changed_now))
        replied = merger or None
        if replied != tracker.get_slot("reader_replied"):
            events.append(SlotSet("reader_replied", replied))
        return events


def say_note(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Say what action_read_message noted for this message (a correction, the 2025 merger)."""
    note = tracker.get_slot("reader_note")
    if note:
        dispatcher.utter_message(text=note)


def replied_this_turn(tracker: Tracker) -> bool:
    """Did action_read_message already answer this message (a merger explained, a correction
    confirmed)? Then the turn's own action adds nothing unless it was a question."""
    return bool(tracker.get_slot("reader_replied"))


def changed_this_turn(tracker: Tracker) -> List[str]:
    try:
        return json.loads(tracker.get_slot("profile_changed") or "[]")
    except ValueError:
        return []

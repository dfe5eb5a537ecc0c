"""The pre-eligibility check as a Rasa form: ask only what the rules still need, then a verdict.

The rules (and which facts they still need) live in policy_kb.eligibility; this module only
maps slots to a profile, re-asks unclear answers with buttons, and words the verdict.
"""

from __future__ import annotations

import json
from abc import ABCMeta, abstractmethod
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.listen import FORM_SLOTS, say_note
from actions.render import button
from actions.verdict_text import verdict_text
from actions.slots import YES_NO, latest_entity, named_province, parse_cost, parse_count
from bot.menu import menu_button
from vntext.places import unit_type_in_answer
from vntext.statements import UNCLEAR, UNKNOWN
from policy_kb.eligibility import BUSINESS_TYPES, INDUSTRIES, UNIT_TYPES, Profile, assess, missing_fields
from policy_kb.provinces import load_provinces

# Profile fields the conversation can ask, by slot name (same names): the form's questions,
# whose one home is actions.listen.FORM_SLOTS (the domain's required_slots, checked by a test).
ASKABLE = FORM_SLOTS
#: an answer not understood this many times is skipped ("không rõ"): never asked a third time
MAX_UNCLEAR = 2

NOTED = "Dạ, em đã ghi nhận."


def _flag(value: Optional[str]) -> Optional[bool]:
    return {"yes": True, "no": False}.get(value or "")


def profile_of(value: Callable[[str], Any], old_province_name: Optional[str] = None) -> Profile:
    """A Profile from slot-like values (the tracker's slots, or what one message says): only
    known keys count; "unknown" / "unclear" are not facts."""

    def key(name: str, allowed) -> Optional[str]:
        return value(name) if value(name) in allowed else None

    return Profile(
        business_type=key("business_type", BUSINESS_TYPES),
        province=key("province", load_provinces()),
        old_province_name=old_province_name,
        unit_type=key("unit_type", UNIT_TYPES),
        craft_village=_flag(value("craft_village")),
        disadvantaged=_flag(value("disadvantaged")),
        industry=key("industry", INDUSTRIES),
        employees=parse_count(value("employees")),
        revenue_vnd=parse_cost(value("revenue_vnd")),
        capital_vnd=parse_cost(value("capital_vnd")),
        women_owned=_flag(value("women_owned")),
        ethnic_minority_owned=_flag(value("ethnic_minority_owned")),
        exports=_flag(value("exports")),
        local_materials=_flag(value("local_materials")),
        fired_clay_brick=_flag(value("fired_clay_brick")),
    )


def profile_from(tracker: Tracker) -> Profile:
    """Everything the conversation knows about the establishment."""
    return profile_of(tracker.get_slot, tracker.get_slot("old_province"))


def _skipped(tracker: Tracker, field: str) -> bool:
    """Answered "không rõ" (or skipped after two unclear answers): do not ask again."""
    return tracker.get_slot(field) == UNKNOWN


def reasks(tracker: Tracker) -> Dict[str, int]:
    try:
        counts = json.loads(tracker.get_slot("reasks") or "{}")
    except ValueError:
        return {}
    return counts if isinstance(counts, dict) else {}


class ValidateEligibilityForm(FormValidationAction):
    """Values arrive already read (actions/listen.py): a canonical key, "unknown", or "unclear"
    when the answer to the question just asked could not be read."""

    def name(self) -> Text:
        return "validate_eligibility_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        say_note(dispatcher, tracker)
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        needed = missing_fields(profile_from(tracker))
        return [f for f in needed if f in ASKABLE and not _skipped(tracker, f)]

    def _unclear(self, dispatcher: CollectingDispatcher, slot: str, tracker: Tracker) -> Dict[Text, Any]:
        counts = reasks(tracker)
        counts[slot] = counts.get(slot, 0) + 1
        if counts[slot] >= MAX_UNCLEAR:
            # twice not understood: move on; the verdict names what is missing
            dispatcher.utter_message(response="utter_question_skipped")
            return {slot: UNKNOWN, "reasks": json.dumps(counts)}
        # "quảng ngãi" when asked for the product: the province was kept, so say so
        named = named_province(tracker) if tracker.get_slot("province") and latest_entity(tracker, "province") else None
        if named:
            dispatcher.utter_message(text=f"Dạ, em đã ghi nhận địa bàn: {named.place}.")
        return {slot: None, "reasks": json.dumps(counts)}

    def _keyed(self, slot: str, value: Any, allowed: set, dispatcher, tracker) -> Dict[Text, Any]:
        if value in allowed or value == UNKNOWN:
            return {slot: value}
        if value is None:
            return {slot: None}
        return self._unclear(dispatcher, slot, tracker)

    def validate_business_type(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._keyed("business_type", value, BUSINESS_TYPES, dispatcher, tracker)

    def validate_industry(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._keyed("industry", value, INDUSTRIES, dispatcher, tracker)

    def validate_unit_type(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == UNCLEAR and tracker.get_slot("requested_slot") == "unit_type":
            # once the question is asked, a lower-case "xa binh son" is the commune
            value = unit_type_in_answer(tracker.latest_message.get("text") or "") or value
        return self._keyed("unit_type", value, UNIT_TYPES, dispatcher, tracker)

    def validate_province(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._keyed("province", value, set(load_provinces()), dispatcher, tracker)

    def validate_craft_village(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._keyed("craft_village", value, YES_NO, dispatcher, tracker)

    def validate_disadvantaged(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._keyed("disadvantaged", value, YES_NO, dispatcher, tracker)

    def validate_revenue_vnd(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._amount("revenue_vnd", value, dispatcher, tracker)

    def validate_capital_vnd(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._amount("capital_vnd", value, dispatcher, tracker)

    def _amount(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
        if value in (None, UNKNOWN):
            return {slot: value}
        amount = parse_cost(value) if value != UNCLEAR else None
        if amount is None:
            return self._unclear(dispatcher, slot, tracker)
        return {slot: str(amount)}

    def validate_employees(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value in (None, UNKNOWN):
            return {"employees": value}
        count = parse_count(value) if value != UNCLEAR else None
        if count is None:
            return self._unclear(dispatcher, "employees", tracker)
        return {"employees": str(count)}


class _AskEligibility(Action, metaclass=ABCMeta):
    """The form's question for one slot: as written in the domain the first time; after an answer
    that was not understood, why it is asked, with a way out ("Không rõ / bỏ qua"). Abstract, so
    that the action server registers only the concrete ones below."""

    slot = ""

    @abstractmethod
    def name(self) -> Text: ...

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        again = reasks(tracker).get(self.slot, 0) > 0
        dispatcher.utter_message(response=f"utter_{'reask' if again else 'ask'}_{self.slot}")
        return []


# one ask action per question (Rasa looks up action_ask_<slot> by name)
for _slot in ASKABLE:
    globals()[f"AskEligibility_{_slot}"] = type(
        f"AskEligibility_{_slot}", (_AskEligibility,), {"slot": _slot, "name": lambda self: f"action_ask_{self.slot}"}
    )


def give_verdict(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict]:
    """The verdict on everything the conversation knows (after the form, or again after a
    correction: "à nhầm, bên tôi là doanh nghiệp lớn")."""
    profile = profile_from(tracker)
    verdict = assess(profile)
    buttons = [
        button("Ước tính mức hỗ trợ", "estimate_support"),
        button("Để lại liên hệ", "leave_contact"),
        menu_button("procedure"),
    ]
    if verdict.verdict == "not_eligible":
        buttons = [
            menu_button("procedure"),
            button("Để lại liên hệ", "leave_contact"),
            button("Hỏi đáp khác", "ask_help"),
        ]
    elif verdict.verdict == "unknown" and any(not _skipped(tracker, f) for f in verdict.missing if f in ASKABLE):
        # a correction reopened a question ("à nhầm, ở xã chứ không phải phường"): go on from there
        buttons = [button("Trả lời tiếp", "check_eligibility")] + buttons[1:]
    dispatcher.utter_message(text=verdict_text(profile, verdict), buttons=buttons)
    return [SlotSet("verdict", verdict.verdict), SlotSet("reasks", None)]


class ActionEligibilityVerdict(Action):
    def name(self) -> Text:
        return "action_eligibility_verdict"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        return give_verdict(dispatcher, tracker)

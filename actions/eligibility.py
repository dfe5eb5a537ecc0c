"""The pre-eligibility check as a Rasa form: ask only what the rules still need, then a verdict.

The rules (and which facts they still need) live in policy_kb.eligibility; this module only
maps slots to a profile, re-asks unclear answers with buttons, and words the verdict.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.render import button
from actions.verdict_text import verdict_text
from bot.nlu.places import unit_type_in_answer
from bot.nlu.text_normalize import strip_diacritics
from actions.slots import (BUSINESS_TYPES, INDUSTRIES, UNIT_TYPES, YES_NO, NamedProvince, canonical,
                           latest_entity, named_province, parse_cost, parse_count)
from policy_kb.eligibility import Profile, assess, missing_fields
from policy_kb.provinces import load_provinces, province_of_old_name

# Profile fields the conversation can ask, by slot name (same names).
ASKABLE = ["business_type", "province", "unit_type", "craft_village", "disadvantaged", "industry", "employees",
           "revenue_vnd", "capital_vnd"]

UNCLEAR = "Dạ, em chưa rõ ý anh/chị. Anh/chị chọn giúp em một trong các lựa chọn dưới đây, hoặc gõ lại ạ."
NOTED = "Dạ, em đã ghi nhận."

def _flag(value: Optional[str]) -> Optional[bool]:
    return {"yes": True, "no": False}.get(value or "")


def profile_from(tracker: Tracker) -> Profile:
    slot = tracker.get_slot
    employees = parse_count(slot("employees"))
    return Profile(
        business_type=slot("business_type") if slot("business_type") in BUSINESS_TYPES else None,
        province=slot("province") if slot("province") in load_provinces() else None,
        old_province_name=slot("old_province"),
        unit_type=slot("unit_type") if slot("unit_type") in UNIT_TYPES else None,
        craft_village=_flag(slot("craft_village")),
        disadvantaged=_flag(slot("disadvantaged")),
        industry=slot("industry") if slot("industry") in INDUSTRIES else None,
        employees=employees,
        revenue_vnd=parse_cost(slot("revenue_vnd")),
        capital_vnd=parse_cost(slot("capital_vnd")),
    )


def _answered(tracker: Tracker, field: str) -> bool:
    """Yes/no questions answered "không rõ" count as answered: do not ask them again."""
    return tracker.get_slot(field) == "unknown"


class ValidateEligibilityForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_eligibility_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        needed = missing_fields(profile_from(tracker))
        return [f for f in needed if f in ASKABLE and not _answered(tracker, f)]

    def _unclear(self, dispatcher: CollectingDispatcher, slot: str, tracker: Tracker) -> Dict[Text, Any]:
        # "quảng ngãi" when asked for the product: the province is kept (its own slot), so say so
        # instead of "em chưa rõ ý"; the question is then asked again
        other = {e.get("entity") for e in tracker.latest_message.get("entities", [])
                 if e.get("entity") in ASKABLE and e.get("entity") != slot}
        named = named_province(tracker) if "province" in other else None
        dispatcher.utter_message(text=(f"Dạ, em đã ghi nhận địa bàn: {named.place}." if named else
                                       NOTED if other else UNCLEAR))
        return {slot: None}

    def validate_business_type(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        key = canonical(value, "business_type", BUSINESS_TYPES, tracker)
        return {"business_type": key} if key else self._unclear(dispatcher, "business_type", tracker)

    def validate_industry(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        key = canonical(value, "industry", INDUSTRIES, tracker)
        return {"industry": key} if key else self._unclear(dispatcher, "industry", tracker)

    def validate_unit_type(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        key = canonical(value, "unit_type", UNIT_TYPES, tracker) or (unit_type_in_answer(value) if isinstance(value, str) else None)
        return {"unit_type": key} if key else self._unclear(dispatcher, "unit_type", tracker)

    def validate_province(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        provinces = load_provinces()
        key = canonical(value, "province", set(provinces), tracker)
        if not key:
            dispatcher.utter_message(text="Dạ, em chưa nhận ra tên tỉnh. Anh/chị gõ lại tên tỉnh, thành phố "
                                          "(có dấu hoặc không dấu đều được) giúp em ạ.")
            return {"province": None}
        ent = latest_entity(tracker, "province")
        old = None
        if ent and ent.get("text"):
            unit = province_of_old_name(ent["text"])
            if unit is not None and unit.key == key and not _names_current(ent["text"], unit):
                old = ent["text"]
        return {"province": key, "old_province": old or tracker.get_slot("old_province")}

    def validate_craft_village(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"craft_village": value if value in YES_NO else ("yes" if value == "craft_village" else None)}

    def validate_disadvantaged(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return {"disadvantaged": value if value in YES_NO else None}

    def validate_revenue_vnd(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._amount("revenue_vnd", value, dispatcher)

    def validate_capital_vnd(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        return self._amount("capital_vnd", value, dispatcher)

    def _amount(self, slot: str, value: Any, dispatcher: CollectingDispatcher) -> Dict[Text, Any]:
        amount = parse_cost(value)
        if amount is None:
            dispatcher.utter_message(text="Dạ, anh/chị ghi số tiền kèm đơn vị giúp em, ví dụ: 5 tỷ, 800 triệu.")
            return {slot: None}
        return {slot: str(amount)}

    def validate_employees(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        count = parse_count(value)
        if count is None:
            dispatcher.utter_message(text="Dạ, anh/chị gõ giúp em một con số, ví dụ: 15.")
            return {"employees": None}
        return {"employees": str(count)}


def _names_current(text: str, unit) -> bool:
    t = strip_diacritics(text)
    return t in {strip_diacritics(unit.short_name), strip_diacritics(unit.name)}


class ActionEligibilityVerdict(Action):
    def name(self) -> Text:
        return "action_eligibility_verdict"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        profile = profile_from(tracker)
        verdict = assess(profile)
        buttons = [button("Ước tính mức hỗ trợ", "estimate_support"),
                   button("Để lại liên hệ", "leave_contact"),
                   button("Thủ tục, hồ sơ", "ask_procedure")]
        if verdict.verdict == "not_eligible":
            buttons = [button("Thủ tục, hồ sơ", "ask_procedure"), button("Để lại liên hệ", "leave_contact"),
                       button("Hỏi đáp khác", "ask_help")]
        dispatcher.utter_message(text=verdict_text(profile, verdict), buttons=buttons)
        return [SlotSet("verdict", verdict.verdict)]

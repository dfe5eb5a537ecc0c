"""Support estimate: national-fund maximum for an activity and a cost (share × cost, capped)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.kb import KnowledgeUnavailable, kb_session
from actions.render import KB_DOWN, button, fmt_vnd, support_level_text
from actions.slots import latest_value, named_province, parse_cost
from actions.support_levels import ACTIVITY_GROUPS, AMBIGUOUS
from policy_kb.queries import support_level


class ValidateEstimateForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_estimate_form"

    def validate_activity(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: Dict) -> Dict[Text, Any]:
        key = latest_value(tracker, "activity") or (value if isinstance(value, str) else None)
        if key in AMBIGUOUS:
            return {"activity": None}  # action_ask_activity asks which one (domestic or abroad)
        try:
            with kb_session() as session:
                known = any(support_level(session, k) for k in ACTIVITY_GROUPS.get(key, [key])) if key else False
        except KnowledgeUnavailable:
            known = False
        if not known:
            # "200tr" when the activity was asked: the cost is kept (money slot), say so
            cost = parse_cost(latest_value(tracker, "money"))
            dispatcher.utter_message(text=f"Dạ, em đã ghi nhận chi phí {fmt_vnd(cost)}." if cost else
                                     "Dạ, em chưa rõ hoạt động nào. Anh/chị chọn giúp em ạ.")
            return {"activity": None}
        return {"activity": key}

    def validate_money(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: Dict) -> Dict[Text, Any]:
        cost = parse_cost(value)
        if cost is None:
            dispatcher.utter_message(text="Dạ, anh/chị ghi rõ số tiền kèm đơn vị giúp em, ví dụ: 800 triệu, 1 tỷ 2.")
            return {"money": None}
        return {"money": cost}


class ActionAskActivity(Action):
    """The estimate form's question for the activity; after "hội chợ", which fair (the two have
    different rules), as the only question on screen."""

    def name(self) -> Text:
        return "action_ask_activity"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        said = latest_value(tracker, "activity")
        if said in AMBIGUOUS:
            question, options = AMBIGUOUS[said]
            dispatcher.utter_message(text=question, buttons=[button(t, "inform", activity=k) for t, k in options])
        else:
            dispatcher.utter_message(response="utter_ask_activity")
        return []


class ActionEstimateSupport(Action):
    def name(self) -> Text:
        return "action_estimate_support"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        activity, cost = tracker.get_slot("activity"), parse_cost(tracker.get_slot("money"))
        try:
            with kb_session() as session:
                answers = [a for a in (support_level(session, k) for k in ACTIVITY_GROUPS.get(activity, [activity]))
                           if a is not None]
        except KnowledgeUnavailable:
            dispatcher.utter_message(text=KB_DOWN)
            return []
        named = named_province(tracker)
        unit = named.unit if named else None
        text = "\n\n".join(support_level_text(a, cost, unit) for a in answers)
        dispatcher.utter_message(text=text or "Dạ, em chưa có mức hỗ trợ cho hoạt động này.", buttons=[
            button("Để lại liên hệ", "leave_contact"), button("Kiểm tra điều kiện", "check_eligibility"),
            button("Thủ tục, hồ sơ", "ask_procedure")])
        return []

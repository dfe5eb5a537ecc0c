"""Support estimate: national-fund maximum for an activity and a cost (share × cost, capped)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.kb import KnowledgeUnavailable
from actions.listen import say_note
from actions.quick_check import ESTIMATE_NEXT
from actions.render import button, fmt_vnd
from actions.slots import latest_value, parse_cost
from actions.support_levels import AMBIGUOUS, levels_for, reply_level


class ValidateEstimateForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_estimate_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        say_note(dispatcher, tracker)
        return await super().run(dispatcher, tracker, domain)

    def validate_activity(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[Text, Any]:
        key = latest_value(tracker, "activity") or (value if isinstance(value, str) else None)
        if key in AMBIGUOUS:
            return {"activity": None}  # action_ask_activity asks which one (domestic or abroad)
        try:
            known = bool(levels_for(key)) if key else False
        except KnowledgeUnavailable:
            known = False
        if not known:
            # "200tr" when the activity was asked: the cost is kept (money slot), say so
            cost = parse_cost(latest_value(tracker, "money"))
            dispatcher.utter_message(
                text=f"Dạ, em đã ghi nhận chi phí {fmt_vnd(cost)}."
                if cost
                else "Dạ, em chưa rõ hoạt động nào. Anh/chị chọn giúp em ạ."
            )
            return {"activity": None}
        return {"activity": key}

    def validate_money(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict
    ) -> Dict[Text, Any]:
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
        reply_level(dispatcher, tracker, activity, cost, buttons=ESTIMATE_NEXT)
        return []

"""Support-level answers: the national-fund maximum for a named activity, with its source."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.kb import KnowledgeUnavailable, kb_session
from actions.render import KB_DOWN, button, support_level_text
from actions.slots import latest_value, named_province
from policy_kb.queries import support_level

# Activity keys from the NLU that cover several support-level parameters.
ACTIVITY_GROUPS = {
    "typical_product_selection": ["typical_product_selection_regional", "typical_product_selection_national"],
    "pollution_treatment": ["pollution_treatment_facility", "pollution_treatment_ccn"],
}

# "hội chợ" alone is ambiguous: domestic and overseas fairs have different rules.
AMBIGUOUS = {
    "fair": ("Dạ, anh/chị hỏi về hội chợ, triển lãm trong nước hay ở nước ngoài ạ?",
             [("Hội chợ trong nước", "fair_domestic"), ("Hội chợ nước ngoài", "fair_abroad")]),
}

CHOICES = [
    ("Máy móc thiết bị", "machinery"),
    ("Dây chuyền công nghệ", "technology_line"),
    ("Mô hình trình diễn", "demonstration_model"),
    ("Hội chợ nước ngoài", "fair_abroad"),
    ("Hội chợ trong nước", "fair_domestic"),
    ("Đào tạo nghề", "training"),
    ("Thương hiệu", "branding"),
]


class ActionAnswerSupportLevel(Action):
    def name(self) -> Text:
        return "action_answer_support_level"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        # Only an activity named in *this* message counts; otherwise ask, so that an old
        # slot value never answers a different question.
        activity = latest_value(tracker, "activity")
        cost = latest_value(tracker, "money")
        if activity is None:
            dispatcher.utter_message(
                text="Dạ, anh/chị muốn hỏi mức hỗ trợ cho hoạt động nào ạ?",
                buttons=[button(t, "ask_support_level", activity=k) for t, k in CHOICES])
            return []
        if activity in AMBIGUOUS:
            question, options = AMBIGUOUS[activity]
            dispatcher.utter_message(text=question,
                                     buttons=[button(t, "ask_support_level", activity=k) for t, k in options])
            return []
        try:
            with kb_session() as session:
                answers = [support_level(session, key) for key in ACTIVITY_GROUPS.get(activity, [activity])]
        except KnowledgeUnavailable:
            dispatcher.utter_message(text=KB_DOWN)
            return []
        answers = [a for a in answers if a is not None]
        if not answers:
            dispatcher.utter_message(
                text="Dạ, em chưa có mức hỗ trợ cho hoạt động này. Anh/chị chọn một hoạt động dưới đây ạ:",
                buttons=[button(t, "ask_support_level", activity=k) for t, k in CHOICES])
            return []
        try:
            cost_value = int(cost) if cost is not None else None
        except (TypeError, ValueError):
            cost_value = None
        named = named_province(tracker)
        unit = named.unit if named else None
        text = "\n\n".join(support_level_text(a, cost_value, unit) for a in answers)
        dispatcher.utter_message(text=text, buttons=[
            button("Điều kiện", "ask_conditions"), button("Thủ tục, hồ sơ", "ask_procedure"),
            button("Vì sao tỉnh khác nhau?", "ask_local_levels")])
        return [SlotSet("activity", activity)]

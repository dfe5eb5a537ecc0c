"""Support levels: which parameter an activity key means, and the reply for it (with an estimate
when a cost is known). Reached through the answer action and the estimate form, never as an
action of its own."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_text import level_answer
from actions.kb import KnowledgeUnavailable, kb_session
from actions.render import KB_DOWN, button
from actions.slots import named_province
from policy_kb.queries import LevelAnswer, level_activities, support_level

# "hội chợ" alone is ambiguous: domestic and overseas fairs have different rules.
AMBIGUOUS = {
    "fair": (
        "Dạ, anh/chị hỏi về hội chợ, triển lãm trong nước hay ở nước ngoài ạ?",
        [("Hội chợ trong nước", "fair_domestic"), ("Hội chợ nước ngoài", "fair_abroad")],
    ),
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

NEXT = [("Điều kiện", "ask_conditions"), ("Thủ tục, hồ sơ", "ask_procedure")]


def levels_for(activity: str) -> List[LevelAnswer]:
    """The support-level answers an activity key stands for (raises KnowledgeUnavailable)."""
    with kb_session() as session:
        found = [support_level(session, key) for key in level_activities(activity)]
    return [a for a in found if a is not None]


def ask_activity(dispatcher: CollectingDispatcher, intent: str = "ask_support_level") -> None:
    dispatcher.utter_message(
        text="Dạ, anh/chị muốn hỏi mức hỗ trợ cho hoạt động nào ạ?",
        buttons=[button(t, intent, activity=k) for t, k in CHOICES],
    )


def ask_which(dispatcher: CollectingDispatcher, activity: str, intent: str = "ask_support_level") -> bool:
    """For an ambiguous key ("hội chợ"), ask which one; False when the key is not ambiguous."""
    if activity not in AMBIGUOUS:
        return False
    question, options = AMBIGUOUS[activity]
    dispatcher.utter_message(text=question, buttons=[button(t, intent, activity=k) for t, k in options])
    return True


def reply_level(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    activity: str,
    cost: Optional[int] = None,
    buttons: Optional[List[Dict[Text, Any]]] = None,
    condition: bool = False,
) -> List[Dict[Text, Any]]:
    """The level (and estimate, with a cost) for ``activity``; the detail behind a button;
    ``condition``: a condition of the activity was asked (answer_text.level_answer)."""
    try:
        answers = levels_for(activity)
    except KnowledgeUnavailable:
        dispatcher.utter_message(text=KB_DOWN)
        return []
    if not answers:
        dispatcher.utter_message(
            text="Dạ, em chưa có mức hỗ trợ cho hoạt động này. Anh/chị chọn một hoạt động dưới đây ạ:",
            buttons=[button(t, "ask_support_level", activity=k) for t, k in CHOICES],
        )
        return []
    named = named_province(tracker)
    text = "\n\n".join(level_answer(a, cost, named, condition) for a in answers)
    first = f"level.{answers[0].activity}"
    extra = [button("Chi tiết", "ask_more", record=first, view="detail")]
    if any(lv.status != "UNVERIFIED" for a in answers for lv in a.earlier):
        extra.append(button("Quy định trước đây", "ask_more", record=first, view="history"))
    dispatcher.utter_message(text=text, buttons=extra + (buttons or [button(t, i) for t, i in NEXT]))
    return [SlotSet("activity", activity), SlotSet("last_record", first)]

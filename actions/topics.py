"""Answers for the knowledge topics (objectives, beneficiaries, procedure, …)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.kb import KnowledgeUnavailable, kb_session
from actions.render import KB_DOWN, MAIN_MENU, button, province_note, topic_text
from actions.quick_check import asks_amount, describes_establishment, quick_check
from actions.slots import named_province
from actions.support_levels import ActionAnswerSupportLevel
from policy_kb.queries import topic_answer

# intent → knowledge topic
INTENT_TOPICS = {
    "ask_overview": "overview",
    "ask_objectives": "objectives",
    "ask_beneficiaries": "beneficiaries",
    "ask_industries": "industries",
    "ask_priorities": "priorities",
    "ask_activities": "activities",
    "ask_conditions": "conditions",
    "ask_procedure": "procedure",
    "ask_dossier": "dossier",
    "ask_typical_product": "typical_product",
    "ask_agencies": "agencies",
    "ask_pilot_projects": "pilot_projects",
    "ask_local_levels": "local_levels",
    "ask_legal_documents": "legal_documents",
}

# What a user most likely wants next after each topic (phone-sized button rows).
NEXT_BUTTONS = {
    "overview": [("Ai được hỗ trợ?", "ask_beneficiaries"), ("Hỗ trợ những gì?", "ask_activities")],
    "objectives": [("Hỗ trợ những gì?", "ask_activities"), ("Ai được hỗ trợ?", "ask_beneficiaries")],
    "beneficiaries": [("Kiểm tra cơ sở của tôi", "check_eligibility"), ("Ngành nghề", "ask_industries")],
    "industries": [("Kiểm tra cơ sở của tôi", "check_eligibility"), ("Ưu tiên", "ask_priorities")],
    "priorities": [("Mức hỗ trợ", "ask_support_level"), ("Thủ tục", "ask_procedure")],
    "activities": [("Mức hỗ trợ", "ask_support_level"), ("Điều kiện", "ask_conditions")],
    "conditions": [("Hồ sơ", "ask_dossier"), ("Thủ tục", "ask_procedure")],
    "procedure": [("Hồ sơ", "ask_dossier"), ("Điều kiện", "ask_conditions")],
    "dossier": [("Thủ tục", "ask_procedure"), ("Mức hỗ trợ", "ask_support_level")],
    "typical_product": [("Mức hỗ trợ", "ask_support_level"), ("Thủ tục", "ask_procedure")],
    "agencies": [("Thủ tục", "ask_procedure"), ("Văn bản pháp luật", "ask_legal_documents")],
    "pilot_projects": [("Hỗ trợ những gì?", "ask_activities"), ("Mức hỗ trợ", "ask_support_level")],
    "local_levels": [("Mức hỗ trợ quốc gia", "ask_support_level"), ("Thủ tục", "ask_procedure")],
    "legal_documents": [("Mức hỗ trợ", "ask_support_level"), ("Ai được hỗ trợ?", "ask_beneficiaries")],
}

PAGE = 4  # facts per message: fits a phone screen

# "Am I covered?" topics: a question that says what the establishment is gets the quick check,
# with a button to this general answer.
QUICK_CHECK_TOPICS = {"beneficiaries": ("Ai được hỗ trợ?", "ask_beneficiaries"),
                      "industries": ("Ngành nghề được hỗ trợ", "ask_industries")}
# Topics a long "how much for <activity>" question is often classed as: the amount is answered.
AMOUNT_TOPICS = {"beneficiaries", "industries", "local_levels", "activities"}
# Topics where a named province changes who to ask: the answer starts with that province's line.
LOCAL_TOPICS = {"local_levels", "procedure", "dossier", "agencies"}


class ActionAnswerTopic(Action):
    def name(self) -> Text:
        return "action_answer_topic"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "ask_more":
            topic = tracker.get_slot("last_topic")
            offset = int(tracker.get_slot("topic_offset") or 0)
        else:
            topic, offset = INTENT_TOPICS.get(intent), 0
        if not topic:
            dispatcher.utter_message(response="utter_help")
            return []
        if topic in AMOUNT_TOPICS and asks_amount(tracker):
            return ActionAnswerSupportLevel().run(dispatcher, tracker, domain)
        if topic in QUICK_CHECK_TOPICS and intent != "ask_more" and describes_establishment(tracker):
            return quick_check(dispatcher, tracker, QUICK_CHECK_TOPICS[topic])
        try:
            with kb_session() as session:
                answer = topic_answer(session, topic)
        except KnowledgeUnavailable:
            dispatcher.utter_message(text=KB_DOWN)
            return []
        if answer is None:
            dispatcher.utter_message(response="utter_default")
            return []
        shown = answer.current[offset: offset + PAGE]
        more_left = offset + PAGE < len(answer.current)
        named = named_province(tracker) if topic in LOCAL_TOPICS and offset == 0 else None
        text = topic_text(answer, shown, more=offset > 0,
                          intro=province_note(named.unit, named.place) if named else None)
        buttons = [button("Xem thêm", "ask_more")] if more_left else []
        buttons += [button(t, i) for t, i in NEXT_BUTTONS.get(topic, [])]
        dispatcher.utter_message(text=text, buttons=buttons or MAIN_MENU)
        return [SlotSet("last_topic", topic), SlotSet("topic_offset", float(offset + PAGE))]

"""Legal documents: what a named document is and what amends what; else the overview."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.kb import KnowledgeUnavailable, kb_session
from actions.render import KB_DOWN, button, fmt_date
from actions.topics import ActionAnswerTopic
from policy_kb.queries import DocumentView, find_document

STATE_TEXT = {
    "in_force": "đang có hiệu lực",
    "amended": "đang có hiệu lực, đã được sửa đổi",
    "expired": "đã hết hiệu lực",
    "unknown": "chưa xác minh được tình trạng",
}


def document_text(doc: DocumentView) -> str:
    name = f"{doc.kind} {doc.number}"
    if doc.status == "UNVERIFIED":
        return f"Dạ, về “{name}”: {doc.summary}"
    lines = [f"Dạ, {name} ({doc.title}):"]
    dates = []
    if doc.issued:
        dates.append(f"ban hành {fmt_date(doc.issued)}")
    if doc.effective_from:
        dates.append(f"hiệu lực từ {fmt_date(doc.effective_from)}")
    if doc.effective_to:
        dates.append(f"hết hiệu lực từ {fmt_date(doc.effective_to)}")
    status = STATE_TEXT.get(doc.state, doc.state)
    lines.append(f"• {', '.join(dates + [status])}." if dates else f"• {status}.")
    lines.append(f"• {doc.summary}")
    if doc.amends:
        lines.append("• Sửa đổi, bổ sung: " + ", ".join(doc.amends) + ".")
    if doc.amended_by:
        lines.append("• Được sửa đổi bởi: " + ", ".join(doc.amended_by) + ".")
    if doc.replaces:
        lines.append("• Thay thế: " + ", ".join(doc.replaces) + ".")
    if doc.replaced_by:
        lines.append("• Bị thay thế bởi: " + ", ".join(doc.replaced_by) + ".")
    return "\n".join(lines)


class ActionAnswerLegalDocuments(Action):
    def name(self) -> Text:
        return "action_answer_legal_documents"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = tracker.latest_message.get("text") or ""
        try:
            with kb_session() as session:
                doc = find_document(session, text)
        except KnowledgeUnavailable:
            dispatcher.utter_message(text=KB_DOWN)
            return []
        if doc is None:
            return ActionAnswerTopic().run(dispatcher, tracker, domain)
        dispatcher.utter_message(text=document_text(doc), buttons=[
            button("Các văn bản chính", "ask_legal_documents"), button("Mức hỗ trợ", "ask_support_level")])
        return []

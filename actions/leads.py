"""Lead capture with explicit consent (Nghị định 13/2023/NĐ-CP, Luật Bảo vệ dữ liệu cá nhân 2025).

Consent is asked first, with its purpose; the name and phone are asked only after "Đồng ý".
Nothing personal is logged: at most the lead id and a masked phone.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.render import MAIN_MENU, button
from actions.slots import channel_of, parse_cost
from policy_kb.consent import CONSENT_TEXT, CONSENT_VERSION, REFUSED_TEXT
from policy_kb.db import get_engine
from policy_kb.leads import LeadError, LeadInput, ensure_schema, save_lead
from policy_kb.phone import mask_phone, normalize_phone
from policy_kb.provinces import load_provinces

logger = logging.getLogger(__name__)

_PHONE_LIKE = re.compile(r"\+?\d[\d .\-()]{6,}\d")
PERSONAL_SLOTS = ("contact_name", "contact_phone", "consent", "consent_at")


def clear_personal() -> List[Dict[Text, Any]]:
    return [SlotSet(s, None) for s in PERSONAL_SLOTS]


class ActionAskConsent(Action):
    def name(self) -> Text:
        return "action_ask_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        dispatcher.utter_message(text=CONSENT_TEXT, buttons=[
            {"title": "Đồng ý", "payload": "/affirm"}, {"title": "Không đồng ý", "payload": "/deny"}])
        return []


class ValidateLeadForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_lead_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.get_slot("consent") == "no":
            return []  # refused: ask nothing more
        return ["consent", "contact_name", "contact_phone"]

    def validate_consent(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == "yes":
            return {"consent": "yes", "consent_at": dt.datetime.now(dt.timezone.utc).isoformat()}
        if value == "no":
            return {"consent": "no"}
        return {"consent": None}

    def validate_contact_name(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        name = " ".join(str(value or "").split())
        if not (2 <= len(name) <= 120) or not any(ch.isalpha() for ch in name):
            dispatcher.utter_message(text="Dạ, anh/chị cho em xin họ tên (ví dụ: Nguyễn Văn An) ạ.")
            return {"contact_name": None}
        return {"contact_name": name}

    def validate_contact_phone(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        # "số em là 0912.345.678 ạ": keep only the number itself for validation.
        found = _PHONE_LIKE.search(str(value or ""))
        phone = normalize_phone(found.group(0).strip()) if found else None
        if phone is None:
            dispatcher.utter_message(text="Dạ, số điện thoại chưa đúng. Anh/chị nhập lại số di động hoặc số bàn "
                                          "Việt Nam, ví dụ: 0912 345 678 hoặc 024 3825 1234.")
            return {"contact_phone": None}
        return {"contact_phone": phone}


class ActionSubmitLead(Action):
    def name(self) -> Text:
        return "action_submit_lead"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        slot = tracker.get_slot
        if slot("consent") != "yes":
            dispatcher.utter_message(text=REFUSED_TEXT, buttons=MAIN_MENU)
            return clear_personal()
        lead = LeadInput(
            name=slot("contact_name"), phone=slot("contact_phone"), channel=channel_of(tracker),
            conversation_id=tracker.sender_id, consent_version=CONSENT_VERSION, consent_at=slot("consent_at"),
            province=slot("province"), business_type=slot("business_type"), industry=slot("industry"),
            activity=slot("activity"), estimated_cost_vnd=parse_cost(slot("money")), verdict=slot("verdict"))
        try:
            engine = get_engine()
            ensure_schema(engine)
            lead_id, created = save_lead(engine, lead)
        except LeadError:
            logger.exception("lead could not be stored")
            dispatcher.utter_message(text="Dạ, hệ thống chưa lưu được thông tin, anh/chị vui lòng thử lại sau "
                                          "ít phút, hoặc liên hệ trực tiếp Trung tâm Khuyến công tỉnh ạ.")
            return clear_personal()
        logger.info("lead %s %s (phone %s)", lead_id, "stored" if created else "updated", mask_phone(lead.phone))
        unit = load_provinces().get(slot("province") or "")
        who = f"Trung tâm Khuyến công {unit.short_name}" if unit else "Trung tâm Khuyến công tỉnh"
        dispatcher.utter_message(
            text=f"Dạ, em đã ghi nhận. {who} sẽ liên hệ anh/chị qua số {mask_phone(lead.phone)}. "
                 f"Cảm ơn anh/chị ạ!",
            buttons=[button("Thủ tục, hồ sơ", "ask_procedure"), button("Hỏi đáp khác", "ask_help")])
        return clear_personal()


class ActionStopFlow(Action):
    """Stop the active flow on request; personal answers are forgotten, the rest kept for resuming."""

    def name(self) -> Text:
        return "action_stop_flow"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        dispatcher.utter_message(response="utter_form_stopped")
        events = [ActiveLoop(None), SlotSet("requested_slot", None)]
        if (tracker.active_loop or {}).get("name") == "lead_form":
            events += clear_personal()
        return events

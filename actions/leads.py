"""Lead capture with explicit consent (Nghị định 13/2023/NĐ-CP, Luật Bảo vệ dữ liệu cá nhân 2025).

Consent is asked first, with its purpose; the name and phone are asked only after "Đồng ý".
Nothing personal is logged: at most the lead id and a masked phone.

If the database cannot be reached the lead goes to the durable local outbox
(:mod:`policy_kb.outbox`) and the person is told it is recorded; queued leads are replayed before
each new save and by a background thread until the outbox is empty.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.render import MAIN_MENU, button
from actions.slots import channel_of, parse_cost
from bot.nlu.stop_phrases import explicit_stop
from policy_kb.consent import CONSENT_TEXT, CONSENT_VERSION, REFUSED_TEXT
from policy_kb.db import get_engine
from policy_kb.leads import (LeadError, LeadInput, LeadStoreError, LeadValidationError, ensure_schema,
                             save_lead, validate_lead)
from policy_kb.outbox import Flusher, Outbox
from policy_kb.phone import mask_phone, normalize_phone
from policy_kb.provinces import load_provinces

logger = logging.getLogger(__name__)

_PHONE_LIKE = re.compile(r"\+?\d[\d .\-()]{6,}\d")
PERSONAL_SLOTS = ("contact_name", "contact_phone", "consent", "consent_at")
NOT_STORED = ("Dạ, hệ thống chưa lưu được thông tin, anh/chị vui lòng thử lại sau ít phút, hoặc liên hệ "
              "trực tiếp Trung tâm Khuyến công tỉnh ạ.")
FLUSH_BEFORE_SAVE = 20  # queued leads replayed inline before a new save (the rest: background)

_outbox: Outbox | None = None
_flusher: Flusher | None = None


def outbox() -> Outbox:
    """The process's outbox (path from LEAD_OUTBOX, read when first used) and its flusher."""
    global _outbox, _flusher
    if _outbox is None:
        _outbox = Outbox()
        _flusher = Flusher(_outbox, get_engine)
        if _outbox.pending():  # left by an earlier run
            _flusher.ensure_running()
    return _outbox


def store_lead(lead: LeadInput) -> tuple[int | None, bool]:
    """(lead id, created) once committed, or (None, True) when queued in the outbox.

    Raises LeadValidationError for a submission that may not be stored at all."""
    validate_lead(lead)  # an invalid submission is refused now, never queued
    box = outbox()
    try:
        engine = get_engine()
        ensure_schema(engine)
        if box.pending():
            box.flush(engine, limit=FLUSH_BEFORE_SAVE)
        return save_lead(engine, lead)
    except (LeadStoreError, SQLAlchemyError) as exc:
        logger.error("database unreachable (%s): lead queued in the outbox", type(exc).__name__)
        box.append(lead)
        _flusher.ensure_running()
        return None, True


def clear_personal() -> List[Dict[Text, Any]]:
    return [SlotSet(s, None) for s in PERSONAL_SLOTS]


class ActionAskConsent(Action):
    def name(self) -> Text:
        return "action_ask_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        dispatcher.utter_message(text=CONSENT_TEXT, buttons=[
            {"title": "Đồng ý", "payload": "/affirm"}, {"title": "Không đồng ý", "payload": "/deny"}])
        return []


# "tên tôi là …", "em tên …", "mình là …", "họ tên: …" before the name itself (with or without
# diacritics); the officer's export gets just the name
_NAME_LEAD_IN = re.compile(
    r"^(?:(?:dạ|vâng|da|vang|ok)[\s,]+)?(?:(?:họ\s+)?tên\s+(?:của\s+)?(?:tôi|em|mình|anh|chị|tui)\s+là|"
    r"(?:tôi|em|mình|anh|chị|tui)\s+(?:tên\s+)?là|(?:tôi|em|mình|anh|chị|tui)\s+tên(?:\s+là)?|họ\s+tên|tên|"
    r"(?:ho\s+)?ten\s+(?:cua\s+)?(?:toi|em|minh|anh|chi|tui)\s+la|(?:toi|em|minh|anh|chi|tui)\s+(?:ten\s+)?la|"
    r"(?:toi|em|minh|anh|chi|tui)\s+ten(?:\s+la)?|ho\s+ten|ten)\s*[:\-]?\s+", re.IGNORECASE)


def person_name(text: str) -> str:
    """'ten toi la nguyen van dung ạ' → 'Nguyen Van Dung'. Written all in lower case, each word is
    capitalised (the officer calls this person); otherwise kept exactly as typed."""
    name = " ".join(text.split())
    stripped = _NAME_LEAD_IN.sub("", name, count=1)
    name = re.sub(r"[\s,.!]+(?:ạ|nhé|nhe|nha)[\s.!]*$", "", stripped if stripped else name).strip(" .,!")
    return name.title() if name.islower() else name


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
        name = person_name(str(value or ""))
        # the same rules as the leads store (policy_kb.leads), so an accepted name is always stored
        if not (2 <= len(name) <= 120) or not any(ch.isalpha() for ch in name) or not name.isprintable():
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
            lead_id, created = store_lead(lead)
        except LeadValidationError as exc:  # the submission itself is not acceptable
            logger.warning("lead refused: %s", exc)  # never personal data
            dispatcher.utter_message(text=NOT_STORED)
            return clear_personal()
        except LeadError as exc:
            logger.error("lead could not be stored: %s", exc)  # never personal data
            dispatcher.utter_message(text=NOT_STORED)
            return clear_personal()
        if lead_id is not None:
            logger.info("lead %s %s (phone %s)", lead_id, "stored" if created else "updated",
                        mask_phone(lead.phone))
        unit = load_provinces().get(slot("province") or "")
        who = f"Trung tâm Khuyến công {unit.short_name}" if unit else "Trung tâm Khuyến công tỉnh"
        dispatcher.utter_message(
            text=f"Dạ, em đã ghi nhận. {who} sẽ liên hệ anh/chị qua số {mask_phone(lead.phone)}. "
                 f"Cảm ơn anh/chị ạ!",
            buttons=[button("Thủ tục, hồ sơ", "ask_procedure"), button("Hỏi đáp khác", "ask_help")])
        return clear_personal()


class ActionStopFlow(Action):
    """Stop the active flow on request; personal answers are forgotten, the rest kept for resuming.

    Exception: while the lead form waits for the name, a message the NLU classed as "stop" that
    contains no stop word is the person's name (Trần Thị Dung): it is taken as the answer and the
    form goes on, instead of a lead lost to a misunderstanding.
    """

    def name(self) -> Text:
        return "action_stop_flow"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        loop = (tracker.active_loop or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        if (loop == "lead_form" and tracker.get_slot("requested_slot") == "contact_name"
                and not text.startswith("/") and not explicit_stop(text)):
            name = ValidateLeadForm().validate_contact_name(text, dispatcher, tracker, domain)["contact_name"]
            if name is not None:
                return [SlotSet("contact_name", name), SlotSet("requested_slot", None),
                        FollowupAction("lead_form")]
        dispatcher.utter_message(response="utter_form_stopped")
        events = [ActiveLoop(None), SlotSet("requested_slot", None)]
        if (tracker.active_loop or {}).get("name") == "lead_form":
            events += clear_personal()
        return events

"""The person's data rights in the chat: what is kept and why, and erasure on request.

* ``action_answer_privacy``: "số của tôi dùng để làm gì", "ai xem được", "lưu bao lâu", "có bán
  thông tin không" — answered from :data:`lead_store.consent.PRIVACY_TEXT` (one home for the
  wording), at any point; in the middle of the lead form the form then asks its question again.
* ``action_ask_erase``: "xóa thông tin của tôi", "tôi muốn rút lại đồng ý", "đừng lưu số của tôi
  nữa". A running form is stopped. If this conversation left nothing, the person is told so at
  once (and what they typed into the lead form is forgotten); otherwise one confirmation is
  asked (buttons "Xóa" / "Không"; typed "có", "ừ xóa đi", "không" work too: affirm / deny).
* ``action_erase_data`` (after "Xóa"): erases the leads *this* conversation left — its Rasa sender
  id on its channel, never another sender's — and says how many; forgets the personal slots.
  A request naming a phone number ("xóa số 0912 345 678") erases this conversation's leads with
  that number if there are any; otherwise it is recorded for the officers
  (:mod:`lead_store.erasure`, the number only as a salted hash) and the reply is the same whether
  or not a lead with that number exists anywhere.
* ``action_erase_cancel`` (after "Không"): nothing is erased.

Logs say only that something happened (counts, request ids), never a name or a number.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.leads import FLUSH_BEFORE_SAVE, clear_personal, outbox, payload, phone_in, stored_lead_count
from actions.listen import say_note
from actions.render import MAIN_MENU, button
from actions.slots import channel_of
from lead_store.consent import PERSONAL_DATA_SLOTS, PRIVACY_TEXT
from policy_kb.db import get_engine
from lead_store.erasure import ensure_erasure_schema, phone_hash, phone_matches, record_erasure_request
from lead_store.leads import LeadError, conversation_leads, delete_conversation_leads, ensure_schema
from vntext.phone import mask_phone

logger = logging.getLogger(__name__)

ERASE_SLOT = "erase_request"
CONFIRM_BUTTONS = [{"title": "Xóa", "payload": "/affirm"}, {"title": "Không", "payload": "/deny"}]
PRIVACY_BUTTONS = [button("Xóa thông tin của tôi", "erase_data"), button("Hỏi đáp khác", "ask_help")]

CONFIRM_OWN = (
    "Dạ, anh/chị muốn xóa thông tin liên hệ (họ tên, số điện thoại và các câu trả lời kèm theo) "
    "đã để lại trong cuộc trò chuyện này phải không ạ? Đã xóa thì không khôi phục được."
)
CONFIRM_PHONE = "Dạ, anh/chị muốn yêu cầu xóa thông tin liên hệ gắn với số {phone} phải không ạ?"
ERASED = (
    "Dạ, em đã xóa {n} thông tin liên hệ (tên, số điện thoại) anh/chị để lại trong cuộc trò chuyện này. "
    "Anh/chị vẫn có thể tiếp tục hỏi về chính sách khuyến công bất cứ lúc nào."
)
NOTHING_STORED = (
    "Dạ, trợ lý không lưu thông tin liên hệ nào của anh/chị từ cuộc trò chuyện này, nên không có gì cần xóa ạ."
)
TYPED_FORGOTTEN = " Họ tên, số điện thoại anh/chị vừa nhập (chưa gửi) em cũng đã bỏ."
REQUEST_RECORDED = (
    "Dạ, em đã chuyển yêu cầu xóa thông tin gắn với số {phone} đến Trung tâm Khuyến công tỉnh. "
    "Trung tâm sẽ kiểm tra và xử lý theo quy định về bảo vệ dữ liệu cá nhân ạ."
)
KEPT = "Dạ, em giữ nguyên, không xóa gì ạ. Anh/chị cần em giải đáp thêm gì không ạ?"
ERASE_FAILED = (
    "Dạ, hệ thống chưa xóa được ngay lúc này. Anh/chị vui lòng thử lại sau ít phút, hoặc liên hệ "
    "trực tiếp Trung tâm Khuyến công tỉnh ạ."
)
ANYTHING_ELSE = "utter_anything_else"


def _phone_request(phone: str) -> Dict[str, str]:
    """What the confirmation remembers of a number: its salted hash and the masked form shown to
    the person, never the number itself."""
    return {"scope": "phone", "hash": phone_hash(phone), "masked": mask_phone(phone)}


def _typed_phone(tracker: Tracker) -> Optional[str]:
    text = tracker.latest_message.get("text") or ""
    return None if payload(text) else phone_in(text)


class ActionAnswerPrivacy(Action):
    def name(self) -> Text:
        return "action_answer_privacy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        say_note(dispatcher, tracker)
        in_form = bool((tracker.active_loop or {}).get("name"))
        # in a form its question follows at once: no buttons that would cut it short
        dispatcher.utter_message(text=PRIVACY_TEXT, buttons=[] if in_form else PRIVACY_BUTTONS)
        return []


class ActionAskErase(Action):
    def name(self) -> Text:
        return "action_ask_erase"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        say_note(dispatcher, tracker)
        events: List[Dict[Text, Any]] = []
        if (tracker.active_loop or {}).get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        phone = _typed_phone(tracker)
        if phone:
            request = _phone_request(phone)
            dispatcher.utter_message(text=CONFIRM_PHONE.format(phone=request["masked"]), buttons=CONFIRM_BUTTONS)
            return events + [SlotSet(ERASE_SLOT, request)]
        if stored_lead_count(tracker) == 0:  # None (database unreadable): ask, then try
            typed = any(tracker.get_slot(s) for s in PERSONAL_DATA_SLOTS)
            dispatcher.utter_message(text=NOTHING_STORED + (TYPED_FORGOTTEN if typed else ""), buttons=MAIN_MENU)
            logger.info("erasure asked: nothing stored for this conversation")
            return events + clear_personal() + [SlotSet(ERASE_SLOT, None)]
        dispatcher.utter_message(text=CONFIRM_OWN, buttons=CONFIRM_BUTTONS)
        return events + [SlotSet(ERASE_SLOT, {"scope": "conversation"})]


def erase(tracker: Tracker, request: Dict[str, Any]) -> str:
    """Carry out a confirmed request; the reply. Raises LeadError / SQLAlchemyError."""
    sender, channel = tracker.sender_id, channel_of(tracker)
    engine = get_engine()
    ensure_schema(engine)
    box = outbox()
    if box.pending():  # a lead queued during an outage is stored first, so it is erased too
        box.flush(engine, limit=FLUSH_BEFORE_SAVE)
    if request.get("scope") == "phone":
        with Session(engine, future=True) as session:
            own = [
                lead.id
                for lead in conversation_leads(session, sender, channel)
                if phone_matches(request["hash"], lead.phone_e164)
            ]
        erased = delete_conversation_leads(engine, sender, channel, ids=own) if own else 0
        if erased:
            return ERASED.format(n=erased)
        # maybe someone else's data: never erased from here, never said whether it exists
        ensure_erasure_schema(engine)
        record_erasure_request(engine, channel, sender, hashed=request["hash"])
        return REQUEST_RECORDED.format(phone=request["masked"])
    erased = delete_conversation_leads(engine, sender, channel)
    return ERASED.format(n=erased) if erased else NOTHING_STORED


class ActionEraseData(Action):
    def name(self) -> Text:
        return "action_erase_data"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        request = tracker.get_slot(ERASE_SLOT)
        phone = _typed_phone(tracker)
        if phone:  # "xóa số 0912 345 678" typed as the confirmation: that number is meant
            request = _phone_request(phone)
        if not isinstance(request, dict) or request.get("scope") not in ("conversation", "phone"):
            dispatcher.utter_message(response=ANYTHING_ELSE)  # "có" after "nothing to erase"
            return []
        try:
            reply = erase(tracker, request)
        except (LeadError, SQLAlchemyError, KeyError) as exc:
            logger.error("erasure not carried out (%s)", type(exc).__name__)  # never personal data
            reply = ERASE_FAILED
        dispatcher.utter_message(text=reply, buttons=MAIN_MENU)
        return clear_personal() + [SlotSet(ERASE_SLOT, None)]


class ActionEraseCancel(Action):
    def name(self) -> Text:
        return "action_erase_cancel"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict[Text, Any]]:
        if not tracker.get_slot(ERASE_SLOT):
            dispatcher.utter_message(response=ANYTHING_ELSE)
            return []
        dispatcher.utter_message(text=KEPT, buttons=MAIN_MENU)
        return [SlotSet(ERASE_SLOT, None)]

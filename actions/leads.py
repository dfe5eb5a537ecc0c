"""Lead capture with explicit consent (Nghị định 13/2023/NĐ-CP, Luật Bảo vệ dữ liệu cá nhân 2025).

Consent is asked first, with its purpose; then the province when it is not known yet (it decides
which centre calls back: no lead is stored without it), then the name and the phone. At any step
a refusal in any wording ends the form and forgets what was typed, a privacy question is answered
(lead_store.consent.PRIVACY_TEXT) and the step asked again, and "sửa tên thành …" / "à nhầm, số
đúng là …" replace a value already given. Erasure on request: actions/privacy.py.
Nothing personal is logged: at most the lead id and a masked phone.

If the database cannot be reached the lead goes to the durable local outbox
(:mod:`lead_store.outbox`) and the person is told it is recorded; queued leads are replayed before
each new save and by a background thread until the outbox is empty.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.listen import is_answer_attempt, say_note
from actions.render import MAIN_MENU, button
from actions.slots import channel_of, parse_cost
from bot.menu import menu_button
from vntext.statements import asks_for_person, is_question
from vntext.stop_phrases import explicit_stop
from vntext.fold import fold
from vntext.names import name_problem
from vntext.normalize import normalize_text
from lead_store.consent import (
    CONSENT_SLOTS,
    CONSENT_TEXT,
    CONSENT_VERSION,
    PERSONAL_DATA_SLOTS,
    PRIVACY_TEXT,
    REFUSED_KEPT_TEXT,
    REFUSED_TEXT,
)
from policy_kb.db import get_engine
from lead_store.leads import (
    LeadError,
    LeadInput,
    LeadStoreError,
    LeadValidationError,
    conversation_leads,
    ensure_schema,
    save_lead,
    validate_lead,
)
from lead_store.outbox import Flusher, Outbox
from vntext.phone import mask_phone, normalize_phone
from policy_kb.provinces import load_provinces

logger = logging.getLogger(__name__)

_PHONE_LIKE = re.compile(r"\+?\d[\d .\-()]{6,}\d")
PERSONAL_SLOTS = PERSONAL_DATA_SLOTS + CONSENT_SLOTS  # reset together (lead_store.consent)
NOT_STORED = (
    "Dạ, hệ thống chưa lưu được thông tin, anh/chị vui lòng thử lại sau ít phút, hoặc liên hệ "
    "trực tiếp Trung tâm Khuyến công tỉnh ạ."
)
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


def stored_lead_count(tracker: Tracker) -> Optional[int]:
    """How many leads this conversation (sender id on its channel) has left; None if the
    database cannot be read. Leads queued in the outbox are replayed first, so they count."""
    try:
        engine = get_engine()
        ensure_schema(engine)
        box = outbox()
        if box.pending():
            box.flush(engine, limit=FLUSH_BEFORE_SAVE)
        with Session(engine, future=True) as session:
            return len(conversation_leads(session, tracker.sender_id, channel_of(tracker)))
    except (LeadError, SQLAlchemyError) as exc:
        logger.warning("leads of the conversation not readable (%s)", type(exc).__name__)
        return None


def refused(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """The lead form ends on the person's refusal: nothing of it is kept, they can ask on."""
    kept = stored_lead_count(tracker)
    dispatcher.utter_message(text=REFUSED_KEPT_TEXT if kept else REFUSED_TEXT, buttons=MAIN_MENU)
    return clear_personal()


# ------------------------------------------------------------- what a message in the form says
#
# Deterministic checks, so that a refusal, a privacy question or a correction is understood
# whatever the classifier thought (it was trained on few such messages). Each works on the
# normalised text, lower-cased, punctuation dropped ("normal"), and on its diacritics-free fold
# ("plain"); words that are ambiguous once the diacritics are gone (đừng ~ dùng, hủy ~ Huy, hổng ~
# Hồng) count without diacritics only when the whole message was typed without them.


def _views(text: str) -> Tuple[str, str, bool]:
    normal = " ".join(re.sub(r"[^\w\s]", " ", normalize_text(text or "").lower()).split())
    plain = fold(normal)
    return normal, plain, plain == normal


_NEG = r"(?:khong|ko|k|kg|khg|kh|hok|hem|chua)"
_MID = r"(?:\s+(?:muon|can|thich|dam|the|co|duoc|dinh|nen))*"
_GIVE = r"(?:cho|de\s+lai|dua|gui|cung\s+cap|luu|ghi|dong\s+y|nhap|goi|lien\s+he)"
# anywhere in the message, on the folded text
_REFUSE_ANY = re.compile(
    rf"\b(?:{_NEG}{_MID}\s+{_GIVE}|tu\s+choi|thoi\s+khoi|"
    r"khoi\s+(?:can|di|nha|nhe|de\s+lai|cho|goi|lien\s+he|luu)|rut\s+lai\s+(?:su\s+)?dong\s+y|"
    r"khong\s+co\s+(?:so|sdt|dien\s+thoai)|xoa\s+(?:\w+\s+){0,3}?(?:thong\s+tin|so|sdt|du\s+lieu|lien\s+he))\b"
)
# with diacritics: words that fold onto other words
_REFUSE_MARKED = re.compile(
    r"\b(?:(?:hổng|hông|chẳng|chả|đừng)(?:\s+(?:muốn|cần|thích|dám|thể|có|được|định|nên))*\s+"
    r"(?:cho|để\s+lại|đưa|gửi|cung\s+cấp|lưu|ghi|giữ|đồng\s+ý|nhập|gọi|liên\s+hệ)|"
    r"(?:hủy|bỏ)\s+(?:\w+\s+){0,3}?(?:thông\s+tin|số|sđt|dữ\s+liệu|liên\s+hệ))\b"
)
# typed without any diacritics
_REFUSE_PLAIN = re.compile(
    rf"\b(?:(?:hong|chang|cha){_MID}\s+{_GIVE}|dung\s+(?:luu|ghi|giu|goi)|"
    r"(?:huy|bo)\s+(?:\w+\s+){0,3}?(?:thong\s+tin|so|sdt|du\s+lieu|lien\s+he))\b"
)
#: a bare "không" / "ko" / "no" the classifier called deny is a refusal in the lead form
_DENY_WORDS = {
    "không",
    "khong",
    "ko",
    "k",
    "kg",
    "khg",
    "kh",
    "hông",
    "hổng",
    "hok",
    "hem",
    "no",
    "nope",
    "khỏi",
    "chẳng",
    "chả",
    "đừng",
    "thôi",
    "thoi",
}

_DATA = r"(?:so|sdt|dien\s+thoai|thong\s+tin|tt|du\s+lieu|ten|ho\s+ten|lien\s+he)"
_PRIVACY = re.compile(
    r"\b(?:dung|lam|de|lay|xin|giu|luu|can)\s+(?:de\s+|vao\s+|cho\s+)?(?:lam\s+)?(?:gi|j|chi|viec\s+gi|muc\s+dich\s+gi)\b|"
    r"\bai\s+(?:khac\s+)?(?:se\s+)?(?:duoc\s+)?(?:co\s+the\s+)?(?:xem|biet|doc|giu|nhan|quan\s+ly|thay|nam)\b|"
    r"\b(?:luu|giu)\s+(?:\w+\s+){0,5}?(?:bao\s+lau|o\s+dau|den\s+khi\s+nao|toi\s+khi\s+nao)\b|"
    r"\bbao\s+lau\s+(?:thi\s+)?(?:xoa|huy)\b|"
    r"\b(?:co|bi)\s+(?:bi\s+)?(?:ban|chia\s+se|lo|tiet\s+lo|ro\s+ri|dem\s+ban|dua\s+cho)\b|"
    r"\b(?:ban|chia\s+se|tiet\s+lo|ro\s+ri|dua|cung\s+cap)\s+(?:\w+\s+){0,5}?(?:cho\s+(?:ai|ben\s+nao|nguoi\s+khac|ben\s+khac))\b|"
    r"\b(?:bao\s+mat|quyen\s+rieng\s+tu|an\s+toan\s+khong|spam|quang\s+cao|lua\s+dao)\b|"
    rf"\b(?:tai\s+sao|vi\s+sao|sao)\s+(?:\w+\s+){{0,4}}?(?:can|phai|lay|xin|hoi)\s+(?:\w+\s+){{0,3}}?{_DATA}\b|"
    r"\b(?:xoa|huy)\b.*\b(?:the\s+nao|lam\s+sao|nhu\s+the\s+nao|bang\s+cach\s+nao|o\s+dau)\b"
)


# "đồng ý", "ok", "có", "dạ vâng, số em là …": agreement said first (the classifier may call a
# longer message something else)
_AGREE = re.compile(
    r"^(?:(?:da|vang|u|uh|ok|oke|thi)\s+)*(?:dong\s+y|ok|oke|okie|okay|co|vang|duoc|u|uh|yes|chac\s+chan)\b"
)


def agrees(text: str) -> bool:
    if not text or payload(text) or refuses(text) or asks_privacy(text):
        return False
    folded = fold(normalize_text(text))
    return bool(_AGREE.search(_views(text)[1])) and not is_question(folded)


def payload(text: str) -> bool:
    return (text or "").startswith("/")


def phone_in(text: str) -> Optional[str]:
    """The first valid Vietnamese number written in ``text`` (E.164), else None."""
    for found in _PHONE_LIKE.finditer(text or ""):
        phone = normalize_phone(found.group(0).strip())
        if phone:
            return phone
    return None


def asks_privacy(text: str) -> bool:
    """'số của tôi dùng để làm gì', 'ai xem được thông tin', 'lưu bao lâu', 'có bán không' …"""
    if not text or payload(text):
        return False
    return bool(_PRIVACY.search(_views(text)[1]))


def refuses(text: str, intent: Optional[str] = None) -> bool:
    """Does the message refuse to leave (or withdraw) the contact, in any wording? ('tôi không
    muốn cho số điện thoại đâu', 'thôi khỏi, ko để lại số', 'hổng cho số đâu', 'không đồng ý')"""
    if payload(text):
        return intent == "deny"
    if not text or intent == "erase_data" or phone_in(text):
        return False  # an erasure request has its own action (actions/privacy.py)
    if asks_privacy(text) and (intent == "ask_privacy" or is_question(fold(normalize_text(text)))):
        return False
    normal, plain, typed_plain = _views(text)
    if _REFUSE_ANY.search(plain) or _REFUSE_MARKED.search(normal) or (typed_plain and _REFUSE_PLAIN.search(plain)):
        return True  # (the classifier called "tôi không muốn cho số điện thoại đâu" a privacy question)
    return intent == "deny" and bool(set(normal.split()) & _DENY_WORDS)


# "sửa tên thành Trần Văn Bình", "à nhầm, tên đúng là Lê Thị Hoa", "đổi họ tên: …"
_NAME_FIX = re.compile(
    r"(?:\b(?:sua|doi|chinh)\s+(?:lai\s+)?(?:cai\s+)?(?:ho\s+)?ten|\b(?:ho\s+)?ten\s+(?:dung\s+(?:ra\s+)?|chinh\s+xac\s+)la|"
    r"\bnham\s+(?:ho\s+)?ten|\bsai\s+(?:ho\s+)?ten|\bghi\s+(?:lai\s+)?(?:ho\s+)?ten)"
    r"(?:\s+(?:cua\s+)?(?:toi|em|minh|tui|anh|chi))?(?:\s+(?:thanh|la|sang|lai\s+la))?[\s:,.\-]+"
)
_AFTER_NAME = re.compile(
    r"[\s,;.\-]*(?:(?:va\s+|con\s+)?(?:so\s+dien\s+thoai|so\s+dt|sdt|so|dt)(?:\s+la)?)?[\s:,;.\-]*$"
)


def corrected_name(text: str) -> Optional[str]:
    """The name of a correction ('sửa tên thành Trần Văn Bình' → 'Trần Văn Bình'), else None."""
    if not text or payload(text):
        return None
    normal = normalize_text(text)
    matches = list(_NAME_FIX.finditer(fold(normal)))  # fold keeps offsets
    if not matches:
        return None
    rest = normal[matches[-1].end() :]
    return name_part(rest) or None


def name_part(text: str) -> str:
    """The text without a phone number written after the name ('Lê Thị Hoa, số 0912…')."""
    found = _PHONE_LIKE.search(text or "")
    if found is None:
        return text
    head = text[: found.start()]
    cut = _AFTER_NAME.search(fold(head))
    return head[: cut.start()] if cut else head


_NOT_A_NAME = re.compile(r"\b(?:nham|sai|sua|doi|chinh|so|sdt|dien\s+thoai|dt)\b")


def _plausible_name(text: str) -> bool:
    """Words left around a phone number that can be a name ('Nguyễn Văn An'), not 'à nhầm, số
    đúng là'."""
    folded = _views(text)[1]
    return bool(folded) and not _NOT_A_NAME.search(folded)


def _intent(tracker: Optional[Tracker]) -> Optional[str]:
    return ((tracker.latest_message.get("intent") or {}).get("name")) if tracker else None


def _text(tracker: Optional[Tracker]) -> str:
    return (tracker.latest_message.get("text") or "") if tracker else ""


def _requested(tracker: Optional[Tracker]) -> Optional[str]:
    return tracker.get_slot("requested_slot") if tracker else None


def value_before(tracker: Optional[Tracker], slot: str) -> Any:
    """The slot's value before the latest user message (what a correction replaces)."""
    if tracker is None:
        return None
    last_user = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=None)
    if last_user is None:
        return tracker.get_slot(slot)
    value = None
    for event in tracker.events[:last_user]:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == slot:
            value = event.get("value")
        elif kind in ("restart", "reset_slots"):
            value = None
    return value


#: intents that are never an answer to the lead form's questions (their rule answers them)
NOT_ANSWERS = {
    "erase_data",
    "ask_privacy",
    "stop",
    "leave_contact",
    "check_eligibility",
    "estimate_support",
    "greet",
    "thank",
    "bot_challenge",
}


class ActionAskConsent(Action):
    def name(self) -> Text:
        return "action_ask_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        dispatcher.utter_message(
            text=CONSENT_TEXT,
            buttons=[{"title": "Đồng ý", "payload": "/affirm"}, {"title": "Không đồng ý", "payload": "/deny"}],
        )
        return []


# "tên tôi là …", "em tên …", "mình là …", "họ tên: …" before the name itself (with or without
# diacritics); the officer's export gets just the name
_NAME_LEAD_IN = re.compile(
    r"^(?:(?:dạ|vâng|da|vang|ok)[\s,]+)?(?:(?:họ\s+)?tên\s+(?:của\s+)?(?:tôi|em|mình|anh|chị|tui)\s+là|"
    r"(?:tôi|em|mình|anh|chị|tui)\s+(?:tên\s+)?là|(?:tôi|em|mình|anh|chị|tui)\s+tên(?:\s+là)?|họ\s+tên|tên|"
    r"(?:ho\s+)?ten\s+(?:cua\s+)?(?:toi|em|minh|anh|chi|tui)\s+la|(?:toi|em|minh|anh|chi|tui)\s+(?:ten\s+)?la|"
    r"(?:toi|em|minh|anh|chi|tui)\s+ten(?:\s+la)?|ho\s+ten|ten)\s*[:\-]?\s+",
    re.IGNORECASE,
)


def person_name(text: str) -> str:
    """'ten toi la nguyen van dung ạ' → 'Nguyen Van Dung'. Written all in lower case, each word is
    capitalised (the officer calls this person); otherwise kept exactly as typed."""
    name = " ".join(text.split())
    stripped = _NAME_LEAD_IN.sub("", name, count=1)
    name = re.sub(r"[\s,.!]+(?:ạ|nhé|nhe|nha)[\s.!]*$", "", stripped if stripped else name).strip(" .,!")
    return name.title() if name.islower() else name


NAME_PROMPT = "Dạ, anh/chị cho em xin họ tên (ví dụ: Nguyễn Văn An) ạ."
PHONE_INVALID = (
    "Dạ, số điện thoại chưa đúng. Anh/chị nhập lại số di động hoặc số bàn "
    "Việt Nam, ví dụ: 0912 345 678 hoặc 024 3825 1234."
)
# (the form's question, utter_ask_province, follows)
PROVINCE_UNREAD = (
    "Dạ, em chưa nhận ra tên tỉnh, thành phố. Trung tâm Khuyến công của tỉnh nơi đặt cơ sở sẽ liên "
    "hệ anh/chị, nên em cần tên tỉnh (gõ có dấu hay không dấu đều được)."
)
NAME_CHANGED = "Dạ, em đã sửa họ tên thành: {name}."
PHONE_CHANGED = "Dạ, em đã sửa số điện thoại thành {phone}."


class ValidateLeadForm(FormValidationAction):
    """consent → province (when not known yet) → name → phone.

    At every step: a refusal in any wording ends the form (nothing kept); a privacy question is
    answered and the step asked again; "sửa tên thành …" / "à nhầm, số đúng là …" replace what was
    given (same validation) and say so. Questions of their own (intents in NOT_ANSWERS) are left to
    their rule: the form rejects them and resumes afterwards."""

    def name(self) -> Text:
        return "validate_lead_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        if tracker.latest_action_name == "action_listen":  # not again when resuming after a question
            say_note(dispatcher, tracker)
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        if tracker.get_slot("consent") == "no":
            return ["consent"]  # refused: ask nothing more (the refusal itself is still validated)
        # the province decides which centre calls back: never a lead without it. Asked last, so
        # that "đồng ý" is followed by the name, as the consent text announces
        return ["consent", "contact_name", "contact_phone", "province"]

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Optional[Dict[Text, Any]]:
        # like rasa_sdk's, but a province is missing unless it is a known province key (the
        # eligibility check may have left "unknown")
        for slot in await self.required_slots([], dispatcher, tracker, domain):
            value = tracker.get_slot(slot)
            if value is None or (slot == "province" and value not in load_provinces()):
                return SlotSet("requested_slot", slot)
        return SlotSet("requested_slot", None)

    # ---------------------------------------------------------------- extraction (every turn)
    def _not_an_answer(self, tracker: Tracker) -> bool:
        return _intent(tracker) in NOT_ANSWERS or payload(_text(tracker))

    def extract_consent(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text, requested = _text(tracker), _requested(tracker)
        if refuses(text, _intent(tracker)):
            return {"consent": "no"}  # at any step: the form ends
        if requested == "consent" and _intent(tracker) != "ask_privacy" and asks_privacy(text):
            return {"consent": text}  # answered by validate_consent, then asked again
        if (
            requested == "consent" and _intent(tracker) not in ("erase_data", "ask_privacy", "stop") and agrees(text)
        ):  # "đồng ý, số em 0912 …" (classified leave_contact, say)
            return {"consent": "yes"}
        return {}

    def extract_province(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = _text(tracker)
        if _requested(tracker) != "province" or tracker.get_slot("province") in load_provinces():
            return {}  # not asked, or action_read_message read it from this message
        if _intent(tracker) != "ask_privacy" and asks_privacy(text):
            return {"province": text}
        if self._not_an_answer(tracker) or refuses(text, _intent(tracker)) or phone_in(text) or corrected_name(text):
            return {}
        if is_answer_attempt(text, _intent(tracker)):
            return {"province": text}  # not a province: said so and asked again
        return {}

    def extract_contact_name(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = _text(tracker)
        if (
            _requested(tracker) == "contact_name"
            and _intent(tracker) == "request_human"
            and not asks_for_person(fold(text))
        ):
            return {"contact_name": text}  # a name the classifier took for a request ("Người Chờ Số A")
        if (
            _requested(tracker) == "contact_name"
            and _intent(tracker) in ("stop", "deny")
            and _intent(tracker) != "ask_privacy"
            and asks_privacy(text)
        ):
            return {"contact_name": text}  # the mapping skipped it; answered by the validator
        if (
            tracker.get_slot("consent") != "yes"
            or _requested(tracker) == "contact_name"
            or self._not_an_answer(tracker)
        ):
            return {}
        return {"contact_name": text} if corrected_name(text) else {}

    def extract_contact_phone(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        text = _text(tracker)
        if _requested(tracker) == "contact_phone" and _intent(tracker) in ("stop",) and asks_privacy(text):
            return {"contact_phone": text}
        if (
            _requested(tracker) == "contact_phone"
            and (_intent(tracker) or "").startswith("ask_")
            and phone_in(text)
            and not payload(text)
        ):
            return {"contact_phone": text}  # the number, whatever the classifier thought
        if (
            tracker.get_slot("consent") != "yes"
            or _requested(tracker) == "contact_phone"
            or payload(text)
            or _intent(tracker) in ("erase_data", "ask_privacy", "stop")
            or asks_privacy(text)
        ):
            return {}
        # a number given before it was asked ("đồng ý, số em 0912 345 678", "à nhầm, số đúng là …")
        return {"contact_phone": text} if phone_in(text) else {}

    # ---------------------------------------------------------------------------- validation
    def _privacy(self, slot: str, dispatcher, tracker) -> Optional[Dict[Text, Any]]:
        """The answer to a privacy question asked at this step (the step is then asked again)."""
        if (
            tracker is None
            or _requested(tracker) != slot
            or not asks_privacy(_text(tracker))
            or (slot == "contact_phone" and phone_in(_text(tracker)))
        ):
            return None
        dispatcher.utter_message(text=PRIVACY_TEXT)
        return {slot: None}

    def validate_consent(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == "no" or refuses(_text(tracker), _intent(tracker)):
            return {"consent": "no"}
        answered = self._privacy("consent", dispatcher, tracker)
        if answered is not None:
            return answered
        if value == "yes":
            return {"consent": "yes", "consent_at": dt.datetime.now(dt.timezone.utc).isoformat()}
        return {"consent": None}

    def validate_province(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        # the same rule as the eligibility check: a known province key (action_read_message reads
        # the message into one; another component may have set it already)
        provinces = load_provinces()
        if value in provinces:
            return {"province": value}
        if refuses(_text(tracker), _intent(tracker)) or _requested(tracker) != "province":
            return {"province": None}
        answered = self._privacy("province", dispatcher, tracker)
        if answered is not None:
            return answered
        dispatcher.utter_message(text=PROVINCE_UNREAD)
        return {"province": None}

    def validate_contact_name(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker is not None:
            if refuses(_text(tracker), _intent(tracker)):
                return {"contact_name": None}
            answered = self._privacy("contact_name", dispatcher, tracker)
            if answered is not None:
                return answered
        typed = str(value or "")
        fixed = corrected_name(typed)
        previous = value_before(tracker, "contact_name")
        if fixed is None and phone_in(typed) and not _plausible_name(name_part(typed)):
            # "à nhầm, số đúng là 0987 654 321" when the name is asked: the phone validator takes
            # the number, the name is asked again (no second prompt from here)
            return {"contact_name": previous}
        name = person_name(fixed if fixed is not None else name_part(typed))
        # the leads store's check too (lead_store.leads), so an accepted name is always stored
        if name_problem(name):
            dispatcher.utter_message(text=NAME_PROMPT)
            return {"contact_name": previous if fixed is not None else None}
        if fixed is not None and previous and previous != name:
            dispatcher.utter_message(text=NAME_CHANGED.format(name=name))
        return {"contact_name": name}

    def validate_contact_phone(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if tracker is not None:
            if refuses(_text(tracker), _intent(tracker)):
                return {"contact_phone": None}
            answered = self._privacy("contact_phone", dispatcher, tracker)
            if answered is not None:
                return answered
        previous = value_before(tracker, "contact_phone")
        # "số em là 0912.345.678 ạ": keep only the number itself for validation.
        phone = phone_in(str(value or ""))
        if phone is None:
            if corrected_name(str(value or "")):
                return {"contact_phone": previous}  # "sửa tên thành …": the name validator answers
            dispatcher.utter_message(text=PHONE_INVALID)
            return {"contact_phone": previous if _requested(tracker) != "contact_phone" else None}
        if previous and previous != phone:
            dispatcher.utter_message(text=PHONE_CHANGED.format(phone=mask_phone(phone)))
        return {"contact_phone": phone}


class ActionSubmitLead(Action):
    def name(self) -> Text:
        return "action_submit_lead"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        slot = tracker.get_slot
        if slot("consent") != "yes":
            return refused(dispatcher, tracker)
        if slot("province") not in load_provinces():
            # never a lead without its province (it decides which centre calls back): the form
            # asks it, then comes back here
            logger.warning("lead not submitted without a province: asking it")
            return [SlotSet("province", None), FollowupAction("lead_form")]
        lead = LeadInput(
            name=slot("contact_name"),
            phone=slot("contact_phone"),
            channel=channel_of(tracker),
            conversation_id=tracker.sender_id,
            consent_version=CONSENT_VERSION,
            consent_at=slot("consent_at"),
            province=slot("province"),
            business_type=slot("business_type"),
            industry=slot("industry"),
            activity=slot("activity"),
            estimated_cost_vnd=parse_cost(slot("money")),
            verdict=slot("verdict"),
        )
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
            logger.info("lead %s %s (phone %s)", lead_id, "stored" if created else "updated", mask_phone(lead.phone))
        unit = load_provinces().get(slot("province") or "")
        who = f"Trung tâm Khuyến công {unit.short_name}" if unit else "Trung tâm Khuyến công tỉnh"
        dispatcher.utter_message(
            text=f"Dạ, em đã ghi nhận. {who} sẽ liên hệ anh/chị qua số {mask_phone(lead.phone)}. Cảm ơn anh/chị ạ!",
            buttons=[menu_button("procedure"), button("Hỏi đáp khác", "ask_help")],
        )
        return clear_personal()


class ActionStopFlow(Action):
    """Stop the active flow on request; personal answers are forgotten, the rest kept for resuming.

    Exception: while the lead form waits for the name, a message the NLU classed as "stop" that
    contains no stop word is the person's name (Trần Thị Dung): it is taken as the answer and the
    form goes on, instead of a lead lost to a misunderstanding. Otherwise stopping the lead form is
    a refusal: the personal slots are forgotten and the person is told nothing is kept.
    """

    def name(self) -> Text:
        return "action_stop_flow"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        loop = (tracker.active_loop or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        if (
            loop == "lead_form"
            and tracker.get_slot("requested_slot") == "contact_name"
            and not text.startswith("/")
            and not explicit_stop(text)
        ):
            name = ValidateLeadForm().validate_contact_name(text, dispatcher, tracker, domain)["contact_name"]
            if name is not None:
                return [SlotSet("contact_name", name), SlotSet("requested_slot", None), FollowupAction("lead_form")]
        events = [ActiveLoop(None), SlotSet("requested_slot", None)]
        if loop == "lead_form":
            # stopping the lead form is refusing it: nothing of it is kept, and the person is told so
            return events + refused(dispatcher, tracker)
        dispatcher.utter_message(response="utter_form_stopped")
        return events

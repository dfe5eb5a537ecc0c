"""How a knowledge question is answered: the turn read once, then an ordered table of routes.

``Turn`` reads the message once: its text and frame (vntext.frames: the thing, the attribute,
the time), the classifier's intent with its fallback, the entities, the person's province, and
the conversation's context (the record, topic and activity of the last answer). The ranking of
every record runs first, lazily, once.

``ROUTES`` is the decision, in order: the first route that applies replies. Each route is a
small function that says whether it applies and what it replies; ``docs/routes.md`` is printed
from this table by a test (``tests/test_routes.py``), so "why did it answer that?" can be read
without the code. ``actions/answer.py`` is the thin Rasa adapter around ``decide``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Dict, List, Optional, Sequence, Text

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answer_text as copy
from actions.answer_text import MAX_FIRST
from actions import handover
from actions.attribute_text import (
    contact_text,
    DOCUMENT_ATTRIBUTES,
    CLARIFY,
    ENGLISH_LEAD,
    brief,
    pair_text,
    item_title,
    as_of_date,
    document_attribute_answer,
    level_as_of_answer,
    overview_answer,
)
from actions.decision import accept, features, unsure
from actions.engine import (
    AGREEMENT,
    LOCAL_TOPICS,
    THRESHOLD,
    TOPIC_TITLES,
    Answerer,
    accepts,
    intent_of,
    key_of,
    without_places,
)
from actions.listen import PROFILE_SLOTS, changed_this_turn, replied_this_turn
from actions.quick_check import (
    ESTIMATE_NEXT,
    asks_amount,
    describes_establishment,
    names_establishment,
    quick_check,
    verdict_again,
)
from actions.render import MAIN_MENU, button, topic_text
from actions.slots import channel_of, latest_value, named_province
from actions.support_levels import AMBIGUOUS, ask_activity, ask_which, levels_for, reply_level
from bot.menu import menu_button
from policy_kb import queries, unanswered
from policy_kb.retrieval import INTENT_TOPICS, STOP, Hit, Record, lemmas, split_questions
from vntext.english import looks_english, to_vietnamese
from vntext.fold import fold
from vntext.frames import Frame, read_frame
from vntext.language import is_english
from vntext.trade import only_trades

logger = logging.getLogger(__name__)

# "Am I covered?" topics: a question that says what the establishment is gets the quick check.
QUICK_CHECK_TOPICS = {
    "beneficiaries": menu_button("beneficiaries"),
    "industries": button("Ngành nghề được hỗ trợ", "ask_industries"),
}
PAGE = 4  # facts per topic page
# words nearly every question has: they do not make a question specific ("khuyến công hỗ trợ gì")
GENERIC = frozenset({"khuyen", "cong", "ho", "tro", "chinh", "sach", "duoc", "nha", "nuoc"})
#: a classifier this sure of an answer-like intent, after the reader answered the message, adds nothing
SURE = 0.75
#: the classifier this sure of the best record's topic, with the score rule, answers without the model
SURE_TOPIC = 0.9
#: the words must point to another activity's level by this much more than to the one named
OVERRIDE = 0.15
#: a part whose content words are at least this share in an answer already given is answered
COVERED = 0.6
#: two answers given together may take this much more than one (two citations)
PAIR_LIMIT = MAX_FIRST + 110
#: two facts stating the attribute asked this close are both given
TWIN_MARGIN = 0.08
#: a confident topic question is answered from its topic when the decision is this close to answering
TOPIC_BAND = 0.3
#: attributes that do not make a question specific ("thủ tục thế nào", "gồm những gì")
GENERAL_ATTRIBUTES = frozenset({"list", "definition", "conditions", "beneficiaries"})
#: a list question whose best record leads the next by this much names that record, not the topic
SPECIFIC_MARGIN = 0.25
#: a topic-wide question: the classifier at least this sure of the topic
TOPIC_SURE = 0.5
#: at most this many content words (besides places and generic words): a question about the topic
TOPIC_WORDS = 4
#: a how-much question naming nothing (at most this many other content words) gets the picker
PICKER_WORDS = 2
_AMOUNT_WORDS = frozenset({"muc", "bao", "nhieu", "bn", "tien", "toi", "da", "phan", "tram", "tra", "vay", "nhiu"})
#: the best in-topic record of a topic-wide question must match at least this much to lead
IN_TOPIC_FLOOR = 0.2
#: the "Về <topic>" button under "em chưa có thông tin" needs the nearest record this close
NEAR = THRESHOLD * 0.6
#: the attributes that ask how much
AMOUNT = ("amount", "share")

# "… có được hỗ trợ không", "có thuộc đối tượng không", "đủ điều kiện không": am I covered?
_ELIGIBILITY_QUESTION = re.compile(
    r"\b(?:(?:co )?(?:duoc|dc|đc) (?:ho tro|khuyen cong|huong)\b[^?.]{0,20}\b(?:khong|ko|k|hong|hem|chua|ha|kg)\b"
    r"|(?:co )?thuoc (?:doi tuong|dien)|du dieu kien|co du dk|co du dieu kien"
    r"|(?:xin|nhan) (?:ho tro|duoc ho tro) (?:duoc|dc) (?:khong|ko|k|hong)"
    r"|co (?:duoc|dc) khong|(?:duoc|dc) khong)\b"
)


# time words of a question ("trước đây", "bây giờ"), on folded text
_TIME_WORDS = re.compile(
    r"\b(?:truoc day|truoc kia|hoi truoc|luc truoc|ngay truoc|bay gio|hien nay|hien tai|hien gio|gio day)\b"
)


def without_time(text: str) -> str:
    """``text`` without its time words (folding keeps positions, so the spans are the same)."""
    for m in reversed(list(_TIME_WORDS.finditer(fold(text)))):
        text = text[: m.start()] + " " + text[m.end() :]
    return text


# "xem thêm", "chi tiết hơn", "còn gì nữa": a request for more of the last answer (the classifier
# also calls "còn cấp quốc gia thì sao?" ask_more: that is a follow-up question, not "more")
_MORE_WORDS = re.compile(
    r"\b(?:xem them|them nua|chi tiet|con gi nua|con gi khong|con nua|noi them|ke them|ro hon|cu the hon|day du|"
    r"tiep di|tiep theo|nua khong)\b"
)
# "nghị định này", "văn bản đó", "nó": the message refers back to what was just said
_REFERS_BACK = re.compile(
    r"\b(?:nghi dinh|thong tu|van ban|quyet dinh|chi thi|nghi quyet|de an|chuong trinh|quy dinh|muc|dieu khoan|"
    r"cai|giai doan|uu tien|cong nghe|noi dung|hoat dong|khoan|dieu|nganh|cap|doi tuong|ho so|thu tuc)\s+"
    r"(?:nay|do|day|ay|kia|tren)\b"
)
_IT = re.compile(r"(?:^|\s)nó(?:\s|$|[?.,])", re.IGNORECASE)
# a yes/no question: "… có thuộc đối tượng không?", "… đã nhận hỗ trợ chưa?" (not an overview)
_YES_NO = re.compile(r"\b(?:khong|ko|k|hong|hem|chua|ha|kg)\s*[?.!]*\s*(?:a|vay|z|nhi|nhe)?\s*[?.!]*\s*$")
#: a follow-up without an elliptical form: at most this many content words, no subject of its own
FOLLOW_UP_WORDS = 7
#: words that only ask or date ("theo quy định trước đây, mức hỗ trợ là bao nhiêu"): not a subject
_ASKING = frozenset(
    "theo quy dinh truoc day hoi gio hien nay cu moi muc la bao nhieu nhiu lau the nao sao gi thi con vay".split()
)

# phone, hotline, email, address, website, the head of an office: never in the knowledge base
_CONTACT = re.compile(
    r"\b(?:so dien thoai|sdt|so dt|dien thoai|hotline|duong day nong|email|e-mail|dia chi|"
    r"(?:website|trang web|fanpage|facebook) (?:cua|chinh thuc)|giam doc|pho giam doc|cuc truong|truong phong|"
    r"lam viec (?:thu|ngay|gio)|"
    r"gio lam viec)\b"
)

# ---------------------------------------------------------------- the turn, read once


@dataclass(frozen=True)
class Context:
    """What the conversation was about before this message (slots set by the last answer)."""

    record: Optional[str] = None
    topic: Optional[str] = None
    activity: Optional[str] = None
    offset: int = 0
    last_reply: Optional[str] = None

    @classmethod
    def of(cls, tracker: Tracker) -> "Context":
        last = next(
            (e.get("text") for e in reversed(tracker.events or []) if e.get("event") == "bot" and e.get("text")),
            None,
        )
        return cls(
            tracker.get_slot("last_record"),
            tracker.get_slot("last_topic"),
            tracker.get_slot("activity"),
            int(tracker.get_slot("topic_offset") or 0),
            last,
        )


class Turn:
    """One message as the routes see it. The ranking is computed on first use, once."""

    def __init__(self, tracker: Tracker, session=None) -> None:
        self.tracker, self.session = tracker, session
        self.text: str = tracker.latest_message.get("text") or ""
        self.intent, self.confidence = intent_of(tracker)
        self.raw_intent = (tracker.latest_message.get("intent") or {}).get("name")
        self.entities: List[Dict[str, Any]] = tracker.latest_message.get("entities") or []
        self.frame: Frame = read_frame(self.text)
        self.context = Context.of(tracker)
        self.named = named_province(tracker)

    # ------------------------------------------------------------ what the message names
    def entity(self, name: str) -> Optional[str]:
        return latest_value(self.tracker, name)

    @cached_property
    def engine(self) -> Answerer:
        return Answerer(self.tracker, self.session)

    @cached_property
    def follows_up(self) -> bool:
        """Does the message continue the last answer? Elliptical ("còn máy cũ thì sao", "ai
        ký?"), referring back ("nghị định này", "nó"), or a short question with an attribute or a
        time but no subject of its own ("theo quy định cũ thì mức hỗ trợ là bao nhiêu")."""
        if not (self.context.record or self.context.topic or self.context.activity):
            return False  # (after a quick check only the activity is known: "hồi trước hỗ trợ nhiêu")
        if self.frame.elliptical or _REFERS_BACK.search(fold(self.text)) or _IT.search(self.text):
            return True
        words = [w for w in lemmas(self.text) if w not in STOP and w not in GENERIC and w not in _ASKING]
        return (
            self.frame.thing is None
            and not self.frame.documents
            and bool(self.frame.attributes or self.frame.time)
            and len(words) <= FOLLOW_UP_WORDS
        )

    @cached_property
    def context_record(self) -> Optional[Record]:
        """The last answer's record, for a follow-up only; a full question starts afresh."""
        if not self.follows_up:
            return None
        if self.entity("activity") and f"level.{self.entity('activity')}" != self.context.record:
            return None  # "còn hội chợ trong nước?": the activity named is the new subject
        if self.frame.documents and not _REFERS_BACK.search(fold(self.text)):
            return None  # a document named is the subject (not "nghị định này … so với NĐ 45")
        return self.engine.by_id.get(self.context.record)

    @cached_property
    def question(self) -> str:
        """The question clause of the message: a self-description before it ("chị làm nước
        mắm ở xã …, hộ kinh doanh, …") fills the profile, the question decides the record."""
        return question_clause(self.text)

    @cached_property
    def hits(self) -> List[Hit]:
        context = self.context_record
        if context is None:
            return self.engine.rank(self.question, self.frame)
        hits = self.engine.rank(self.question, self.frame, context, k=15)
        # "còn máy cũ thì sao", "cấp xã ai chủ trì": something the last answer did not say, not
        # that answer again; after a level, not another level (the level route answers "còn
        # trước đây", "còn hội chợ trong nước": what reaches the ranking asks something else)
        kept = [
            h for h in hits if h.record.id != context.id and not (context.kind == "level" and h.record.kind == "level")
        ]
        return (kept or hits)[:5]
        return hits

    @property
    def top(self) -> Optional[Hit]:
        return self.hits[0] if self.hits else None

    @cached_property
    def evidence(self) -> Optional[Dict[str, float]]:
        """The ranking's features for the best record (actions.decision)."""
        if not self.hits:
            return None
        return features(
            self.hits,
            self.question,
            self.intent,
            self.confidence,
            self.frame,
            self.engine.index.vocabulary,
            self.context_record is not None,
        )

    @cached_property
    def accepted(self) -> bool:
        """Is the best record the answer? Learned from all the ranking's evidence
        (actions.decision); the score rule where no model ships."""
        if self.top is None:
            return False
        rule = accepts(self.top, self.intent, self.confidence)
        if (
            rule
            and not self.frame.attributes
            and self.confidence >= SURE_TOPIC
            and INTENT_TOPICS.get(self.intent or "") == self.top.record.topic
        ):
            # a question about a topic, no specific attribute asked ("tỉnh có hỗ trợ riêng
            # không"): the score and a classifier sure of the same topic agree
            return True
        return accept(self.evidence, rule)

    @cached_property
    def parts(self) -> List[str]:
        """The questions of the message; a part that asks nothing of its own ("Không, …", "dài
        quá hông hiểu") is not a question."""
        # after a self-description, the questions are those of its question clause
        parts = split_questions(self.question)
        if len(parts) < 2:
            return [self.text] if self.question != self.text else parts
        kept = [p for p in parts if _asks_something(p)]
        return kept if len(kept) > 1 else [self.text]

    @cached_property
    def document(self) -> Optional[queries.DocumentView]:
        """The document the question is about: a number it names, else (a follow-up) the last
        answer's document."""
        context = self.context_record
        if context is not None and context.kind == "document" and _REFERS_BACK.search(fold(self.text)):
            # "nghị định này thay đổi gì so với NĐ 45": this one is the last answer's document
            return queries.document(self.session, key_of(context.id))
        if self.frame.documents:
            found = queries.find_document(self.session, self.text)
            if found is not None:
                return _of_kind_named(self.session, self.text, found)
            number = self.frame.documents[0]
            if "/" not in number:  # "NĐ 235" without its year
                return next((d for d in queries.documents(self.session) if d.number.startswith(f"{number}/")), None)
        if context is not None and context.kind == "document":
            return queries.document(self.session, key_of(context.id))
        if context is not None and set(self.frame.attributes) & set(DOCUMENT_ATTRIBUTES):
            # "văn bản đó ký ngày nào" after a fact: the document the fact cites
            return queries.find_document(self.session, context.document)
        return None

    @cached_property
    def activity(self) -> Optional[str]:
        """The activity asked about: named now, else (a follow-up about a level) the last one."""
        named = self.entity("activity")
        if named:
            return named
        context = self.context_record
        if context is not None and context.kind == "level":
            return key_of(context.id)
        if self.follows_up and not self.context.record and self.asks_amount:
            return self.context.activity  # a quick check named the activity: "hồi trước được nhiêu"
        return None

    @property
    def said_cost(self) -> Optional[int]:
        return self.engine.said_cost

    @property
    def asks_amount(self) -> bool:
        """How much: the frame says so; when it reads another attribute ("bao nhiêu ngày",
        "mấy ảnh", "tạm ứng bao nhiêu"), not; else an activity with "bao nhiêu" or a cost."""
        if set(self.frame.attributes) & set(AMOUNT):
            return True
        if self.frame.attributes:
            return False
        return asks_amount(self.tracker, self.said_cost)


#: the kind of document a number is given with ("TTLT 26/2014" is not "TT 26/2014")
_KINDS = (
    (re.compile(r"\b(?:ttlt|thong tu lien tich)\b"), "Thông tư liên tịch"),
    (re.compile(r"\b(?:tt|thong tu)\b"), "Thông tư"),
    (re.compile(r"\b(?:nd|nghi dinh)\b"), "Nghị định"),
    (re.compile(r"\b(?:qd|quyet dinh)\b"), "Quyết định"),
    (re.compile(r"\b(?:nq|nghi quyet)\b"), "Nghị quyết"),
)


def _of_kind_named(session, text: str, found: queries.DocumentView) -> queries.DocumentView:
    """Of the documents with ``found``'s number, the one of the kind the text names."""
    folded = fold(text)
    for pattern, kind in _KINDS:
        if pattern.search(folded):
            number = found.number.split("/")[0] + "/" + found.number.split("/")[1]
            same = [d for d in queries.documents(session) if d.number.startswith(number + "/") and d.kind == kind]
            return same[0] if same else found
    return found


def question_clause(text: str) -> str:
    """The last sentences of ``text`` that ask something, when it begins with a description
    (more than ~25 words); else the whole text."""
    if len(text.split()) <= 25:
        return text
    sentences = [
        s
        for s in re.split(r"(?<=[.!?\n])\s+|,\s+(?=(?:vậy|thế|cho (?:em|chị|anh) hỏi|xin hỏi|em hỏi))", text)
        if s.strip()
    ]
    asking = [
        s for s in sentences if "?" in s or re.search(r"\b(?:hoi|khong|ko|bao nhieu|bn|gi|nao|sao|dau|may)\b", fold(s))
    ]
    if not asking:
        return text
    last = asking[-1]
    return last if len(last.split()) >= 5 else " ".join(sentences[-2:])


# ---------------------------------------------------------------- the routes


@dataclass(frozen=True)
class Route:
    name: str
    applies: Callable[[Turn], bool]
    reply: Callable[[Turn, CollectingDispatcher], List[Dict[Text, Any]]]

    @property
    def why(self) -> str:
        return (self.applies.__doc__ or "").strip()

    @property
    def does(self) -> str:
        return (self.reply.__doc__ or "").strip()


def _answered(record: Record, topic: Optional[str] = None) -> List[Dict[Text, Any]]:
    return [
        SlotSet("last_record", record.id),
        SlotSet("last_topic", topic or record.topic),
        SlotSet("topic_offset", 0.0),
    ]


# 1 ------------------------------------------------------------- more of an earlier answer
def wants_more(turn: Turn) -> bool:
    """A button under an answer (``ask_more`` with a record and a view), or "xem thêm" typed
    (the classifier's own intent, not its guess for a message it could not classify)."""
    if turn.text.startswith("/") or turn.entity("record") or turn.entity("view"):
        return turn.raw_intent == "ask_more"
    return turn.raw_intent == "ask_more" and bool(_MORE_WORDS.search(fold(turn.text)))


def more(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The view asked (detail, earlier rule, the topic); typed "xem thêm": what the last answer
    has not said yet (the next page of its topic, without the record already shown; a level's
    detail)."""
    record_id = turn.entity("record")
    view = turn.entity("view")
    ctx = turn.context
    engine = turn.engine
    if record_id is None and ctx.topic and (ctx.offset > 0 or not ctx.record):
        return topic_page(dispatcher, turn, ctx.topic, ctx.offset)
    record_id = record_id or ctx.record
    record = engine.by_id.get(record_id or "")
    if record is None:
        dispatcher.utter_message(response="utter_help")
        return []
    if view == "answer":  # a button of "anh/chị hỏi về …?": the record's own first answer
        if record.kind == "level":
            return level_of(turn, dispatcher, key_of(record.id))
        dispatcher.utter_message(text=engine.first_answer(record), buttons=engine.buttons(record))
        return _answered(record)
    if view == "topic" or (view is None and record.kind == "fact"):
        topic = "legal_documents" if record.kind == "document" else record.topic
        if topic == "support_levels":
            ask_activity(dispatcher)
            return []
        return topic_page(dispatcher, turn, topic, 0, skip=record.id if view is None else None)
    text = engine.history(record) if view == "history" else engine.detail(record)
    dispatcher.utter_message(
        text=text or engine.first_answer(record),
        buttons=[b for b in engine.buttons(record) if '"topic"' in b["payload"]]
        or (
            [button("Quy định trước đây", "ask_more", record=record.id, view="history")]
            if view != "history" and engine.history(record)
            else []
        ),
    )
    return [SlotSet("last_record", record.id)]


def topic_page(
    dispatcher: CollectingDispatcher, turn: Turn, topic: str, offset: int, skip: Optional[str] = None
) -> List[Dict[Text, Any]]:
    """A page of a whole topic (asked for with "Xem thêm về …"); ``skip``: a record just shown."""
    answer = queries.topic_answer(turn.session, topic)
    if answer is None:
        dispatcher.utter_message(response="utter_help")
        return []
    current = [f for f in answer.current if f.id != skip]
    shown = current[offset : offset + PAGE]
    more_left = offset + PAGE < len(current)
    dispatcher.utter_message(
        text=topic_text(answer, shown, more=offset > 0),
        buttons=([button("Xem thêm", "ask_more")] if more_left else []) + MAIN_MENU[:2],
    )
    return [SlotSet("last_topic", topic), SlotSet("topic_offset", float(offset + PAGE)), SlotSet("last_record", None)]


# 2 ------------------------------------------------------------- English
def in_english(turn: Turn) -> bool:
    """The message is English (not Vietnamese typed without diacritics), or reads as English once
    its in-scope words are known ("How much support can I get to buy machinery?")."""
    if turn.text.startswith("/"):
        return False  # a button's payload
    return is_english(turn.text) or looks_english(turn.text)


def english(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """An in-scope question: a one-line English lead-in and the Vietnamese answer of its
    Vietnamese reading (vntext.english); otherwise a short English note and the menu."""
    vietnamese = to_vietnamese(turn.text)
    if vietnamese:
        frame = read_frame(vietnamese)
        hits = turn.engine.rank(vietnamese, frame)
        top = hits[0] if hits else None
        if top is not None and top.score >= THRESHOLD - AGREEMENT:
            if top.record.kind == "level":
                text = "\n\n".join(
                    copy.level_answer(a, turn.engine.cost, turn.named) for a in levels_for(key_of(top.record.id))
                )
            else:
                text = turn.engine.first_answer(top.record, frame)
            dispatcher.utter_message(text=f"{ENGLISH_LEAD}\n{text}", buttons=turn.engine.buttons(top.record))
            return _answered(top.record)
    dispatcher.utter_message(text=copy.ENGLISH_REPLY, buttons=MAIN_MENU)
    return []


# 3 ------------------------------------------------------------- already answered by the reader
def already_replied(turn: Turn) -> bool:
    """The reader already answered the message (a correction confirmed, the 2025 merger
    explained) and it is not clearly a question."""
    return replied_this_turn(turn.tracker) and (
        turn.intent in (None, "nlu_fallback", "out_of_scope") or turn.confidence < SURE or is_statement(turn)
    )


def nothing(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """Nothing more: the reader's note was the reply."""
    return []


# 4 ------------------------------------------------------------- a correction after a verdict
def corrects_verdict(turn: Turn) -> bool:
    """After a verdict, the message changed something the verdict rested on."""
    return bool(turn.tracker.get_slot("verdict")) and _verdict_changed(turn)


def _verdict_changed(turn: Turn) -> bool:
    return any(s in PROFILE_SLOTS for s in changed_this_turn(turn.tracker))


def verdict_once_more(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The verdict again, with what changed."""
    return verdict_again(dispatcher, turn.tracker) or []


# 4b ------------------------------------------------------------ statements outside a flow
STATEMENT_INTENTS = ("inform", "deny")


def is_statement(turn: Turn) -> bool:
    """The classifier calls the message a statement ("chi phí máy khoảng 500tr", "htx em làm
    nước mắm") and it asks nothing (no question mark, no attribute asked, no follow-up form): a
    question classed as a statement ("một năm được mấy lần?") goes on to the question routes."""
    if turn.raw_intent not in STATEMENT_INTENTS:
        return False
    asks = "?" in turn.text or turn.frame.attributes or turn.frame.overview or turn.frame.elliptical
    return not asks


def states_cost_and_activity(turn: Turn) -> bool:
    """A statement with a cost (by role: not a revenue) and an activity, said now or before."""
    activity = turn.entity("activity") or turn.tracker.get_slot("activity")
    return is_statement(turn) and turn.said_cost is not None and bool(activity) and activity not in AMBIGUOUS


def estimate_for_statement(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The estimate for that cost, and what people do next (leave contact, check, procedure)."""
    activity = turn.entity("activity") or turn.tracker.get_slot("activity")
    return reply_level(dispatcher, turn.tracker, activity, turn.said_cost, buttons=ESTIMATE_NEXT)


def states_activity(turn: Turn) -> bool:
    """A statement that names an activity ("em định mua máy sấy")."""
    return is_statement(turn) and bool(turn.entity("activity"))


def level_for_statement(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """Its support level ("hội chợ" alone: domestic or abroad?)."""
    activity = turn.entity("activity")
    if ask_which(dispatcher, activity):
        return []
    return reply_level(dispatcher, turn.tracker, activity)


def states_establishment(turn: Turn) -> bool:
    """A statement about the establishment or where it is."""
    return is_statement(turn) and names_establishment(turn.tracker)


def check_statement(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The quick check of what it says."""
    return quick_check(dispatcher, turn.tracker)


def states_cost(turn: Turn) -> bool:
    """A statement with a cost only."""
    return is_statement(turn) and turn.said_cost is not None


def estimate_form(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The estimate form, which asks only for the activity (the cost is kept)."""
    return [FollowupAction("estimate_form")]


def states_nothing_known(turn: Turn) -> bool:
    """Any other statement ("không", "ok")."""
    return is_statement(turn)


def goodbye_or_help(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """A "no" gets goodbye, anything else the help menu."""
    dispatcher.utter_message(response="utter_goodbye" if turn.raw_intent == "deny" else "utter_help")
    return []


# 5 ------------------------------------------------------------- "am I covered?" about this establishment
def asks_if_covered(turn: Turn) -> bool:
    """The message says what the establishment is (type, trade, exact place) and its question
    asks whether it is covered ("… có được hỗ trợ không", "có thuộc đối tượng không"), or is a
    who-is-covered question about it — not how much, not a document."""
    if turn.asks_amount or turn.frame.documents:
        return False
    if only_trades(turn.text) and (_ELIGIBILITY_QUESTION.search(fold(turn.question)) or not turn.frame.attributes):
        return True  # a shop or an agent: told plainly that trade is not covered
    if not describes_establishment(turn.tracker):
        return False
    if _ELIGIBILITY_QUESTION.search(fold(turn.question)):
        asked = set(turn.frame.attributes) - {"beneficiaries", "conditions", "state"}
        return not asked
    return INTENT_TOPICS.get(turn.intent or "") in QUICK_CHECK_TOPICS and not turn.frame.attributes


def check_covered(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The quick check: the rules what was said decides (✓/✗ with sources; a shop that only
    sells is told trade and services are not covered), how many questions remain."""
    general = QUICK_CHECK_TOPICS.get(INTENT_TOPICS.get(turn.intent or ""), QUICK_CHECK_TOPICS["beneficiaries"])
    return quick_check(dispatcher, turn.tracker, general)


# 5b ------------------------------------------------------------ contact details
def asks_contact(turn: Turn) -> bool:
    """The message asks for contact details or a person of an office (phone, hotline, email,
    address, website, director): the knowledge base has none of them."""
    return bool(_CONTACT.search(fold(turn.question)))


def contact(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """Said plainly that the knowledge base has no contact details or names of officials; this
    centre's own contact (configs/centre.yml) when it is the one asked about or the person named
    no province; the question recorded for officers."""
    top = turn.top
    unanswered.record(
        turn.text, channel_of(turn.tracker), top.score if top else 0.0, top.record.id if top else None, turn.intent
    )
    # a turn the bot could not answer: the second in a row offers a person
    again = handover.should_offer_after_failure(turn.tracker)
    dispatcher.utter_message(
        text=contact_text(turn.named.unit if turn.named else None),
        buttons=[] if again else MAIN_MENU[:3],
        **handover.failed_turn_metadata(),
    )
    if again:
        handover.offer(dispatcher, "not_understood", turn.tracker.get_slot("province"))
    return []


# 6 ------------------------------------------------------------- an attribute of a document
def asks_document_attribute(turn: Turn) -> bool:
    """The question names a document (or follows one up) and asks one of its own attributes:
    issued, in force, signer, replaces, amends, what it changed."""
    return turn.document is not None and bool(set(turn.frame.attributes) & set(DOCUMENT_ATTRIBUTES))


def document_attribute(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """Each attribute asked, in order, from the document's data, with its citation; the card
    behind "Chi tiết"."""
    doc = turn.document
    asked = [a for a in turn.frame.attributes if a in DOCUMENT_ATTRIBUTES]
    record = turn.engine.by_id.get(f"document.{doc.id}")
    dispatcher.utter_message(
        text=document_attribute_answer(doc, asked),
        buttons=turn.engine.buttons(record) if record else MAIN_MENU[:2],
    )
    return _answered(record, "legal_documents") if record else []


# 6b ------------------------------------------------------------ the earlier rule of the last answer
def asks_earlier_rule(turn: Turn) -> bool:
    """ "Trước đây thì sao?", "hồi trước thế nào?" after a current fact: only a time is asked,
    nothing else named — the earlier rule on the same point, when the knowledge base has one."""
    context, frame = turn.context_record, turn.frame
    if context is None or frame.time not in ("past", "original") or frame.thing or frame.documents:
        return False
    return not frame.attributes and bool(turn.engine.earlier_facts(context))


def earlier_rule(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The earlier rule (framed as such, with its document) and the button back to the current one."""
    context = turn.context_record
    facts = turn.engine.earlier_facts(context)
    dispatcher.utter_message(
        text=turn.engine.history(context),
        buttons=[button("Quy định hiện hành", "ask_more", record=context.id, view="answer")]
        + [b for b in turn.engine.buttons(context) if '"topic"' in b["payload"]],
    )
    return _answered(turn.engine.by_id.get(facts[0].id) or context)


# 7 ------------------------------------------------------------- a support level (then, now, estimate)
def asks_level(turn: Turn) -> bool:
    """How much an activity gets: the message names an activity (or follows a level up) and
    asks an amount, a share, an estimate, or the classifier says it asks the level — unless the
    ranking's best record, on the text's own evidence, is not a level and the question asks
    another attribute. Also: the best-ranked record is a level and is accepted."""
    if turn.activity and (turn.intent == "ask_support_level" or turn.asks_amount or turn.said_cost):
        other = set(turn.frame.attributes) - set(AMOUNT) - {"list"}
        return not other or (turn.top is not None and turn.top.record.kind == "level")
    if (
        turn.entity("activity")
        and turn.intent != "ask_conditions"
        and _ELIGIBILITY_QUESTION.search(fold(turn.question))
    ):
        # "máy sục khí cho xưởng tôm có được hỗ trợ không": the thing named is an activity, and
        # its level says that it is supported and how much (the quick check, above, takes the
        # message when it describes the establishment instead); not a condition asked of it
        # ("máy cũ có được hỗ trợ không": the condition's record answers, machines must be new)
        return not (set(turn.frame.attributes) - set(AMOUNT) - {"list", "beneficiaries", "state"})
    context = turn.context_record
    if context is not None and context.kind == "level" and (turn.frame.time or turn.frame.year):
        return True  # "còn trước đây thì sao?" after a level: that level then
    named, last = turn.entity("activity"), turn.context.record or ""
    if named and last.startswith("level.") and last != f"level.{named}" and turn.frame.elliptical:
        # "còn hội chợ trong nước?" after a level: the same attribute of another activity
        return not turn.frame.attributes
    top = turn.top
    return (
        top is not None
        and not turn.follows_up
        and top.record.kind == "level"
        and turn.accepted
        and not (set(turn.frame.attributes) - set(AMOUNT) - {"conditions", "list"})
    )


def level(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The level: for a past time, the value in force then and the current one; else the
    current figure (with the estimate when a cost was said) and the national-cap caveat; "hội
    chợ" alone asks domestic or abroad."""
    activity = turn.activity
    levels = [h for h in turn.hits if h.record.kind == "level"]
    # judged on the text's own evidence (score without priors), so that the entity's prior does
    # not pick its own activity over the one the words describe ("thưởng sản phẩm tiêu biểu")
    best = max(levels, key=lambda h: h.score - h.prior, default=None)
    from_context = turn.entity("activity") is None and turn.context_record is not None
    if from_context:
        best = None  # "còn trước đây thì sao?": the level of the conversation, not a neighbour
    named = next((h for h in levels if activity and h.record.id == f"level.{activity}"), None)
    if best is not None and named is not None and (best.score - best.prior) - (named.score - named.prior) < OVERRIDE:
        best = named  # "máy móc" names machinery; "dây chuyền … máy móc" is only close to it
    if best is not None and (best.score - best.prior >= THRESHOLD - AGREEMENT or activity is None):
        activity = key_of(best.record.id)
    if activity in AMBIGUOUS and ask_which(dispatcher, activity):
        return []
    frame = turn.frame
    if frame.time in ("past", "original", "both") or frame.year:
        answers = levels_for(activity)
        if answers:
            on = as_of_date(frame.time, frame.year, before=_before(turn.text))
            text = "\n\n".join(level_as_of_answer(a, on, frame.time) for a in answers)
            first = f"level.{answers[0].activity}"
            dispatcher.utter_message(
                text=text,
                buttons=[button("Chi tiết", "ask_more", record=first, view="detail"), menu_button("procedure")],
            )
            return [
                SlotSet("activity", activity),
                SlotSet("last_record", first),
                SlotSet("last_topic", "support_levels"),
            ]
    return level_of(turn, dispatcher, activity)


def level_of(turn: Turn, dispatcher: CollectingDispatcher, activity: str) -> List[Dict[Text, Any]]:
    """The current level of ``activity`` (and the estimate for a cost said)."""
    condition = turn.intent == "ask_conditions" or "conditions" in turn.frame.attributes or _asks_used(turn.text)
    events = reply_level(dispatcher, turn.tracker, activity, turn.engine.cost, condition=condition)
    return events + [SlotSet("last_topic", "support_levels")]


#: "máy cũ", "mua lại", "đã qua sử dụng", "second-hand": a condition of the machine is asked
_USED = re.compile(r"\b(?:cu|mua lai|da qua su dung|qua su dung|second ?hand|sang lai|thanh ly)\b")


def _asks_used(text: str) -> bool:
    """A used machine, by its words; "cu" typed with marks must be "cũ" (not "củ", "cụ")."""
    for m in _USED.finditer(fold(text)):
        word = text[m.start() : m.end()]
        if m.group(0) != "cu" or word.lower() in ("cu", "cũ"):
            return True
    return False


def _before(text: str) -> bool:
    return bool(re.search(r"\btruoc\b", fold(text)))


# 8 ------------------------------------------------------------- which activity?
def asks_amount_of_nothing(turn: Turn) -> bool:
    """How much, without naming an activity, and the best candidates are several activities'
    levels (or nothing answers): the person picks the activity."""
    if turn.activity or not (turn.intent == "ask_support_level" or turn.asks_amount):
        return False
    top = turn.top
    if top is None or not turn.accepted:
        # "mức hỗ trợ bao nhiêu?" names nothing; "mức đóng bảo hiểm xã hội bao nhiêu?" names
        # something the knowledge base does not have: that is refused, not a menu
        words = [w for w in lemmas(turn.question) if w not in STOP and w not in GENERIC and w not in _AMOUNT_WORDS]
        return turn.intent == "ask_support_level" and len(words) <= PICKER_WORDS
    levels = {h.record.id for h in turn.hits[:3] if h.record.kind == "level"}
    return top.record.kind == "level" and len(levels) >= 2 and top.score - turn.hits[1].score < 0.1


def pick_activity(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The activity picker (buttons)."""
    ask_activity(dispatcher)
    return []


# 9 ------------------------------------------------------------- an overview
def asks_overview(turn: Turn) -> bool:
    """A question about a whole list (the activities, objectives, industries, beneficiaries,
    priorities, agencies, documents, support levels …), naming no specific one — not a yes/no
    question, not a follow-up, not about a document or what changed."""
    frame = turn.frame
    if not {"list", "beneficiaries"} & set(frame.attributes):
        return False  # "khuyến công là gì" asks the definition, not a list
    listing = frame.overview or frame.thing in (None, "activity", "funding")
    if not listing or turn.follows_up or frame.documents or frame.thing == "document" and not frame.overview:
        return False
    if "changes" in frame.attributes or _YES_NO.search(fold(turn.question)):
        return False  # "… có thuộc đối tượng không?" asks one thing, "… sửa gì" a change
    if turn.accepted and len(turn.hits) > 1 and turn.top.score - turn.hits[1].score >= SPECIFIC_MARGIN:
        return False  # "ngành nghề ưu tiên nhóm a gồm những gì": one record clearly named
    return _overview_topic(turn) is not None and not turn.entity("activity")


def _overview_topic(turn: Turn) -> Optional[str]:
    """The topic listed: the classifier's, else the best record's."""
    topic = INTENT_TOPICS.get(turn.intent or "")
    if topic is not None:
        return topic
    top = turn.top
    return top.record.topic if top is not None else None


#: the heading of a list of records (the facts' topics have their own titles)
LISTED_HEADINGS = {
    "support_levels": "Dạ, các mức hỗ trợ từ kinh phí khuyến công quốc gia (mức tối đa; tỉnh quy định mức riêng) gồm:",
    "legal_documents": "Dạ, các văn bản về khuyến công em có gồm:",
}


@dataclass(frozen=True)
class Item:
    """One bullet of an overview: a fact, a support level or a document."""

    id: str
    title: str
    document: str
    article: str


def overview_items(turn: Turn, topic: str, answer: Optional[queries.TopicAnswer]) -> List[Item]:
    """The topic's items, most general first: its facts in force (``answer``; those citing the
    topic's main document first), every support level, or every document."""
    records = turn.engine.index.records
    if topic == "support_levels":
        return [Item(r.id, option_title(r), r.document, r.article) for r in records if r.kind == "level"]
    if topic == "legal_documents":
        docs = [r for r in records if r.kind == "document" and r.status != "UNVERIFIED"]
        return [Item(r.id, option_title(r), r.document, r.article) for r in docs]
    if answer is None or not answer.current:
        return []
    main = [f for f in answer.current if f.document == answer.current[0].document]
    rest = [f for f in answer.current if f.document != answer.current[0].document]
    return [Item(f.id, item_title(f), f.document, f.article) for f in main + rest]


def overview(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The list, within ~450 characters, each item a button to its detail; the rest behind
    "Xem thêm"."""
    topic = _overview_topic(turn)
    answer = queries.topic_answer(turn.session, topic)
    items = overview_items(turn, topic, answer)
    if not items:
        return record_answer(turn, dispatcher) if turn.accepted else unknown(turn, dispatcher)
    listed = topic in LISTED_HEADINGS  # records, not a topic's facts
    text, shown = overview_answer(
        answer.title if answer else TOPIC_TITLES.get(topic, topic),
        items,
        LISTED_HEADINGS.get(topic),
        more_button=not listed,
    )
    view = "answer" if listed else "detail"
    buttons = [button(f.title, "ask_more", record=f.id, view=view) for f in shown[:4]]
    if len(shown) < len(items) and not listed:
        buttons.append(button("Xem thêm", "ask_more", record=shown[0].id, view="topic"))
    dispatcher.utter_message(text=text, buttons=buttons)
    return [SlotSet("last_topic", topic), SlotSet("topic_offset", 0.0), SlotSet("last_record", None)]


# 10 ------------------------------------------------------------ several questions
def asks_several(turn: Turn) -> bool:
    """Several questions in one message (each part carries a question word)."""
    return len(turn.parts) > 1


def several(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """Each part answered in order (up to three), briefly; the parts nothing answers are named —
    only parts that are questions."""
    engine = turn.engine
    answers, missing, shown = [], [], []
    first = turn.parts[0]
    checked = False
    for i, part in enumerate(turn.parts):
        if (
            not checked
            and _ELIGIBILITY_QUESTION.search(fold(part))
            and (describes_establishment(turn.tracker) or only_trades(turn.text))
        ):
            # "HTX có thuộc đối tượng không, …": the quick check of what was said, first
            quick_check(dispatcher, turn.tracker, QUICK_CHECK_TOPICS["beneficiaries"])
            checked = True
            continue
        if i and part.startswith(first) and part != first:
            # a short part carries the first part's subject, not its time: "trước đây ai phê
            # duyệt, bây giờ ai" → "… phê duyệt bây giờ ai"
            own = read_frame(part[len(first) :])
            part = f"{without_time(first)} {part[len(first) :]}" if own.time else part
        frame = read_frame(part)
        hits = engine.rank(part, frame)
        top = hits[0] if hits else None
        rule = accepts(top, turn.intent, turn.confidence)
        evidence = features(hits, part, turn.intent, turn.confidence, frame, engine.index.vocabulary) if hits else None
        if top is None or not accept(evidence, rule):
            if not _covered(part, [engine.by_id[r] for r in shown]):
                # "ảnh cỡ bao nhiêu" after the dossier list that says "10×15 cm" is answered
                missing.append(part)
                unanswered.record(
                    part,
                    channel_of(turn.tracker),
                    top.score if top else 0.0,
                    top.record.id if top else None,
                    turn.intent,
                )
            continue
        if top.record.id in shown:
            continue
        shown.append(top.record.id)
        if top.record.kind == "level":
            cost, named = engine.cost, turn.named  # "mua khoảng 400 triệu thì được bn": the estimate
            answers.append("\n\n".join(copy.level_answer(a, cost, named) for a in levels_for(key_of(top.record.id))))
        else:
            answers.append(engine.first_answer(top.record, frame))
        if len(answers) == 3:
            break
    if not answers:
        return [] if checked else unknown_reply(turn, dispatcher, record=False)
    if len(answers) == 1:
        # one part answered: that answer, and what is not known — not a numbered list of one
        text = answers[0] + (f"\n{copy.missing_line(missing)}" if missing else "")
        record = engine.by_id[shown[0]]
        dispatcher.utter_message(text=text, buttons=engine.buttons(record))
        return _answered(record)
    dispatcher.utter_message(
        text=copy.combined([brief(a) for a in answers], missing),
        buttons=[button(f"Chi tiết ý {i}", "ask_more", record=r, view="detail") for i, r in enumerate(shown, 1)],
    )
    return [SlotSet("last_record", shown[0])]


#: words that alone make no question: a "no", a complaint, a greeting
_NOT_ASKING = frozenset(
    "khong ko k hong hem chua dung roi da vang u ok dai qua hieu xin chao cam on oi nha nhe".split()
)


def _asks_something(part: str) -> bool:
    """Does ``part`` ask something of its own (an attribute, or content words besides "không")?"""
    if read_frame(part).attributes:
        return True
    words = [w for w in lemmas(part) if w not in STOP and w not in GENERIC and w not in _NOT_ASKING]
    return len(words) >= 2


def _covered(part: str, shown: Sequence[Record]) -> bool:
    """Is ``part`` already answered by a record shown for another part (most of its content
    words are in that record's text)?"""
    words = {w for w in lemmas(part) if w not in STOP and w not in GENERIC and len(w) > 1}
    if not words:
        return True  # "ảnh?", "thế nào?": nothing of its own to answer
    return any(len(words & set(lemmas(r.text))) >= max(1, int(len(words) * COVERED)) for r in shown)


# 11 ------------------------------------------------------------ a question about a whole topic
def asks_topic(turn: Turn) -> bool:
    """No record is stated, but the question is about a whole topic: classed with it and short
    ("thủ tục thế nào", "ở Hà Giang thì sao"), or classed surely and either naming a province on
    a local topic or close to an answer while asking nothing a record of the topic cannot state."""
    if turn.accepted:
        return False
    topic = INTENT_TOPICS.get(turn.intent or "")
    if topic in (None, "support_levels") or turn.confidence < TOPIC_SURE:
        return False
    words = [w for w in lemmas(without_places(turn.tracker, turn.text)) if w not in STOP and w not in GENERIC]
    if len(words) <= TOPIC_WORDS:
        return True
    if turn.confidence >= SURE and turn.named and topic in LOCAL_TOPICS:
        return True  # "ở Hà Giang thì nộp hồ sơ ở đâu": whom to ask in that province, and the rule
    if turn.confidence < SURE or not unsure(turn.evidence, TOPIC_BAND):
        return False  # the evidence is far from any record: refused, not a topic's first fact
    # a confidently classed question: about the topic as a whole, or asking an attribute that a
    # record of the topic states ("ở Hà Giang thì nộp hồ sơ ở đâu": where to submit)
    asked = set(turn.frame.attributes) - GENERAL_ATTRIBUTES
    return not asked or any(asked & set(r.attributes) for r in turn.engine.index.records if r.topic == topic)


def topic_best(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The topic's best-matching record (its first, most general one on a tie) and the button to
    the rest of the topic — not "em chưa có thông tin"."""
    topic = INTENT_TOPICS[turn.intent]
    engine = turn.engine
    in_topic = [h for h in engine.index.search(turn.text, None, k=len(engine.index.records)) if h.record.topic == topic]
    asked = set(turn.frame.attributes) - GENERAL_ATTRIBUTES
    stating = [h for h in in_topic if asked & set(h.record.attributes)]
    in_topic = stating or in_topic  # the records that state the attribute asked come first
    top = in_topic[0] if in_topic and in_topic[0].score > IN_TOPIC_FLOOR else None
    record = top.record if top else next(r for r in engine.index.records if r.topic == topic)
    dispatcher.utter_message(text=engine.first_answer(record, turn.frame), buttons=engine.buttons(record))
    return _answered(record, topic)


# 12 ------------------------------------------------------------ the best record
def has_answer(turn: Turn) -> bool:
    """The decision (actions/decision.py, learned from the ranking's evidence) states the best
    record; or the score rule does and a classifier sure of the same topic agrees."""
    return turn.accepted


def record_answer(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The record's first answer — the sentence that states the attribute asked first — with its
    status framing and citation; never the same reply twice in a row (then the next record)."""
    engine = turn.engine
    hits = [h for h in turn.hits if accepts(h, turn.intent, turn.confidence)] or turn.hits[:1]
    for hit in hits:
        record = hit.record
        if record.kind == "level":
            return level(turn, dispatcher)
        text = engine.first_answer(record, turn.frame)
        twin = _twin(turn, hit)
        if twin is not None:
            # "hạn gửi hồ sơ … là ngày nào": two records of one topic state the attribute asked
            # and the ranking cannot tell them apart: both, briefly, each with its citation
            paired = pair_text([brief(text), brief(engine.first_answer(twin.record, turn.frame))])
            text = paired if len(paired) <= PAIR_LIMIT else text  # both, when both fit a phone screen
        if turn.frame.time == "both" and record.status == "VERIFIED":
            # "trước đây … bây giờ …": the rule now, then the earlier one (two parts)
            earlier = engine.history(record)
            if earlier:
                text = f"{text}\n{earlier}"
        if text != turn.context.last_reply or hit is hits[-1]:
            if text == turn.context.last_reply:
                text = engine.detail(record) if record.kind != "fact" else text
            dispatcher.utter_message(text=text, buttons=engine.buttons(record))
            return _answered(record)
    return []


def _twin(turn: Turn, hit: Hit) -> Optional[Hit]:
    """The runner-up when it is as good an answer: a fact of the same topic stating the same
    attribute asked, within ``TWIN_MARGIN`` of the best."""
    asked = set(turn.frame.attributes)
    if not asked or hit is not turn.top or len(turn.hits) < 2 or hit.record.kind != "fact":
        return None
    second = turn.hits[1]
    same = second.record.kind == "fact" and second.record.topic == hit.record.topic
    stated = asked & set(hit.record.attributes) and asked & set(second.record.attributes)
    return second if same and stated and hit.score - second.score < TWIN_MARGIN else None


# 13 ------------------------------------------------------------ two or three close readings
def is_unsure(turn: Turn) -> bool:
    """No record is clearly the answer, but the evidence is not far from it (actions.decision:
    the clarify band) and the classifier does not call the message out of scope."""
    return turn.evidence is not None and turn.intent != "out_of_scope" and unsure(turn.evidence)


def clarify(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """ "Anh/chị hỏi về …?" with the two or three best records as buttons (each opens its
    answer), and a person offered; the question is recorded for officers."""
    seen, options = set(), []
    for hit in turn.hits:
        title = option_title(hit.record)
        if title in seen:
            continue
        seen.add(title)
        options.append(button(title, "ask_more", record=hit.record.id, view="answer"))
        if len(options) == 3:
            break
    top = turn.top
    unanswered.record(turn.text, channel_of(turn.tracker), top.score, top.record.id, turn.intent)
    dispatcher.utter_message(text=CLARIFY, buttons=options + [button("Hỏi cán bộ", "request_human")])
    return []


def option_title(record: Record) -> str:
    """A button's title for a record: a level's label, a document's number, a fact's first clause."""
    if record.kind == "level":
        text = record.text.split(".")[0]
    elif record.kind == "document":
        text = record.text.split(":")[0]
    else:
        text = record.title or item_title(record)
    return text if len(text) <= 40 else text[:40].rsplit(" ", 1)[0]


# 14 ------------------------------------------------------------ out of scope
def out_of_scope(turn: Turn) -> bool:
    """The classifier says out of scope, no record is good enough ("giá vàng hôm nay"), and the
    message does not follow up an answer (the classifier often calls an elliptical follow-up
    out of scope)."""
    return turn.intent == "out_of_scope" and not turn.follows_up


def say_out_of_scope(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """The domain's out-of-scope reply; nothing recorded for officers."""
    dispatcher.utter_message(response="utter_out_of_scope")
    return []


# 15 ------------------------------------------------------------ nothing answers
def always(turn: Turn) -> bool:
    """Every other message."""
    return True


def unknown(turn: Turn, dispatcher: CollectingDispatcher) -> List[Dict[Text, Any]]:
    """ "Em chưa có thông tin", whom to ask, the question recorded for officers (phones and names
    removed); the nearest topic as a button; a person offered after two failures in a row."""
    return unknown_reply(turn, dispatcher)


def unknown_reply(turn: Turn, dispatcher: CollectingDispatcher, record: bool = True) -> List[Dict[Text, Any]]:
    top = turn.top if record else None
    if record:
        unanswered.record(
            turn.text, channel_of(turn.tracker), top.score if top else 0.0, top.record.id if top else None, turn.intent
        )
    near = []
    if top is not None and top.score >= NEAR:
        near.append(
            button(
                f"Về {TOPIC_TITLES.get(top.record.topic, 'chủ đề gần nhất')}",
                "ask_more",
                record=top.record.id,
                view="topic",
            )
        )
    again = handover.should_offer_after_failure(turn.tracker)
    dispatcher.utter_message(
        text=copy.no_answer(turn.named.unit if turn.named else None),
        buttons=[] if again else near + MAIN_MENU[:3],
        **handover.failed_turn_metadata(),
    )
    if again:
        handover.offer(dispatcher, "not_understood", turn.tracker.get_slot("province"))
    return []


#: the decision, in order: the first route that applies replies
ROUTES: Sequence[Route] = (
    Route("more", wants_more, more),
    Route("english", in_english, english),
    Route("already_replied", already_replied, nothing),
    Route("verdict_again", corrects_verdict, verdict_once_more),
    Route("statement_estimate", states_cost_and_activity, estimate_for_statement),
    Route("statement_level", states_activity, level_for_statement),
    Route("statement_check", states_establishment, check_statement),
    Route("statement_cost", states_cost, estimate_form),
    Route("statement_other", states_nothing_known, goodbye_or_help),
    Route("quick_check", asks_if_covered, check_covered),
    Route("contact", asks_contact, contact),
    Route("document_attribute", asks_document_attribute, document_attribute),
    Route("earlier_rule", asks_earlier_rule, earlier_rule),
    Route("several", asks_several, several),
    Route("activity_picker", asks_amount_of_nothing, pick_activity),
    Route("level", asks_level, level),
    Route("overview", asks_overview, overview),
    Route("topic", asks_topic, topic_best),
    Route("record", has_answer, record_answer),
    Route("clarify", is_unsure, clarify),
    Route("out_of_scope", out_of_scope, say_out_of_scope),
    Route("unknown", always, unknown),
)


def decide(turn: Turn) -> Route:
    """The first route of ``ROUTES`` that applies to ``turn``."""
    route = next(r for r in ROUTES if r.applies(turn))
    logger.info("answer route %s for intent %s (frame %s)", route.name, turn.intent, turn.frame)
    return route


def routes_markdown() -> str:
    """The table as docs/routes.md shows it (printed by tests/test_routes.py)."""
    lines = [
        "# How the bot decides what to answer",
        "",
        "Generated from `actions/routes.py` (`ROUTES`) by `tests/test_routes.py`; do not edit by hand.",
        "Every knowledge question goes to `action_answer`, every statement outside a flow to",
        "`action_answer_inform`: both read the turn once (text, frame, intent, entities, province, the",
        "last answer's context), rank every record, then the **first route that applies** replies.",
        "",
        "| # | route | applies when | replies |",
        "|---|---|---|---|",
    ]
    for i, r in enumerate(ROUTES, 1):
        why = " ".join(r.why.split()).replace("|", "\\|")
        does = " ".join(r.does.split()).replace("|", "\\|")
        lines.append(f"| {i} | `{r.name}` | {why} | {does} |")
    return "\n".join(lines) + "\n"

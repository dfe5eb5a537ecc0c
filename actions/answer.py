"""The one answering path for knowledge questions: ``action_answer``.

text + NLU result → priors (intent, entities) → ranked records (policy_kb.retrieval) → the one
to three records that answer the question → short cited text (actions.answer_text), with the
details, the earlier rule and the rest of the topic behind buttons. "Why did it answer that?"
is answered here: every choice below is logged with the scores of the records it weighed.

Routes, in order:
1. a button asking for more of an earlier answer (``ask_more`` with a record and a view), "xem thêm";
2. a message in English → a short English note and the menu;
3. a question about *this* establishment ("htx em làm nước mắm có được không") → quick check;
4. "how much for <activity>", with or without a cost → the support level / estimate;
5. several questions in one message → each part answered (up to three), the rest named;
6. one question → the best record, if it scores above ``THRESHOLD``; otherwise an honest
   "em chưa có thông tin", whom to ask, and the question recorded for officers.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answer_text as copy
from actions import handover
from actions.answer_index import answer_index
from actions.kb import KnowledgeUnavailable, kb_session
from actions.listen import replied_this_turn, say_note
from actions.quick_check import asks_amount, describes_establishment, quick_check, verdict_again
from actions.render import KB_DOWN, MAIN_MENU, button, province_note, topic_text
from actions.slots import channel_of, latest_value, named_province, parse_cost
from actions.support_levels import ask_activity, ask_which, levels_for, reply_level
from bot.menu import menu_button
from policy_kb import queries, unanswered
from policy_kb.eligibility import load_rules
from policy_kb.retrieval import INTENT_TOPICS, STOP, Hit, Record, lemmas, priors_for, split_questions
from vntext.language import is_english

logger = logging.getLogger(__name__)

#: below this score no record answers the question. Calibrated on the held-out set with
#: scripts/evaluate_answers.py: at 0.84, 4.8 % of answerable questions get "em chưa có thông tin"
#: and 76 % of unanswerable ones do (0.80: 2.6 % / 67 %; 0.90: 8 % / 88 %).
THRESHOLD = 0.84
#: a message the classifier calls out of scope needs a clearly better match to be answered
THRESHOLD_OUT_OF_SCOPE = 0.9


#: the classifier and the ranking agreeing on the topic lowers the bar this much
AGREEMENT = 0.2


def accepts(hit: Optional[Hit], intent: Optional[str], confidence: float = 0.0) -> bool:
    """Does ``hit`` answer the question well enough to be stated? Two independent signals that
    agree — a confident intent whose topic is the best record's topic — need less score."""
    if hit is None:
        return False
    if intent == "out_of_scope":
        return hit.score >= THRESHOLD_OUT_OF_SCOPE
    agree = confidence >= 0.5 and INTENT_TOPICS.get(intent or "") == hit.record.topic
    return hit.score >= THRESHOLD - (AGREEMENT if agree else 0.0)


TOPIC_TITLES = {
    "overview": "khuyến công",
    "objectives": "mục tiêu",
    "beneficiaries": "đối tượng",
    "industries": "ngành nghề",
    "priorities": "ưu tiên",
    "activities": "nội dung hỗ trợ",
    "conditions": "điều kiện",
    "procedure": "thủ tục",
    "dossier": "hồ sơ",
    "typical_product": "sản phẩm tiêu biểu",
    "agencies": "cơ quan",
    "pilot_projects": "đề án điểm",
    "local_levels": "mức của tỉnh",
    "legal_documents": "văn bản",
    "support_levels": "mức hỗ trợ",
}
# Topics where a named province changes whom to ask: the answer starts with that province's line.
LOCAL_TOPICS = {"local_levels", "procedure", "dossier", "agencies"}
# "Am I covered?" topics: a question that says what the establishment is gets the quick check.
QUICK_CHECK_TOPICS = {
    "beneficiaries": menu_button("beneficiaries"),
    "industries": button("Ngành nghề được hỗ trợ", "ask_industries"),
}
PAGE = 4  # facts per topic page
# words nearly every question has: they do not make a question specific ("khuyến công hỗ trợ gì")
GENERIC = frozenset({"khuyen", "cong", "ho", "tro", "chinh", "sach", "duoc", "nha", "nuoc"})


def _intent(tracker: Tracker) -> Tuple[Optional[str], float]:
    """The classifier's intent; for a low-confidence message (``nlu_fallback``) its best guess
    from the ranking, which is still a prior for the ranking of records."""
    intent = tracker.latest_message.get("intent") or {}
    if intent.get("name") == "nlu_fallback":
        guess = next(
            (
                r
                for r in tracker.latest_message.get("intent_ranking") or []
                if r.get("name") not in (None, "nlu_fallback")
            ),
            None,
        )
        if guess:
            return guess.get("name"), float(guess.get("confidence") or 0.0)
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def _history_until(record: Record) -> Optional[object]:
    """For a rule of an earlier rule set: the date the next set replaced it."""
    if record.kind != "rule":
        return None
    sets = load_rules().rule_sets
    for earlier, later in zip(sets, sets[1:]):
        if record.id.startswith(f"rule.{earlier.id}."):
            return later.effective_from
    return None


def without_places(tracker: Tracker, text: str) -> str:
    """``text`` without the province names the NLU found in it."""
    spans = [
        (e.get("start"), e.get("end"))
        for e in tracker.latest_message.get("entities") or []
        if e.get("entity") == "province" and isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
    ]
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


class Answerer:
    """What one turn needs: the tracker, a knowledge session and the index."""

    def __init__(self, tracker: Tracker, session) -> None:
        self.tracker, self.session = tracker, session
        self.index = answer_index(session)
        self.named = named_province(tracker)

    # ------------------------------------------------------------ ranking
    def rank(self, text: str) -> List[Hit]:
        intent, confidence = _intent(self.tracker)
        entities = self.tracker.latest_message.get("entities") or []
        priors = priors_for(intent, confidence, entities, text, self.index.records)
        hits = self.index.search(text, priors, k=5)
        bare = without_places(self.tracker, text)
        if bare != text:
            # a place name dilutes the match of a question that is about the rule, not the place
            # ("ở Đồng Nai … tỉnh có hỗ trợ riêng không"); pilot projects are found by their place
            best = {h.record.id: h for h in hits}
            for h in self.index.search(bare, priors, k=5):
                if h.record.id not in best or h.score > best[h.record.id].score:
                    best[h.record.id] = h
            hits = sorted(best.values(), key=lambda h: -h.score)[:5]
        logger.info("answer ranking for intent %s: %s", intent, " | ".join(h.explain() for h in hits[:3]))
        return hits

    # ------------------------------------------------------------ rendering one record
    def first_answer(self, record: Record) -> str:
        if record.kind == "level":
            answer = queries.support_level(self.session, record.id.split(".", 1)[1])
            return copy.level_answer(answer, parse_cost(latest_value(self.tracker, "money")), self.named)
        if record.kind == "document":
            return copy.document_answer(queries.document(self.session, record.id.split(".", 1)[1]))
        fact = queries.fact(self.session, record.id) if record.kind == "fact" else None
        until = fact.effective_to if fact else _history_until(record)
        line = None
        if self.named and record.topic in LOCAL_TOPICS:
            line = province_note(self.named.unit, self.named.place)
        return copy.fact_answer(record, until, line)

    def buttons(self, record: Record) -> List[Dict[Text, Any]]:
        out = []
        if record.kind in ("level", "document"):
            out.append(button("Chi tiết", "ask_more", record=record.id, view="detail"))
        if self.history(record):
            out.append(button("Quy định trước đây", "ask_more", record=record.id, view="history"))
        topic = "legal_documents" if record.kind == "document" else record.topic
        if topic != "support_levels":
            out.append(
                button(f"Xem thêm về {TOPIC_TITLES.get(topic, 'chủ đề')}", "ask_more", record=record.id, view="topic")
            )
        else:
            out.append(menu_button("procedure"))
        return out[:3]

    def history(self, record: Record) -> Optional[str]:
        """The earlier rule behind a record: a level's earlier values; for a current fact, the
        HISTORICAL facts of its topic that the question also matches best."""
        if record.kind == "level":
            answer = queries.support_level(self.session, record.id.split(".", 1)[1])
            return copy.level_history(answer) if answer else None
        if record.kind != "fact" or record.status != "VERIFIED":
            return None
        answer = queries.topic_answer(self.session, record.topic)
        if not answer or not answer.historical:
            return None
        words = set(lemmas(record.text))
        best = sorted(answer.historical, key=lambda f: -len(words & set(lemmas(f.text))))[:2]
        lines = ["Dạ, theo quy định trước đây:"]
        lines += [f"• {copy.historical(f.text, f.document, f.effective_to, True)}" for f in best]
        return "\n".join(lines + [copy.sources_line(best)])

    def detail(self, record: Record) -> str:
        if record.kind == "level":
            answer = queries.support_level(self.session, record.id.split(".", 1)[1])
            return copy.level_detail(answer, self.named.unit if self.named else None)
        if record.kind == "document":
            return copy.document_detail(queries.document(self.session, record.id.split(".", 1)[1]))
        return self.first_answer(record)


def _topic_page(
    dispatcher: CollectingDispatcher, session, topic: str, offset: int, intro: Optional[str] = None
) -> List[Dict[Text, Any]]:
    """A page of a whole topic (asked for with "Xem thêm về …")."""
    answer = queries.topic_answer(session, topic)
    if answer is None:
        dispatcher.utter_message(response="utter_help")
        return []
    shown = answer.current[offset : offset + PAGE]
    more_left = offset + PAGE < len(answer.current)
    dispatcher.utter_message(
        text=topic_text(answer, shown, more=offset > 0, intro=intro),
        buttons=([button("Xem thêm", "ask_more")] if more_left else []) + MAIN_MENU[:2],
    )
    return [SlotSet("last_topic", topic), SlotSet("topic_offset", float(offset + PAGE))]


class ActionAnswer(Action):
    def name(self) -> Text:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = tracker.latest_message.get("text") or ""
        intent, _ = _intent(tracker)
        if intent == "ask_more":
            return self.more(dispatcher, tracker)
        if is_english(text):
            dispatcher.utter_message(text=copy.ENGLISH_REPLY, buttons=MAIN_MENU)
            return []
        say_note(dispatcher, tracker)
        again = verdict_again(dispatcher, tracker)
        if again is not None:
            return again
        if replied_this_turn(tracker) and (
            intent in (None, "nlu_fallback", "out_of_scope") or _intent(tracker)[1] < 0.75
        ):
            return []  # already answered as it was read ("sao lại Đồng Nai, tôi ở Bình Phước mà")
        general = QUICK_CHECK_TOPICS.get(INTENT_TOPICS.get(intent or ""))
        if general and describes_establishment(tracker) and not asks_amount(tracker):
            return quick_check(dispatcher, tracker, general)
        activity = latest_value(tracker, "activity")
        if activity and (intent == "ask_support_level" or asks_amount(tracker)):
            # the entity is a prior: "thưởng sản phẩm tiêu biểu" names the selection activity, but
            # the best-ranked level (the prize) is the one asked about
            try:
                with kb_session() as session:
                    levels = [h for h in Answerer(tracker, session).rank(text) if h.record.kind == "level"]
            except KnowledgeUnavailable:
                levels = []
            # judged on the text's own evidence (score without priors), so that the entity's
            # prior does not pick its own activity over the one the words describe
            top = max(levels, key=lambda h: h.score - h.prior, default=None)
            if top is not None and top.score - top.prior >= THRESHOLD - AGREEMENT:
                activity = top.record.id.split(".", 1)[1]
            elif ask_which(dispatcher, activity):
                return []
            return reply_level(dispatcher, tracker, activity, parse_cost(latest_value(tracker, "money")))
        try:
            with kb_session() as session:
                return self.answer(dispatcher, tracker, session, text, intent)
        except KnowledgeUnavailable:
            dispatcher.utter_message(text=KB_DOWN)
            return []

    # ------------------------------------------------------------ questions
    def answer(self, dispatcher, tracker, session, text: str, intent: Optional[str]) -> List[Dict[Text, Any]]:
        engine = Answerer(tracker, session)
        parts = split_questions(text)
        if len(parts) > 1:
            return self.several(dispatcher, tracker, engine, parts, intent)
        hits = engine.rank(text)
        top = hits[0] if hits else None
        confidence = _intent(tracker)[1]
        if intent == "ask_support_level" and (top is None or top.record.kind != "level" or not accepts(top, intent)):
            ask_activity(dispatcher)  # "mức hỗ trợ bao nhiêu?" without an activity
            return []
        if not accepts(top, intent, confidence) and self.general(tracker, text, intent):
            # "thủ tục thế nào", "ở Hà Giang thì sao": a question about the topic as a whole gets
            # the topic's best-matching record (its first, most general one on a tie) and the
            # button to the rest of the topic — not "em chưa có thông tin"
            topic = INTENT_TOPICS[intent]
            in_topic = [
                h for h in engine.index.search(text, None, k=len(engine.index.records)) if h.record.topic == topic
            ]
            top = in_topic[0] if in_topic and in_topic[0].score > 0.2 else None
            record = top.record if top else next(r for r in engine.index.records if r.topic == topic)
            dispatcher.utter_message(text=engine.first_answer(record), buttons=engine.buttons(record))
            return [SlotSet("last_record", record.id), SlotSet("last_topic", topic), SlotSet("topic_offset", 0.0)]
        if not accepts(top, intent, confidence):
            if intent == "out_of_scope":  # "giá vàng hôm nay": not a question for officers
                dispatcher.utter_message(response="utter_out_of_scope")
                return []
            return self.unknown(dispatcher, tracker, text, top, intent)
        record = top.record
        if record.kind == "level":
            return reply_level(
                dispatcher, tracker, record.id.split(".", 1)[1], parse_cost(latest_value(tracker, "money"))
            )
        dispatcher.utter_message(text=engine.first_answer(record), buttons=engine.buttons(record))
        return [SlotSet("last_record", record.id), SlotSet("last_topic", record.topic), SlotSet("topic_offset", 0.0)]

    @staticmethod
    def general(tracker: Tracker, text: str, intent: Optional[str]) -> bool:
        """A question about a whole topic: very confidently classed, or short (at most a few
        words besides the place it names and chat filler: "thủ tục thế nào", "ở Hà Giang thì sao")."""
        name, confidence = _intent(tracker)
        if INTENT_TOPICS.get(intent or "") in (None, "support_levels") or confidence < 0.5:
            return False
        words = [w for w in lemmas(without_places(tracker, text)) if w not in STOP and w not in GENERIC]
        return confidence >= 0.75 or len(words) <= 4

    def several(self, dispatcher, tracker, engine: Answerer, parts: Sequence[str], intent) -> List[Dict[Text, Any]]:
        answers, missing, shown = [], [], []
        confidence = _intent(tracker)[1]
        for part in parts:
            hits = engine.rank(part)
            top = hits[0] if hits else None
            if not accepts(top, intent, confidence) or top.record.id in shown:
                if not accepts(top, intent, confidence):
                    missing.append(part)
                    unanswered.record(
                        part, channel_of(tracker), top.score if top else 0.0, top.record.id if top else None, intent
                    )
                continue
            shown.append(top.record.id)
            answers.append(
                engine.first_answer(top.record)
                if top.record.kind != "level"
                else "\n\n".join(copy.level_answer(a, None, None) for a in levels_for(top.record.id.split(".", 1)[1]))
            )
            if len(answers) == 3:
                break
        if not answers:
            return self.unknown(dispatcher, tracker, " ".join(parts), None, intent, record=False)
        # each part short: its first line and its citation
        brief = [a.split("\n")[0] + ("\n" + a.split("\n")[-1] if "\n" in a else "") for a in answers]
        dispatcher.utter_message(
            text=copy.combined(brief, missing),
            buttons=[button(f"Chi tiết ý {i}", "ask_more", record=r, view="detail") for i, r in enumerate(shown, 1)],
        )
        return [SlotSet("last_record", shown[0])]

    def unknown(self, dispatcher, tracker, text: str, top: Optional[Hit], intent, record: bool = True):
        if record:
            unanswered.record(
                text, channel_of(tracker), top.score if top else 0.0, top.record.id if top else None, intent
            )
        named = named_province(tracker)
        near = []
        if top is not None and top.score >= THRESHOLD * 0.6:
            near.append(
                button(
                    f"Về {TOPIC_TITLES.get(top.record.topic, 'chủ đề gần nhất')}",
                    "ask_more",
                    record=top.record.id,
                    view="topic",
                )
            )
        # the second turn in a row the bot cannot answer: offer a person instead of the menu
        again = handover.should_offer_after_failure(tracker)
        dispatcher.utter_message(
            text=copy.no_answer(named.unit if named else None),
            buttons=[] if again else near + MAIN_MENU[:3],
            **handover.failed_turn_metadata(),
        )
        if again:
            handover.offer(dispatcher, "not_understood")
        return []

    # ------------------------------------------------------------ more of an earlier answer
    def more(self, dispatcher, tracker) -> List[Dict[Text, Any]]:
        """A button under an answer (``/ask_more{"record": …, "view": detail|history|topic}``), or
        "xem thêm" typed: the next page of the topic being read, else the last answer's detail."""
        record_id = latest_value(tracker, "record")
        view = latest_value(tracker, "view")
        last_topic, offset = tracker.get_slot("last_topic"), int(tracker.get_slot("topic_offset") or 0)
        try:
            with kb_session() as session:
                if record_id is None and last_topic and (offset > 0 or not tracker.get_slot("last_record")):
                    return _topic_page(dispatcher, session, last_topic, offset)
                engine = Answerer(tracker, session)
                record_id = record_id or tracker.get_slot("last_record")
                record = next((r for r in engine.index.records if r.id == record_id), None)
                if record is None:
                    dispatcher.utter_message(response="utter_help")
                    return []
                if view == "topic" or (view is None and record.kind == "fact"):
                    topic = "legal_documents" if record.kind == "document" else record.topic
                    if topic == "support_levels":
                        ask_activity(dispatcher)
                        return []
                    return _topic_page(dispatcher, session, topic, 0)
                text = engine.history(record) if view == "history" else engine.detail(record)
                dispatcher.utter_message(
                    text=text or engine.first_answer(record),
                    buttons=[b for b in engine.buttons(record) if '"topic"' in b["payload"]],
                )
                return [SlotSet("last_record", record.id)]
        except KnowledgeUnavailable:
            dispatcher.utter_message(text=KB_DOWN)
            return []

"""The answer engine for one turn: rank every record for the question as it was read, and render
one record as its short cited first answer (or its details, its earlier rule).

The ranking (policy_kb.retrieval) scores each record's text and example questions; here the
reading of the turn adds its priors: the classifier's intent and entities, the attribute asked
(a record whose data says it states a deadline ranks up for "hạn khi nào"), and the conversation
(an elliptical follow-up is searched together with what the last answer was about, and the
records near that answer rank up). Every choice is logged with the scores it weighed.
"""

from __future__ import annotations

import logging
import re
from functools import cached_property
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker

from actions import answer_text as copy
from actions.answer_index import answer_index
from actions.attribute_text import lead_with
from actions.render import button, province_note
from actions.quick_check import cost_said
from actions.slots import named_province, parse_cost
from bot.menu import menu_button
from policy_kb import queries
from policy_kb.eligibility import load_rules
from policy_kb.retrieval import INTENT_TOPICS, Hit, Priors, Record, lemmas, priors_for
from vntext.frames import Frame

logger = logging.getLogger(__name__)

#: below this score no record answers the question. Calibrated on the held-out set with
#: scripts/evaluate_answers.py: at 0.84, 4.8 % of answerable questions get "em chưa có thông tin"
#: and 76 % of unanswerable ones do (0.80: 2.6 % / 67 %; 0.90: 8 % / 88 %).
THRESHOLD = 0.84
#: a message the classifier calls out of scope needs a clearly better match to be answered
THRESHOLD_OUT_OF_SCOPE = 0.9
#: the classifier and the ranking agreeing on the topic lowers the bar this much
AGREEMENT = 0.2
#: a record whose data says it states the attribute asked ("hạn", "mấy bộ") ranks up this much:
#: enough to move a close call between two records of one topic, not to answer alone
ATTRIBUTE_PRIOR = 0.08
#: a question about the past ("trước đây", "hồi 2014", "bản gốc") ranks the earlier rules up; one
#: about now ("hiện nay", "bây giờ") the rules in force
PAST_PRIOR = 0.1
NOW_PRIOR = 0.05
#: an elliptical follow-up: records of the last answer's topic, and the last record itself
CONTEXT_TOPIC_PRIOR = 0.1
CONTEXT_RECORD_PRIOR = 0.05


def accepts(hit: Optional[Hit], intent: Optional[str], confidence: float = 0.0) -> bool:
    """Does ``hit`` answer the question well enough to be stated? (The score rule: used for
    the parts of a several-question message and by the ranking's own evaluation; a whole
    message is decided by ``decision.accept`` over all the ranking's features.) Two
    independent signals that agree — a confident intent whose topic is the best record's topic
    — need less score."""
    if hit is None:
        return False
    if intent == "out_of_scope":
        return hit.score >= THRESHOLD_OUT_OF_SCOPE
    agree = confidence >= 0.5 and INTENT_TOPICS.get(intent or "") == hit.record.topic
    return hit.score >= THRESHOLD - (AGREEMENT if agree else 0.0)


def key_of(record_id: str) -> str:
    """'level.machinery' → 'machinery'; 'document.nd-45-2012' → 'nd-45-2012'."""
    return record_id.split(".", 1)[1]


def intent_of(tracker: Tracker) -> Tuple[Optional[str], float]:
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


def anchor_text(record: Optional[Record]) -> str:
    """What an elliptical follow-up is about, in words the ranking can use: a level's label, a
    document's number, a fact's first clause."""
    if record is None:
        return ""
    if record.kind == "level":
        return record.text.split(".")[0].split(",")[0]  # the label's head: "Ứng dụng máy móc thiết bị tiên tiến"
    if record.kind == "document":
        return record.text.split(":")[0]
    # a fact's first clause, without its dates and document references: "từ 01/07/2025 (TT 38/2025)"
    # would pull the document's own card into the follow-up's ranking
    first = re.sub(r"\([^)]*\)|\b(?:từ|đến)?\s*\d{1,2}/\d{1,2}/\d{4}", " ", record.text.split(".")[0])
    return " ".join(first.split()[:10])


class Answerer:
    """What one turn needs: the tracker, a knowledge session and the index."""

    def __init__(self, tracker: Tracker, session) -> None:
        self.tracker, self.session = tracker, session
        self.index = answer_index(session)
        self.named = named_province(tracker)
        self.by_id = {r.id: r for r in self.index.records}
        self._earlier: Dict[str, List[Any]] = {}

    # ------------------------------------------------------------ ranking
    def priors(self, text: str, frame: Optional[Frame] = None, context: Optional[Record] = None) -> Priors:
        intent, confidence = intent_of(self.tracker)
        entities = self.tracker.latest_message.get("entities") or []
        priors = priors_for(intent, confidence, entities, text, self.index.records)
        asked = set(frame.attributes) if frame else set()
        if asked:
            for r in self.index.records:
                if asked & set(r.attributes):
                    priors.records[r.id] = priors.records.get(r.id, 0.0) + ATTRIBUTE_PRIOR
        time = frame.time if frame else None
        if time in ("past", "original") or time == "now":
            for r in self.index.records:
                earlier = r.status == "HISTORICAL"
                if (time != "now" and earlier) or (time == "now" and r.status == "VERIFIED" and not earlier):
                    bonus = PAST_PRIOR if time != "now" else NOW_PRIOR
                    priors.records[r.id] = priors.records.get(r.id, 0.0) + bonus
        if context is not None:
            priors.topics[context.topic] = priors.topics.get(context.topic, 0.0) + CONTEXT_TOPIC_PRIOR
            priors.records[context.id] = priors.records.get(context.id, 0.0) + CONTEXT_RECORD_PRIOR
        return priors

    def rank(self, text: str, frame: Optional[Frame] = None, context: Optional[Record] = None, k: int = 5) -> List[Hit]:
        """The five best records for ``text``. ``context``: the record the conversation was
        about, for an elliptical follow-up ("còn máy cũ thì sao"): the question is searched with
        what that record is about, and its topic ranks up."""
        query = f"{text} {anchor_text(context)}" if context is not None else text
        priors = self.priors(query, frame, context)
        hits = self.index.search(query, priors, k=k)
        bare = without_places(self.tracker, text)
        if bare != text:
            # a place name dilutes the match of a question that is about the rule, not the place
            # ("ở Đồng Nai … tỉnh có hỗ trợ riêng không"); pilot projects are found by their place
            best = {h.record.id: h for h in hits}
            for h in self.index.search(bare, priors, k=k):
                if h.record.id not in best or h.score > best[h.record.id].score:
                    best[h.record.id] = h
            hits = sorted(best.values(), key=lambda h: -h.score)[:k]
        logger.info(
            "answer ranking for intent %s: %s", intent_of(self.tracker)[0], " | ".join(h.explain() for h in hits[:3])
        )
        return hits

    # ------------------------------------------------------------ rendering one record
    @cached_property
    def said_cost(self) -> Optional[int]:
        """The cost this message says, by role (read once: the reader is not cheap)."""
        return cost_said(self.tracker)

    @cached_property
    def cost(self) -> Optional[int]:
        """The cost to estimate with: said in this message in the role of a cost, else the one
        said earlier in the conversation (the money slot, set by the reader by role); a number
        of this message in another role (revenue, capital) is not a cost. Read once per turn."""
        if self.said_cost is not None:
            return self.said_cost
        if any(e.get("entity") == "money" for e in self.tracker.latest_message.get("entities") or []):
            return None
        return parse_cost(self.tracker.get_slot("money"))

    def first_answer(self, record: Record, frame: Optional[Frame] = None) -> str:
        if record.kind == "level":
            answer = queries.support_level(self.session, key_of(record.id))
            return copy.level_answer(answer, self.cost, self.named)
        if record.kind == "document":
            return copy.document_answer(queries.document(self.session, key_of(record.id)))
        fact = queries.fact(self.session, record.id) if record.kind == "fact" else None
        until = fact.effective_to if fact else _history_until(record)
        line = None
        if self.named and record.topic in LOCAL_TOPICS:
            line = province_note(self.named.unit, self.named.place)
        if frame is not None and frame.attributes:
            record = lead_with(record, frame.attributes)
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
            answer = queries.support_level(self.session, key_of(record.id))
            return copy.level_history(answer) if answer else None
        best = self.earlier_facts(record)
        if not best:
            return None
        lines = ["Dạ, theo quy định trước đây:"]
        lines += [f"• {copy.historical(f.text, f.document, f.effective_to, True)}" for f in best]
        return "\n".join(lines + [copy.sources_line(best)])

    def earlier_facts(self, record: Record) -> List[Any]:
        """For a current fact: the (at most two) HISTORICAL facts of its topic that share most
        words with it — the earlier rule on the same point."""
        if record.kind != "fact" or record.status != "VERIFIED":
            return []
        if record.id not in self._earlier:  # asked by the route, its reply and the history view
            answer = queries.topic_answer(self.session, record.topic)
            words = set(lemmas(record.text))
            historical = answer.historical if answer else []
            self._earlier[record.id] = sorted(historical, key=lambda f: -len(words & set(lemmas(f.text))))[:2]
        return self._earlier[record.id]

    def detail(self, record: Record) -> str:
        if record.kind == "level":
            answer = queries.support_level(self.session, key_of(record.id))
            return copy.level_detail(answer, self.named.unit if self.named else None)
        if record.kind == "document":
            return copy.document_detail(queries.document(self.session, key_of(record.id)))
        return self.first_answer(record)


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

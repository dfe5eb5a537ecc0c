"""Which knowledge records answer a question: the answer engine's ranking.

Every answerable record (facts, support levels, documents, eligibility rules; table
``kb_records``) is indexed through several *views*: its own text and each of its example
questions (``questions:`` in the data). A question is scored against every view by

* BM25 (``bm25s``) over word lemmas — diacritics folded, chat shorthand expanded ("dc" →
  "duoc"), common function words dropped — plus word bigrams, so "bao lâu", "ở đâu", "khi nào"
  count as the question words they are;
* cosine similarity of character n-gram TF-IDF vectors (scikit-learn, ``char_wb`` 2–5) of the
  same lemmas, which forgives typos, missing tones and word-segmentation differences;

a record's score is its best view's (the weighted sum of both), plus *priors*: the
classifier's intent (the topic it points to) and the entities (a named activity → its support
level; a document number → that document). Priors move close calls; they do not decide alone,
so a question classed ``ask_typical_product`` that asks for the complaint deadline still gets
the deadline. ``scripts/evaluate_answers.py`` measures each part's contribution.

Pure Python over plain records: no Rasa, no database session (``load_records`` reads the rows).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer


def _bm25s_without_jax():
    """bm25s ranks its top-k with jax whenever jax is importable, and TensorFlow (which Rasa
    needs) puts jax in the virtualenv. Importing and initialising jax cost each answering process
    ~110 MB and ~0.3 s; our index holds a few hundred records, where numpy's top-k is as fast.
    So jax is hidden while bm25s is imported (it then uses numpy) and visible again afterwards."""
    hidden = "jax" not in sys.modules
    if hidden:
        sys.modules["jax"] = None  # `import jax` raises ImportError, which bm25s expects
    try:
        import bm25s
    finally:
        if hidden and sys.modules.get("jax", 0) is None:
            del sys.modules["jax"]
    return bm25s


bm25s = _bm25s_without_jax()

from policy_kb.queries import ACTIVITY_GROUPS, level_activities
from vntext.fold import fold
from vntext.normalize import SHORTHAND, normalize_text


@dataclass(frozen=True)
class Record:
    id: str  # fact id | level.<activity> | document.<id> | rule.<set>.<id>
    kind: str  # fact | level | document | rule
    topic: str
    status: str  # VERIFIED | HISTORICAL | UNVERIFIED
    text: str
    document: str
    article: str
    questions: Tuple[str, ...] = ()
    position: int = 0
    attributes: Tuple[str, ...] = ()  # what it states a value for (vntext.frames.ATTRIBUTES)
    title: str = ""  # a fact's short name (bullets, buttons); "" for levels, documents and rules


def records_from_rows(rows: Iterable) -> List[Record]:
    """``AnswerRecord`` rows (ORM objects or the loader's unsaved ones) → plain records."""
    return [
        Record(
            r.id,
            r.kind,
            r.topic,
            r.status,
            r.text,
            r.source_document,
            r.source_article,
            tuple(json.loads(r.questions or "[]")),
            r.position or 0,
            tuple(json.loads(getattr(r, "attributes", None) or "[]")),  # NULL: a row from before the column
            getattr(r, "title", None) or "",  # NULL: not a fact, or a row from before the column
        )
        for r in rows
    ]


def load_records(session) -> List[Record]:
    from sqlalchemy import select

    from policy_kb.models import AnswerRecord

    return records_from_rows(session.execute(select(AnswerRecord).order_by(AnswerRecord.position)).scalars())


# ---------------------------------------------------------------- text → terms

_WORD = re.compile(r"\w+")
# Function words and politeness that say nothing about which fact is wanted. Question words
# ("ai", "bao lau", "o dau", "khi nao", "bao nhieu") are kept: they tell a deadline from a place.
STOP = frozenset(
    """
a ah ak u ha nha nhe nhi oi voi vay the thi la cua va cho cac nhung mot nay do ay kia
em anh chi minh toi chung ban ong ba co chu bac
xin hoi biet giup muon can duoc khong phai roi nua cai con
""".split()
)


def lemmas(text: str) -> List[str]:
    """Words of ``text`` as the index sees them: folded, shorthand expanded."""
    words: List[str] = []
    for w in _WORD.findall(fold(normalize_text(text))):
        words.extend(SHORTHAND.get(w, w).split())
    return words


def terms(text: str) -> List[str]:
    """BM25 terms: content lemmas, plus bigrams of all lemmas ("bao_lau", "o_dau")."""
    words = lemmas(text)
    return [w for w in words if w not in STOP] + [f"{a}_{b}" for a, b in zip(words, words[1:])]


def char_view(text: str) -> str:
    return " ".join(lemmas(text))


# ---------------------------------------------------------------- priors


@dataclass
class Priors:
    """What the NLU already knows about the question, as score bonuses."""

    topics: Dict[str, float] = field(default_factory=dict)  # topic → bonus
    records: Dict[str, float] = field(default_factory=dict)  # record id → bonus


# intent → the knowledge topic it points to
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
    "ask_support_level": "support_levels",
}

# "nđ 45/2012", "thong tu 28/2018/TT-BTC", "TTLT 26/2014"
DOC_NUMBER = re.compile(r"(\d{1,3})\s*/\s*(\d{4})")


@dataclass(frozen=True)
class Weights:
    """Calibrated on the evaluation set (scripts/evaluate_answers.py prints each ablation)."""

    bm25: float = 0.8  # weight of the (saturated) BM25 score of a view
    bm25_scale: float = 50.0  # BM25 score that counts as a full match
    chars: float = 1.0  # weight of the char n-gram cosine of a view
    text_view: float = 1.0  # weight of a record's own text against its questions
    intent: float = 0.12  # × intent confidence, for records of the intent's topic
    entity: float = 0.25  # a record named by an entity (activity, document number)


def priors_for(
    intent: Optional[str],
    confidence: float,
    entities: Sequence[Dict],
    text: str,
    records: Sequence[Record],
    weights: Weights = Weights(),
) -> Priors:
    """Priors from the NLU result of a message (intent name + confidence, entities)."""
    priors = Priors()
    topic = INTENT_TOPICS.get(intent or "")
    if topic:
        priors.topics[topic] = weights.intent * max(0.0, min(1.0, confidence))
    ids = {r.id for r in records}
    named = [ent.get("value") for ent in entities or () if ent.get("entity") == "activity"]
    for value in named:
        if f"level.{value}" in ids:
            priors.records[f"level.{value}"] = weights.entity
    if named and named[0] in ACTIVITY_GROUPS:
        # a key that stands for several levels (the first activity named, the one the answer is
        # about): each of its levels
        for key in level_activities(named[0]):
            priors.records[f"level.{key}"] = priors.records.get(f"level.{key}", 0.0) + weights.entity
    for num, year in DOC_NUMBER.findall(text or ""):
        for r in records:
            if r.kind == "document" and re.search(rf"\b0?{int(num)}/{year}\b", r.text.split(":")[0]):
                priors.records[r.id] = priors.records.get(r.id, 0.0) + weights.entity
    return priors


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class Hit:
    record: Record
    score: float  # what ranks
    lexical: float  # BM25 part of the best view
    chars: float  # char n-gram cosine of the best view
    prior: float
    view: str  # the text (question or record text) that matched best

    def explain(self) -> str:
        return (
            f"{self.record.id} score={self.score:.3f} (bm25={self.lexical:.3f} chars={self.chars:.3f} "
            f"prior={self.prior:.3f}) via {self.view[:60]!r}"
        )


class AnswerIndex:
    """BM25 + char n-gram index over the records' views. Built in tens of milliseconds; a search
    costs well under a millisecond (sparse column sums, no per-record Python loop)."""

    def __init__(self, records: Sequence[Record], weights: Weights = Weights()) -> None:
        self.records = list(records)
        self.weights = weights
        texts: List[str] = []
        view_weight: List[float] = []
        starts: List[int] = []
        for r in self.records:  # a record's views are contiguous: [text, question, question, …]
            starts.append(len(texts))
            texts += [r.text, *r.questions]
            view_weight += [weights.text_view] + [1.0] * len(r.questions)
        self._texts = texts
        self._starts = np.array(starts)
        self._view_weight = np.array(view_weight)
        self.size = len(texts)
        self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
        self._bm25.index([terms(t) or ["_"] for t in texts], show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)
        tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        # CSC: a query's vector touches a few hundred n-gram columns; summing those columns is
        # ~20× cheaper than sklearn's transform + sparse product for one short query.
        self._chars = tfidf.fit_transform([char_view(t) for t in texts]).tocsc()
        self._analyze = tfidf.build_analyzer()
        self._gram_index = tfidf.vocabulary_
        self._idf = tfidf.idf_

    @property
    def vocabulary(self) -> set:
        """The BM25 terms of the index (a question's words it has never seen are evidence)."""
        return self._vocab

    def _char_cosine(self, query: str) -> np.ndarray:
        counts: Dict[int, int] = {}
        for gram in self._analyze(char_view(query)):
            j = self._gram_index.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return np.zeros(self.size)
        cols = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=float, count=len(counts))
        w = (1.0 + np.log(tf)) * self._idf[cols]  # sublinear tf × idf, as fitted
        # n-grams the index has never seen are dropped, as sklearn's transform drops them
        w /= np.linalg.norm(w)
        return np.asarray(self._chars[:, cols] @ w).ravel()

    def view_scores(self, query: str) -> Tuple[np.ndarray, np.ndarray]:
        """(BM25, char cosine) of ``query`` against every view."""
        q_terms = [t for t in terms(query) if t in self._vocab]
        bm25 = np.asarray(self._bm25.get_scores(q_terms), dtype=float) if q_terms else np.zeros(self.size)
        return bm25, self._char_cosine(query)

    def search(
        self, query: str, priors: Optional[Priors] = None, k: int = 5, weights: Optional[Weights] = None
    ) -> List[Hit]:
        w = weights or self.weights
        bm25, chars = self.view_scores(query)
        lexical = w.bm25 * np.minimum(1.0, bm25 / w.bm25_scale)
        view_score = (lexical + w.chars * chars) * self._view_weight
        record_score = np.maximum.reduceat(view_score, self._starts)
        prior = np.zeros(len(self.records))
        if priors:
            for i, r in enumerate(self.records):
                prior[i] = priors.topics.get(r.topic, 0.0) + priors.records.get(r.id, 0.0)
        total = record_score + prior
        top = np.argsort(-total, kind="stable")[:k]
        hits = []
        for i in top:
            end = self._starts[i + 1] if i + 1 < len(self._starts) else self.size
            v = int(self._starts[i] + np.argmax(view_score[self._starts[i] : end]))
            hits.append(
                Hit(
                    self.records[i],
                    float(total[i]),
                    float(lexical[v]),
                    float(chars[v]),
                    float(prior[i]),
                    self._texts[v],
                )
            )
        return hits


# ---------------------------------------------------------------- several questions in one message

# a part is a question when it carries one of these (folded)
_QUESTION_CUES = re.compile(
    r"\b(?:bao nhieu|bn|bao lau|o dau|khi nao|luc nao|the nao|ntn|nhu nao|"
    r"gi|j|nao|ai|khong|ko|k|hong|chua|sao|may|han)\b"
)
_SPLIT = re.compile(r"[?;\n]+|,\s*(?:con\s+|va\s+|roi\s+)?|\s+(?:va|con|voi lai|them nua la)\s+(?=\S)")


def split_questions(text: str, limit: int = 4) -> List[str]:
    """The questions of a message, in order: "được hỗ trợ gì, bao nhiêu, nộp ở đâu, hạn khi
    nào" → 4 parts. Splits only where each part would still carry a question word; otherwise
    the message is one question."""
    text = normalize_text(text)
    folded = fold(text)
    parts: List[str] = []
    start = 0
    for m in _SPLIT.finditer(folded):
        parts.append(text[start : m.start()])
        start = m.end()
    parts.append(text[start:])
    parts = [p.strip(" ,.!") for p in parts if p.strip(" ,.!")]
    if len(parts) < 2 or not all(_QUESTION_CUES.search(fold(p)) for p in parts):
        return [text.strip()]
    # a very short part ("bao nhiêu") inherits the subject of the first part
    out = [parts[0]] + [p if len(p.split()) >= 3 else f"{parts[0]} {p}" for p in parts[1:]]
    return out[:limit]

"""Read-side of the knowledge base: what applies on a given date, with its source.

Returns plain dataclasses (no live ORM objects), so callers never hold a session.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from policy_kb.models import Document, DocumentRelation, Fact, SupportLevel, Topic


@dataclass(frozen=True)
class FactView:
    id: str
    key: Optional[str]
    text: str
    status: str
    document: str
    article: str
    effective_from: dt.date
    effective_to: Optional[dt.date]
    title: Optional[str] = None  # the fact's short name (``title:`` in the data): bullets, buttons


@dataclass
class TopicAnswer:
    topic: str
    title: str
    current: List[FactView] = field(default_factory=list)  # VERIFIED and in effect
    historical: List[FactView] = field(default_factory=list)  # HISTORICAL or superseded
    unverified: List[FactView] = field(default_factory=list)  # never stated as fact


@dataclass(frozen=True)
class LevelView:
    activity: str
    label: str
    unit: str
    scope: str
    effective_from: dt.date
    share: Optional[float]
    cap_vnd: Optional[int]
    text: str
    status: str
    document: str
    article: str
    caveat: Optional[str] = None


@dataclass
class LevelAnswer:
    activity: str
    label: str
    current: Optional[LevelView]  # the rule in effect on the date asked
    earlier: List[LevelView] = field(default_factory=list)  # newest first


@dataclass(frozen=True)
class DocumentView:
    id: str
    number: str
    kind: str
    title: str
    issued: Optional[dt.date]
    effective_from: Optional[dt.date]
    effective_to: Optional[dt.date]
    state: str
    status: str
    summary: str
    replaces: tuple = ()
    amends: tuple = ()
    amended_by: tuple = ()
    replaced_by: tuple = ()
    state_verified: bool = True
    source_document: str = ""
    source_article: str = ""
    signer: Optional[str] = None  # only where a source names the person who signed it
    changes: Optional[str] = None  # what it changed against the document it amends or replaces


def _fact_view(f: Fact) -> FactView:
    return FactView(
        f.id,
        f.key,
        f.text,
        f.status,
        f.source_document,
        f.source_article,
        f.effective_from,
        f.effective_to,
        f.title,
    )


def topic_answer(session: Session, topic: str, on: Optional[dt.date] = None) -> Optional[TopicAnswer]:
    on = on or dt.date.today()
    title = session.execute(select(Topic.title).where(Topic.key == topic)).scalar()
    if title is None:
        return None
    stmt = select(Fact).where(Fact.topic == topic).order_by(Fact.position)
    answer = TopicAnswer(topic, title)
    for fact in session.execute(stmt).scalars():
        view = _fact_view(fact)
        if fact.status == "UNVERIFIED":
            answer.unverified.append(view)
        elif fact.status == "HISTORICAL" or (fact.effective_to and fact.effective_to <= on):
            answer.historical.append(view)
        elif fact.effective_from <= on:
            answer.current.append(view)
    return answer


def _level_view(s: SupportLevel) -> LevelView:
    return LevelView(
        s.activity,
        s.label,
        s.unit,
        s.scope,
        s.effective_from,
        s.share,
        s.cap_vnd,
        s.text,
        s.status,
        s.source_document,
        s.source_article,
        s.caveat,
    )


#: activity keys of the NLU (nlu_data/lookups/activity.yml) that stand for several support levels
ACTIVITY_GROUPS: Dict[str, Tuple[str, ...]] = {
    "typical_product_selection": ("typical_product_selection_regional", "typical_product_selection_national"),
    "pollution_treatment": ("pollution_treatment_facility", "pollution_treatment_ccn"),
}


def level_activities(activity: str) -> List[str]:
    """The support levels (``activity`` of data/support_levels/) an activity key stands for: each
    level of its group ("pollution_treatment": the facility's and the cluster's), else itself. The
    one lookup of the groups: the answers, the estimate and the answer engine's priors use it."""
    return list(ACTIVITY_GROUPS.get(activity, (activity,)))


def support_level(session: Session, activity: str, on: Optional[dt.date] = None) -> Optional[LevelAnswer]:
    """The level in effect on ``on`` (today by default) and the ones before it."""
    on = on or dt.date.today()
    rows = (
        session.execute(
            select(SupportLevel).where(SupportLevel.activity == activity).order_by(SupportLevel.effective_from.desc())
        )
        .scalars()
        .all()
    )
    if not rows:
        return None
    in_effect = [r for r in rows if r.effective_from <= on]
    current = _level_view(in_effect[0]) if in_effect else None
    earlier = [_level_view(r) for r in in_effect[1:]]
    return LevelAnswer(activity, rows[0].label, current, earlier)


def fact(session: Session, fact_id: str) -> Optional[FactView]:
    row = session.get(Fact, fact_id)
    return _fact_view(row) if row is not None else None


def document(session: Session, doc_id: str) -> Optional[DocumentView]:
    return next((d for d in documents(session) if d.id == doc_id), None)


def documents(session: Session) -> List[DocumentView]:
    docs = session.execute(select(Document).order_by(Document.effective_from.desc().nullslast())).scalars().all()
    rels = session.execute(select(DocumentRelation)).scalars().all()
    out = []
    for d in docs:
        mine = [r for r in rels if r.document_id == d.id]
        incoming = [r for r in rels if r.target_number == d.number]
        out.append(
            DocumentView(
                d.id,
                d.number,
                d.kind,
                d.title,
                d.issued,
                d.effective_from,
                d.effective_to,
                d.state,
                d.status,
                d.summary,
                replaces=tuple(r.target_number for r in mine if r.relation == "replaces"),
                amends=tuple(r.target_number for r in mine if r.relation == "amends"),
                amended_by=tuple(_number_of(docs, r.document_id) for r in incoming if r.relation == "amends"),
                replaced_by=tuple(_number_of(docs, r.document_id) for r in incoming if r.relation == "replaces"),
                state_verified=d.state_verified,
                source_document=d.source_document,
                source_article=d.source_article,
                signer=d.signer,
                changes=d.changes,
            )
        )
    return out


def _number_of(docs, doc_id: str) -> str:
    return next(d.number for d in docs if d.id == doc_id)


def find_document(session: Session, text: str) -> Optional[DocumentView]:
    """A document whose number appears in ``text`` ("nđ 45/2012", "thong tu 28/2018/TT-BTC")."""
    wanted = re.findall(r"(\d{1,3})\s*/\s*(\d{4})(?:\s*/\s*([a-zđ\-]+))?", text.lower())
    if not wanted:
        return None
    docs = documents(session)
    for num, year, suffix in wanted:
        candidates = [d for d in docs if d.number.lower().startswith(f"{num}/{year}")]
        if suffix:
            # Only đ → d here, not vntext.fold: the key keeps ASCII letters only, and fold would turn
            # an accented letter of a document number into a kept ASCII one where this drops it.
            suffix_key = re.sub(r"[^a-z]", "", suffix.replace("đ", "d"))
            exact = [
                d
                for d in candidates
                if re.sub(r"[^a-z]", "", d.number.lower().split("/", 2)[-1].replace("đ", "d")) == suffix_key
            ]
            candidates = exact or candidates
        if candidates:
            # Prefer a real document over a "probably a mix-up" entry with the same number.
            candidates.sort(key=lambda d: d.state == "unknown")
            return candidates[0]
    return None

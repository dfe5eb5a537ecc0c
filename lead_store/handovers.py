"""Live handovers: conversations a person at the centre should answer (issue 13).

Whether the bot is silent is Rasa's tracker state (ConversationPaused / ConversationResumed);
this table is the officers' list of those conversations, for the console inbox: who asked, why
(``asked``: the person asked for an officer; ``not_understood``: the bot failed twice in a row;
``zalo_oa_admin``: someone at the centre answered from the Zalo OA chat), when, and where it
stands (``waiting`` → ``answered`` at the first officer reply → ``closed``).

A second table, ``handover_pending_replies``, holds officer replies for REST conversations: REST
has no push, so what an officer writes is returned with the person's next request (and each
text exactly once, also under concurrent requests: a row is handed out only by the transaction
that deleted it).

No message text, name or phone number is ever logged here; logs carry ids only. Times are naive
UTC, like the leads. Same declarative base as the leads (``lead_store.leads.LeadBase``), so
``leads.ensure_schema`` and the console's migrations (``0003_handover``) see these tables too.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager
from typing import Iterator, List, Optional, Union

from sqlalchemy import Column, DateTime, Index, Integer, String, Text, delete, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lead_store.leads import LeadBase

log = logging.getLogger(__name__)

REASONS = frozenset({"asked", "not_understood", "zalo_oa_admin"})
STATUSES = ("waiting", "answered", "closed")
OPEN_STATUSES = ("waiting", "answered")
CONVERSATION_MAX = 128
CHANNEL_MAX = 16
OFFICER_MAX = 120
#: the button that gets the assistant back while an officer has the conversation (the domain's
#: intent resume_bot; shown by actions/handover.py and by the console when an officer takes over)
RESUME_BUTTON = {"title": "Tiếp tục với trợ lý", "payload": "/resume_bot"}
#: the "officer" of a reply written in the Zalo OA chat itself (not a console account)
OA_ADMIN_OFFICER = "zalo-oa"
#: a bot message's metadata ``handover_by`` when, out of office hours, the bot answers a question
#: of someone waiting for an officer: the answer follows, then the conversation is paused again
#: (actions/handover.py says it, bot/rasa_patches.py patch 11 pauses)
ANSWER_THEN_WAIT = "question"
REPLY_MAX = 4000

SessionOrEngine = Union[Session, Engine]


class Handover(LeadBase):
    __tablename__ = "handovers"
    __table_args__ = (
        # at most one open handover per conversation: concurrent open_handover calls converge
        Index(
            "uq_handovers_open_conversation",
            "conversation_id",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
        Index("ix_handovers_status_requested", "status", "requested_at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(CONVERSATION_MAX), nullable=False)
    channel = Column(String(CHANNEL_MAX), nullable=False)
    reason = Column(String(16), nullable=False)
    requested_at = Column(DateTime, nullable=False)  # naive UTC
    status = Column(String(16), nullable=False, default="waiting")
    first_reply_at = Column(DateTime)
    officer = Column(String(OFFICER_MAX))  # console username of the first reply
    closed_at = Column(DateTime)
    closed_by = Column(String(OFFICER_MAX))
    #: Zalo OA admin pause: the bot stays silent for this conversation until then (naive UTC)
    paused_until = Column(DateTime)

    def __repr__(self) -> str:
        return f"<Handover id={self.id} channel={self.channel!r} reason={self.reason!r} status={self.status!r}>"


class PendingReply(LeadBase):
    __tablename__ = "handover_pending_replies"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(CONVERSATION_MAX), nullable=False, index=True)
    text = Column(Text, nullable=False)
    queued_at = Column(DateTime, nullable=False)

    def __repr__(self) -> str:  # never the text
        return f"<PendingReply id={self.id}>"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


_ready: set = set()


def ensure_handover_schema(engine: Engine) -> None:
    """Create both tables if missing (never drops anything); once per engine, not per call."""
    key = str(engine.url)
    if key not in _ready:
        LeadBase.metadata.create_all(engine, tables=[Handover.__table__, PendingReply.__table__])
        _ready.add(key)


@contextmanager
def _transaction(target: SessionOrEngine) -> Iterator[Session]:
    """A session in a transaction: a caller's session is used as is (the caller commits), an
    engine gets its own session, committed here."""
    if isinstance(target, Session):
        yield target
        target.flush()
        return
    ensure_handover_schema(target)
    with Session(target, future=True, expire_on_commit=False) as session, session.begin():
        yield session


def _open_row(session: Session, conversation_id: str) -> Optional[Handover]:
    return (
        session.execute(
            select(Handover)
            .where(Handover.conversation_id == conversation_id, Handover.closed_at.is_(None))
            .order_by(Handover.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def open_handover(target: SessionOrEngine, conversation_id: str, channel: str, reason: str) -> int:
    """The id of the conversation's open handover, opened now if there is none (idempotent: a
    second request while one is open returns the same row, also when two arrive at once)."""
    if reason not in REASONS:
        raise ValueError(f"unknown handover reason {reason!r}")
    conversation_id = str(conversation_id)[:CONVERSATION_MAX]
    channel = (channel or "unknown")[:CHANNEL_MAX]
    for _ in range(3):
        try:
            with _transaction(target) as session:
                row = _open_row(session, conversation_id)
                if row is not None:
                    return row.id
                row = Handover(
                    conversation_id=conversation_id,
                    channel=channel,
                    reason=reason,
                    requested_at=_utcnow(),
                    status="waiting",
                )
                if isinstance(target, Session):
                    with session.begin_nested():  # a lost race rolls back this savepoint only
                        session.add(row)
                else:
                    session.add(row)
                    session.flush()
                log.info("handover %s opened (%s, %s)", row.id, channel, reason)
                return row.id
        except IntegrityError:
            continue  # another request opened it first: read that one
    raise RuntimeError("could not open a handover")


def open_handovers(session: Session) -> List[Handover]:
    """Open handovers, oldest request first (the inbox's order)."""
    return list(
        session.execute(
            select(Handover).where(Handover.closed_at.is_(None)).order_by(Handover.requested_at, Handover.id)
        ).scalars()
    )


def all_handovers(session: Session, since: Optional[dt.datetime] = None) -> List[Handover]:
    """Every handover (requested at or after ``since``, naive UTC), newest first."""
    query = select(Handover).order_by(Handover.requested_at.desc(), Handover.id.desc())
    if since is not None:
        query = query.where(Handover.requested_at >= since)
    return list(session.execute(query).scalars())


def get_handover(session: Session, handover_id: int) -> Optional[Handover]:
    return session.get(Handover, handover_id)


def open_handover_for(session: Session, conversation_id: str) -> Optional[Handover]:
    """The conversation's open handover, if any."""
    return _open_row(session, str(conversation_id))


def record_officer_reply(target: SessionOrEngine, handover_id: int, officer: str) -> None:
    """An officer answered: the first reply's time and officer are kept, status ``answered``
    (a closed handover stays closed)."""
    with _transaction(target) as session:
        row = session.get(Handover, handover_id)
        if row is None:
            raise LookupError(f"no handover with id {handover_id}")
        if row.first_reply_at is None:
            row.first_reply_at, row.officer = _utcnow(), (officer or "")[:OFFICER_MAX]
        if row.status == "waiting":
            row.status = "answered"


def close_handover(target: SessionOrEngine, handover_id: int, officer: str) -> None:
    """Close a handover (idempotent: closing a closed one changes nothing)."""
    with _transaction(target) as session:
        row = session.get(Handover, handover_id)
        if row is None:
            raise LookupError(f"no handover with id {handover_id}")
        if row.closed_at is None:
            row.status, row.closed_at, row.closed_by = "closed", _utcnow(), (officer or "")[:OFFICER_MAX]
            row.paused_until = None
            log.info("handover %s closed", handover_id)


def close_conversation_handovers(target: SessionOrEngine, conversation_id: str, by: str) -> int:
    """Close whatever is open for a conversation (the person restarted it); how many."""
    with _transaction(target) as session:
        rows = (
            session.execute(
                select(Handover).where(Handover.conversation_id == str(conversation_id), Handover.closed_at.is_(None))
            )
            .scalars()
            .all()
        )
        now = _utcnow()
        for row in rows:
            row.status, row.closed_at, row.closed_by, row.paused_until = "closed", now, by[:OFFICER_MAX], None
        return len(rows)


# ------------------------------------------------------------------ Zalo OA admin pause


def extend_pause(
    target: SessionOrEngine, conversation_id: str, channel: str, until: dt.datetime, reason: str = "zalo_oa_admin"
) -> tuple:
    """Open (or reuse) the conversation's handover and keep the bot silent until ``until``
    (naive UTC; never shortened). Returns (handover id, whether a pause was already running)."""
    handover_id = open_handover(target, conversation_id, channel, reason)
    with _transaction(target) as session:
        row = session.get(Handover, handover_id)
        running = row.paused_until is not None
        if row.paused_until is None or row.paused_until < until:
            row.paused_until = until
        return handover_id, running


def paused_until(session: Session, conversation_id: str) -> Optional[dt.datetime]:
    row = _open_row(session, str(conversation_id))
    return row.paused_until if row is not None else None


def end_expired_pause(
    target: SessionOrEngine, conversation_id: str, now: Optional[dt.datetime] = None
) -> Optional[int]:
    """If the conversation's OA-admin pause has run out, close its handover and return its id
    (the caller resumes the tracker); None when no pause or it still runs."""
    now = now or _utcnow()
    with _transaction(target) as session:
        row = _open_row(session, str(conversation_id))
        if row is None or row.paused_until is None or row.paused_until > now:
            return None
        row.status, row.closed_at, row.closed_by, row.paused_until = "closed", now, "pause_expired", None
        return row.id


# ------------------------------------------------------------------ REST pending replies


def queue_rest_reply(target: SessionOrEngine, conversation_id: str, text: str) -> None:
    """Keep an officer's reply for a REST conversation until the person's next request."""
    if not text or not text.strip():
        raise ValueError("empty reply")
    with _transaction(target) as session:
        session.add(
            PendingReply(
                conversation_id=str(conversation_id)[:CONVERSATION_MAX], text=text[:REPLY_MAX], queued_at=_utcnow()
            )
        )


def any_rest_replies(engine: Engine) -> bool:
    """Is anything queued for any REST conversation? (Almost always not: the REST channel asks
    this at most once a second and skips the per-request lookup while it is not.)"""
    ensure_handover_schema(engine)
    with engine.connect() as conn:
        return conn.execute(select(PendingReply.id).limit(1)).first() is not None


def has_rest_replies(engine: Engine, conversation_id: str) -> bool:
    """Is anything queued for this conversation? One indexed lookup on a pooled connection, no
    transaction: the REST channel asks this on every request, and the answer is almost always no."""
    ensure_handover_schema(engine)
    with engine.connect() as conn:
        return (
            conn.execute(
                select(PendingReply.id).where(PendingReply.conversation_id == str(conversation_id)).limit(1)
            ).first()
            is not None
        )


def take_rest_replies(target: SessionOrEngine, conversation_id: str) -> List[str]:
    """The queued replies for a conversation, oldest first, removed: each text is returned once.
    A row counts as taken only if this transaction's DELETE removed it, so two concurrent
    requests never both return it (on SQLite and PostgreSQL alike)."""
    with _transaction(target) as session:
        rows = session.execute(
            select(PendingReply.id, PendingReply.text)
            .where(PendingReply.conversation_id == str(conversation_id))
            .order_by(PendingReply.id)
        ).all()
        taken = []
        for row_id, text in rows:
            if session.execute(delete(PendingReply).where(PendingReply.id == row_id)).rowcount == 1:
                taken.append(text)
        return taken


__all__ = [
    "Handover",
    "PendingReply",
    "REASONS",
    "STATUSES",
    "all_handovers",
    "any_rest_replies",
    "close_conversation_handovers",
    "close_handover",
    "end_expired_pause",
    "ensure_handover_schema",
    "extend_pause",
    "get_handover",
    "has_rest_replies",
    "open_handover",
    "open_handover_for",
    "open_handovers",
    "paused_until",
    "queue_rest_reply",
    "record_officer_reply",
    "take_rest_replies",
]

"""Leads: people who agreed to be contacted by the provincial Trung tâm Khuyến công.

A lead is stored only after explicit consent (see :mod:`lead_store.consent`); it records the
consent wording version and time. Same database configuration as the knowledge base
(:mod:`policy_kb.db`: SQLite by default, PostgreSQL via ``DATABASE_URL``), own table ``leads`` on
its own declarative base, so rebuilding the knowledge base never touches leads.

Writes are transactional. :func:`save_lead` is idempotent per (conversation, phone): the same
person submitting twice in one conversation updates their lead instead of creating a second one,
also under concurrent submissions (the unique constraint decides; the loser retries as an update).

Personal data (name, phone) is never logged, never put in an exception message and never in a
``repr``; logs carry the lead id and at most :func:`vntext.phone.mask_phone`. SQLAlchemy's
own statement log would show parameters: it is off by default (its ``sqlalchemy`` logger starts at
WARNING); keep it off in production or create the engine with ``hide_parameters=True``.

Times are stored as naive UTC. Date filters (:func:`query_leads`) take calendar days in Vietnam
time (UTC+7, no daylight saving), the days officers think in.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, declarative_base

from lead_store.consent import KNOWN_CONSENT_VERSIONS
from vntext.names import NAME_MAX, clean_name, name_problem
from vntext.phone import mask_phone, normalize_phone

log = logging.getLogger(__name__)

LeadBase = declarative_base()

#: Rasa input channels a lead may come from (``tracker.get_latest_input_channel()``) plus "web".
CHANNELS = frozenset({"rest", "web", "zalo", "socketio", "callback", "cmdline", "facebook", "telegram", "messenger"})
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
# NAME_MAX (vntext.names) also sizes the officers' names (contacted_by, processed_by)
KEY_MAX = 64
CONVERSATION_MAX = 128
COST_MAX = 10**15  # 1 triệu tỷ đồng: far above any khuyến công project, far below BIGINT
CONSENT_CLOCK_SKEW = dt.timedelta(minutes=5)
SAVE_ATTEMPTS = 4


class Lead(LeadBase):
    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("conversation_id", "phone_e164", name="uq_leads_conversation_phone"),
        Index("ix_leads_province_created", "province", "created_at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(NAME_MAX), nullable=False)
    phone_e164 = Column(String(16), nullable=False, index=True)
    province = Column(String(KEY_MAX))
    business_type = Column(String(KEY_MAX))
    industry = Column(String(KEY_MAX))
    activity = Column(String(KEY_MAX))
    estimated_cost_vnd = Column(BigInteger)
    verdict = Column(String(KEY_MAX))
    channel = Column(String(16), nullable=False)
    conversation_id = Column(String(CONVERSATION_MAX), nullable=False)
    consent_version = Column(String(32), nullable=False)
    consent_at = Column(DateTime, nullable=False)  # naive UTC
    created_at = Column(DateTime, nullable=False, index=True)  # naive UTC
    updated_at = Column(DateTime, nullable=False)
    contacted_at = Column(DateTime)
    contacted_by = Column(String(NAME_MAX))
    note = Column(Text)

    def __repr__(self) -> str:  # never the name or the phone in clear
        return (
            f"<Lead id={self.id} phone={mask_phone(self.phone_e164)} "
            f"province={self.province!r} contacted={self.contacted_at is not None}>"
        )


class LeadError(ValueError):
    """Base of the errors raised here; messages never contain personal data."""


class LeadValidationError(LeadError):
    """The submission may not be stored; ``field`` names the offending input (for re-asking)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field, self.problem = field, problem


class LeadStoreError(LeadError):
    """The database refused or failed the write (details without parameters)."""


class LeadNotFoundError(LeadError):
    def __init__(self, ids: Sequence[int]) -> None:
        super().__init__(f"no lead with id {', '.join(str(i) for i in ids)}")
        self.ids = list(ids)


@dataclass(repr=False)
class LeadInput:
    """One submission from the conversation. ``phone`` may be written in any accepted form."""

    name: str
    phone: str
    channel: str
    conversation_id: str
    consent_version: Optional[str]
    consent_at: Union[dt.datetime, str, None]  # aware, naive UTC, or ISO 8601 text (slot value)
    province: Optional[str] = None
    business_type: Optional[str] = None
    industry: Optional[str] = None
    activity: Optional[str] = None
    estimated_cost_vnd: Union[int, float, str, None] = None
    verdict: Optional[str] = None

    def __repr__(self) -> str:
        return (
            f"LeadInput(phone={mask_phone(self.phone)}, channel={self.channel!r}, "
            f"conversation_id={self.conversation_id!r}, province={self.province!r}, "
            f"consent_version={self.consent_version!r})"
        )


# ------------------------------------------------------------------------------- schema


def ensure_schema(engine: Engine) -> None:
    """Create the ``leads`` table and its indexes if missing (never drops anything)."""
    LeadBase.metadata.create_all(engine)


# ------------------------------------------------------------------------------ validation


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def to_utc_naive(value: dt.datetime) -> dt.datetime:
    """Aware -> naive UTC; naive is taken as UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def to_vietnam_time(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """Stored naive UTC -> naive Vietnam local time (for exports)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc).astimezone(VN_TZ).replace(tzinfo=None)


def _key(value: Any, field: str) -> Optional[str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise LeadValidationError(field, "must be text")
    value = value.strip()
    if len(value) > KEY_MAX:
        raise LeadValidationError(field, f"longer than {KEY_MAX} characters")
    return value


def _cost(value: Any) -> Optional[int]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise LeadValidationError("estimated_cost_vnd", "must be a number of đồng")
    if isinstance(value, str):
        try:
            value = float(value.strip()) if re.search(r"[.eE]", value) else int(value.strip())
        except ValueError:
            raise LeadValidationError("estimated_cost_vnd", "must be a number of đồng") from None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise LeadValidationError("estimated_cost_vnd", "must be a whole number of đồng")
        value = int(value)
    if not isinstance(value, int):
        raise LeadValidationError("estimated_cost_vnd", "must be a number of đồng")
    if not 0 <= value <= COST_MAX:
        raise LeadValidationError("estimated_cost_vnd", f"must be between 0 and {COST_MAX}")
    return value


def _consent_at(value: Any) -> dt.datetime:
    if value is None or value == "":
        raise LeadValidationError("consent_at", "missing: no lead is stored without the time of consent")
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise LeadValidationError("consent_at", "not an ISO 8601 date-time") from None
    if not isinstance(value, dt.datetime):
        raise LeadValidationError("consent_at", "must be a date-time")
    value = to_utc_naive(value)
    if value > _utcnow() + CONSENT_CLOCK_SKEW:
        raise LeadValidationError("consent_at", "is in the future")
    return value


def _name(value: Any) -> str:
    problem = name_problem(value)  # the lead form's check too (vntext.names)
    if problem:
        raise LeadValidationError("name", problem)
    return clean_name(value)


def validate_lead(data: LeadInput) -> Dict[str, Any]:
    """The column values of a valid submission, or :class:`LeadValidationError` (first problem).

    Consent is checked first: without a known consent version and a consent time nothing else
    about the person is even looked at.
    """
    version = data.consent_version
    if not isinstance(version, str) or not version.strip():
        raise LeadValidationError("consent_version", "missing: no lead is stored without consent")
    if version.strip() not in KNOWN_CONSENT_VERSIONS:
        raise LeadValidationError("consent_version", f"unknown consent text version {version.strip()!r}")
    consent_at = _consent_at(data.consent_at)
    phone = normalize_phone(data.phone)
    if phone is None:
        raise LeadValidationError("phone", "not a valid Vietnamese mobile or landline number")
    channel = data.channel.strip().lower() if isinstance(data.channel, str) else None
    if channel not in CHANNELS:
        raise LeadValidationError("channel", f"must be one of {', '.join(sorted(CHANNELS))}")
    conversation = data.conversation_id
    if not isinstance(conversation, str) or not conversation.strip():
        raise LeadValidationError("conversation_id", "missing or empty")
    if len(conversation.strip()) > CONVERSATION_MAX:
        raise LeadValidationError("conversation_id", f"longer than {CONVERSATION_MAX} characters")
    return {
        "name": _name(data.name),
        "phone_e164": phone,
        "province": _key(data.province, "province"),
        "business_type": _key(data.business_type, "business_type"),
        "industry": _key(data.industry, "industry"),
        "activity": _key(data.activity, "activity"),
        "estimated_cost_vnd": _cost(data.estimated_cost_vnd),
        "verdict": _key(data.verdict, "verdict"),
        "channel": channel,
        "conversation_id": conversation.strip(),
        "consent_version": version.strip(),
        "consent_at": consent_at,
    }


# ---------------------------------------------------------------------------- transactions


def _describe(exc: SQLAlchemyError) -> str:
    """What went wrong, without the statement parameters SQLAlchemy puts in str(exc)."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlite_errorname", None)
    return f"database error {type(exc).__name__}" + (f" ({code})" if code else "")


def _sqlite_real_begin(session: Session) -> None:
    """pysqlite only starts a database transaction at the first INSERT/UPDATE/DELETE; a SAVEPOINT
    emitted before that would be the outermost one and its RELEASE would commit on its own,
    outside the caller's transaction. Start the real transaction first."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if not getattr(raw, "in_transaction", True):
            conn.exec_driver_sql("BEGIN")


@contextmanager
def _transaction(target: Union[Session, Engine]) -> Iterator[Session]:
    """A session inside a transaction that is committed on success, rolled back on error.

    Given an Engine: a new session, committed here. Given a Session with no transaction in
    progress: its transaction, committed here. Given a Session already in a transaction: a
    SAVEPOINT inside it; the caller's transaction commits (or rolls back) the work.
    """
    if isinstance(target, Session):
        if target.in_transaction():
            _sqlite_real_begin(target)
            with target.begin_nested():
                yield target
        else:
            with target.begin():
                yield target
        return
    with Session(target, future=True) as session, session.begin():
        yield session


def _upsert_once(session: Session, values: Dict[str, Any]) -> Tuple[int, bool]:
    existing = session.execute(
        select(Lead)
        .where(Lead.conversation_id == values["conversation_id"], Lead.phone_e164 == values["phone_e164"])
        .with_for_update()
    ).scalar_one_or_none()
    now = _utcnow()
    if existing is None:
        lead = Lead(**values, created_at=now, updated_at=now)
        session.add(lead)
        session.flush()
        return lead.id, True
    for column, value in values.items():
        if value is not None:  # a later, shorter submission does not erase what was known
            setattr(existing, column, value)
    existing.updated_at = now
    session.flush()
    return existing.id, False


def save_lead(session_or_engine: Union[Session, Engine], data: LeadInput) -> Tuple[int, bool]:
    """Validate and store one submission; returns ``(lead_id, created)``.

    One transaction (see :func:`_transaction` for what happens with a caller's session). A second
    submission with the same conversation id and phone updates the existing lead (non-empty new
    values replace old ones, ``created_at`` and the contacted status are kept) and returns
    ``created=False``. Concurrent first submissions race on the unique constraint: the loser's
    insert fails with an IntegrityError, its transaction is rolled back and retried, and the
    retry finds the row and updates it.

    Raises :class:`LeadValidationError` (nothing stored) or :class:`LeadStoreError`.
    """
    values = validate_lead(data)
    masked = mask_phone(values["phone_e164"])
    for attempt in range(1, SAVE_ATTEMPTS + 1):
        try:
            with _transaction(session_or_engine) as session:
                lead_id, created = _upsert_once(session, values)
        except IntegrityError as exc:
            if attempt == SAVE_ATTEMPTS:
                log.error("lead not saved (phone %s): %s after %d attempts", masked, _describe(exc), attempt)
                raise LeadStoreError(_describe(exc)) from None
            log.info("lead for phone %s saved concurrently elsewhere; retrying as an update", masked)
            continue
        except SQLAlchemyError as exc:
            log.error("lead not saved (phone %s): %s", masked, _describe(exc))
            raise LeadStoreError(_describe(exc)) from None
        log.info(
            "lead %s %s (phone %s, channel %s)", lead_id, "created" if created else "updated", masked, values["channel"]
        )
        return lead_id, created
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------------- queries


def _day_start_utc(day: dt.date) -> dt.datetime:
    return to_utc_naive(dt.datetime.combine(day, dt.time.min, tzinfo=VN_TZ))


def _bound(value: Union[dt.date, dt.datetime, None], end: bool) -> Optional[dt.datetime]:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return to_utc_naive(value)
    return _day_start_utc(value + dt.timedelta(days=1) if end else value)


def lead_conditions(
    province: Optional[str] = None,
    date_from: Union[dt.date, dt.datetime, None] = None,
    date_to: Union[dt.date, dt.datetime, None] = None,
    contacted: Optional[bool] = None,
) -> List[Any]:
    """The WHERE conditions of :func:`query_leads` (also used for counts)."""
    conditions: List[Any] = []
    if province and province.strip():
        conditions.append(Lead.province == province.strip())
    start = _bound(date_from, end=False)
    if start is not None:
        conditions.append(Lead.created_at >= start)
    stop = _bound(date_to, end=True)
    if stop is not None:
        conditions.append(Lead.created_at <= stop if isinstance(date_to, dt.datetime) else Lead.created_at < stop)
    if contacted is True:
        conditions.append(Lead.contacted_at.is_not(None))
    elif contacted is False:
        conditions.append(Lead.contacted_at.is_(None))
    return conditions


def query_leads(
    session: Session,
    province: Optional[str] = None,
    date_from: Union[dt.date, dt.datetime, None] = None,
    date_to: Union[dt.date, dt.datetime, None] = None,
    contacted: Optional[bool] = None,
) -> List[Lead]:
    """Leads ordered by creation, filtered on ``created_at``.

    ``date_from``/``date_to`` as :class:`datetime.date` are inclusive calendar days in Vietnam
    time; as :class:`datetime.datetime` they are instants (naive = UTC), both inclusive.
    ``contacted=True/False`` keeps only leads already / not yet contacted.
    """
    stmt = select(Lead).where(*lead_conditions(province, date_from, date_to, contacted))
    return list(session.execute(stmt.order_by(Lead.created_at, Lead.id)).scalars())


def _ids(ids: Iterable[int]) -> List[int]:
    out = []
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, int) or i <= 0:
            raise LeadValidationError("ids", "lead ids are positive integers")
        out.append(i)
    if not out:
        raise LeadValidationError("ids", "no lead id given")
    return sorted(set(out))


def _missing(session: Session, ids: List[int]) -> List[int]:
    found = set(session.execute(select(Lead.id).where(Lead.id.in_(ids))).scalars())
    return [i for i in ids if i not in found]


def mark_contacted(
    session_or_engine: Union[Session, Engine],
    ids: Iterable[int],
    by: str,
    note: Optional[str] = None,
    at: Optional[dt.datetime] = None,
) -> int:
    """Mark leads as contacted by officer ``by`` (now, or ``at``); returns how many.

    All or nothing: an unknown id raises :class:`LeadNotFoundError` and nothing changes. A lead
    marked again gets the newer time, officer (and note if given).
    """
    wanted = _ids(ids)
    if not isinstance(by, str) or not by.strip():
        raise LeadValidationError("by", "the officer's name is required")
    by = " ".join(by.split())
    if len(by) > NAME_MAX:
        raise LeadValidationError("by", f"longer than {NAME_MAX} characters")
    values: Dict[str, Any] = {
        "contacted_at": to_utc_naive(at) if at else _utcnow(),
        "contacted_by": by,
        "updated_at": _utcnow(),
    }
    if note is not None and note.strip():
        values["note"] = note.strip()
    try:
        with _transaction(session_or_engine) as session:
            missing = _missing(session, wanted)
            if missing:
                raise LeadNotFoundError(missing)
            session.execute(
                update(Lead).where(Lead.id.in_(wanted)).values(**values).execution_options(synchronize_session="fetch")
            )
    except SQLAlchemyError as exc:
        raise LeadStoreError(_describe(exc)) from None
    log.info("leads %s marked contacted", ", ".join(map(str, wanted)))
    return len(wanted)


def delete_leads(
    session_or_engine: Union[Session, Engine], ids: Iterable[int] = (), phone: Optional[str] = None
) -> int:
    """Erase leads (a deletion request): by id (all or nothing) and/or every lead with ``phone``.

    Returns how many rows were deleted.
    """
    wanted = _ids(ids) if ids else []
    e164 = None
    if phone is not None:
        e164 = normalize_phone(phone)
        if e164 is None:
            raise LeadValidationError("phone", "not a valid Vietnamese mobile or landline number")
    if not wanted and e164 is None:
        raise LeadValidationError("ids", "give lead ids or a phone number")
    try:
        with _transaction(session_or_engine) as session:
            if wanted:
                missing = _missing(session, wanted)
                if missing:
                    raise LeadNotFoundError(missing)
            condition = []
            if wanted:
                condition.append(Lead.id.in_(wanted))
            if e164 is not None:
                condition.append(Lead.phone_e164 == e164)
            result = session.execute(delete(Lead).where(or_(*condition)).execution_options(synchronize_session="fetch"))
            count = result.rowcount
    except SQLAlchemyError as exc:
        raise LeadStoreError(_describe(exc)) from None
    log.info("%d lead(s) deleted on request", count)
    return count


def _conversation_condition(conversation_id: str, channel: str) -> List[Any]:
    """WHERE: the leads one conversation left (its Rasa sender id on its channel)."""
    if not isinstance(conversation_id, str) or not conversation_id.strip():
        raise LeadValidationError("conversation_id", "missing or empty")
    if not isinstance(channel, str) or not channel.strip():
        raise LeadValidationError("channel", "missing or empty")
    return [Lead.conversation_id == conversation_id.strip(), Lead.channel == channel.strip().lower()]


def conversation_leads(session: Session, conversation_id: str, channel: str) -> List[Lead]:
    """The leads this conversation (sender id + channel) left, oldest first."""
    stmt = select(Lead).where(*_conversation_condition(conversation_id, channel))
    return list(session.execute(stmt.order_by(Lead.created_at, Lead.id)).scalars())


def delete_conversation_leads(
    session_or_engine: Union[Session, Engine], conversation_id: str, channel: str, ids: Optional[Iterable[int]] = None
) -> int:
    """Erase the leads one conversation left, at the person's request in that conversation.

    Only rows whose ``conversation_id`` *and* ``channel`` are the given ones are touched, so a
    conversation can never erase another sender's lead (nor the same id on another channel).
    ``ids`` narrows it further (ids of other conversations are silently ignored, never erased).
    Returns how many rows were deleted.
    """
    condition = _conversation_condition(conversation_id, channel)
    if ids is not None:
        wanted = sorted({i for i in ids if isinstance(i, int) and not isinstance(i, bool)})
        if not wanted:
            return 0
        condition.append(Lead.id.in_(wanted))
    try:
        with _transaction(session_or_engine) as session:
            result = session.execute(delete(Lead).where(*condition).execution_options(synchronize_session="fetch"))
            count = result.rowcount
    except SQLAlchemyError as exc:
        raise LeadStoreError(_describe(exc)) from None
    log.info("%d lead(s) erased at the request of their conversation", count)
    return count


def erase_handled_leads(
    session_or_engine: Union[Session, Engine], contacted_before: Union[dt.date, dt.datetime]
) -> int:
    """Erase the leads the centre has handled: marked contacted before ``contacted_before``
    (a Vietnam calendar day, exclusive, or an instant). This is the retention the assistant
    states (:data:`lead_store.consent.RETENTION`): a lead is kept until the centre has handled it
    or the person asks to erase it. Returns how many rows were deleted."""
    if isinstance(contacted_before, dt.datetime):
        bound = to_utc_naive(contacted_before)
    elif isinstance(contacted_before, dt.date):
        bound = _day_start_utc(contacted_before)
    else:
        raise LeadValidationError("contacted_before", "must be a date or a date-time")
    try:
        with _transaction(session_or_engine) as session:
            result = session.execute(
                delete(Lead)
                .where(Lead.contacted_at.is_not(None), Lead.contacted_at < bound)
                .execution_options(synchronize_session="fetch")
            )
            count = result.rowcount
    except SQLAlchemyError as exc:
        raise LeadStoreError(_describe(exc)) from None
    log.info("%d handled lead(s) erased (contacted before %s)", count, bound.isoformat())
    return count


def lead_as_dict(lead: Lead) -> Dict[str, Any]:
    """All columns of a lead (for exports; contains personal data: never log it)."""
    return {c.name: getattr(lead, c.name) for c in Lead.__table__.columns}


__all__ = [
    "CHANNELS",
    "Lead",
    "LeadBase",
    "LeadError",
    "LeadInput",
    "LeadNotFoundError",
    "LeadStoreError",
    "LeadValidationError",
    "VN_TZ",
    "conversation_leads",
    "delete_conversation_leads",
    "delete_leads",
    "ensure_schema",
    "erase_handled_leads",
    "lead_as_dict",
    "lead_conditions",
    "mark_contacted",
    "query_leads",
    "save_lead",
    "to_vietnam_time",
    "validate_lead",
]

"""Erasure requests the assistant cannot carry out itself, kept for the centre's officers.

In a conversation the person can erase the leads *that conversation* left
(:func:`lead_store.leads.delete_conversation_leads`). A request about another phone number ("xóa
số 0912 345 678", typed in a conversation that left no lead with that number) may concern
someone else's data, so the assistant never erases anything for it and never says whether such
a lead exists; it records the request here and an officer checks it (Nghị định 13/2023/NĐ-CP:
the controller answers data-subject requests, after verifying who asks).

The phone number is never stored in clear, nor masked to a few hidden digits (a mask plus any
hash can be brute-forced over the ~10^4 numbers the mask leaves open). It is stored only as a
salted scrypt hash: a random salt per row, and, when ``LEAD_PHONE_HASH_KEY`` is set (production:
a secret of the deployment, not in the database), that key as a pepper. :func:`matching_leads`
lets an officer find the leads a request is about by hashing each lead's phone with the row's
salt; nobody can read the number back from the table.

Same database and style as the leads (:mod:`lead_store.leads`): table ``lead_erasure_requests``
on the leads' declarative base, times naive UTC, nothing personal logged (at most the row id).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
from typing import Any, List, Optional, Union

from sqlalchemy import Column, DateTime, Integer, String, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lead_store.leads import (
    CHANNELS,
    CONVERSATION_MAX,
    NAME_MAX,
    Lead,
    LeadBase,
    LeadNotFoundError,
    LeadStoreError,
    LeadValidationError,
    _describe,
    _transaction,
    _utcnow,
    to_utc_naive,
)
from vntext.phone import normalize_phone

log = logging.getLogger(__name__)

KEY_ENV = "LEAD_PHONE_HASH_KEY"
#: scrypt cost: ~20 ms and 8 MiB per hash; an officer's match over 1,000 leads takes ~20 s
SCRYPT_N, SCRYPT_R, SCRYPT_P, HASH_BYTES, SALT_BYTES = 2**13, 8, 1, 32, 16
HASH_MAX = 160


class ErasureRequest(LeadBase):
    __tablename__ = "lead_erasure_requests"

    id = Column(Integer, primary_key=True, autoincrement=True)
    requested_at = Column(DateTime, nullable=False, index=True)  # naive UTC
    channel = Column(String(16), nullable=False)
    conversation_id = Column(String(CONVERSATION_MAX), nullable=False)
    phone_hash = Column(String(HASH_MAX), nullable=False)  # "scrypt$n$r$p$salt$hash": never the number
    processed_at = Column(DateTime)  # naive UTC
    processed_by = Column(String(NAME_MAX))
    erased = Column(Integer)  # leads the officer erased for it

    def __repr__(self) -> str:  # neither the hash nor the conversation id
        return f"<ErasureRequest id={self.id} channel={self.channel!r} processed={self.processed_at is not None}>"


def ensure_erasure_schema(engine: Engine) -> None:
    """Create the ``lead_erasure_requests`` table if missing (never drops anything)."""
    LeadBase.metadata.create_all(engine, tables=[ErasureRequest.__table__])


# ----------------------------------------------------------------------------- phone hash


def _pepper() -> bytes:
    return os.environ.get(KEY_ENV, "").encode("utf-8")


def _scrypt(e164: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        _pepper() + b"\x00" + e164.encode("ascii"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=128 * r * (n + p + 2) + 1024 * 1024,
        dklen=HASH_BYTES,
    )


def phone_hash(phone: str, salt: Optional[bytes] = None) -> str:
    """The salted hash of a Vietnamese phone number (any accepted form; normalised first).

    Raises :class:`LeadValidationError` for something that is not a Vietnamese number."""
    e164 = normalize_phone(phone)
    if e164 is None:
        raise LeadValidationError("phone", "not a valid Vietnamese mobile or landline number")
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(e164, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def phone_matches(stored: str, phone: str) -> bool:
    """Does ``phone`` (any accepted form) hash to ``stored`` (a :func:`phone_hash` value)?"""
    e164 = normalize_phone(phone)
    try:
        scheme, n, r, p, salt, digest = (stored or "").split("$")
        if scheme != "scrypt":
            return False
        n, r, p, salt_b, want = int(n), int(r), int(p), bytes.fromhex(salt), bytes.fromhex(digest)
    except ValueError:
        return False
    if e164 is None or n > 2**16 or r > 16 or p > 4:  # a row cannot make us burn memory
        return False
    return hmac.compare_digest(_scrypt(e164, salt_b, n, r, p), want)


# ------------------------------------------------------------------------------- requests


def record_erasure_request(
    session_or_engine: Union[Session, Engine],
    channel: str,
    conversation_id: str,
    phone: Optional[str] = None,
    hashed: Optional[str] = None,
) -> int:
    """Store one request (``phone`` in any accepted form, or its :func:`phone_hash` already
    computed as ``hashed``); returns the row id. Nothing is erased here."""
    channel = channel.strip().lower() if isinstance(channel, str) else None
    if channel not in CHANNELS:
        raise LeadValidationError("channel", f"must be one of {', '.join(sorted(CHANNELS))}")
    if not isinstance(conversation_id, str) or not conversation_id.strip():
        raise LeadValidationError("conversation_id", "missing or empty")
    if len(conversation_id.strip()) > CONVERSATION_MAX:
        raise LeadValidationError("conversation_id", f"longer than {CONVERSATION_MAX} characters")
    if hashed is None:
        if phone is None:
            raise LeadValidationError("phone", "give the phone number or its hash")
        hashed = phone_hash(phone)
    elif not (isinstance(hashed, str) and hashed.startswith("scrypt$") and len(hashed) <= HASH_MAX):
        raise LeadValidationError("phone_hash", "not a phone_hash() value")
    try:
        with _transaction(session_or_engine) as session:
            row = ErasureRequest(
                requested_at=_utcnow(), channel=channel, conversation_id=conversation_id.strip(), phone_hash=hashed
            )
            session.add(row)
            session.flush()
            request_id = row.id
    except SQLAlchemyError as exc:
        raise LeadStoreError(_describe(exc)) from None
    log.info("erasure request %s recorded for the officers (channel %s)", request_id, channel)
    return request_id


def erasure_requests(session: Session, pending_only: bool = True) -> List[ErasureRequest]:
    """Requests oldest first (only those not processed yet, by default)."""
    stmt = select(ErasureRequest)
    if pending_only:
        stmt = stmt.where(ErasureRequest.processed_at.is_(None))
    return list(session.execute(stmt.order_by(ErasureRequest.requested_at, ErasureRequest.id)).scalars())


def matching_leads(session: Session, request: ErasureRequest) -> List[Lead]:
    """The leads whose phone is the one the request names (checked with the row's salt)."""
    leads = session.execute(select(Lead).order_by(Lead.id)).scalars()
    return [lead for lead in leads if phone_matches(request.phone_hash, lead.phone_e164)]


def mark_erasure_processed(
    session_or_engine: Union[Session, Engine],
    request_id: int,
    by: str,
    erased: int = 0,
    at: Optional[dt.datetime] = None,
) -> None:
    """Record that officer ``by`` handled request ``request_id`` (and erased ``erased`` leads)."""
    if not isinstance(by, str) or not by.strip():
        raise LeadValidationError("by", "the officer's name is required")
    values: dict[str, Any] = {
        "processed_at": to_utc_naive(at) if at else _utcnow(),
        "processed_by": " ".join(by.split())[:NAME_MAX],
        "erased": int(erased),
    }
    try:
        with _transaction(session_or_engine) as session:
            result = session.execute(
                update(ErasureRequest)
                .where(ErasureRequest.id == request_id)
                .values(**values)
                .execution_options(synchronize_session="fetch")
            )
            if result.rowcount == 0:
                raise LeadNotFoundError([request_id])
    except SQLAlchemyError as exc:
        raise LeadStoreError(_describe(exc)) from None
    log.info("erasure request %s processed", request_id)


__all__ = [
    "ErasureRequest",
    "KEY_ENV",
    "ensure_erasure_schema",
    "erasure_requests",
    "mark_erasure_processed",
    "matching_leads",
    "phone_hash",
    "phone_matches",
    "record_erasure_request",
]

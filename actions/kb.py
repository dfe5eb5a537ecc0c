"""Knowledge-base access for actions.

Queries are short indexed reads (about a millisecond on SQLite), so they run inline; a failure
is turned into a polite reply by the caller instead of an exception in the action server.

Database outage: the knowledge base is small, read-only and built from the data files shipped
with this code (``policy_kb/data``). When the configured database cannot be reached, answers
come from an in-memory SQLite copy built from those same files by the same loader (built on the
first outage, ~0.3 s), and the database is tried again every ``KB_RETRY_SECONDS`` (default 10),
so a dead database costs one failed connection per period, not one per question. Leads are not
affected by this copy (they go to the outbox, see actions/leads.py).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator, Optional

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from policy_kb.db import session_factory

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_fallback: Optional[Engine] = None
_primary_down_until = 0.0


class KnowledgeUnavailable(RuntimeError):
    pass


def _retry_seconds() -> float:
    try:
        return max(0.5, float(os.environ.get("KB_RETRY_SECONDS", "10")))
    except ValueError:
        return 10.0


def fallback_engine() -> Engine:
    """The in-memory copy of the knowledge base (built once per process)."""
    global _fallback
    with _lock:
        if _fallback is None:
            from policy_kb.loader import build

            engine = create_engine(
                "sqlite://", future=True, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
            build(engine)
            _fallback = engine
        return _fallback


def _primary_session() -> Optional[Session]:
    """A session on the configured database with a live connection, or None if it is down."""
    global _primary_down_until
    if time.monotonic() < _primary_down_until:
        return None
    session = None
    try:
        session = session_factory()()
        session.connection()  # check out (and pre-ping) now: an outage shows here, not mid-query
        return session
    except Exception as exc:  # noqa: BLE001 - any connection problem means "use the copy"
        if session is not None:
            session.close()
        _primary_down_until = time.monotonic() + _retry_seconds()
        logger.warning(
            "knowledge base database unreachable (%s); answering from the built-in copy, retrying in %.0f s",
            type(exc).__name__,
            _retry_seconds(),
        )
        return None


@contextmanager
def kb_session() -> Iterator[Session]:
    try:
        session = _primary_session() or Session(fallback_engine(), future=True)
    except Exception as exc:  # the shipped data does not load either
        logger.exception("knowledge base unavailable")
        raise KnowledgeUnavailable(str(exc)) from exc
    try:
        yield session
    except KnowledgeUnavailable:
        raise
    except Exception as exc:
        logger.exception("knowledge base query failed")
        raise KnowledgeUnavailable(str(exc)) from exc
    finally:
        session.close()

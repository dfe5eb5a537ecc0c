"""Knowledge-base access for actions.

Queries are short indexed reads (about a millisecond on SQLite), so they run inline; a failure
is turned into a polite reply by the caller instead of an exception in the action server.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.orm import Session

from policy_kb.db import session_factory

logger = logging.getLogger(__name__)


class KnowledgeUnavailable(RuntimeError):
    pass


@contextmanager
def kb_session() -> Iterator[Session]:
    try:
        session = session_factory()()
    except Exception as exc:  # pragma: no cover - configuration error
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

"""The answer index of the running action server, rebuilt when the knowledge data changes.

An officer who adds an example question runs ``make kb``; the data digest in ``kb_meta``
changes and the next answer uses the new index, without a restart or NLU retraining. The
digest is read at most every ``KB_INDEX_CHECK_SECONDS`` (default 5), so a turn costs no query.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from policy_kb.models import KBMeta
from policy_kb.retrieval import AnswerIndex, load_records

_lock = threading.Lock()
_state = {"digest": None, "index": None, "checked": 0.0}


def _check_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("KB_INDEX_CHECK_SECONDS", "5")))
    except ValueError:
        return 5.0


def answer_index(session: Session) -> AnswerIndex:
    """The index for the knowledge base behind ``session`` (built on first use, ~0.1 s)."""
    now = time.monotonic()
    index: Optional[AnswerIndex] = _state["index"]
    if index is not None and now - _state["checked"] < _check_seconds():
        return index
    digest = session.execute(select(KBMeta.value).where(KBMeta.key == "data_digest")).scalar()
    with _lock:
        if _state["index"] is None or digest != _state["digest"]:
            _state["index"] = AnswerIndex(load_records(session))
            _state["digest"] = digest
        _state["checked"] = now
        return _state["index"]

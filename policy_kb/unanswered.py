"""Questions the knowledge base could not answer, kept for the officers who maintain it.

One row per question the answer engine scored below its threshold: when, which channel, the
text with personal data removed, the best score and record, the intent. Officers read it (the
console issue adds a page) and fix the data: one ``questions:`` line in ``policy_kb/data``.

Personal data never reaches this table: phone numbers (found by libphonenumber's matcher, and
any long digit run), e-mail addresses and names introduced as names ("tên tôi là …", "em là …",
"anh Nguyễn Văn A") are replaced by placeholders before the row is written.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Optional

import phonenumbers
from sqlalchemy import Boolean, Column, DateTime, Float, Integer, String, Text, select
from sqlalchemy.orm import Session

from policy_kb.db import get_engine
from policy_kb.models import Base

logger = logging.getLogger(__name__)

MAX_TEXT = 500


class UnansweredQuestion(Base):
    __tablename__ = "unanswered_questions"
    id = Column(Integer, primary_key=True, autoincrement=True)
    asked_at = Column(DateTime, nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    text = Column(Text, nullable=False)  # redacted
    best_score = Column(Float, nullable=False)
    best_record = Column(String(160))
    intent = Column(String(64))
    handled = Column(Boolean, nullable=False, default=False)
    note = Column(Text)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGITS = re.compile(r"(?<!\d)(?:\+?\d[\d .\-()]{7,}\d)(?!\d)")
_NAME_WORD = r"[A-ZÀ-Ỹ][\wÀ-ỹ]*"
# "tên tôi là Nguyễn Văn A", "tôi tên Lan", "em là Hùng", "mình là chị Mai"
_NAMED = re.compile(
    r"(?i:\b(?:t[eê]n\s+(?:t[oô]i|em|m[iì]nh|anh|ch[iị])\s+l[aà]|(?:t[oô]i|em|m[iì]nh)\s+t[eê]n(?:\s+l[aà])?|"
    r"(?:t[oô]i|em|m[iì]nh)\s+l[aà](?:\s+(?:anh|ch[iị]|c[oô]|ch[uú]|b[aà]|[oô]ng))?)\s+)"
    rf"((?:{_NAME_WORD}|[a-zà-ỹ]+)(?:\s+{_NAME_WORD}){{0,4}})"
)
# a title followed by a capitalised name: "anh Nguyễn Văn Hùng", "chị Lan"
_TITLED = re.compile(rf"(?<![\w])(?i:anh|ch[iị]|c[oô]|ch[uú]|b[aà]|[oô]ng)\s+({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,4}})")


def redact(text: str) -> str:
    """``text`` without phone numbers, e-mail addresses or names."""
    out = text or ""
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(out, "VN"))):
        out = out[: match.start] + "[số điện thoại]" + out[match.end :]
    out = _DIGITS.sub("[số điện thoại]", out)
    out = _EMAIL.sub("[email]", out)
    out = _NAMED.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + "[tên]", out)
    out = _TITLED.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + "[tên]", out)
    return out[:MAX_TEXT]


_created: set = set()


def ensure_table(engine) -> None:
    """Create the table once per engine (not a catalogue query on every write)."""
    if str(engine.url) not in _created:
        Base.metadata.create_all(engine, tables=[UnansweredQuestion.__table__])
        _created.add(str(engine.url))


def record(
    text: str,
    channel: str,
    best_score: float,
    best_record: Optional[str],
    intent: Optional[str],
    url: Optional[str] = None,
) -> bool:
    """Store one unanswered question; False (and a warning without the text) if the database
    cannot be written — an answer is never held up by this table."""
    try:
        engine = get_engine(url)
        ensure_table(engine)
        with Session(engine, future=True) as session, session.begin():
            session.add(
                UnansweredQuestion(
                    asked_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                    channel=channel[:32],
                    text=redact(text),
                    best_score=round(float(best_score), 4),
                    best_record=best_record,
                    intent=(intent or None) and intent[:64],
                )
            )
        return True
    except Exception as exc:  # noqa: BLE001 - the reply matters more than the log row
        logger.warning("unanswered question not recorded (%s)", type(exc).__name__)
        return False


def recent(limit: int = 100, url: Optional[str] = None):
    engine = get_engine(url)
    ensure_table(engine)
    with Session(engine, future=True) as session:
        return (
            session.execute(select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc()).limit(limit))
            .scalars()
            .all()
        )

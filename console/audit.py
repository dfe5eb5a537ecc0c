"""The console's audit log: who did what, when, to which rows.

Why so little: the log must let the centre answer "who exported or erased these leads?" without
becoming a second copy of the personal data. So a row holds the officer's username, an action
name, a target type, target ids (integers only) and a count; ``detail`` is a short technical
note (a filter summary, a role name). Never a name, phone number or message text: callers pass
ids, and :func:`audit` refuses free text that looks like a phone number.
"""

from __future__ import annotations

import logging
import re
from typing import Iterable, List, Optional

from sqlalchemy import Column, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Session

from console.accounts import ConsoleBase, utcnow

log = logging.getLogger(__name__)
DETAIL_MAX = 255
_DIGIT_RUN = re.compile(r"\d[\d .\-]{6,}\d")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # a filter's date is not a phone number


class AuditEntry(ConsoleBase):
    __tablename__ = "console_audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, index=True)  # naive UTC
    officer = Column(String(64))  # username; None for a failed login with an unknown name
    action = Column(String(48), nullable=False)
    target_type = Column(String(32), nullable=False)
    target_ids = Column(Text)  # "1,2,3": ids only
    count = Column(Integer)
    detail = Column(String(DETAIL_MAX))
    ip = Column(String(64))


def _clean_detail(detail: Optional[str]) -> Optional[str]:
    if detail is None:
        return None
    text = " ".join(str(detail).split())

    def hide(match: re.Match) -> str:
        # Keep ISO dates (possibly several, e.g. "from=2026-11-01 to=2026-11-30"), hide the rest.
        parts = match.group(0).split(" ")
        if all(_ISO_DATE.fullmatch(part) or not part.strip() for part in parts):
            return match.group(0)
        return "[số]"

    return _DIGIT_RUN.sub(hide, text)[:DETAIL_MAX] or None


def write_audit(
    engine,
    officer: Optional[str],
    action: str,
    target_type: str,
    target_ids: Iterable[int] = (),
    count: Optional[int] = None,
    detail: Optional[str] = None,
    ip: Optional[str] = None,
) -> None:
    ids = ",".join(str(int(i)) for i in target_ids)
    with Session(engine, future=True) as session, session.begin():
        session.add(
            AuditEntry(
                at=utcnow(),
                officer=officer,
                action=action[:48],
                target_type=target_type[:32],
                target_ids=ids or None,
                count=count,
                detail=_clean_detail(detail),
                ip=(ip or None) and ip[:64],
            )
        )
    log.info("audit: %s %s %s count=%s by %s", action, target_type, ids or "-", count, officer or "-")


def audit(
    request, action: str, target_type: str, target_ids=(), count: Optional[int] = None, detail: Optional[str] = None
) -> None:
    """Record an action of the officer logged in on ``request`` (see :func:`write_audit`)."""
    from console.security import client_ip, current_officer

    officer = current_officer(request)
    write_audit(
        request.app["engine"],
        officer.username if officer else None,
        action,
        target_type,
        target_ids,
        count,
        detail,
        client_ip(request),
    )


def recent_entries(session: Session, limit: int = 200, offset: int = 0) -> List[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    return list(session.execute(stmt).scalars())

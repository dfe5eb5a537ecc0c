"""Officer accounts, console sessions and login attempts (tables created by migration 0002).

Why these choices:
- Passwords are hashed with argon2id (argon2-cffi's defaults); a hash made with older parameters
  is replaced at the next successful login (:func:`verify_password` says so).
- A session token is shown to the browser only; the table keeps its SHA-256, so a copy of the
  database does not let anyone log in.
- Login attempts are keyed by a SHA-256 of the lower-cased typed username, so throttling works
  the same for accounts that exist and for names that do not (nothing to learn from it).
- No default account or password exists: the first admin is created with
  ``python -m console create-user NAME --admin``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import List, Optional, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base

ConsoleBase = declarative_base()

ROLES = ("officer", "admin")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
PASSWORD_MIN = 10
PASSWORD_MAX = 256
_hasher = PasswordHasher()
# Verified when the typed username does not exist, so the answer takes as long as for a real one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Officer(ConsoleBase):
    __tablename__ = "officers"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(120))
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False, default="officer")
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False)
    last_login_at = Column(DateTime)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<Officer id={self.id} username={self.username!r} role={self.role!r} active={self.active}>"


class ConsoleSession(ConsoleBase):
    __tablename__ = "console_sessions"

    id = Column(Integer, primary_key=True, autoincrement=True)
    token_hash = Column(String(64), nullable=False, unique=True)  # sha256 hex of the cookie value
    officer_id = Column(Integer, ForeignKey("officers.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)  # absolute end of the session
    last_seen_at = Column(DateTime, nullable=False)


class LoginAttempt(ConsoleBase):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_account_at", "account_key", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False)
    account_key = Column(String(64), nullable=False)  # sha256 of the typed username, lower-cased
    ip = Column(String(64), nullable=False)
    success = Column(Boolean, nullable=False)


class AccountError(ValueError):
    """A refused account operation; the message is Vietnamese, shown to the officer."""


def _session(engine: Engine) -> Session:
    """Objects stay readable after the commit (they are handed back to callers)."""
    return Session(engine, future=True, expire_on_commit=False)


# ------------------------------------------------------------------------------- passwords


def check_password_rules(username: str, password: str) -> None:
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise AccountError(f"Mật khẩu phải có ít nhất {PASSWORD_MIN} ký tự.")
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"Mật khẩu dài quá {PASSWORD_MAX} ký tự.")
    if username and username.lower() in password.lower():
        raise AccountError("Mật khẩu không được chứa tên đăng nhập.")
    if len(set(password)) < 4:
        raise AccountError("Mật khẩu quá đơn giản.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: Optional[str], password: str) -> Tuple[bool, bool]:
    """(matches, needs_rehash). ``stored=None`` still spends the time of one verification."""
    try:
        ok = _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    if stored is None:
        return False, False
    return ok, _hasher.check_needs_rehash(stored)


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def account_key(username: str) -> str:
    return hashlib.sha256(normalize_username(username).encode("utf-8")).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


# -------------------------------------------------------------------------------- officers


def get_officer(session: Session, officer_id: int) -> Optional[Officer]:
    return session.get(Officer, officer_id)


def find_officer(session: Session, username: str) -> Optional[Officer]:
    return session.execute(select(Officer).where(Officer.username == normalize_username(username))).scalar_one_or_none()


def list_officers(session: Session) -> List[Officer]:
    return list(session.execute(select(Officer).order_by(Officer.username)).scalars())


def count_officers(engine: Engine) -> int:
    with _session(engine) as session:
        return session.execute(select(func.count()).select_from(Officer)).scalar_one()


def _active_admins(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(Officer).where(Officer.role == "admin", Officer.active.is_(True))
    ).scalar_one()


def create_officer(
    engine: Engine, username: str, password: str, role: str = "officer", display_name: Optional[str] = None
) -> int:
    username = normalize_username(username)
    if not USERNAME_RE.match(username):
        raise AccountError("Tên đăng nhập gồm 2–64 ký tự: chữ thường không dấu, số, dấu . _ -")
    if role not in ROLES:
        raise AccountError("Vai trò không hợp lệ.")
    check_password_rules(username, password)
    display = " ".join((display_name or "").split())[:120] or None
    with _session(engine) as session, session.begin():
        if find_officer(session, username) is not None:
            raise AccountError("Tên đăng nhập này đã có.")
        officer = Officer(
            username=username,
            display_name=display,
            password_hash=hash_password(password),
            role=role,
            active=True,
            created_at=utcnow(),
        )
        session.add(officer)
        session.flush()
        return officer.id


def _load(session: Session, username_or_id) -> Officer:
    officer = (
        session.get(Officer, username_or_id)
        if isinstance(username_or_id, int)
        else find_officer(session, username_or_id)
    )
    if officer is None:
        raise AccountError("Không có tài khoản này.")
    return officer


def set_password(engine: Engine, username_or_id, password: str) -> Officer:
    """New password; every open session of the account ends (a reset must lock out a thief)."""
    with _session(engine) as session, session.begin():
        officer = _load(session, username_or_id)
        check_password_rules(officer.username, password)
        officer.password_hash = hash_password(password)
        session.execute(delete(ConsoleSession).where(ConsoleSession.officer_id == officer.id))
        return officer


def set_active(engine: Engine, username_or_id, active: bool) -> Officer:
    with _session(engine) as session, session.begin():
        officer = _load(session, username_or_id)
        if not active and officer.role == "admin" and officer.active and _active_admins(session) <= 1:
            raise AccountError("Không thể khóa quản trị viên cuối cùng.")
        officer.active = active
        if not active:
            session.execute(delete(ConsoleSession).where(ConsoleSession.officer_id == officer.id))
        return officer


def set_role(engine: Engine, username_or_id, role: str) -> Officer:
    if role not in ROLES:
        raise AccountError("Vai trò không hợp lệ.")
    with _session(engine) as session, session.begin():
        officer = _load(session, username_or_id)
        if officer.role == "admin" and role != "admin" and officer.active and _active_admins(session) <= 1:
            raise AccountError("Không thể hạ quyền quản trị viên cuối cùng.")
        officer.role = role
        return officer


# -------------------------------------------------------------------------------- sessions


def new_session(engine: Engine, officer_id: int, absolute_hours: float) -> Tuple[str, ConsoleSession]:
    """(cookie token, row). The token itself is never stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = ConsoleSession(
        token_hash=token_hash(token),
        officer_id=officer_id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + dt.timedelta(hours=absolute_hours),
        last_seen_at=now,
    )
    with _session(engine) as session, session.begin():
        session.add(row)
        session.execute(update(Officer).where(Officer.id == officer_id).values(last_login_at=now))
        # housekeeping: sessions past their absolute end are useless
        session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    return token, row


def load_session(
    engine: Engine, token: str, idle_hours: float, touch: bool = True
) -> Optional[Tuple[ConsoleSession, Officer]]:
    """The live session of this cookie and its (active) officer, or None; refreshes last_seen
    unless ``touch`` is False (a page's own automatic refresh is not the officer being there)."""
    if not token or len(token) > 128:
        return None
    now = utcnow()
    with _session(engine) as session, session.begin():
        row = session.execute(
            select(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token))
        ).scalar_one_or_none()
        if row is None:
            return None
        officer = session.get(Officer, row.officer_id)
        if (
            officer is None
            or not officer.active
            or row.expires_at <= now
            or row.last_seen_at + dt.timedelta(hours=idle_hours) <= now
        ):
            session.delete(row)
            return None
        if touch and now - row.last_seen_at > dt.timedelta(seconds=30):  # not a write on every request
            row.last_seen_at = now
            session.flush()  # before expunge: an expunged object's change is never written
        session.expunge(row)
        session.expunge(officer)
        return row, officer


def end_session(engine: Engine, token: str) -> None:
    with _session(engine) as session, session.begin():
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token)))


# ------------------------------------------------------------------------------ throttling


def record_attempt(engine: Engine, username: str, ip: str, success: bool) -> None:
    with _session(engine) as session, session.begin():
        session.add(LoginAttempt(at=utcnow(), account_key=account_key(username), ip=(ip or "?")[:64], success=success))
        # keep the table small: attempts older than a day no longer matter
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - dt.timedelta(days=1)))


def recent_failures(engine: Engine, username: str, ip: str, window: dt.timedelta) -> Tuple[int, int]:
    """(failures for this typed username, failures from this address) within ``window``."""
    since = utcnow() - window
    with _session(engine) as session:
        per_account = session.execute(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                LoginAttempt.account_key == account_key(username),
                LoginAttempt.success.is_(False),
                LoginAttempt.at >= since,
            )
        ).scalar_one()
        per_ip = session.execute(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.ip == (ip or "?")[:64], LoginAttempt.success.is_(False), LoginAttempt.at >= since)
        ).scalar_one()
    return per_account, per_ip


def authenticate(engine: Engine, username: str, password: str) -> Tuple[Optional[Officer], bool]:
    """(officer if the password is right and the account active, whether the typed name exists).

    Always one argon2 verification, whether the account exists or not."""
    with _session(engine) as session, session.begin():
        officer = find_officer(session, username) if username else None
        ok, rehash = verify_password(officer.password_hash if officer else None, password or "")
        if officer is None:
            return None, False
        if not ok or not officer.active:
            return None, True
        if rehash:
            officer.password_hash = hash_password(password)
        session.flush()
        session.expunge(officer)
        return officer, True

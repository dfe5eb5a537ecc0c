"""Zalo OA state kept in the project database (``policy_kb.db``): OA tokens and seen webhook events.

Tokens: an access token lives ~25 h; it is refreshed ``refresh_margin`` before it expires with
``POST {oauth_base}/v4/oa/access_token``. Every refresh *rotates* the refresh token (the old one
stops working), so the new pair is written in one transaction with a compare-and-swap on the
old refresh token: when two replicas refresh at once, the loser sees 0 rows updated (or an
error from Zalo for the spent token) and simply reloads the pair the winner stored.

Tokens from the environment (``ZALO_ACCESS_TOKEN`` / ``ZALO_REFRESH_TOKEN``) only *seed* the
table: once rotated, the database is the truth. New tokens in the environment (a different
refresh token than the one that seeded the row) replace the stored pair. A seeded access
token's expiry is unknown, so it is refreshed on first use (and used as is if that fails).

Database outage: the last pair read is kept in memory and used while the database cannot be
reached (replies keep going out); no refresh is attempted then, because a rotated refresh token
that cannot be stored would be lost.

Seen events: one row per webhook event key (``msg_id``). The primary key makes a redelivered
message a no-op across restarts and replicas, which an in-memory set cannot do.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Optional

import aiohttp
from sqlalchemy import Column, DateTime, String, Text, delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import declarative_base

from policy_kb.db import get_engine, session_factory

logger = logging.getLogger(__name__)

ZaloBase = declarative_base()
UTC = dt.timezone.utc


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC).replace(tzinfo=None)  # stored naive UTC (SQLite has no tz)


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ZaloToken(ZaloBase):
    __tablename__ = "zalo_oa_tokens"
    app_id = Column(String(64), primary_key=True)
    access_token = Column(Text, nullable=False)
    refresh_token = Column(Text, nullable=False)
    expires_at = Column(DateTime, nullable=False)
    seed_fingerprint = Column(String(64))  # sha256 of the env refresh token that seeded the row
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class ZaloSeenEvent(ZaloBase):
    __tablename__ = "zalo_seen_events"
    event_key = Column(String(160), primary_key=True)
    received_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class ZaloUnfollowed(ZaloBase):
    __tablename__ = "zalo_unfollowed_users"
    user_id = Column(String(128), primary_key=True)
    unfollowed_at = Column(DateTime, nullable=False, default=utcnow)


class TokenRefreshError(RuntimeError):
    pass


class _Db:
    """Lazy engine + tables (created on first use, so importing never touches the database)."""

    _create_lock = threading.Lock()

    def __init__(self, database_url: Optional[str]) -> None:
        self.url = database_url
        self._ready = False

    def session(self):
        if not self._ready:
            with self._create_lock:
                ZaloBase.metadata.create_all(get_engine(self.url), checkfirst=True)
            self._ready = True
        return session_factory(self.url)()


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: dt.datetime


class TokenStore:
    def __init__(
        self,
        app_id: str,
        app_secret: str,
        oauth_base: str,
        seed_access: str = "",
        seed_refresh: str = "",
        database_url: Optional[str] = None,
        refresh_margin: float = 1800,
        timeout: float = 10,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.url = oauth_base.rstrip("/") + "/v4/oa/access_token"
        self.seed_access, self.seed_refresh = seed_access, seed_refresh
        self.db = _Db(database_url)
        self.margin = dt.timedelta(seconds=refresh_margin)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.clock = clock
        self._lock = asyncio.Lock()
        self._seeded = False
        self._retry_after = 0.0  # monotonic time before which a failed refresh is not retried
        self._last: Optional[TokenPair] = None  # last pair read or stored (database outage)

    # --- database (sync; called through asyncio.to_thread) ---------------------------------
    def _seed(self) -> None:
        if not self.seed_access and not self.seed_refresh:
            return
        fp = fingerprint(self.seed_refresh) if self.seed_refresh else None
        with self.db.session() as s, s.begin():
            row = s.get(ZaloToken, self.app_id)
            if row is not None and (fp is None or row.seed_fingerprint == fp):
                return  # already seeded from these env tokens (maybe rotated since): keep the DB
            values = dict(
                access_token=self.seed_access,
                refresh_token=self.seed_refresh,
                # unknown expiry: refresh on first use when we can, else trust ~1 day
                expires_at=self.clock() if self.seed_refresh else self.clock() + dt.timedelta(days=1),
                seed_fingerprint=fp,
                updated_at=self.clock(),
            )
            if row is None:
                s.add(ZaloToken(app_id=self.app_id, **values))
            else:
                logger.info("zalo: new tokens in the environment replace the stored pair")
                for k, v in values.items():
                    setattr(row, k, v)

    def _load(self) -> Optional[TokenPair]:
        pair = self._read()
        if pair is not None:
            self._last = pair
        return pair

    async def _load_or_last(self) -> tuple[Optional[TokenPair], bool]:
        """(pair, from_memory): the stored pair, or the last one known when the database fails."""
        try:
            return await asyncio.to_thread(self._load), False
        except SQLAlchemyError:
            if self._last is None and self.seed_access:  # down since start-up: the env token
                self._last = TokenPair(self.seed_access, self.seed_refresh, self.clock() + self.margin)
            if self._last is None:
                raise TokenRefreshError("token store unreachable and no token known yet") from None
            logger.warning("zalo: token store unreachable; using the last known access token")
            return self._last, True

    def _read(self) -> Optional[TokenPair]:
        if not self._seeded:
            try:
                self._seed()
            except IntegrityError:
                pass  # another replica seeded the same row at the same moment
            self._seeded = True
        with self.db.session() as s:
            row = s.get(ZaloToken, self.app_id)
            return TokenPair(row.access_token, row.refresh_token, row.expires_at) if row else None

    def _swap(self, old_refresh: str, new: TokenPair) -> bool:
        """Store the new pair only if nobody rotated the old refresh token meanwhile."""
        with self.db.session() as s, s.begin():
            res = s.execute(
                update(ZaloToken)
                .where(ZaloToken.app_id == self.app_id, ZaloToken.refresh_token == old_refresh)
                .values(
                    access_token=new.access_token,
                    refresh_token=new.refresh_token,
                    expires_at=new.expires_at,
                    updated_at=self.clock(),
                )
            )
            return res.rowcount == 1

    # --- public ---------------------------------------------------------------------------
    def _due(self, pair: TokenPair) -> bool:
        return bool(pair.refresh_token) and pair.expires_at - self.margin <= self.clock()

    async def access_token(self, http: aiohttp.ClientSession) -> str:
        pair, from_memory = await self._load_or_last()
        if pair is None:
            raise TokenRefreshError("no Zalo OA token: set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN")
        if from_memory:
            return pair.access_token
        if self._due(pair):
            pair = await self.refresh(http)
        return pair.access_token

    async def refresh(self, http: aiohttp.ClientSession, force: bool = False) -> TokenPair:
        """Refresh (if still due, or ``force``) and persist; on failure keep the current token."""
        async with self._lock:
            pair, from_memory = await self._load_or_last()
            if pair is None:
                raise TokenRefreshError("no Zalo OA token to refresh")
            if from_memory:
                return pair  # cannot store a rotated pair now: keep the current token
            if not force and not self._due(pair):
                return pair  # another coroutine refreshed while we waited for the lock
            if time.monotonic() < self._retry_after or not pair.refresh_token:
                return pair
            try:
                new = await self._call_oauth(http, pair.refresh_token)
            except (TokenRefreshError, aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                self._retry_after = time.monotonic() + 60
                # A replica may have spent this refresh token already: its pair is (about to be)
                # in the database.
                for _ in range(5):
                    latest = await asyncio.to_thread(self._load)
                    if latest and latest.refresh_token != pair.refresh_token:
                        return latest
                    await asyncio.sleep(0.2)
                logger.error("zalo: access-token refresh failed (%s); using the current token", exc)
                return pair
            try:
                swapped = await asyncio.to_thread(self._swap, pair.refresh_token, new)
            except SQLAlchemyError:
                self._last = new  # keeps this process working; the database still has the spent pair
                logger.error(
                    "zalo: refreshed tokens could not be stored (database error); "
                    "re-seed ZALO_REFRESH_TOKEN if replies stop after a restart"
                )
                return new
            if not swapped:
                logger.warning("zalo: tokens were rotated concurrently; using the stored pair")
                return await asyncio.to_thread(self._load) or new
            logger.info("zalo: access token refreshed, valid until %s UTC", new.expires_at.isoformat())
            self._last = new
            return new

    async def _call_oauth(self, http: aiohttp.ClientSession, refresh_token: str) -> TokenPair:
        form = {"app_id": self.app_id, "grant_type": "refresh_token", "refresh_token": refresh_token}
        async with http.post(
            self.url, data=form, headers={"secret_key": self.app_secret}, timeout=self.timeout
        ) as resp:
            if resp.status >= 400:
                raise TokenRefreshError(f"HTTP {resp.status}")
            data = await resp.json(content_type=None)
        if not isinstance(data, dict) or not data.get("access_token") or not data.get("refresh_token"):
            code = data.get("error") if isinstance(data, dict) else None
            raise TokenRefreshError(f"OAuth error {code}")  # never log the response: it may hold tokens
        expires_in = int(data.get("expires_in") or 90000)
        return TokenPair(data["access_token"], data["refresh_token"], self.clock() + dt.timedelta(seconds=expires_in))


class SeenEvents:
    """At-most-once processing of webhook events: database primary key + a small memory cache.

    If the database is unreachable we fall back to memory only (one process, best effort)
    rather than dropping users' messages.
    """

    def __init__(
        self, database_url: Optional[str] = None, memory: int = 10_000, keep: dt.timedelta = dt.timedelta(days=3)
    ) -> None:
        self.db = _Db(database_url)
        self.memory: "OrderedDict[str, None]" = OrderedDict()
        self.size, self.keep = memory, keep

    def _remember(self, key: str) -> bool:
        if key in self.memory:
            return False
        self.memory[key] = None
        if len(self.memory) > self.size:
            self.memory.popitem(last=False)
        return True

    def _insert(self, key: str) -> bool:
        try:
            with self.db.session() as s, s.begin():
                s.add(ZaloSeenEvent(event_key=key, received_at=utcnow()))
            return True
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:  # e.g. the database is down: not a bug, no traceback
            logger.warning(
                "zalo: cannot record event in the database (%s); de-duplicating in memory only", type(exc).__name__
            )
            return True

    async def claim(self, key: str, timeout: float = 1.0) -> bool:
        """True the first time ``key`` is seen (by any process sharing the database).

        A database slower than ``timeout`` must not make us miss Zalo's 2 s deadline: the
        event then counts as new (the memory cache still catches redeliveries to this process).
        """
        key = key[:160]
        if not self._remember(key):
            return False
        try:
            return await asyncio.wait_for(asyncio.to_thread(self._insert, key), timeout)
        except asyncio.TimeoutError:
            logger.warning("zalo: database slow to record an event; de-duplicating in memory only")
            return True

    def _prune(self) -> int:
        with self.db.session() as s, s.begin():
            return s.execute(delete(ZaloSeenEvent).where(ZaloSeenEvent.received_at < utcnow() - self.keep)).rowcount

    async def prune(self) -> int:
        try:
            return await asyncio.to_thread(self._prune)
        except SQLAlchemyError:
            logger.exception("zalo: pruning seen events failed")
            return 0


class Unfollowed:
    """Users who unfollowed the OA: nothing more is sent to them (until they follow again).

    Kept in the table ``zalo_unfollowed_users`` (shared by replicas, survives restarts) and in a
    memory set; ``is_silenced`` is memory only (it is called before every send); the set is
    re-read from the database at start and every housekeeping round (10 min), so another replica
    learns of an unfollow within that time. While the database is down the memory set applies.
    """

    def __init__(self, database_url: Optional[str] = None) -> None:
        self.db = _Db(database_url)
        self.users: set = set()
        self._loaded = False
        self._latest: "OrderedDict[str, int]" = OrderedDict()  # user → newest follow/unfollow (ms)

    def _load(self) -> None:
        try:
            with self.db.session() as s:
                self.users = {row[0] for row in s.query(ZaloUnfollowed.user_id).all()}
            self._loaded = True
        except SQLAlchemyError as exc:
            logger.warning("zalo: cannot read unfollowed users (%s)", type(exc).__name__)

    def _write(self, user_id: str, unfollowed: bool) -> None:
        try:
            with self.db.session() as s, s.begin():
                if unfollowed:
                    s.merge(ZaloUnfollowed(user_id=user_id, unfollowed_at=utcnow()))
                else:
                    s.execute(delete(ZaloUnfollowed).where(ZaloUnfollowed.user_id == user_id))
        except SQLAlchemyError as exc:
            logger.warning("zalo: cannot record an unfollow in the database (%s); in memory only", type(exc).__name__)

    async def set(self, user_id: str, unfollowed: bool, timestamp_ms: int = 0) -> bool:
        """Record a follow / unfollow; False (ignored) when an event with a later timestamp
        for this user was already applied (events may arrive out of order)."""
        if timestamp_ms and timestamp_ms < self._latest.get(user_id, 0):
            return False
        self._latest[user_id] = max(timestamp_ms, self._latest.get(user_id, 0))
        self._latest.move_to_end(user_id)
        if len(self._latest) > 100_000:
            self._latest.popitem(last=False)
        (self.users.add if unfollowed else self.users.discard)(user_id)
        await asyncio.to_thread(self._write, user_id, unfollowed)
        return True

    async def load(self) -> None:
        await asyncio.to_thread(self._load)

    def is_silenced(self, user_id: str) -> bool:
        return str(user_id) in self.users


__all__ = [
    "TokenStore",
    "SeenEvents",
    "Unfollowed",
    "ZaloUnfollowed",
    "ZaloToken",
    "ZaloSeenEvent",
    "ZaloBase",
    "TokenRefreshError",
]

"""Database configuration shared by the knowledge base and the lead store (``lead_store``).

SQLite file ``var/khuyencong.db`` by default; ``DATABASE_URL`` (e.g.
``postgresql+psycopg2://user@127.0.0.1:5432/test``) for PostgreSQL.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = PROJECT_ROOT / "var" / "khuyencong.db"


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Heroku-style URLs say "postgres://"; SQLAlchemy 1.4 wants "postgresql://".
        return url.replace("postgres://", "postgresql://", 1)
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    # hide_parameters: a statement logged while debugging must not show names or phone numbers.
    kwargs = {"future": True, "pool_pre_ping": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            # SQLAlchemy 1.4 opens a new SQLite connection for every session (NullPool); 2.0 keeps
            # a pool, as here. A profile of the REST path under load spent 16 % of the Rasa
            # server's busy time opening connections for one lookup per request.
            kwargs["poolclass"] = QueuePool
            kwargs["pool_size"], kwargs["max_overflow"] = 5, 10
    elif url.startswith("postgresql") and "connect_timeout" not in url:
        # An unreachable host must fail in seconds (then the KB copy / lead outbox take over),
        # not after the operating system's TCP timeout.
        kwargs["connect_args"] = {"connect_timeout": int(os.environ.get("DB_CONNECT_TIMEOUT", "3"))}
    return create_engine(url, **kwargs)


def session_factory(url: str | None = None) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)


def new_session(url: str | None = None) -> Session:
    return session_factory(url)()

"""Console settings, read once from the environment (12-factor, like the bot).

Why a dataclass: handlers and tests get one explicit object (``app["settings"]``) instead of
reading ``os.environ`` here and there, and tests can build one for a temporary database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from policy_kb.db import PROJECT_ROOT, database_url

TOKEN_FILE = PROJECT_ROOT / "var" / "rasa_api_token"
ABSOLUTE_SESSION_HOURS = 12.0


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _rasa_token() -> Optional[str]:
    token = os.environ.get("RASA_API_TOKEN", "").strip()
    if token:
        return token
    try:
        return TOKEN_FILE.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


@dataclass
class ConsoleSettings:
    db_url: str
    host: str = "127.0.0.1"
    port: int = 8080
    rasa_url: str = "http://localhost:5005"
    rasa_token: Optional[str] = field(default=None, repr=False)
    tracker_db_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'rasa_tracker.db'}"
    #: Secure flag on cookies: turn on (CONSOLE_SECURE_COOKIES=1) when served behind TLS.
    secure_cookies: bool = False
    #: idle lifetime of a session; the absolute lifetime is ABSOLUTE_SESSION_HOURS whatever this says
    session_hours: float = 2.0
    absolute_session_hours: float = ABSOLUTE_SESSION_HOURS
    #: trust X-Forwarded-For for the client address (only behind a reverse proxy you run)
    trust_proxy: bool = False
    page_size: int = 50

    @classmethod
    def from_env(cls) -> "ConsoleSettings":
        return cls(
            db_url=database_url(),
            host=os.environ.get("CONSOLE_HOST", "127.0.0.1"),
            port=int(os.environ.get("CONSOLE_PORT", "8080")),
            rasa_url=os.environ.get("RASA_URL", "http://localhost:5005").rstrip("/"),
            rasa_token=_rasa_token(),
            tracker_db_url=os.environ.get("TRACKER_DB_URL")
            or f"sqlite:///{Path(PROJECT_ROOT) / 'var' / 'rasa_tracker.db'}",
            secure_cookies=_flag("CONSOLE_SECURE_COOKIES"),
            session_hours=float(os.environ.get("CONSOLE_SESSION_HOURS", "2")),
            trust_proxy=_flag("CONSOLE_TRUST_PROXY"),
        )

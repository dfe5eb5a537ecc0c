"""Durable local outbox for leads that could not reach the database.

When :func:`lead_store.leads.save_lead` fails because the database is down
(:class:`~lead_store.leads.LeadStoreError` or any SQLAlchemy error), the action server appends the
submission to a local file instead of losing it, and the person is told it is recorded.

* File: ``LEAD_OUTBOX`` (default ``var/lead_outbox.jsonl``), one JSON object per line
  ``{"v": 1, "id": ..., "queued_at": ..., "lead": {...LeadInput fields, consent included...}}``.
  Created with mode 600 (it holds names and phone numbers); each append is written, flushed and
  ``fsync``-ed (and the directory too when the file is new) before the user is told anything.
* Replay (:meth:`Outbox.flush`): before each new save, in a background thread of the action
  server while entries are pending (every ``LEAD_OUTBOX_RETRY_SECONDS``, default 30), and by
  ``khuyencong-leads flush-outbox``. ``save_lead`` is idempotent per (conversation, phone), so
  replaying an entry twice (two flushers, a crash after the commit) updates the same lead: an
  entry is removed from the file only after its transaction committed, and never duplicated.
* Entries the database refuses as invalid (never expected: they were validated before queueing)
  are moved to ``<outbox>.rejected`` (mode 600) and reported, so one bad line cannot block the rest.
* Concurrency: an ``flock`` on ``<outbox>.lock`` serialises appends and rewrites across threads
  and processes (several action-server workers on one host). The database work of a flush runs
  without the lock; the rewrite keeps entries appended meanwhile.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import json
import logging
import os
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from lead_store.leads import LeadInput, LeadStoreError, LeadValidationError, ensure_schema, save_lead
from policy_kb.db import PROJECT_ROOT
from vntext.phone import mask_phone

log = logging.getLogger(__name__)

DEFAULT_PATH = PROJECT_ROOT / "var" / "lead_outbox.jsonl"
FORMAT_VERSION = 1


def outbox_path() -> Path:
    return Path(os.environ.get("LEAD_OUTBOX") or DEFAULT_PATH)


def retry_seconds() -> float:
    try:
        return max(0.2, float(os.environ.get("LEAD_OUTBOX_RETRY_SECONDS", "30")))
    except ValueError:
        return 30.0


def _jsonable(lead: LeadInput) -> Dict[str, Any]:
    out = {}
    for f in dataclasses.fields(LeadInput):
        value = getattr(lead, f.name)
        out[f.name] = value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value
    return out


def _lead(data: Dict[str, Any]) -> LeadInput:
    names = {f.name for f in dataclasses.fields(LeadInput)}
    return LeadInput(**{k: v for k, v in data.items() if k in names})


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class FlushResult:
    stored: int = 0  # committed to the database and removed from the outbox
    remaining: int = 0  # still waiting (database unreachable)
    rejected: int = 0  # refused as invalid, moved to <outbox>.rejected
    lead_ids: List[int] = field(default_factory=list)
    error: Optional[str] = None  # why the flush stopped early (no personal data)


class Outbox:
    def __init__(self, path: Optional[Path] = None) -> None:
        self.path = Path(path) if path else outbox_path()
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.rejected_path = self.path.with_name(self.path.name + ".rejected")
        self._thread_lock = threading.Lock()

    # ------------------------------------------------------------------ file primitives
    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._thread_lock:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _append_line(self, path: Path, line: str) -> None:
        new = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            _fsync_dir(path.parent)

    def _read(self) -> List[Tuple[Optional[str], Optional[Dict[str, Any]], str]]:
        """(entry id, entry, raw line) for every line; id/entry None for an unreadable line."""
        try:
            raw = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        out = []
        for line in raw.splitlines():
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                ok = isinstance(entry, dict) and isinstance(entry.get("lead"), dict) and entry.get("id")
            except ValueError:
                entry, ok = None, False
            out.append((str(entry["id"]), entry, line) if ok else (None, None, line))
        return out

    def _rewrite(self, lines: List[str]) -> None:
        if not lines:
            try:
                self.path.unlink()
            except FileNotFoundError:
                return
            _fsync_dir(self.path.parent)
            return
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, "".join(line + "\n" for line in lines).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)

    # ------------------------------------------------------------------------- public
    def append(self, lead: LeadInput) -> str:
        """Queue one submission durably; returns its entry id."""
        entry_id = uuid.uuid4().hex
        entry = {
            "v": FORMAT_VERSION,
            "id": entry_id,
            "queued_at": dt.datetime.now(dt.timezone.utc).isoformat(),
            "lead": _jsonable(lead),
        }
        with self._locked():
            self._append_line(self.path, json.dumps(entry, ensure_ascii=False) + "\n")
        log.warning("lead queued in the local outbox (phone %s): database unreachable", mask_phone(lead.phone))
        return entry_id

    def pending(self) -> int:
        try:
            if self.path.stat().st_size == 0:
                return 0
        except FileNotFoundError:
            return 0
        return len(self._read())

    def flush(self, engine: Engine, limit: Optional[int] = None) -> FlushResult:
        """Replay queued leads into the database (oldest first, at most ``limit``)."""
        result = FlushResult()
        if not self.path.exists():
            return result
        with self._locked():
            entries = self._read()
        done, rejected = set(), {}
        try:
            ensure_schema(engine)
        except SQLAlchemyError as exc:
            result.error = f"database unreachable ({type(exc).__name__})"
            result.remaining = len(entries)
            return result
        for entry_id, entry, raw in entries:
            if limit is not None and len(done) + len(rejected) >= limit:
                break
            if entry is None:
                rejected[raw] = "unreadable line"
                continue
            try:
                lead_id, _ = save_lead(engine, _lead(entry["lead"]))
            except LeadValidationError as exc:
                rejected[entry_id] = str(exc)
                continue
            except (TypeError, ValueError) as exc:  # a line that does not describe a lead
                rejected[entry_id] = type(exc).__name__
                continue
            except (LeadStoreError, SQLAlchemyError) as exc:
                result.error = f"database unreachable ({type(exc).__name__})"
                break
            done.add(entry_id)
            result.lead_ids.append(lead_id)
        if not done and not rejected:
            result.remaining = len(entries)
            return result
        with self._locked():
            keep, now = [], dt.datetime.now(dt.timezone.utc).isoformat()
            for entry_id, entry, raw in self._read():  # re-read: keeps entries appended meanwhile
                key = entry_id if entry_id is not None else raw
                if entry_id in done:
                    continue
                if key in rejected:
                    self._append_line(
                        self.rejected_path,
                        json.dumps({"rejected_at": now, "reason": rejected[key], "line": raw}, ensure_ascii=False)
                        + "\n",
                    )
                    continue
                keep.append(raw)
            self._rewrite(keep)
        result.stored, result.rejected, result.remaining = len(done), len(rejected), len(keep)
        log.info("outbox: %d lead(s) stored, %d rejected, %d waiting", result.stored, result.rejected, result.remaining)
        return result


# ----------------------------------------------------------------------- action server side


class Flusher:
    """Background retries while the outbox is not empty (one daemon thread per process)."""

    def __init__(self, outbox: Outbox, engine_factory, interval: Optional[float] = None) -> None:
        self.outbox, self.engine_factory = outbox, engine_factory
        self.interval = interval if interval is not None else retry_seconds()
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    def ensure_running(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="lead-outbox-flusher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                if self.outbox.pending() == 0:
                    return
                self.outbox.flush(self.engine_factory())
                if self.outbox.pending() == 0:
                    return
            except Exception:  # noqa: BLE001 - keep retrying; never lose the thread silently
                log.exception("outbox: background flush failed; retrying in %.0f s", self.interval)


__all__ = ["FlushResult", "Flusher", "Outbox", "outbox_path", "retry_seconds"]

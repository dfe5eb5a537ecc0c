"""Keeps names and phone numbers out of the logs of both servers, at every log level.

Rasa's DEBUG log prints user messages, slot values and slot candidates (``processor.message.parse``,
``processor.slots.log``, ``forms.slots.validate``, ...), mostly as JSON with ``\\uXXXX`` escapes.
We cannot edit those statements, so every log record is redacted where it is created: a
``logging`` record factory, i.e. every logger (stdlib and structlog, whose JSON ends up in a stdlib
record), every handler, every level, including formatted tracebacks.

What is redacted:

* phone numbers in any written form (``0912 345 678``, ``+84912345678``, ``0912.345.678``,
  ``(024) 3825 1234``, ...) → ``[phone]``, whatever the conversation;
* the personal data of the conversation being processed → ``[personal]``: what the user types
  while the lead form is open (consent, name, phone answers) and the values of the personal slots,
  in every form Rasa may print them: as typed, NFC/NFD, after the NLU normaliser (``hoà``→``hòa``),
  without diacritics, JSON-escaped or ``unicode_escape``-d, any letter case, any spacing.

The conversation is known from a context variable set for each incoming message
(:func:`conversation`), so a record costs a couple of regex searches. Values are remembered per
conversation for a day (bounded memory). A name typed *outside* the lead form cannot be told
from any other text; only phone numbers are redacted there (see SECURITY.md).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterable, Iterator, List, Optional, Pattern, Set

from lead_store.consent import PERSONAL_DATA_SLOTS
from vntext.fold import strip_marks

PHONE_MARK = "[phone]"
PERSONAL_MARK = "[personal]"
#: slots whose values are personal data (one home: lead_store.consent)
PERSONAL_SLOTS = PERSONAL_DATA_SLOTS
LEAD_FORM = "lead_form"

# A Vietnamese number: 0 / 84 / +84 / 0084, two digits, then 6-8 more, each optionally preceded
# by up to two separators (space, dot, hyphen, brackets, slash). Not inside a longer digit run, a
# decimal number ("0.9912345678") or an identifier such as "0x7f...".
PHONE_RE = re.compile(r"(?<![\d.+])(?:\(?(?:\+|00)?84\)?[ .\-\u00a0]?|0)\d{2}(?:[ .\-()/\u00a0]{0,2}\d){6,8}(?![\d])")
# Full-width digits (some Vietnamese keyboards) are folded before matching.
_FULLWIDTH = {ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")}

_current: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("kc_log_conversation", default=None)
_KEEP_SECONDS = 24 * 3600
_MAX_CONVERSATIONS = 20_000
_MAX_VALUES = 32


class _Secrets:
    """conversation id → (expiry, values, compiled pattern); LRU-bounded, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: "OrderedDict[str, tuple[float, List[str], Optional[Pattern[str]]]]" = OrderedDict()

    def add(self, conversation: str, values: Iterable[str]) -> None:
        new = [v for v in values if v]
        if not new:
            return
        with self._lock:
            _, old, pattern = self._data.pop(conversation, (0.0, [], None))
            merged = list(dict.fromkeys(old + new))[-_MAX_VALUES:]
            if merged != old or pattern is None:
                pattern = _compile(merged)
            self._data[conversation] = (time.time() + _KEEP_SECONDS, merged, pattern)
            while len(self._data) > _MAX_CONVERSATIONS:
                self._data.popitem(last=False)

    def pattern(self, conversation: Optional[str]) -> Optional[Pattern[str]]:
        if conversation is None:
            return None
        with self._lock:
            entry = self._data.get(conversation)
            if entry is None:
                return None
            if entry[0] < time.time():
                del self._data[conversation]
                return None
            return entry[2]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_secrets = _Secrets()


def _normalisers():
    out = [lambda s: unicodedata.normalize("NFC", s), lambda s: unicodedata.normalize("NFD", s)]
    try:  # the NLU normaliser and the no-diacritics fold (both in the Rasa server's NLU)
        from vntext.fold import fold
        from vntext.normalize import normalize_text

        out += [normalize_text, lambda s: fold(normalize_text(s))]
    except Exception:  # pragma: no cover - underthesea missing: the case-keeping strip below still works
        pass
    out.append(strip_marks)  # no underthesea needed; case kept (fold lowercases)
    return out


_NORMALISERS = None


def variants(value: str) -> Set[str]:
    """The ways ``value`` can show up in a log line."""
    global _NORMALISERS
    if _NORMALISERS is None:
        _NORMALISERS = _normalisers()
    base = " ".join(str(value).split())
    forms: Set[str] = {base}
    for norm in _NORMALISERS:
        try:
            forms.add(" ".join(norm(base).split()))
        except Exception:  # noqa: BLE001 - a normaliser must never break logging
            pass
    forms |= {f.lower() for f in forms} | {f.upper() for f in forms} | {f.title() for f in forms}
    out: Set[str] = set()
    for form in forms:  # (escaped forms differ by case: "\u1ea7" is ầ, "\u1ea6" is Ầ)
        if len(form) < 2:
            continue
        out.add(form)
        out.add(json.dumps(form)[1:-1])  # "Tr\u1ea7n" (JSON, ensure_ascii)
        out.add(form.encode("unicode_escape").decode("ascii"))  # "Tr\u1ea7n", "Ho\xe0"
        out.add(repr(form)[1:-1])
    return {v for v in out if len(v) >= 2}


def _compile(values: List[str]) -> Optional[Pattern[str]]:
    alternatives = set()
    for value in values:
        for form in variants(value):
            alternatives.add(r"\s+".join(re.escape(part) for part in form.split()))
    if not alternatives:
        return None
    body = "|".join(sorted(alternatives, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def redact(text: str, conversation: Optional[str] = None) -> str:
    """``text`` with phone numbers and the conversation's personal values replaced."""
    if not text:
        return text
    pattern = _secrets.pattern(conversation if conversation is not None else _current.get())
    if pattern is not None:
        text = pattern.sub(PERSONAL_MARK, text)
    if any(ch in text for ch in "０１２３４５６７８９"):
        text = text.translate(_FULLWIDTH)
    return PHONE_RE.sub(PHONE_MARK, text)


def remember(conversation: Optional[str], *values: object) -> None:
    """Treat ``values`` as personal data in every later log line of ``conversation``."""
    if conversation is None:
        return
    texts = [v for v in (str(x).strip() for x in values if isinstance(x, str)) if len(v) >= 2]
    if texts:
        _secrets.add(str(conversation), texts)


@contextmanager
def conversation(sender_id: Optional[str]) -> Iterator[None]:
    """Log records created inside belong to ``sender_id``'s conversation."""
    token = _current.set(sender_id)
    try:
        yield
    finally:
        _current.reset(token)


# ------------------------------------------------------------------------------ installation

_installed = False
_formatter = logging.Formatter()


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a broken format string: leave it to logging
        return
    clean = redact(message)
    if clean != message or record.args:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = redact(_formatter.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def install() -> None:
    """Redact every log record created in this process from now on (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


__all__ = ["PERSONAL_SLOTS", "PHONE_RE", "conversation", "install", "redact", "remember", "variants"]

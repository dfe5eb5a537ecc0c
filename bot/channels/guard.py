"""Checks shared by every channel before a message reaches NLU.

Empty and over-long messages get a short polite reply straight away: they are never worth a
model call, and a 1 MB paste must not cost the server anything. Also here: the whole server's
request-size limit, the JSON parsing every channel uses (depth-limited: a deeply nested body is a
4xx, never a RecursionError), and the per-sender rate limit's reply (``ratelimit.py``).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from typing import Any, Dict, List, Optional

from bot.menu import menu_buttons

MAX_CHARS = 1000  # the longest real question in our data is ~200 characters
#: Sanic's limit for any request to the server (its default is 100 MB). SANIC_REQUEST_MAX_SIZE,
#: read by Sanic itself, overrides it.
MAX_REQUEST_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 16  # our webhooks' bodies are 3 levels deep; metadata gets a little room

EMPTY_REPLY = "Dạ, em chưa nhận được câu hỏi của anh/chị. Anh/chị gõ câu hỏi hoặc chọn một chủ đề dưới đây ạ."
TOO_LONG_REPLY = (
    f"Dạ, tin nhắn dài quá nên em chưa đọc được. Anh/chị gửi câu hỏi ngắn gọn hơn (dưới {MAX_CHARS} ký tự) giúp em nhé."
)
FAILURE_REPLY = "Dạ, hệ thống đang gặp sự cố nhỏ, anh/chị vui lòng gửi lại câu hỏi sau ít phút ạ."
#: with the empty-message reply: the domain's buttons (bot/menu.py), the first three of utter_default
MENU_BUTTONS: List[Dict[str, str]] = menu_buttons("beneficiaries", "support_level", "procedure")


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: Any) -> Any:
    """Lone surrogates (legal in JSON escapes, not in Unicode text; they crash the NLU) become
    U+FFFD. Anything that is not a string is returned as is (``screen`` answers it)."""
    return _SURROGATE.sub("\ufffd", text) if isinstance(text, str) else text


def _blank(text: str) -> bool:
    """Nothing left once normalised: only spaces, control, zero-width or combining characters
    (the NLU would see a message without a single feature)."""
    if not text.strip():
        return True
    from vntext.normalize import normalize_text

    return not any(unicodedata.category(ch)[0] not in "ZCM" for ch in normalize_text(text))


def screen(text: Any) -> Optional[Dict[str, Any]]:
    """A reply to send instead of running the bot, or None when the text should go through."""
    if not isinstance(text, str) or _blank(text):
        return {"text": EMPTY_REPLY, "buttons": MENU_BUTTONS}
    if len(text) > MAX_CHARS:
        return {"text": TOO_LONG_REPLY}
    return None


def json_depth(value: Any) -> int:
    """Nesting depth of a decoded JSON value (iterative: safe on any input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def parse_json(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Decode a request body; ValueError for anything that is not sane JSON (invalid UTF-8,
    invalid JSON, nested deeper than ``max_depth``)."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if json_depth(value) > max_depth:
        raise ValueError("JSON nested too deeply")
    return value


def limit_request_size(blueprint: Any) -> None:
    """Cap every request to the server (registered by each channel; idempotent)."""

    @blueprint.listener("before_server_start")
    async def _limit(app: Any, _loop: Any) -> None:
        if "SANIC_REQUEST_MAX_SIZE" not in os.environ:
            app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, MAX_REQUEST_BYTES)

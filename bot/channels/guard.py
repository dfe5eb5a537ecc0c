"""Checks shared by every channel before a message reaches NLU.

Empty and over-long messages get a short polite reply straight away: they are never worth a
model call, and a 1 MB paste must not cost the server anything.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

MAX_CHARS = 1000  # the longest real question in our data is ~200 characters

EMPTY_REPLY = "Dạ, em chưa nhận được câu hỏi của anh/chị. Anh/chị gõ câu hỏi hoặc chọn một chủ đề dưới đây ạ."
TOO_LONG_REPLY = (f"Dạ, tin nhắn dài quá nên em chưa đọc được. Anh/chị gửi câu hỏi ngắn gọn hơn "
                  f"(dưới {MAX_CHARS} ký tự) giúp em nhé.")
FAILURE_REPLY = "Dạ, hệ thống đang gặp sự cố nhỏ, anh/chị vui lòng gửi lại câu hỏi sau ít phút ạ."
MENU_BUTTONS: List[Dict[str, str]] = [
    {"title": "Ai được hỗ trợ?", "payload": "/ask_beneficiaries"},
    {"title": "Mức hỗ trợ", "payload": "/ask_support_level"},
    {"title": "Thủ tục, hồ sơ", "payload": "/ask_procedure"},
]


def screen(text: Any) -> Optional[Dict[str, Any]]:
    """A reply to send instead of running the bot, or None when the text should go through."""
    if not isinstance(text, str) or not text.strip():
        return {"text": EMPTY_REPLY, "buttons": MENU_BUTTONS}
    if len(text) > MAX_CHARS:
        return {"text": TOO_LONG_REPLY}
    return None

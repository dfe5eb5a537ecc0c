"""What a message asks of the conversation itself, read from its words (pure; no Rasa).

Used while a person waits for an officer (actions/handover.py): the classifier's ``resume_bot``
intent is the main reader, and these phrases are the net under it. A paused conversation whose
"quay lại trợ lý" is misread is a person stranded with no reply at all (issue 28), so the few
ways of saying "I want the bot back" are also read here, where a miss can be tested phrase by
phrase.
"""

from __future__ import annotations

import re

from vntext.fold import fold

_BOT = r"(?:tro ly(?: ao| tu dong)?|chat ?bot|bot|he thong tu dong|may tu dong)"
_BACK = (
    r"(?:quay (?:lai|ve)|tro lai|tiep tuc|hoi tiep|hoi lai|chuyen (?:lai|ve)|noi chuyen(?: lai| tiep)?|"
    r"hoi|gap lai|chat(?: tiep)?|lam viec(?: tiep)?|nho|bat lai|mo lai|tra lai(?: cho)?)"
)
_NO = r"(?:khong|ko|k|kg|khoi|thoi|huy|bo|chang)"
_WAIT = r"(?:can|gap|doi|cho|chuyen(?: cho)?|noi chuyen voi)"
_PERSON = r"(?:can bo|nguoi that|nhan vien|admin|ad)"

_WANTS_BOT = re.compile(rf"\b{_BACK}\b(?:\W+\w+){{0,4}}?\W+{_BOT}\b")
_NO_PERSON = re.compile(rf"\b{_NO}\b(?:\W+\w+){{0,2}}?\W+{_WAIT}\b(?:\W+\w+){{0,2}}?\W+{_PERSON}\b")


def wants_the_bot_back(text: str) -> bool:
    """Does the person ask for the automatic assistant instead of the officer? ("quay lại trợ
    lý", "thôi em hỏi tiếp bot", "không cần chờ cán bộ nữa", "huỷ gặp cán bộ")"""
    folded = fold(text or "")
    return bool(_WANTS_BOT.search(folded) or _NO_PERSON.search(folded))


__all__ = ["wants_the_bot_back"]

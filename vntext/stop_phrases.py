"""Requests to stop, recognised by their words.

Two uses, one list:

* ``is_stop_request``: a short message that *starts* with a stop word ("thôi", "dừng lại đi",
  "hủy", "để sau nhé", "thoat") is a request to stop whatever the classifier thought: in the middle
  of a form, "thôi" must not become the person's name or an unclear answer. Used by
  ``StopPhraseClassifier`` in the NLU pipeline.
* ``explicit_stop``: does a message ask to stop *in so many words* anywhere in it? Used while the
  lead form waits for a name, where the classifier's "stop" may be a name that looks like a stop
  word once diacritics are gone (Dung ~ dừng, Huy ~ hủy).

Without diacritics only unambiguous phrases count: "dung lai", never a bare "dung" or "huy".
"""

from __future__ import annotations

import re

from vntext.fold import fold
from vntext.normalize import normalize_text

# anywhere in the message, written with diacritics
_STOP_MARKED = re.compile(
    r"\b(?:dừng|thôi|hủy|ngừng|ngưng|thoát|không muốn|bỏ qua|để sau|kết thúc|"
    r"không trả lời|không điền|không làm)\b"
)
# anywhere in the message, typed without diacritics
_STOP_PLAIN = re.compile(
    r"\b(?:dung lai|dung form|dung hoi|dung nhap|dung di|tam dung|thoi|huy bo|ngung|thoat|"
    r"khong muon|bo qua|de sau|ket thuc|khong tra loi|khong dien|khong lam)\b"
)
_STOP_ANY = re.compile(r"\b(?:stop|cancel|quit|exit)\b")

# at the start of a short message (after "em", "mình", "à", ...): the message is a stop request
_LEAD_IN_WORDS = "à|ừ|ờ|uh|um|ok|oke|vâng|dạ|em|anh|chị|mình|tôi|thì|thế|vậy|cho|xin"
_START_MARKED = re.compile(
    rf"^(?:(?:{_LEAD_IN_WORDS})\s+)*" + r"(?:thôi|dừng|hủy|ngừng|ngưng|thoát|kết thúc|để sau|để lúc khác|"
    r"không muốn (?:nữa|làm|tiếp)|không làm (?:nữa|tiếp)|bỏ qua)\b"
)
_START_PLAIN = re.compile(
    rf"^(?:(?:{fold(_LEAD_IN_WORDS)})\s+)*"
    + r"(?:thoi(?!\s+(?:tiet|gian|han|diem|ky|vu|trang|su|dai|gia|khoa|noi|gio)\b)|"
    r"dung lai|dung di|huy bo|ngung|thoat|ket thuc|de sau|de luc khac|"
    r"khong muon (?:nua|lam|tiep)|khong lam (?:nua|tiep)|bo qua|stop|cancel|quit|exit)\b"
)
MAX_WORDS = 8
# "thôi em chào", "thôi khỏi", "kết thúc cuộc trò chuyện": a goodbye or a "no thanks", which the
# classifier tells apart well; only the bare stop request is ours
_NOT_A_STOP = re.compile(
    r"\b(?:chào|chao|bye|bai|tạm biệt|tam biet|nghỉ|nghi|off|đi đây|di day|trò chuyện|"
    r"tro chuyen|khỏi|khoi|"
    # "hủy thông tin liên hệ của em": a request to erase data, not to stop
    r"thông tin|thong tin|số điện thoại|so dien thoai|sđt|sdt|dữ liệu|du lieu|"
    r"liên hệ|lien he)\b"
)


def _views(text: str) -> tuple:
    normal = " ".join(re.sub(r"[^\w\s]", " ", normalize_text(text or "").lower()).split())
    return normal, fold(normal)


def explicit_stop(text: str) -> bool:
    """True when ``text`` asks to stop in so many words ("dừng lại", "thôi", "hủy", "huy bo", ...)."""
    normal, plain = _views(text)
    if _STOP_MARKED.search(normal) or _STOP_ANY.search(plain):
        return True
    return plain == normal and bool(_STOP_PLAIN.search(plain))  # typed without diacritics


def is_stop_request(text: str) -> bool:
    """True for a short message that starts with a stop word ("thôi", "dừng lại đi", "để sau nhé")."""
    if len((text or "").split()) > MAX_WORDS:  # runs on every message: long ones cost nothing
        return False
    normal, plain = _views(text)
    if not normal or len(normal.split()) > MAX_WORDS or _NOT_A_STOP.search(normal) or _NOT_A_STOP.search(plain):
        return False
    if _START_MARKED.search(normal):
        return True
    return plain == normal and bool(_START_PLAIN.search(plain))  # typed without diacritics

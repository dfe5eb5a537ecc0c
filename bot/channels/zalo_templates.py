"""Rasa buttons → Zalo OA API v3 message bodies (button templates or numbered text).

Shape sent to ``POST /v3.0/oa/message/cs`` for a message with buttons::

    {"text": "<bot text>",
     "attachment": {"type": "template",
                    "payload": {"buttons": [
                        {"title": "1. Hợp tác xã", "type": "oa.query.hide",
                         "payload": "/inform{\\"business_type\\": \\"cooperative\\"}"},
                        {"title": "2. Gọi Trung tâm", "type": "oa.open.phone",
                         "payload": {"phone_code": "84912345678"}},
                        {"title": "3. Trang web", "type": "oa.open.url",
                         "payload": {"url": "https://…"}}]}}}

Sources (public, not Zalo's own pages, which the search index does not hold):
* ``message.text`` + ``attachment.payload.buttons`` (no ``template_type``), button types
  ``oa.open.url`` / ``oa.query.show`` / ``oa.query.hide`` / ``oa.open.sms`` / ``oa.open.phone``,
  at most 5 buttons, ``oa.open.phone`` payload ``{"phone_code": …}``: a Zalo OA TypeScript
  client's zod schema (``buttonPayloadTemplate = {buttons: max(5)}``, ``messageTemplate =
  {text, attachment}``) and a Java Zalo OA bot (package ``vn.com.insee.corporate``,
  ``payload.buttons``, ``message.text``), both found through a code index that did not name
  their repositories.
* Title ≤ 100 characters, ``oa.query.*`` payload ≤ 1,000 characters: the npm package
  ``@warriorteam/redai-zalo-sdk`` 1.32.17, ``docs/BUTTON_TYPES_GUIDE.md`` and
  ``dist/types/consultation.d.ts`` (app.unpkg.com).
* DISAGREEMENT: the zod schema above limits titles to 20 characters (our numbered titles are
  often longer: if Zalo enforces 20, every template is refused once and resent as numbered
  text, visible as ``template_refused`` in the stats), and two other public
  clients put ``template_type: "button"`` and ``text`` *inside* the payload (Messenger style).
  We follow the shape above; titles longer than ``MAX_TITLE`` fall back to numbered text, and a
  template Zalo refuses is resent as numbered text (``zalo_api``), so a wrong guess costs one
  extra request, never a lost reply.
* A tap on ``oa.query.hide`` reaches the webhook as ``user_send_text`` whose ``message.text``
  is the payload (hidden in the user's chat) [reported by the same sources; not confirmed from
  Zalo's own documentation].
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Any, Dict, List, Optional, Sequence

MAX_BUTTONS = 5
MAX_TITLE = 100
MAX_PAYLOAD = 1000
MORE_TITLE = "Xem thêm lựa chọn"
MORE_PREFIX = "#xem_them:"  # payload of the "more" button: "#xem_them:<index of the next option>"
CALL_TITLE = "Gọi Trung tâm"
DEFAULT_TEXT = "Anh/chị chọn một mục dưới đây ạ:"
MORE_TEXT = "Các lựa chọn khác:"
_MORE = re.compile(r"^#xem_them:(\d{1,3})$")


def hotline() -> str:
    """The centre's hotline as Zalo's phone_code (digits, 84…), or "": ``CENTRE_HOTLINE`` when
    set, else the hotline of the centre's settings file (configs/centre.yml)."""
    raw = os.environ.get("CENTRE_HOTLINE")
    if raw is None:
        from policy_kb.centre import centre  # the channel needs it only when a button asks

        raw = centre().hotline or ""
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits if 8 <= len(digits) <= 15 else ""


def fold(text: str) -> str:
    """Lower case, no diacritics, no punctuation, single spaces (for matching typed titles).

    Not vntext.fold.fold: this one drops every character of category Mn (fold keys on the
    combining class, which differs for some marks), casefolds (ß → ss: not length-preserving) and
    removes punctuation; button titles were matched this way since the channel shipped."""
    text = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _title(button: Dict[str, Any]) -> str:
    return str(button.get("title") or button.get("payload") or "").strip()


def more_offset(text: str) -> Optional[int]:
    """The option index a "Xem thêm lựa chọn" tap asks for, or None."""
    m = _MORE.match((text or "").strip())
    return int(m.group(1)) if m else None


def zalo_buttons(
    buttons: Sequence[Dict[str, Any]], start: int = 0, phone: Optional[str] = None
) -> Optional[List[Dict[str, Any]]]:
    """Zalo buttons for ``buttons[start:]`` (numbered from ``start + 1``), at most 5: when more
    remain, the first 4 and "Xem thêm lựa chọn". None when one of them cannot be a button."""
    phone = hotline() if phone is None else phone
    rest = list(buttons)[start:]
    if not rest:
        return None
    shown = rest if len(rest) <= MAX_BUTTONS else rest[: MAX_BUTTONS - 1]
    out: List[Dict[str, Any]] = []
    for number, button in enumerate(shown, start + 1):
        if not isinstance(button, dict):
            return None
        title = f"{number}. {_title(button)}"
        if not _title(button) or len(title) > MAX_TITLE:
            return None
        payload = button.get("payload")
        url = button.get("url")
        if _title(button).casefold() == CALL_TITLE.casefold() and phone:
            out.append({"title": title, "type": "oa.open.phone", "payload": {"phone_code": phone}})
        elif button.get("type") == "web_url" and isinstance(url, str) and url.startswith("https://"):
            out.append({"title": title, "type": "oa.open.url", "payload": {"url": url}})
        elif isinstance(payload, str) and 0 < len(payload) <= MAX_PAYLOAD:
            out.append({"title": title, "type": "oa.query.hide", "payload": payload})
        else:
            return None
    if len(rest) > len(shown):
        out.append({"title": MORE_TITLE, "type": "oa.query.hide", "payload": f"{MORE_PREFIX}{start + len(shown)}"})
    return out


def template(text: str, zbuttons: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"text": text or DEFAULT_TEXT, "attachment": {"type": "template", "payload": {"buttons": zbuttons}}}


def match_title(text: str, buttons: Optional[Sequence[Dict[str, Any]]]) -> Optional[str]:
    """The payload of the button whose title the user typed (any case, with or without
    diacritics), else None."""
    typed = fold(text or "")
    if not typed or not buttons:
        return None
    for button in buttons:
        if isinstance(button, dict) and fold(_title(button)) == typed:
            return button.get("payload") or button.get("title")
    return None

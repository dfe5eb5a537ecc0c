"""Live handover, console side: read a conversation from Rasa, send an officer's reply, hand back.

Why through Rasa's HTTP API and not straight to the channels: the conversation's state (paused or
not, what was said) lives in Rasa's tracker, and Rasa already knows how to reach the user. In Rasa
3.6.21 ``POST /conversations/{id}/tracker/events?output_channel=latest&execute_side_effects=true``
(rasa/server.py ``append_events``) takes the conversation's lock, appends the events, then
``_get_output_channel`` looks up ``tracker.get_latest_input_channel()`` among the *registered
input channels* and asks that channel for ``get_output_channel()``; ``processor.execute_side_effects``
sends every appended ``BotUttered`` through it. Per channel here:

* ``web`` (bot/channels/webchat.py): a socket.io output that emits to the room "web-<session>";
  with several replicas the Redis client manager carries the emit to the replica holding the socket.
* ``zalo`` (bot/channels/zalo.py): the OA consultation-message sender with its retries.
* ``rest``: no output channel (REST cannot push), Rasa falls back to a collecting channel and
  nothing is sent; so the text is also queued with ``lead_store.handovers.queue_rest_reply`` and the
  REST channel returns it with the user's next request.

Officer messages are ``bot`` events whose metadata holds ``{"officer": username}`` (plus the
display name for the widget's "Cán bộ …" label), so the transcript can tell them from the bot's.
Every failure to reach Rasa raises :class:`RasaUnavailable` *before* anything is written locally, so
the page can say so and the officer's text is still in the form: nothing is lost or half-sent. (A
POST that times out is the one uncertain case, Rasa may have appended it: the page says so and asks
the officer to check the transcript before sending again.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

import aiohttp

logger = logging.getLogger(__name__)

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")  # Vietnam: UTC+7, no daylight saving
MAX_REPLY_CHARS = 2000  # Zalo's text limit; the widget and REST accept it too
HAND_BACK_TEXT = (
    'Dạ, trợ lý tự động đã quay lại hỗ trợ anh/chị. Anh/chị cứ hỏi tiếp, khi cần gặp cán bộ thì nhắn "gặp cán bộ" ạ.'
)
#: after the officer's message, when the person had gone back to the bot (the bot is quiet again)
RETAKEN_TEXT = (
    "Dạ, cán bộ đã vào trả lời anh/chị nên trợ lý tạm dừng ạ. Muốn hỏi tiếp trợ lý, anh/chị bấm "
    "“Tiếp tục với trợ lý” ạ."
)
PAUSED_NOTE = "Đã chuyển cho cán bộ"
RESUMED_NOTE = "Trợ lý tự động tiếp tục"
#: the person took the bot back while waiting (actions/handover.py): the handover is still open
RESUMED_BY_NOTES = {
    "user": "Người dân chọn quay lại trợ lý tự động · yêu cầu gặp cán bộ vẫn mở",
    "question": "Ngoài giờ: trợ lý trả lời câu hỏi · yêu cầu gặp cán bộ vẫn mở",
}


class HandoverError(Exception):
    """A problem the officer should read (Vietnamese message)."""


class RasaUnavailable(HandoverError):
    """Rasa's HTTP API could not be reached or refused the request; nothing was changed."""


class ConversationNotFound(HandoverError):
    """Rasa has no events for this conversation id."""


@dataclass(frozen=True)
class Turn:
    """One line of a transcript. ``kind``: "user", "bot", "officer" or "note" (pause/resume)."""

    kind: str
    text: str
    at: Optional[dt.datetime]  # Vietnam time
    buttons: Tuple[str, ...] = ()
    officer: Optional[str] = None
    tapped: bool = False  # a user turn that is a tapped button: ``text`` is the button's title

    def as_json(self) -> Dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "buttons": list(self.buttons),
            "officer": self.officer,
            "tapped": self.tapped,
            "at": self.at.strftime("%H:%M %d/%m") if self.at else "",
        }


@dataclass
class Transcript:
    """What the conversation page shows: the turns, whether the bot is paused, the channel."""

    conversation_id: str
    channel: Optional[str]
    paused: bool
    turns: List[Turn] = field(default_factory=list)

    def __iter__(self) -> Iterator[Turn]:
        return iter(self.turns)

    def __len__(self) -> int:
        return len(self.turns)

    @property
    def last_user_at(self) -> Optional[dt.datetime]:
        """When the person last wrote (Zalo accepts consultation messages only for a while after)."""
        return next((t.at for t in reversed(self.turns) if t.kind == "user"), None)


def vietnam_time(timestamp: Any) -> Optional[dt.datetime]:
    try:
        return dt.datetime.fromtimestamp(float(timestamp), tz=VN_TZ)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def turns_from_events(events: List[Dict[str, Any]]) -> List[Turn]:
    """User texts, bot texts with their button titles, officer texts, pause/resume notes. A tapped
    button arrives as its payload ("/handover_accept"): the officer reads its title instead."""
    turns: List[Turn] = []
    titles: Dict[str, str] = {}  # payload -> title of the latest bot message's buttons
    resumed_by = None  # who the latest bot message says resumed the bot (it comes just before)
    for event in events or []:
        kind = event.get("event")
        at = vietnam_time(event.get("timestamp"))
        if kind == "user":
            said = event.get("text") or ""
            if said in titles:
                turns.append(Turn("user", titles[said], at, tapped=True))
            else:
                turns.append(Turn("user", said, at))
        elif kind == "bot":
            metadata = event.get("metadata") or {}
            resumed_by = metadata.get("handover_by")
            data = event.get("data") or {}
            listed = [b for b in (data.get("buttons") or data.get("quick_replies") or []) if isinstance(b, dict)]
            buttons = tuple(str(b.get("title", "")) for b in listed)
            if listed:
                titles = {str(b.get("payload")): str(b.get("title", "")) for b in listed if b.get("payload")}
            text = event.get("text") or ""
            if not text and not buttons:
                continue
            officer = metadata.get("officer") if isinstance(metadata.get("officer"), str) else None
            turns.append(Turn("officer" if officer else "bot", text, at, buttons, officer))
        elif kind == "pause":
            turns.append(Turn("note", PAUSED_NOTE, at))
        elif kind == "resume":
            turns.append(Turn("note", RESUMED_BY_NOTES.get(resumed_by, RESUMED_NOTE), at))
    return turns


def clean_reply(text: Any) -> str:
    text = (text if isinstance(text, str) else "").replace("\r\n", "\n").strip()
    if not text:
        raise HandoverError("Dạ, nội dung trả lời đang trống.")
    if len(text) > MAX_REPLY_CHARS:
        raise HandoverError(f"Dạ, nội dung trả lời dài quá {MAX_REPLY_CHARS} ký tự (giới hạn của Zalo).")
    return text


class RasaClient:
    """The three calls the console makes to Rasa's HTTP API (``rasa run --enable-api --auth-token``)."""

    def __init__(self, rasa_url: str, token: Optional[str], timeout: float = 10.0) -> None:
        self.base = rasa_url.rstrip("/")
        self.token = token or ""
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    def _params(self, **extra: str) -> Dict[str, str]:
        return {**({"token": self.token} if self.token else {}), **extra}

    async def _call(self, method: str, path: str, params: Dict[str, str], body: Any = None) -> Dict[str, Any]:
        url = f"{self.base}{path}"
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as session:
                async with session.request(method, url, params=params, json=body) as resp:
                    if resp.status in (401, 403):
                        raise RasaUnavailable(
                            "Dạ, máy chủ trợ lý từ chối kết nối của bảng điều khiển "
                            "(sai RASA_API_TOKEN). Chưa có gì được gửi."
                        )
                    if resp.status >= 400:
                        logger.warning("console: Rasa answered %s to %s %s", resp.status, method, path.split("/")[1])
                        raise RasaUnavailable(
                            f"Dạ, máy chủ trợ lý báo lỗi ({resp.status}). "
                            "Chưa có gì được gửi, anh/chị thử lại sau ít phút."
                        )
                    return await resp.json(content_type=None)
        except aiohttp.ClientConnectorError as exc:  # no connection: certainly nothing sent
            logger.warning("console: Rasa unreachable (%s)", type(exc).__name__)
            raise RasaUnavailable(
                "Dạ, chưa kết nối được máy chủ trợ lý. Chưa có gì được gửi, anh/chị thử lại sau ít phút."
            ) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            logger.warning("console: Rasa did not answer (%s)", type(exc).__name__)
            if method == "POST":  # Rasa may have appended the events before the answer was lost
                raise RasaUnavailable(
                    "Dạ, máy chủ trợ lý chưa trả lời kịp nên chưa rõ tin đã đi hay chưa. "
                    "Mời anh/chị tải lại trang, xem nội dung trò chuyện rồi hãy gửi "
                    "lại."
                ) from exc
            raise RasaUnavailable(
                "Dạ, chưa kết nối được máy chủ trợ lý. Chưa có gì được gửi, anh/chị thử lại sau ít phút."
            ) from exc

    async def tracker(self, conversation_id: str) -> Dict[str, Any]:
        return await self._call("GET", f"/conversations/{_quote(conversation_id)}/tracker", self._params())

    async def append(self, conversation_id: str, events: List[Dict[str, Any]]) -> Dict[str, Any]:
        params = self._params(output_channel="latest", execute_side_effects="true")
        return await self._call("POST", f"/conversations/{_quote(conversation_id)}/tracker/events", params, events)


def _quote(conversation_id: str) -> str:
    from urllib.parse import quote

    return quote(conversation_id, safe="")


class HandoverService:
    """Transcript / reply / hand back for one console (Rasa URL + token + the console's database)."""

    def __init__(self, rasa_url: str, token: Optional[str], db_url: str, timeout: float = 10.0) -> None:
        self.rasa = RasaClient(rasa_url, token, timeout)
        self.db_url = db_url

    @classmethod
    def from_settings(cls, settings: Any) -> "HandoverService":
        return cls(settings.rasa_url, getattr(settings, "rasa_token", None), settings.db_url)

    # --- database (sync SQLAlchemy, run off the event loop) -------------------------------------
    def _engine(self):
        from lead_store.handovers import ensure_handover_schema
        from policy_kb.db import get_engine

        engine = get_engine(self.db_url)
        ensure_handover_schema(engine)
        return engine

    async def _db(self, fn, *args: Any) -> Any:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return await asyncio.to_thread(lambda: fn(self._engine(), *args))
        except SQLAlchemyError as exc:
            logger.warning("console: handover store failed (%s)", type(exc).__name__)
            raise HandoverError(
                "Dạ, cơ sở dữ liệu đang lỗi nên hộp thư chưa cập nhật được. Mời anh/chị "
                "xem lại nội dung trò chuyện trước khi gửi lại."
            ) from exc

    # --- the three operations --------------------------------------------------------------------
    async def transcript(self, conversation_id: str) -> Transcript:
        tracker = await self.rasa.tracker(conversation_id)
        events = tracker.get("events") or []
        if not events:
            raise ConversationNotFound("Dạ, máy chủ trợ lý không có cuộc trò chuyện này (có thể đã bị xóa).")
        return Transcript(
            conversation_id, tracker.get("latest_input_channel"), bool(tracker.get("paused")), turns_from_events(events)
        )

    async def reply(
        self, conversation_id: str, text: Any, officer: Any, handover_id: Optional[int] = None
    ) -> Transcript:
        """Send ``text`` as the officer; returns the transcript after it. Raises before any local
        write when Rasa cannot take the event."""
        text = clean_reply(text)
        before = await self.transcript(conversation_id)
        username = _username(officer)
        metadata = {"officer": username}
        display = getattr(officer, "display_name", None)
        if isinstance(display, str) and display.strip():
            metadata["officer_name"] = display.strip()
        hid = handover_id if handover_id is not None else await self.open_handover_id(conversation_id)
        events: List[Dict[str, Any]] = [{"event": "bot", "text": text, "metadata": metadata}]
        retaken = False
        if hid is not None and not before.paused:
            # the person went back to the bot while waiting (actions/handover.py) and the officer
            # now answers: the officer has the conversation again, so the bot must not answer the
            # person's reply to the officer; "quay lại trợ lý" still gets it back. The listen
            # after the pause: the first message after a later resume must follow one.
            # The person is told once, after the officer's message, why the bot is quiet now.
            from lead_store.handovers import RESUME_BUTTON

            events += [
                {"event": "pause"},
                {"event": "action", "name": "action_listen"},
                {
                    "event": "bot",
                    "text": RETAKEN_TEXT,
                    "data": {"buttons": [RESUME_BUTTON]},
                    "metadata": {"handover": "officer", "handover_notice": True},
                },
            ]
            retaken = True
        state = await self.rasa.append(conversation_id, events)
        if before.channel == "rest":
            from lead_store.handovers import queue_rest_reply

            await self._db(queue_rest_reply, conversation_id, text)
            if retaken:
                await self._db(queue_rest_reply, conversation_id, RETAKEN_TEXT)
        if hid is not None:
            from lead_store.handovers import record_officer_reply

            await self._db(record_officer_reply, hid, username)
        return Transcript(
            conversation_id,
            state.get("latest_input_channel"),
            bool(state.get("paused")),
            turns_from_events(state.get("events") or []),
        )

    async def hand_back(self, conversation_id: str, officer: Any, handover_id: Optional[int] = None) -> Transcript:
        """Resume the bot, tell the user, close the handover row."""
        before = await self.transcript(conversation_id)
        # action_listen last: the pause began right after action_handover, with no action_listen
        # (a paused Rasa runs nothing); without it RulePolicy meets an unexpected history on the
        # next message, falls back, rewinds and predicts action_handover again.
        events: List[Dict[str, Any]] = [
            {"event": "resume"},
            {"event": "bot", "text": HAND_BACK_TEXT, "metadata": {"handover": "resumed"}},
            {"event": "action", "name": "action_listen"},
        ]
        state = await self.rasa.append(conversation_id, events)
        if before.channel == "rest":
            from lead_store.handovers import queue_rest_reply

            await self._db(queue_rest_reply, conversation_id, HAND_BACK_TEXT)
        hid = handover_id if handover_id is not None else await self.open_handover_id(conversation_id)
        if hid is not None:
            from lead_store.handovers import close_handover

            await self._db(close_handover, hid, _username(officer))
        return Transcript(
            conversation_id,
            state.get("latest_input_channel"),
            bool(state.get("paused")),
            turns_from_events(state.get("events") or []),
        )

    async def open_handover_id(self, conversation_id: str) -> Optional[int]:
        def find(engine) -> Optional[int]:
            from sqlalchemy.orm import Session

            from lead_store.handovers import open_handover_for

            with Session(engine, future=True) as session:
                row = open_handover_for(session, conversation_id)
                return row.id if row is not None else None

        return await self._db(find)


def _username(officer: Any) -> str:
    name = officer if isinstance(officer, str) else getattr(officer, "username", None)
    if not isinstance(name, str) or not name:
        raise HandoverError("Dạ, không xác định được cán bộ đang đăng nhập.")
    return name


__all__ = [
    "HAND_BACK_TEXT",
    "ConversationNotFound",
    "HandoverError",
    "HandoverService",
    "RasaClient",
    "RasaUnavailable",
    "Transcript",
    "Turn",
    "clean_reply",
    "turns_from_events",
    "vietnam_time",
]

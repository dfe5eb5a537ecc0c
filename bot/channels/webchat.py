"""Web chat channel ("web"): Rasa's socket.io protocol + the widget's static files, one server.

* socket.io at ``/socket.io`` (``socketio_path``), events ``session_request`` → ``session_confirm``,
  ``user_uttered`` → ``bot_uttered`` (same as Rasa's ``socketio`` channel, so any Rasa socket.io
  client works) plus ``bot_done`` after each turn, which ends the widget's typing indicator.
* Sessions always persist: the widget keeps its session id in localStorage and "web-<id>" is
  the Rasa sender id, so the conversation survives page reloads (and a web client can never
  name another channel's conversation, e.g. a Zalo user id).
* Text goes through ``guard.screen`` like every channel; the channel name is "web", which is what
  ``tracker.get_latest_input_channel()`` (and so each lead) records.
* A session over the rate limit (``ratelimit.py``) is not answered; it gets one polite message
  per notice window. engine.io accepts at most ``MAX_PACKET_BYTES`` per HTTP request / frame.
* Hostile transport input is answered 4xx before python-engineio / python-socketio see it, or
  dropped with a warning: polling bodies that are not UTF-8, packets a client may not send, unknown
  session ids, malformed socket.io packets, events whose name is not a string (those libraries
  would otherwise log tracebacks, and engine.io answers some of them with a 500).
* ``GET /webhooks/web/demo`` is a demo page; ``/webhooks/web/widget.js`` (+ ``widget.css``,
  ``vendor/socket.io.min.js``) is what a centre embeds. Nothing else in ``web/`` is served.

* Several Rasa replicas: a message appended through Rasa's HTTP API on one replica (an officer's
  reply from the console, ``output_channel=latest``) must reach a widget whose socket is connected
  to another replica. With a Redis URL (credentials key ``socketio_redis_url`` or env
  ``SOCKETIO_REDIS_URL``) python-socketio's ``AsyncRedisManager`` is the client manager: an emit
  is delivered to the room's local sockets and published once to the other replicas, which
  deliver to theirs (each socket lives on exactly one replica, so it gets the message once).
  Without a URL the single-process default manager is used, as before.
* Bot messages carry optional labels to the widget, taken from the bot event's metadata: an
  officer's message (metadata ``officer``: the console username, which is not sent) is marked
  ``"from": "officer"`` with ``officer_name`` (the display name, if any: the widget shows
  "Cán bộ …"); ``handover`` (``"waiting"`` / ``"resumed"``) shows / hides the widget's
  "waiting for an officer" state.

* Officer messages the widget missed (its page was closed when the officer replied: replies can
  come hours later, outside office hours) are replayed when it reconnects. The widget counts the
  handover messages it has shown (officer replies and the waiting / resumed notices) and sends
  that count as ``handover_seen`` with ``session_request``; the channel reads the conversation's
  tracker and emits the later ones to that socket only, in order. A client that sends no count
  (any other Rasa socket.io client) gets no replay.

Also fixes Rasa 3.6's ``SocketIOInput``, which calls python-socketio 5.18's ``enter_room`` (now
a coroutine) without awaiting it: the socket never joins its session room, so with
``session_persistence: true`` no bot message reaches the browser.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
import engineio
from socketio import AsyncRedisManager, AsyncServer

from bot.channels.guard import FAILURE_REPLY, clean_text, limit_request_size, screen
from bot.channels.ratelimit import LIMITED_REPLY, RateLimiter

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
STATIC = {  # URL path → (file under web/, content type)
    "demo": ("index.html", "text/html; charset=utf-8"),
    "widget.js": ("widget.js", "application/javascript; charset=utf-8"),
    "widget.css": ("widget.css", "text/css; charset=utf-8"),
    "vendor/socket.io.min.js": ("vendor/socket.io.min.js", "application/javascript; charset=utf-8"),
}
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")  # what the widget (and uuid4().hex) generates
SENDER_PREFIX = "web-"  # Rasa sender id = "web-<session id>": a web client cannot pick a Zalo user's id
DONE_EVENT = "bot_done"
REDIS_URL_ENV = "SOCKETIO_REDIS_URL"
REDIS_CHANNEL_ENV = "SOCKETIO_REDIS_CHANNEL"
DEFAULT_REDIS_CHANNEL = "tro-ly-khuyen-cong:socketio"
HANDOVER_STATES = ("waiting", "resumed")
MAX_PACKET_BYTES = 64 * 1024  # a widget message is < 2 KB


#: engine.io v4 packet types a client POSTs over long-polling: close, pong, message. (python-engineio
#: answers any other one by closing the session and waiting for a poll that may never come: the
#: request would hang.)
CLIENT_PACKET_TYPES = set("134")


def polling_body_problem(body: bytes) -> Optional[tuple[int, str]]:
    """(status, reason) when a long-polling POST body must be refused, else None."""
    if len(body) > MAX_PACKET_BYTES:
        return 413, "payload too large"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return 400, "payload is not UTF-8"
    packets = text.split("\x1e")
    if not text or any(not p or p[0] not in CLIENT_PACKET_TYPES for p in packets):
        return 400, "unexpected packet"
    return None


class _GuardedEngineIO(engineio.AsyncServer):
    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        request = args[0]
        sid = request.args.get("sid")
        if sid is not None and sid not in self.sockets:
            return response.json({"code": 1, "message": "Session ID unknown"}, status=400)
        if request.method == "POST":
            problem = polling_body_problem(request.body or b"")
            if problem is not None:
                socket = self.sockets.pop(sid, None) if sid is not None else None
                if socket is not None:  # drop the session; never wait for a poll that may not come
                    await socket.close(wait=False, abort=True)
                return response.json({"code": 3, "message": problem[1]}, status=problem[0])
        try:
            return await super().handle_request(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - engine.io's own error paths: a 4xx, not a 500
            logger.warning("web: engine.io refused a request (%s)", type(exc).__name__)
            return response.json({"code": 3, "message": "bad request"}, status=400)


class _GuardedSocketIO(AsyncServer):
    def _engineio_server_class(self) -> type:
        return _GuardedEngineIO

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            await super()._handle_eio_message(eio_sid, data)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
            self._binary_packet.pop(eio_sid, None)
            logger.warning("web: malformed socket.io packet dropped (%s)", type(exc).__name__)

    async def _handle_event(self, eio_sid: str, namespace: Any, id: Any, data: Any) -> None:
        if not (isinstance(data, list) and data and isinstance(data[0], str)):
            logger.warning("web: socket.io event without a name dropped")
            return
        await super()._handle_event(eio_sid, namespace, id, data)


def message_labels(kwargs: Dict[str, Any]) -> Dict[str, str]:
    """The widget-visible labels of a bot message (see the module docstring); anything else in
    the event's metadata stays on the server."""
    labels: Dict[str, str] = {}
    if isinstance(kwargs.get("officer"), str) and kwargs["officer"]:  # the username stays here
        labels["from"] = "officer"
        name = kwargs.get("officer_name")
        if isinstance(name, str) and name.strip():
            labels["officer_name"] = name.strip()[:64]
    if kwargs.get("handover") in HANDOVER_STATES:
        labels["handover"] = kwargs["handover"]
    return labels


class WebChatOutput(SocketIOOutput):
    """Rasa's socket.io output plus the ``officer`` / ``handover`` labels on each message part."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        labels = message_labels(kwargs)
        for part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": part, **labels})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        labels = message_labels(kwargs)
        parts = text.strip().split("\n\n") or [text]
        messages: List[Dict[Text, Any]] = [{"text": part, "quick_replies": [], **labels} for part in parts]
        messages[-1]["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
        ]
        for message in messages:
            await self._send_message(recipient_id, message)


MAX_REPLAY = 50  # handover messages replayed at most (the newest)


def handover_messages(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The handover messages of a tracker's events (officer replies, waiting / resumed notices), as
    the widget receives them live: one message per paragraph, with their labels."""
    out: List[Dict[str, Any]] = []
    for event in events:
        if event.get("event") != "bot":
            continue
        labels = message_labels(event.get("metadata") or {})
        if not labels:
            continue
        for part in str(event.get("text") or "").strip().split("\n\n"):
            if part:
                out.append({"text": part, **labels})
    return out


async def missed_handover_messages(agent: Any, sender: str, seen: int) -> List[Dict[str, Any]]:
    """The handover messages of ``sender``'s conversation after the first ``seen`` ones."""
    store = getattr(agent, "tracker_store", None)
    if store is None:
        return []
    tracker = store.retrieve(sender)
    if inspect.isawaitable(tracker):
        tracker = await tracker
    if tracker is None:
        return []
    messages = handover_messages([e.as_dict() for e in tracker.events])
    return messages[seen:][-MAX_REPLAY:]


def client_manager(credentials: Optional[Dict[Text, Any]]) -> Optional[AsyncRedisManager]:
    """A Redis client manager when a URL is configured (several replicas), else None (default)."""
    credentials = credentials or {}
    url = credentials.get("socketio_redis_url") or os.environ.get(REDIS_URL_ENV)
    if not url:
        return None
    channel = credentials.get("socketio_redis_channel") or os.environ.get(REDIS_CHANNEL_ENV) or DEFAULT_REDIS_CHANNEL
    logger.info("web: socket.io messages are shared between replicas through Redis")  # never the URL
    return AsyncRedisManager(str(url), channel=str(channel))


class WebChatInput(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        channel = super().from_credentials(credentials)
        channel.session_persistence = True
        channel.web_dir = Path((credentials or {}).get("static_dir") or WEB_DIR)
        channel.credentials = dict(credentials or {})
        return channel

    web_dir: Path = WEB_DIR
    credentials: Dict[Text, Any] = {}

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        """Used by Rasa's HTTP API (``output_channel=latest`` / ``web``) to push messages."""
        if self.sio is None:
            return super().get_output_channel()
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # cors_allowed_origins=[]: engine.io leaves CORS to Sanic (`rasa run --cors ...`).
        manager = client_manager(self.credentials)
        sio = _GuardedSocketIO(
            async_mode="sanic",
            cors_allowed_origins=[],
            max_http_buffer_size=MAX_PACKET_BYTES,
            **({"client_manager": manager} if manager is not None else {}),
        )
        bp = SocketBlueprint(sio, self.socketio_path, "web_webhook", __name__)
        limit_request_size(bp)
        self.sio = sio
        limiter = RateLimiter()

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        def static_route(url: str, filename: str, content_type: str) -> None:
            async def serve(_: Request) -> HTTPResponse:
                path = self.web_dir / filename
                if not path.is_file():
                    return response.text("not found", status=404)
                return await response.file(
                    path,
                    mime_type=content_type,
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
                )

            bp.add_route(serve, f"/{url}", methods=["GET"], name=f"web_{re.sub(r'[^a-z]', '_', url)}")

        for url, (filename, content_type) in STATIC.items():
            static_route(url, filename, content_type)

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not self.jwt_key:  # the public widget: anyone may ask about public policy
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            session_id = (data or {}).get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
                session_id = uuid.uuid4().hex
            joined = sio.enter_room(sid, SENDER_PREFIX + session_id, namespace=self.namespace)
            if inspect.isawaitable(joined):
                await joined
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            seen = (data or {}).get("handover_seen") if isinstance(data, dict) else None
            if isinstance(seen, int) and not isinstance(seen, bool) and 0 <= seen <= 10_000:
                await replay(sid, SENDER_PREFIX + session_id, seen)

        async def replay(sid: Text, sender: str, seen: int) -> None:
            try:
                request = sio.get_environ(sid, namespace=self.namespace).get("sanic.request")
                agent = getattr(getattr(getattr(request, "app", None), "ctx", None), "agent", None)
                for message in await missed_handover_messages(agent, sender, seen):
                    await sio.emit(self.bot_message_evt, message, room=sid, namespace=self.namespace)
            except Exception:  # noqa: BLE001 - a replay must never break the connection
                logger.warning("web: could not replay missed officer messages")

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
                logger.warning("web: message without a valid session_id ignored")
                return
            sender = SENDER_PREFIX + session_id
            output = WebChatOutput(sio, self.bot_message_evt)
            try:
                decision = limiter.check(sender)
                if not decision.allowed:
                    if decision.notify:
                        await output.send_response(sender, {"text": LIMITED_REPLY})
                    return
                text = clean_text(data.get("message"))
                canned = screen(text)
                if canned is not None:
                    await output.send_response(sender, canned)
                    return
                metadata = data.get(self.metadata_key)
                await on_new_message(
                    UserMessage(
                        text,
                        output,
                        sender,
                        input_channel=self.name(),
                        metadata=metadata if isinstance(metadata, dict) else None,
                    )
                )
            except Exception:  # noqa: BLE001 - never echo user text: it may hold personal data
                logger.exception("web: error while handling a message")
                await output.send_response(sender, {"text": FAILURE_REPLY})
            finally:
                await sio.emit(DONE_EVENT, {}, room=sender, namespace=self.namespace)

        return bp

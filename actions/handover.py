"""Live handover to an officer (issue 13): the offer, the handover itself, and what ends it.

The bot offers a person ("Gặp cán bộ" / "Tiếp tục với trợ lý") when someone asks for one
(intent ``request_human``, also inside a form) or when it failed to understand them twice in a
row. "Failed" is read from the tracker's own events, not from a counter slot that every action
would have to reset: a bot message of the no-answer path carries ``no_answer`` in its metadata
(``actions/answer.py``), Rasa's fallback message carries ``utter_action: utter_default``.

Accepting opens a row in ``handovers`` (``lead_store.handovers``; the console's inbox lists it),
says honestly when to expect a reply (``policy_kb.centre``: office hours) and returns
``ConversationPaused``: from then on Rasa logs the person's messages and predicts nothing
(``MessageProcessor._should_handle_message`` in Rasa 3.6; tests/test_handover_bot.py fails if
that changes) until an officer hands back (``resume``), a Zalo OA pause runs out, or the person
sends /restart — which Rasa always handles, paused or not; ``action_restart`` here closes the
conversation's open handover first, so the inbox does not list a conversation nobody waits in.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, ConversationPaused, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from lead_store import handovers
from policy_kb.db import get_engine

logger = logging.getLogger(__name__)

ACCEPT = {"title": "Gặp cán bộ", "payload": "/handover_accept"}
DECLINE = {"title": "Tiếp tục với trợ lý", "payload": "/handover_decline"}
#: metadata keys on bot messages (kept in the tracker; channels ignore unknown keys, the web
#: widget shows ``handover`` as its "waiting for an officer" state)
NO_ANSWER_KEY = "no_answer"
OFFER_KEY = "handover_offer"


def _centre():
    """The centre's settings, or None when the file is wrong (the start-up check reports it;
    a reply must still go out)."""
    try:
        from policy_kb.centre import centre

        return centre()
    except Exception as exc:  # noqa: BLE001
        logger.warning("centre settings unavailable (%s)", type(exc).__name__)
        return None


def _previous_turn(events: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """The bot messages that answered the user turn before the current one."""
    users, bots = 0, []
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            users += 1
            if users == 2:
                return bots
        elif kind in ("restart", "session_started"):
            return [] if users < 2 else bots
        elif kind == "bot" and users == 1:
            bots.append(event)
    return []


def _failed(message: Dict[Text, Any]) -> bool:
    meta = message.get("metadata") or {}
    return bool(meta.get(NO_ANSWER_KEY)) or meta.get("utter_action") == "utter_default"


def should_offer_after_failure(tracker: Tracker) -> bool:
    """Is the current turn, which the bot cannot answer, the second such turn in a row? Not when
    the previous turn already offered a person (a third failure does not repeat the offer)."""
    previous = _previous_turn(tracker.events or [])
    return any(_failed(m) for m in previous) and not any((m.get("metadata") or {}).get(OFFER_KEY) for m in previous)


def offer(dispatcher: CollectingDispatcher, reason: str) -> None:
    """Say the offer with its two buttons; ``reason`` ("asked" | "not_understood") travels in
    the message's metadata to the handover row if the person accepts."""
    place = _centre()
    name = place.name if place else "Trung tâm Khuyến công"
    if reason == "not_understood":
        text = (
            f"Dạ, em xin lỗi vì chưa hiểu được ý anh/chị. Anh/chị có muốn em chuyển cho cán bộ "
            f"{name} trả lời trực tiếp không ạ?"
        )
    else:
        text = (
            f"Dạ, em có thể chuyển cuộc trò chuyện này cho cán bộ {name} ạ. "
            "Anh/chị muốn gặp cán bộ hay tiếp tục hỏi em?"
        )
    dispatcher.utter_message(text=text, buttons=[ACCEPT, DECLINE], **{OFFER_KEY: reason})


def _offer_reason(tracker: Tracker) -> str:
    """Why the person is handed over: the reason of the latest offer in this session."""
    for event in reversed(tracker.events or []):
        if event.get("event") in ("restart", "session_started"):
            break
        reason = (event.get("metadata") or {}).get(OFFER_KEY) if event.get("event") == "bot" else None
        if reason in handovers.REASONS:
            return reason
    return "asked"


class ActionOfferHandover(Action):
    def name(self) -> Text:
        return "action_offer_handover"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        offer(dispatcher, "asked")
        return []


class ActionHandover(Action):
    """The person accepted: open the inbox row, say when a reply comes, pause the bot."""

    def name(self) -> Text:
        return "action_handover"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        place = _centre()
        channel = tracker.get_latest_input_channel() or "unknown"
        try:
            handover_id = handovers.open_handover(get_engine(), tracker.sender_id, channel, _offer_reason(tracker))
        except Exception as exc:  # noqa: BLE001 - without the row no officer would ever see it
            logger.warning("handover not opened (%s)", type(exc).__name__)
            phone = f" gọi {place.hotline_text}" if place and place.hotline_text else " liên hệ Trung tâm Khuyến công"
            dispatcher.utter_message(
                text="Dạ, em xin lỗi, hiện em chưa chuyển được cho cán bộ. "
                f"Anh/chị vui lòng thử lại sau ít phút hoặc{phone} ạ."
            )
            return []
        logger.info("conversation handed over (handover %s, %s)", handover_id, channel)
        when = dt.datetime.now(dt.timezone.utc)
        expectation = place.reply_expectation(when) if place else "Cán bộ sẽ trả lời anh/chị tại đây ạ."
        dispatcher.utter_message(
            text=f"Dạ, em đã chuyển cuộc trò chuyện cho cán bộ. {expectation}\n\n"
            "Trong lúc chờ, em tạm dừng trả lời; anh/chị cứ nhắn nội dung cần hỏi, cán bộ sẽ đọc được ạ.",
            handover="waiting",
        )
        events: List[Dict[Text, Any]] = []
        if tracker.active_loop.get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        # action_listen after the pause: Rasa stops predicting without logging a listen, and the
        # first message after a resume (console hand-back, /restart aside) must follow one, or the
        # rules do not match it and the person gets the fallback
        return events + [ConversationPaused(), ActionExecuted("action_listen")]


class ActionRestart(Action):
    """/restart (Rasa handles it even while paused): close the open handover, then restart."""

    def name(self) -> Text:
        return "action_restart"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        try:
            closed = handovers.close_conversation_handovers(get_engine(), tracker.sender_id, "user_restart")
            if closed:
                logger.info("restart closed %s open handover(s)", closed)
        except Exception as exc:  # noqa: BLE001 - the restart itself must still happen
            logger.warning("handover not closed on restart (%s)", type(exc).__name__)
        return [Restarted()]


def failed_turn_metadata() -> Dict[Text, Any]:
    """Keyword arguments that mark a bot message as "could not answer" (see the module doc)."""
    return {NO_ANSWER_KEY: True}


__all__ = [
    "ACCEPT",
    "DECLINE",
    "ActionHandover",
    "ActionOfferHandover",
    "ActionRestart",
    "failed_turn_metadata",
    "offer",
    "should_offer_after_failure",
]

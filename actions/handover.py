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

While paused, the person is never left in silence and can always get the bot back (issue 28):
Rasa runs ``action_while_handed_over`` for every message of a paused conversation
(``bot/rasa_patches.py``, patch 11) and that action decides, in this order:

* "không cần cán bộ nữa", "khỏi cán bộ gọi lại", "huỷ" (vntext.requests) → the request is closed
  in the inbox (``user_cancel``) and the bot resumes, saying so;
* "quay lại trợ lý", "Tiếp tục với trợ lý" (its button, or the offer's old one) → the bot resumes
  and says so; the handover stays open in the console's inbox, so the officer still answers;
* out of office hours, a question about the policy → the bot answers it now, after a line saying
  the officer will still reply (nobody should wait until 7:30 for a fact the bot has), and the
  conversation is the officer's again after the answer — unless an officer has already written
  (then the person is talking with them);
* anything else → "em đã chuyển tin nhắn … cho cán bộ, sẽ trả lời …" with the way back, at most
  once every ``waiting_notice_minutes`` (configs/centre.yml); after an officer wrote, only a
  question gets it (the rest is the person's side of that chat); a complaint about waiting gets
  an apology at once. The message is kept in the conversation for the officer either way.

Asking for a person again never repeats the offer: right after an offer, or while a request is
open, it is the handover itself. Declining closes a request still open when its words call it off.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, ConversationPaused, ConversationResumed, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from lead_store import handovers
from actions.render import MAIN_MENU
from policy_kb.db import get_engine
from vntext.fold import fold
from vntext.statements import is_question
from vntext.requests import (
    cancels_the_request,
    complains_of_waiting,
    is_bare_cancel,
    mentions_the_bot,
    wants_the_bot_back,
)

logger = logging.getLogger(__name__)

ACCEPT = {"title": "Gặp cán bộ", "payload": "/handover_accept"}
DECLINE = {"title": "Tiếp tục với trợ lý", "payload": "/handover_decline"}
#: on the pause message and the waiting notices: gets the bot back while an officer has it
RESUME = handovers.RESUME_BUTTON
#: messages that ask the bot back while paused: a tapped button, the words (vntext.requests), or
#: the classifier when it is sure (unsure, it read "em cần gấp" as handover_decline, 0.40)
RESUME_INTENTS = {"resume_bot", "handover_decline"}
RESUME_CONFIDENCE = 0.8
#: out of office hours, these are answered by the bot at once (the officer still replies later)
KNOWLEDGE_INTENTS = {
    "ask_overview", "ask_objectives", "ask_beneficiaries", "ask_industries", "ask_priorities",
    "ask_activities", "ask_support_level", "ask_conditions", "ask_procedure", "ask_dossier",
    "ask_typical_product", "ask_legal_documents", "ask_agencies", "ask_pilot_projects",
    "ask_local_levels", "check_eligibility", "estimate_support",
}  # fmt: skip
#: …when the classifier is at least this sure ("sao lâu vậy" is no question for the bot), or this
#: sure when the words ask something ("… bao nhiêu", "… không", "?": vntext.statements.is_question)
KNOWLEDGE_CONFIDENCE = 0.5
KNOWLEDGE_CONFIDENCE_ASKED = 0.3
#: metadata keys on bot messages (kept in the tracker; channels ignore unknown keys, the web
#: widget shows ``handover`` as its "waiting for an officer" state)
NO_ANSWER_KEY = "no_answer"
OFFER_KEY = "handover_offer"
#: the waiting notice's metadata value (its time rate-limits the next one)
NOTICE_KEY = "handover_notice"


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


def offer(dispatcher: CollectingDispatcher, reason: str, province: Optional[str] = None) -> None:
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
    unit = _other_province(place, province)
    if unit is not None:  # this centre is another province's: say whose the support is
        text += (
            f" Cơ sở của anh/chị ở {unit.short_name}: hỗ trợ của tỉnh do Trung tâm Khuyến công hoặc Sở "
            f"Công Thương {unit.short_name} hướng dẫn; cán bộ bên em vẫn trao đổi chung được ạ."
        )
    now = dt.datetime.now(dt.timezone.utc)
    if place is not None and not place.is_open(now):  # say it before the person chooses
        text += f" (Hiện ngoài giờ làm việc: cán bộ trả lời sớm nhất {place.next_opening_text(now)}.)"
    dispatcher.utter_message(text=text, buttons=[ACCEPT, DECLINE], **{OFFER_KEY: reason})


def _other_province(place, province: Optional[str]):
    """The person's province when the centre says it serves another one, else None."""
    if place is None or not place.province or not province or province == place.province:
        return None
    from policy_kb.provinces import load_provinces

    return load_provinces().get(province)


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
        # Asking for a person again is a yes, never the same question twice: within a few turns
        # of an offer that got another reply ("Vâng, bạn chuyển giúp tôi" → the help menu), or while a
        # request the person went back from is still open (the officer has not answered yet).
        if _offered_lately(tracker) or _open_request(tracker.sender_id):
            return ActionHandover().run(dispatcher, tracker, domain)
        offer(dispatcher, "asked", tracker.get_slot("province"))
        return []


def _offered_lately(tracker: Tracker, turns: int = 4) -> bool:
    """Did one of the last ``turns`` bot replies (before this message) offer a person, and the
    person has not said no to it since? (After a no, a new request gets a new offer.)"""
    users = 0
    for event in reversed(tracker.events or []):
        kind = event.get("event")
        if kind in ("restart", "session_started"):
            return False
        if kind == "user":
            users += 1
            if users > turns:
                return False
            said = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if users > 1 and said in ("handover_decline", "deny", "resume_bot"):
                return False
        elif kind == "bot" and users >= 1 and (event.get("metadata") or {}).get(OFFER_KEY):
            return True
    return False


def _open_request(conversation_id: str) -> bool:
    try:
        from sqlalchemy.orm import Session

        with Session(get_engine(), future=True) as session:
            return handovers.open_handover_for(session, conversation_id) is not None
    except Exception as exc:  # noqa: BLE001 - without the store, offer as usual
        logger.warning("open handover not checked (%s)", type(exc).__name__)
        return False


def _cancel_request(conversation_id: str) -> None:
    try:
        closed = handovers.close_conversation_handovers(get_engine(), conversation_id, "user_cancel")
        logger.info("the person called off %s handover request(s)", closed)
    except Exception as exc:  # noqa: BLE001 - the person is answered all the same
        logger.warning("handover not closed on cancel (%s)", type(exc).__name__)


#: the person called the officer off (vntext.requests.cancels_the_request): said once, here
CANCELLED = (
    "Dạ, em đã huỷ yêu cầu gặp cán bộ ạ. Em tiếp tục hỗ trợ anh/chị; khi cần, anh/chị nhắn "
    "“gặp cán bộ” là được ạ.\n\nAnh/chị cần hỏi gì ạ?"
)


class ActionDeclineHandover(Action):
    """ "Tiếp tục với trợ lý" / "không cần cán bộ nữa" while the bot is answering: the offer is
    declined, and a request still open from earlier is closed when the words call it off."""

    def name(self) -> Text:
        return "action_decline_handover"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        if cancels_the_request(text) and _open_request(tracker.sender_id):
            _cancel_request(tracker.sender_id)
            dispatcher.utter_message(text=CANCELLED, buttons=MAIN_MENU, handover="cancelled")
        else:
            dispatcher.utter_message(response="utter_handover_declined")
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
        if place is None or place.is_open(when):
            meanwhile = (
                "Trong lúc chờ, anh/chị cứ nhắn nội dung cần hỏi, cán bộ sẽ đọc được. Muốn hỏi tiếp "
                "trợ lý tự động, anh/chị nhắn “quay lại trợ lý” hoặc bấm nút dưới đây ạ."
            )
        else:
            meanwhile = (
                "Trong lúc chờ, anh/chị cứ hỏi em về chính sách khuyến công, em vẫn trả lời; cán bộ "
                "sẽ trả lời anh/chị sau. Không cần gặp cán bộ nữa thì anh/chị nhắn “huỷ” ạ."
            )
        dispatcher.utter_message(
            text=f"Dạ, em đã chuyển cuộc trò chuyện cho cán bộ. {expectation}\n\n{meanwhile}",
            buttons=[RESUME],
            handover="waiting",
        )
        events: List[Dict[Text, Any]] = []
        if tracker.active_loop.get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        # action_listen after the pause: Rasa stops predicting without logging a listen, and the
        # first message after a resume (console hand-back, /restart aside) must follow one, or the
        # rules do not match it and the person gets the fallback
        return events + [ConversationPaused(), ActionExecuted("action_listen")]


def _timestamp(event: Dict[Text, Any]) -> float:
    try:
        return float(event.get("timestamp") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _recently_heard(events: List[Dict[Text, Any]], now: float, seconds: float, officer_counts: bool = True) -> bool:
    """Has the person, within ``seconds``, had a waiting notice or an officer's message? Then a
    notice now would only repeat it (the pause message itself does not count: it is one turn
    old, and the first message after it should still be acknowledged)."""
    for event in reversed(events):
        if event.get("event") in ("restart", "session_started"):
            return False
        if event.get("event") != "bot":
            continue
        if now - _timestamp(event) > seconds:
            return False
        meta = event.get("metadata") or {}
        if meta.get(NOTICE_KEY) or (officer_counts and meta.get("officer")):
            return True
    return False


def _officer_engaged(events: List[Dict[Text, Any]]) -> bool:
    """Has an officer written since the person asked for one (or, for a Zalo OA admin's pause,
    at all this session)? Then the person is talking with that officer, and a question is
    theirs to answer, not the bot's."""
    for event in reversed(events):
        if event.get("event") in ("restart", "session_started"):
            return False
        if event.get("event") != "bot":
            continue
        meta = event.get("metadata") or {}
        if meta.get("officer"):
            return True
        if meta.get("handover") == "waiting" and not meta.get(NOTICE_KEY):
            return False  # the pause message of action_handover: nobody has answered since
    return False


class ActionWhileHandedOver(Action):
    """A message while an officer has the conversation (see the module doc for the three cases).

    Run by the Rasa server for a paused conversation instead of predicting (patch 11 in
    bot/rasa_patches.py). Its events are applied as they are, without an ``ActionExecuted`` of its
    own; when it resumes the bot and ends with ``action_listen`` the turn is over, when it resumes
    without one Rasa goes on to predict the answer to the message as usual.
    """

    def name(self) -> Text:
        return "action_while_handed_over"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")
        confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
        tapped = text.startswith("/")
        events = tracker.events or []
        place = _centre()
        now = dt.datetime.now(dt.timezone.utc)
        open_now = place is None or place.is_open(now)
        engaged = _officer_engaged(events)
        if engaged:  # the officer has written: no "from 7:30 tomorrow" any more
            expectation = "Cán bộ vẫn đọc được tin nhắn và sẽ trả lời anh/chị ngay tại đây ạ."
        else:
            expectation = place.reply_expectation(now) if place else "Cán bộ sẽ trả lời anh/chị tại đây ạ."
        if not tapped and (cancels_the_request(text) or is_bare_cancel(text)):
            _cancel_request(tracker.sender_id)
            dispatcher.utter_message(text=CANCELLED, buttons=MAIN_MENU, handover="cancelled", handover_by="user")
            return [ConversationResumed(), ActionExecuted("action_listen")]
        resume = intent in RESUME_INTENTS and (tapped or confidence >= RESUME_CONFIDENCE)
        if resume or wants_the_bot_back(text):
            logger.info("the person took the conversation back from the handover")
            dispatcher.utter_message(
                text="Dạ, em quay lại hỗ trợ anh/chị ạ. Yêu cầu gặp cán bộ vẫn được giữ: "
                f"{_lower_first(expectation)}\n\nAnh/chị cần hỏi gì ạ?",
                buttons=MAIN_MENU,
                handover="resumed",
                handover_by="user",
            )
            return [ConversationResumed(), ActionExecuted("action_listen")]
        asks = _asks(text)
        # a message that asks something may be classified less surely and still be a question
        sure = KNOWLEDGE_CONFIDENCE if not asks else KNOWLEDGE_CONFIDENCE_ASKED
        question = intent in KNOWLEDGE_INTENTS and confidence >= sure
        # a tap on one of the bot's own buttons is a question for the bot, whatever the hour
        if question and (tapped or (not open_now and not engaged)):
            logger.info("a question while waiting is answered by the bot")
            when = f", sớm nhất {place.next_opening_text(now)}" if place and not open_now else ""
            # the answer follows (Rasa predicts it); then the conversation is the officer's again
            # (bot/rasa_patches.py patch 11 pauses it after a message marked "question")
            dispatcher.utter_message(
                text=(
                    f"Dạ, cán bộ vẫn sẽ trả lời anh/chị vào giờ làm việc{when}. Trong lúc chờ, em xin trả lời trước ạ:"
                    if not open_now
                    else "Dạ, cán bộ vẫn sẽ trả lời anh/chị. Em xin trả lời trước ạ:"
                ),
                handover="resumed",
                handover_by=handovers.ANSWER_THEN_WAIT,
            )
            return [ConversationResumed()]
        complaint = complains_of_waiting(text)
        # a tap on "Gặp cán bộ" again is answered each time (the person wants to know it went
        # through), a complaint about waiting too (once in a row); other words at most once per
        # waiting_notice_minutes, and after an officer wrote only a question gets the notice
        # (the rest is the person's side of a chat with that officer)
        seconds = (place.waiting_notice_minutes if place else 5.0) * 60
        # a Zalo OA admin answers in the OA chat itself and asked the bot to stay out of it
        # ("trợ lý chưa trả lời?" is for the bot, not the officer: it gets the notice too)
        officer_counts = not (question or mentions_the_bot(text)) or _last_officer(events) == handovers.OA_ADMIN_OFFICER
        heard = _recently_heard(events, now.timestamp(), seconds, officer_counts=officer_counts)
        # never silence for a question nobody has answered (no officer has written yet): the
        # notice again, with the way to the bot, rather than nothing
        unanswered_question = asks and not engaged and not tapped
        if (
            (tapped and intent == "handover_accept")
            or (complaint and not _last_notice_apologised(events))
            or unanswered_question
            or not heard
        ):
            if open_now:
                notice = "Dạ, em đã chuyển tin nhắn của anh/chị cho cán bộ, cán bộ sẽ trả lời sớm ạ."
            elif engaged:
                notice = f"Dạ, em đã chuyển tin nhắn của anh/chị cho cán bộ. {expectation}"
            elif place is not None:  # the hours were in the pause message: only when, and the phone
                notice = (
                    "Dạ, em đã chuyển tin nhắn của anh/chị cho cán bộ; cán bộ sẽ trả lời sớm nhất "
                    f"{place.next_opening_text(now)} ạ."
                )
            else:
                notice = f"Dạ, em đã chuyển tin nhắn của anh/chị cho cán bộ. {expectation}"
            if complaint:
                notice = "Dạ, em xin lỗi để anh/chị phải chờ ạ. " + notice[len("Dạ, ") :]
            dispatcher.utter_message(
                text=f"{notice} Muốn hỏi tiếp trợ lý tự động, anh/chị bấm “Tiếp tục với trợ lý” ạ.",
                buttons=[RESUME],
                handover="waiting",
                **{NOTICE_KEY: "apology" if complaint else True},
            )
        return []


#: words that close a question without being it: "… thì sao ad", "… không em", "… bn vậy ạ"
_TRAILING = re.compile(r"(?:\W+(?:ad|a|em|anh|chi|co|chu|ban|nhe|nha|nhi|vay|the|ha|ah|oi|ta|dzay|z))+\W*$")


def _asks(text: str) -> bool:
    """Does the message ask something (vntext.statements.is_question, its closing words aside)?"""
    folded = fold(text or "")
    return is_question(folded) or is_question(_TRAILING.sub("", folded))


def _last_officer(events: List[Dict[Text, Any]]) -> Optional[str]:
    for event in reversed(events):
        officer = (event.get("metadata") or {}).get("officer") if event.get("event") == "bot" else None
        if officer:
            return officer
    return None


def _last_notice_apologised(events: List[Dict[Text, Any]]) -> bool:
    for event in reversed(events):
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get(NOTICE_KEY) == "apology"
    return False


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


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
    "ActionDeclineHandover",
    "ActionHandover",
    "ActionOfferHandover",
    "ActionWhileHandedOver",
    "ActionRestart",
    "failed_turn_metadata",
    "offer",
    "should_offer_after_failure",
]

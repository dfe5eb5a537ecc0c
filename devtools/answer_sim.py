"""The answer action in one process, for the evaluation and the edit loop: the trained NLU model
parses each message, ``actions.routes`` decides and replies, and the slots the reply sets are
carried to the next message of the same conversation (as the tracker would carry them).

This is the knowledge path only (no forms, no reader slot mapping, no channel); the scripted
dialogues (tests/dialogues, tests/data/answer_eval/conversations.yml through tests/test_answer_eval.py)
run the same conversations through the real bot. Used by scripts/evaluate_answers.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "khuyencong.tar.gz"


@dataclass
class Reply:
    route: str
    texts: List[str]
    buttons: List[Dict[str, Any]]
    slots: Dict[str, Any]
    ms: float = 0.0  # the action's time in process: reading, ranking, routing, rendering (no NLU)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)

    @property
    def record(self) -> Optional[str]:
        return self.slots.get("last_record")


@dataclass
class Conversation:
    sender: str
    slots: Dict[str, Any] = field(default_factory=dict)
    events: List[Dict[str, Any]] = field(default_factory=list)


class AnswerSimulator:
    def __init__(self, model: Path = MODEL, parse: bool = True) -> None:
        if "DATABASE_URL" not in os.environ:
            from policy_kb.db import get_engine
            from policy_kb.loader import build

            path = Path(tempfile.mkdtemp()) / "kb.db"
            os.environ["DATABASE_URL"] = f"sqlite:///{path}"
            build(get_engine(os.environ["DATABASE_URL"]))
        self.agent = None
        if parse and model.exists():
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
            logging.disable(logging.WARNING)
            from rasa.core.agent import Agent

            self.agent = Agent.load(str(model))
            import structlog

            structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
            logging.disable(logging.NOTSET)
        self._loop = asyncio.new_event_loop()
        self._cache: Dict[str, dict] = {}

    def parse(self, text: str) -> dict:
        if text.startswith("/"):
            return self._payload(text)
        if text not in self._cache:
            if self.agent is None:
                self._cache[text] = {"text": text, "intent": {}, "entities": [], "intent_ranking": []}
            else:
                self._cache[text] = self._loop.run_until_complete(self.agent.parse_message(text))
        return self._cache[text]

    @staticmethod
    def _payload(text: str) -> dict:
        import json

        name, _, rest = text[1:].partition("{")
        entities = json.loads("{" + rest) if rest else {}
        return {
            "text": text,
            "intent": {"name": name, "confidence": 1.0},
            "entities": [{"entity": k, "value": v} for k, v in entities.items()],
            "intent_ranking": [],
        }

    def tracker(self, text: str, conversation: Optional[Conversation] = None):
        """The tracker the action sees for ``text`` in ``conversation``: the parse, the slots
        so far, and the slot mappings of this message — activity from its entity; money by role,
        as action_read_message reads it (vntext.statements: a revenue is not a cost)."""
        from rasa_sdk import Tracker

        from vntext.statements import Context, read

        conversation = conversation or Conversation("sim")
        message = dict(self.parse(text), text=text)
        slots = dict(conversation.slots)
        for ent in message.get("entities") or []:
            if ent.get("entity") == "activity":
                slots["activity"] = ent.get("value")
        reading = read(text, message.get("entities") or [], Context(intent=(message.get("intent") or {}).get("name")))
        if isinstance(reading.values.get("money"), (int, float)):
            slots["money"] = reading.values["money"]
        return Tracker(conversation.sender, slots, message, list(conversation.events), False, None, {}, "action_listen")

    def ask(self, text: str, conversation: Optional[Conversation] = None) -> Reply:
        from rasa_sdk.executor import CollectingDispatcher

        from actions.kb import kb_session
        from actions.routes import Turn, decide

        conversation = conversation or Conversation("sim")
        tracker = self.tracker(text, conversation)
        slots = dict(tracker.slots)
        dispatcher = CollectingDispatcher()
        start = time.perf_counter()
        with kb_session() as session:
            turn = Turn(tracker, session)
            route = decide(turn)
            events = route.reply(turn, dispatcher)
        ms = (time.perf_counter() - start) * 1000
        for e in events:
            if e.get("event") == "slot":
                slots[e["name"]] = e["value"]
        texts = [m.get("text") or m.get("response") or "" for m in dispatcher.messages]
        conversation.slots = slots
        conversation.events.append({"event": "user", "text": text})
        for t in texts:
            conversation.events.append({"event": "bot", "text": t})
        buttons = [b for m in dispatcher.messages for b in (m.get("buttons") or [])]
        slots_set = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
        return Reply(route.name, texts, buttons, slots_set, ms)

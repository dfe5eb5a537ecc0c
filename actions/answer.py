"""The one answering path for knowledge questions: ``action_answer``, a thin Rasa adapter.

text + NLU result → ``actions.routes.Turn`` (read once: frame, intent, entities, province, the
conversation's context; every record ranked) → the first route of ``actions.routes.ROUTES`` that
applies → its reply. The table is printed in docs/routes.md; "why did it answer that?" is the
route's name and the ranking's scores, both logged.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.engine import THRESHOLD, Answerer, accepts  # noqa: F401  (the engine's public names)
from actions.kb import KnowledgeUnavailable, kb_session
from actions.listen import say_note
from actions.render import KB_DOWN
from actions.routes import Turn, decide


class ActionAnswer(Action):
    """Questions (the rules send every knowledge intent here)."""

    def name(self) -> Text:
        return "action_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say_note(dispatcher, tracker)
        try:
            with kb_session() as session:
                turn = Turn(tracker, session)
                return decide(turn).reply(turn, dispatcher)
        except KnowledgeUnavailable:
            dispatcher.utter_message(text=KB_DOWN)
            return []


class ActionAnswerInform(ActionAnswer):
    """Statements outside a flow (intents inform, deny): the same route table, whose statement
    routes decide (estimate, level, quick check, estimate form, goodbye or help); a question the
    classifier called a statement goes on to the question routes."""

    def name(self) -> Text:
        return "action_answer_inform"

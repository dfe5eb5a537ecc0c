"""NLU components that overrule the statistical classifier where it cannot be right:

* ``StopPhraseClassifier``: a short message that starts with a stop word is the intent ``stop``.
* ``HandoverPhraseClassifier``: calling an officer off ("thôi khỏi cán bộ gọi lại nhen em") is
  ``handover_decline``; asking for one in one's own words ("cho chị nói chiện với người của trung
  tâm", "ừa, chuyển giùm chị nhen") is ``request_human``. The classifier read them as stop (which
  in the lead form stopped a form nobody was in), leave_contact, goodbye, ask_help, out_of_scope;
  "mai mới trả lời à, thế thôi khỏi" is ``deny``. The words are read by vntext/requests.py. Runs
  after StopPhraseClassifier, which it overrules (but not on a stop phrase itself).
* ``EnglishMessageClassifier``: a question in English is ``out_of_scope`` (the answer action then
  replies in English that the assistant answers in Vietnamese); the classifier, trained on
  Vietnamese, called "Hello, can I get support for my company?" a greeting and answered in
  Vietnamese. Short small talk it was trained on ("thank you", "are you a bot") keeps its intent.


The statistical classifier sees "thôi" with few neighbours and splits it between stop, goodbye
and deny, so the fallback answers; in the middle of a form the text then becomes an answer ("thôi"
taken as a name). Placed after the classifier and before FallbackClassifier; the phrases live in
vntext/stop_phrases.py. Button payloads ("/stop") never reach the pipeline.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.stateless import StatelessComponent
from vntext.language import is_english, words
from vntext.requests import (
    asks_for_a_person,
    asks_to_be_put_through,
    cancels_the_request,
    says_no_thanks,
    wants_the_bot_back,
)
from vntext.stop_phrases import is_stop_request

STOP = "stop"
OUT_OF_SCOPE = "out_of_scope"
#: intents the bot answers whatever the language; a longer English sentence is still a question
SMALL_TALK = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "ask_help", OUT_OF_SCOPE}


def set_intent(message: Message, name: str) -> None:
    """Make ``name`` the message's intent with confidence 1 (the others ranked at 0)."""
    top = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
    others = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [top] + [{**r, PREDICTED_CONFIDENCE_KEY: 0.0} for r in others], add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class StopPhraseClassifier(StatelessComponent, IntentClassifier):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and is_stop_request(text):
                set_intent(message, STOP)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class HandoverPhraseClassifier(StatelessComponent, IntentClassifier):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or text.startswith("/"):
                continue
            if cancels_the_request(text):
                set_intent(message, "handover_decline")
            elif wants_the_bot_back(text):
                set_intent(message, "resume_bot")  # "thôi cho em quay về trợ lý": not a stop
            elif asks_to_be_put_through(text):
                set_intent(message, "handover_accept")  # "ừa, chuyển giùm chị nhen": a yes
            elif asks_for_a_person(text):
                set_intent(message, "request_human")
            elif says_no_thanks(text) and not is_stop_request(text):
                set_intent(message, "deny")  # "… thế thôi khỏi": a no, whatever was offered
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EnglishMessageClassifier(StatelessComponent, IntentClassifier):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or text.startswith("/") or not is_english(text):
                continue
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if intent not in SMALL_TALK or len(words(text)) >= 5:
                set_intent(message, OUT_OF_SCOPE)
        return messages

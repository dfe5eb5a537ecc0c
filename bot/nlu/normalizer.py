"""Rasa component that puts every text into canonical Vietnamese form before tokenizing.

It runs first in the pipeline, so training examples and live messages (from any channel) go
through exactly the same ``normalize_text``. Entity offsets of annotated training examples are
moved to the rewritten text, so annotations stay valid.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.stateless import StatelessComponent
from vntext.fold import align_key
from vntext.normalize import normalize_text


def _offset_map(old: str, new: str) -> Dict[int, int]:
    """Map each significant character of ``old`` (one with an alignment key: not whitespace, not a
    combining mark) to its position in ``new``."""
    old_idx = [i for i, c in enumerate(old) if align_key(c)]
    new_idx = [j for j, c in enumerate(new) if align_key(c)]
    return dict(zip(old_idx, new_idx))


def remap_entities(old: str, new: str, entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    mapping = _offset_map(old, new)
    moved = []
    for ent in entities:
        inside = [mapping[i] for i in range(ent["start"], ent["end"]) if i in mapping]
        if not inside:
            continue
        ent = dict(ent, start=inside[0], end=inside[-1] + 1)
        moved.append(ent)
    return moved


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class VietnameseNormalizer(StatelessComponent):
    """Rewrites the message text to NFC, one tone convention, clean whitespace."""

    @staticmethod
    def _normalize(message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str):
            return
        new = normalize_text(text)
        if new == text:
            return
        if message.get(ENTITIES):
            message.set(ENTITIES, remap_entities(text, new, message.get(ENTITIES)), add_to_output=True)
        message.set(TEXT, new)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message)
        return messages

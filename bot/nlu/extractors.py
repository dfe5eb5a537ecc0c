"""Entity extractors: knowledge-base keys from the gazetteer, machines by name, and money in đồng.

Both are deterministic and work on the diacritics-stripped view of the (normalised) message, so
"máy sấy", "may say" and "MÁY SẤY" give the same ``activity: machinery``; offsets index the text
Rasa holds.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.stateless import StatelessComponent
from vntext.fold import fold
from vntext.gazetteer import Gazetteer
from vntext.machines import find_machines
from vntext.money import find_money
from vntext.places import find_places


def _add_entities(extractor: EntityExtractorMixin, messages: List[Message]) -> List[Message]:
    for message in messages:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text:
            continue
        found = extractor.find(text)
        if found:
            found = extractor.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
    return messages


def _entity(name: str, value: Any, start: int, end: int, text: str) -> Dict[Text, Any]:
    return {
        "entity": name,
        "value": value,
        "start": start,
        "end": end,
        "confidence_entity": 1.0,
        "text": text[start:end],
    }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class GazetteerEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts activity, business type, industry and province as canonical keys."""

    FILE = "gazetteer.json"

    def __init__(
        self, model_storage: ModelStorage, resource: Resource, table: Optional[Dict[str, Dict[str, List[str]]]] = None
    ) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.gazetteer = Gazetteer(table or {})

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "GazetteerEntityExtractor":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        # The phrases are lookup tables of the training data, so a change to them changes the
        # model fingerprint and `rasa train` retrains (and only then).
        self.gazetteer = Gazetteer.from_lookup_tables(training_data.lookup_tables)
        with self._model_storage.write_to(self._resource) as path:
            (path / self.FILE).write_text(json.dumps(self.gazetteer.table, ensure_ascii=False), "utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "GazetteerEntityExtractor":
        try:
            with model_storage.read_from(resource) as path:
                table = json.loads((path / cls.FILE).read_text("utf-8"))
        except (ValueError, FileNotFoundError):
            table = {}
        return cls(model_storage, resource, table)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def find(self, text: str) -> List[Dict[Text, Any]]:
        return [_entity(m.entity, m.value, m.start, m.end, text) for m in self.gazetteer.find(text)]

    def process(self, messages: List[Message]) -> List[Message]:
        return _add_entities(self, messages)


class _RuleExtractor(StatelessComponent, EntityExtractorMixin):
    """A deterministic extractor: no training, ``find(text)`` gives the entities."""

    def find(self, text: str) -> List[Dict[Text, Any]]:
        raise NotImplementedError

    def process(self, messages: List[Message]) -> List[Message]:
        return _add_entities(self, messages)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class MoneyEntityExtractor(_RuleExtractor):
    """Extracts ``money`` entities whose value is an integer number of đồng."""

    def find(self, text: str) -> List[Dict[Text, Any]]:
        return [_entity("money", m.value, m.start, m.end, text) for m in find_money(fold(text))]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class PlaceEntityExtractor(_RuleExtractor):
    """Extracts ``unit_type`` (xa / phuong / dac_khu) with the unit's name in ``text``."""

    def find(self, text: str) -> List[Dict[Text, Any]]:
        return [_entity("unit_type", p.unit_type, p.start, p.end, text) for p in find_places(text)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class MachineEntityExtractor(_RuleExtractor):
    """``activity: machinery`` for a machine named by its shape ("máy cưa", "khung dệt", "lò sấy",
    vntext/machines.py), where the gazetteer found no activity on the same words. Placed after
    GazetteerEntityExtractor, whose phrases ("dây chuyền" → technology_line) come first."""

    def find(self, text: str) -> List[Dict[Text, Any]]:
        return [_entity("activity", "machinery", m.start, m.end, text) for m in find_machines(text)]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            taken = [(e["start"], e["end"]) for e in message.get(ENTITIES, []) if e.get("entity") == "activity"]
            found = [e for e in self.find(text) if all(e["end"] <= a or e["start"] >= b for a, b in taken)]
            if found:
                found = self.add_extractor_name(found)
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

"""The base of our NLU components that have nothing to configure, train or persist.

Rasa builds every graph component through ``create(config, model_storage, resource,
execution_context)``; for the normaliser, the stop and English classifiers and the rule-based
extractors that is just ``cls()``, written once here.
"""

from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


class StatelessComponent(GraphComponent):
    """A graph component built without arguments (its behaviour is its code)."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()

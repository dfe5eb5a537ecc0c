"""Performance fix for Rasa 3.6, applied in the Rasa server process (see bot/channels/__init__.py).

Rasa validates every action-server response with ``jsonschema.validate(result, schema)``, which
first re-checks the *schema itself* against the JSON-Schema meta-schema, on every call. In our
profile (py-spy, 259 knowledge questions) that was ~60% of the Rasa server's CPU per turn.
We validate against the same schema with a validator built once: same checks, same errors.
"""
from __future__ import annotations

from typing import Any, Dict, Text

from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_validator = None


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    global _validator
    if _validator is None:
        spec = RemoteAction.action_response_format_spec()
        _validator = validators.validator_for(spec)(spec)
    try:
        _validator.validate(result)
        return True
    except ValidationError as e:
        e.message += (". Failed to validate Action server response from API, make sure your response "
                      f"from the Action endpoint is valid. For more information about the format visit "
                      f"{DOCS_BASE_URL}/custom-actions")
        raise e


def apply() -> None:
    RemoteAction._validate_action_result = _validate_action_result

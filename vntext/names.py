"""A person's name as it may be stored: the one check, for the lead form and the leads store.

The form (actions/leads.py) asks again for a name this refuses, and the store
(lead_store/leads.py) refuses it too, so an accepted name is always stored.
"""

from __future__ import annotations

from typing import Any, Optional

NAME_MIN = 2
NAME_MAX = 120


def clean_name(value: str) -> str:
    """Spaces collapsed, newlines and tabs dropped: the name as stored."""
    return " ".join(value.split())


def name_problem(value: Any) -> Optional[str]:
    """Why ``value`` is not a name that can be stored (None when it is), checked on
    :func:`clean_name` of it: missing or empty, too short or too long, no letter (a phone number
    typed as the name), or a control or invisible character."""
    if not isinstance(value, str) or not value.strip():
        return "missing or empty"
    value = clean_name(value)
    if len(value) < NAME_MIN:
        return f"shorter than {NAME_MIN} characters"
    if len(value) > NAME_MAX:
        return f"longer than {NAME_MAX} characters"
    if not any(ch.isalpha() for ch in value):
        return "contains no letters"
    if not value.isprintable():
        return "contains control or invisible characters"
    return None

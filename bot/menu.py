"""The menu buttons, read from the domain: their one home is ``bot/domain/core.yml``.

There each button is written once, as a YAML anchor ``&menu_<name>`` where a response first shows
it, and aliased (``*menu_<name>``) by the other responses. Code that sends a menu itself (the
channels' guard, the actions) takes the buttons from here by name, so a title or payload changed
in the domain changes everywhere (``tests/test_domain_lists.py`` refuses a second copy).

Plain PyYAML, no Rasa: the action server imports it too.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

DOMAIN_FILE = Path(__file__).resolve().parent / "domain" / "core.yml"
PREFIX = "menu_"


class _AnchorLoader(yaml.SafeLoader):
    """A safe loader that keeps the document's anchors (PyYAML forgets them once composed)."""

    def compose_document(self):
        self.get_event()  # DocumentStart
        node = self.compose_node(None, None)
        self.get_event()  # DocumentEnd
        self.named = dict(self.anchors)
        self.anchors = {}
        return node


@lru_cache(maxsize=4)
def _menu(path: Path = DOMAIN_FILE) -> Dict[str, Tuple[str, str]]:
    loader = _AnchorLoader(path.read_text("utf-8"))
    try:
        loader.get_single_node()
        values = {
            name[len(PREFIX) :]: loader.construct_object(node, deep=True)
            for name, node in loader.named.items()
            if name.startswith(PREFIX)
        }
    finally:
        loader.dispose()
    return {name: (value["title"], value["payload"]) for name, value in values.items()}


def menu_names() -> List[str]:
    """The names of the menu buttons, in the order the domain defines them."""
    return list(_menu())


def menu_button(name: str) -> Dict[str, str]:
    """One menu button ({"title", "payload"}: a new dict, the caller may change it); KeyError for
    a name the domain does not define."""
    title, payload = _menu()[name]
    return {"title": title, "payload": payload}


def menu_buttons(*names: str) -> List[Dict[str, str]]:
    """The named menu buttons, in the order given."""
    return [menu_button(name) for name in names]

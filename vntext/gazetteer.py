"""Phrase → canonical value matching on folded text (accents and case ignored).

Phrases come from the NLU data's lookup tables named ``<entity>.<canonical_value>``
(``nlu_data/lookups/*.yml``), so the same keys are used by the knowledge base and the actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Tuple

from vntext.fold import fold
from vntext.normalize import normalize_text


@dataclass(frozen=True)
class Match:
    entity: str
    value: str
    start: int
    end: int


def _words(folded: str) -> List[str]:
    # Letters and digits only: "_" separates words here as in the match patterns below
    # ("ha_noi" typed by a user must not be a key that does not exist).
    return re.findall(r"[^\W_]+", folded)


def _phrase_key(phrase: str) -> str:
    # Punctuation between words does not matter: "BR-VT", "br vt", "Bà Rịa – Vũng Tàu", "tp.hcm".
    return " ".join(_words(fold(normalize_text(phrase))))


class Gazetteer:
    def __init__(self, table: Dict[str, Dict[str, List[str]]]) -> None:
        """``table``: entity → canonical value → phrases."""
        self.table = table
        self._patterns: List[Tuple[str, re.Pattern, Dict[str, str]]] = []
        for entity, values in sorted(table.items()):
            by_phrase: Dict[str, str] = {}
            for value, phrases in values.items():
                for phrase in phrases:
                    key = _phrase_key(phrase)
                    if key:
                        by_phrase.setdefault(key, value)
            if not by_phrase:
                continue
            # Longest phrase first, so "hội chợ nước ngoài" wins over "hội chợ".
            alternatives = sorted(by_phrase, key=len, reverse=True)
            body = "|".join(r"[\W_]+".join(map(re.escape, p.split())) for p in alternatives)
            pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)")
            self._patterns.append((entity, pattern, by_phrase))

    @classmethod
    def from_lookup_tables(cls, lookup_tables: Iterable[Dict]) -> "Gazetteer":
        table: Dict[str, Dict[str, List[str]]] = {}
        for lookup in lookup_tables:
            name = lookup.get("name", "")
            if "." not in name:
                continue
            entity, value = name.split(".", 1)
            elements = lookup.get("elements") or []
            if isinstance(elements, str):  # a file path form we do not use
                continue
            table.setdefault(entity, {}).setdefault(value, []).extend(elements)
        return cls(table)

    def find(self, text: str) -> Iterator[Match]:
        """Matches in ``text`` (already normalised); offsets index ``text``."""
        folded = fold(text)
        for entity, pattern, by_phrase in self._patterns:
            for m in pattern.finditer(folded):
                value = by_phrase[" ".join(_words(m.group(0)))]
                yield Match(entity, value, m.start(), m.end())

"""Phrase → canonical value matching on folded text (case ignored, missing accents forgiven).

Phrases come from the NLU data's lookup tables named ``<entity>.<canonical_value>``
(``nlu_data/lookups/*.yml``), so the same keys are used by the knowledge base and the actions.

A phrase is found on the folded text, so "may say" finds "máy sấy". But where the person *did*
type the marks, they are meant: "nồi hơi cho xưởng" folds to "noi hoi cho xuong" and contains
"hoi cho" (hội chợ, a fair), which it is not. So a word the person typed with marks must agree
with the phrase's word on its letters (â ă ê ô ơ ư đ); only the tone may differ, as people
confuse hỏi and ngã ("hổ trợ"). A word without marks, or a phrase word without them ("mmtb"),
agrees with anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Set, Tuple

from vntext.fold import fold, letters, marked
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


def _agree(typed: List[str], phrase: Tuple[str, ...]) -> bool:
    return len(typed) == len(phrase) and all(
        not marked(t) or not marked(p) or letters(t) == letters(p) for t, p in zip(typed, phrase)
    )


class Gazetteer:
    def __init__(self, table: Dict[str, Dict[str, List[str]]]) -> None:
        """``table``: entity → canonical value → phrases."""
        self.table = table
        self._patterns: List[Tuple[str, re.Pattern, Dict[str, str]]] = []
        # (entity, folded key) → the phrase's spellings, word by word, with their marks
        self._spellings: Dict[Tuple[str, str], Set[Tuple[str, ...]]] = {}
        for entity, values in sorted(table.items()):
            by_phrase: Dict[str, str] = {}
            for value, phrases in values.items():
                for phrase in phrases:
                    key = _phrase_key(phrase)
                    if key:
                        by_phrase.setdefault(key, value)
                        if by_phrase[key] == value:
                            spelt = tuple(_words(normalize_text(phrase).lower()))
                            self._spellings.setdefault((entity, key), set()).add(spelt)
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
            pos = 0
            while True:
                m = pattern.search(folded, pos)
                if m is None:
                    break
                key = " ".join(_words(m.group(0)))
                typed = _words(text[m.start() : m.end()].lower())
                if any(_agree(typed, spelt) for spelt in self._spellings.get((entity, key), ())):
                    yield Match(entity, by_phrase[key], m.start(), m.end())
                    pos = m.end()
                else:  # the marks say it is another word: look again from the next word
                    pos = m.start() + 1

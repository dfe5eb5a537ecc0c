"""Is a message written in English (not Vietnamese typed without diacritics)?

Vietnamese without diacritics is ASCII too ("co the ho tro the nao", "toi can giup do"), so the
test is the share of English words, counting only words that are not also Vietnamese syllables
("the", "can", "do", "my", "an", "a", "to", "in", "me" are left out)."""

from __future__ import annotations

import re
from typing import List

_ENGLISH = frozenset(
    """is are what how could does you your i we our please support help who where when which
apply much get business company hello thanks thank loan money want need about this that for with of and any
there speak english information policy""".split()
)


def words(text: str) -> List[str]:
    return re.findall(r"[a-zA-Z']+", (text or "").lower())


def is_english(text: str) -> bool:
    if re.search(r"[^\x00-\x7f]", text or ""):
        return False
    found = words(text)
    return len(found) >= 2 and sum(w in _ENGLISH for w in found) / len(found) >= 0.6

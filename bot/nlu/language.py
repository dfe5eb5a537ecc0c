"""Is a message written in English (not Vietnamese typed without diacritics)?

Vietnamese without diacritics is ASCII too ("co the ho tro the nao"), so the test is the share
of common English words, not the alphabet."""
from __future__ import annotations

import re

_ENGLISH = frozenset("""the is are what how can could does do you your i my we our please support help who where
when which apply much get business company hello hi thanks thank loan money want need about this that for
with of and in to an a any there speak english information policy""".split())


def is_english(text: str) -> bool:
    if re.search(r"[^\x00-\x7f]", text or ""):
        return False
    words = re.findall(r"[a-zA-Z']+", (text or "").lower())
    return len(words) >= 2 and sum(w in _ENGLISH for w in words) / len(words) >= 0.5

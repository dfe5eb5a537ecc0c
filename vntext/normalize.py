"""Vietnamese text normalisation shared by training data, live messages and the extractors.

Two views of a text are used:

* ``normalize_text``: what Rasa holds and what entity offsets point into. NFC, one tone-mark
  convention (underthesea's: ``hoà`` → ``hòa``), control characters removed, whitespace
  collapsed. Applied by ``VietnameseNormalizer`` to training examples and live messages alike.
* ``fold`` (:mod:`vntext.fold`, the one home of diacritics folding): a *length-preserving* key
  of a normalised text (lowercase, diacritics stripped, ``đ`` → ``d``), so that "hỗ trợ", "Hỗ Trợ"
  and "ho tro" match. ``strip_diacritics`` and ``lemma`` below are built on it.
"""

from __future__ import annotations

import functools
import importlib.util
import pickle
import re
import unicodedata
from pathlib import Path
from typing import Dict, Tuple

from vntext.fold import fold

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+")

# Chat shorthand → the word it stands for (folded form). Used for the lemma the featurizers see,
# never to rewrite the text itself, so entity offsets stay valid.
SHORTHAND = {
    "ko": "khong",
    "k": "khong",
    "kg": "khong",
    "hok": "khong",
    "hong": "khong",
    "khg": "khong",
    "kh": "khong",
    "hem": "khong",
    "dc": "duoc",
    "dk": "duoc",
    "đc": "duoc",
    "đk": "duoc",
    "bn": "bao nhieu",
    "bnh": "bao nhieu",
    "bnhieu": "bao nhieu",
    "ntn": "nhu the nao",
    "j": "gi",
    "gj": "gi",
    "mik": "minh",
    "mk": "minh",
    "mn": "moi nguoi",
    "ng": "nguoi",
    "vs": "voi",
    "trc": "truoc",
    "r": "roi",
    "oki": "ok",
    "okie": "ok",
    "thanks": "cam on",
    "tks": "cam on",
    "thank": "cam on",
    "cty": "cong ty",
    "dn": "doanh nghiep",
    "htx": "hop tac xa",
    "hkd": "ho kinh doanh",
    "sp": "san pham",
    "tp": "thanh pho",
    "nc": "nuoc",
    "nn": "nha nuoc",
    "tt": "thong tu",
    "nd": "nghi dinh",
    "qd": "quyet dinh",
    "tr": "trieu",
    "ti": "ty",
}


#: underthesea 9.5's tone-placement rules (the pinned version, pyproject.toml). Read from the
#: installed package's data file rather than through ``underthesea.pipeline.text_normalize``,
#: whose import loads all of underthesea, joblib and numpy (≈ 80 MB, 0.4 s) in every process
#: that normalises text: the action server, the officer CLI, the console. The data is the
#: package's own; ``tests/test_vntext.py`` checks ours against ``token_normalize`` word by word,
#: so an underthesea upgrade that changes the file or the rule fails there.
TONE_RULES_FILE = "pipeline/text_normalize/tn_rules_2023_07_14.bin"


@functools.lru_cache(maxsize=1)
def tone_rules() -> Tuple[Dict[str, str], Dict[str, str]]:
    """(character map, token map) of underthesea's text normaliser."""
    spec = importlib.util.find_spec("underthesea")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("underthesea is not installed (pyproject.toml pins it)")
    path = Path(list(spec.submodule_search_locations)[0]) / TONE_RULES_FILE
    with path.open("rb") as fh:
        # A plain pickle of two dicts (joblib.dump of builtins), shipped inside the installed
        # package: as trusted as the package's code, which would load the same file.
        data = pickle.load(fh)  # noqa: S301
    return dict(data["character"]), dict(data["token"])


def token_normalize(word: str) -> str:
    """underthesea's ``token_normalize``: old-style tone placement rewritten (hoà → hòa, thuỷ → thủy).

    Same steps as underthesea 9.5: words longer than 6 characters are left alone (those are NFC
    already), then NFC, the character map, and the token map."""
    if len(word) > 6:
        return word
    characters, tokens = tone_rules()
    word = unicodedata.normalize("NFC", word)
    for wrong, right in characters.items():
        word = word.replace(wrong, right)
    return tokens.get(word, word)


def _normalize_word(word: str) -> str:
    try:
        out = token_normalize(word)
    except Exception:  # never let a dictionary quirk break a message
        return word
    return out if out else word


def normalize_text(text: str | None) -> str:
    """Canonical form of a user or training text (idempotent)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    text = _WORD.sub(lambda m: _normalize_word(m.group(0)), text)
    # token_normalize may return decomposed characters for rare inputs; keep the text NFC.
    return unicodedata.normalize("NFC", text)


def strip_diacritics(text: str) -> str:
    """Diacritics-free lowercase view of *any* text (not length-preserving for NFD input)."""
    return fold(normalize_text(text))


def lemma(word: str) -> str:
    """What the featurizers see for a token: folded, with chat shorthand expanded."""
    return " ".join(SHORTHAND.get(syllable, syllable) for syllable in fold(word).split())

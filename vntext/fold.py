"""Diacritics folding: the one home of "the same letters without their marks".

Only ``unicodedata`` (no underthesea), so that code that must work without the NLU stack (the log
filter's fallback, the evaluation script) can use it too. Three views, each for its own job:

* ``fold``: *length-preserving* key of an NFC text: lowercase, diacritics stripped, ``đ`` → ``d``,
  so that "hỗ trợ", "Hỗ Trợ" and "ho tro" match. It maps each character to exactly one character,
  so an offset in the folded text is an offset in the text (the extractors rely on it).
* ``align_key``: the per-character key used to align two spellings of one text (the tokenizer:
  underthesea's words onto the input; the normaliser: entity offsets onto the rewritten text).
  Whitespace and combining marks have no key (``""``); every other character has ``fold``'s key,
  except the three Tibetan vowel signs U+0F73, U+0F75, U+0F81 (not combining themselves, but their
  decomposition starts with a combining mark): ``fold`` gives them a space, ``align_key`` the
  mark, as the tokenizer always did. ``tests/test_fold.py`` checks this over every code point.
* ``letters``: lowercase, the tone dropped and the letters' own marks kept ("hội" → "hôi"): two
  spellings of one word when people confuse hỏi and ngã; ``marked`` says a word has any mark.
* ``strip_marks``: case kept, combining marks dropped, ``đ``/``Đ`` → ``d``/``D``; not
  length-preserving. How a name may look in a log line, and the evaluation's "no diacritics" view.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


def _base(ch: str) -> str:
    """The letter under the marks: ``đ``/``Đ`` → ``d``; else the first character of the NFD
    decomposition, lowercased when that is one character."""
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    low = base.lower()
    return low if len(low) == 1 else base


@lru_cache(maxsize=4096)
def fold_char(ch: str) -> str:
    """``fold`` of one character: always exactly one character (a lone combining mark → space)."""
    base = _base(ch)
    return " " if unicodedata.combining(base) else base


def fold(text: str) -> str:
    """Lowercase, diacritics stripped, same length as ``text`` (for NFC input)."""
    return "".join(fold_char(ch) for ch in text)


def align_key(ch: str) -> str:
    """Comparison key of one character for alignment; ``""`` for characters alignment skips
    (whitespace, combining marks)."""
    if ch.isspace() or unicodedata.combining(ch):
        return ""
    return _base(ch)


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # huyền sắc ngã hỏi nặng


@lru_cache(maxsize=8192)
def letters(word: str) -> str:
    """``word`` lowercased without its tone, its letters' own marks (â ă ê ô ơ ư đ) kept."""
    kept = "".join(c for c in unicodedata.normalize("NFD", word.lower()) if c not in _TONES)
    return unicodedata.normalize("NFC", kept)


def marked(word: str) -> bool:
    """Was ``word`` typed with any mark (a tone, â ă ê ô ơ ư, or đ)?"""
    return fold(word) != word.lower()


def strip_marks(text: str) -> str:
    """``text`` without combining marks (after NFD), ``đ`` → ``d``, ``Đ`` → ``D``; case kept."""
    out = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return out.replace("đ", "d").replace("Đ", "D")

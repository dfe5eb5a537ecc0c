"""Underthesea word segmentation as a Rasa tokenizer that never raises and never drops text.

``underthesea.word_tokenize`` rewrites what it returns (NFC, tone placement, whitespace), so its
words are not always substrings of the input and Rasa's ``_convert_words_to_tokens`` would
raise. Instead we align each word back onto the input by comparing *folded* characters
(diacritics, case and combining marks ignored) and take offsets from the input itself. If the
alignment ever fails, we fall back to a Unicode-aware regex split, so every non-space character
still ends up in exactly one token.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any, Dict, List, Optional, Text

import regex
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message
from underthesea import word_tokenize

from vntext.fold import align_key as _key  # whitespace / combining marks: no key
from vntext.normalize import lemma, normalize_text

logger = logging.getLogger(__name__)

_FALLBACK = regex.compile(r"(?:[\w\p{M}])+|[^\w\s\p{M}]+")


def _align(words: List[str], text: str) -> Optional[List[Token]]:
    stream = [(i, k) for i, k in ((i, _key(c)) for i, c in enumerate(text)) if k]
    tokens: List[Token] = []
    pos = 0
    for word in words:
        keys = [k for k in map(_key, word) if k]
        if not keys:
            continue
        if stream[pos : pos + len(keys)] and [k for _, k in stream[pos : pos + len(keys)]] != keys:
            return None
        if pos + len(keys) > len(stream):
            return None
        start = stream[pos][0]
        end = stream[pos + len(keys) - 1][0] + 1
        # Trailing combining marks (NFD input) belong to the last character of the word.
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1
        tokens.append(_token(text, start, end))
        pos += len(keys)
    if pos != len(stream):  # underthesea dropped something: do not lose it
        return None
    return tokens


def _token(text: str, start: int, end: int) -> Token:
    surface = text[start:end]
    return Token(surface, start, end, lemma=lemma(normalize_text(surface)) or surface)


def _fallback(text: str) -> List[Token]:
    return [_token(text, m.start(), m.end()) for m in _FALLBACK.finditer(text)]


def tokenize_text(text: str) -> List[Token]:
    """Tokens of ``text`` with offsets into ``text`` itself."""
    if not text or not text.strip():
        return []
    try:
        tokens = _align(word_tokenize(text), text)
    except Exception:  # underthesea must never take a message down with it
        logger.debug("underthesea failed on a message; using the regex fallback", exc_info=True)
        tokens = None
    return tokens if tokens is not None else _fallback(text)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Vietnamese word tokenizer (underthesea); token lemmas are folded for the featurizers."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["underthesea"]

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute)
        if not isinstance(text, str):
            return []
        return self._apply_token_pattern(tokenize_text(text))

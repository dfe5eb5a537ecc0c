"""vntext.fold, the one home of diacritics folding: the properties its users rely on, over every code point."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from vntext.fold import align_key, fold, fold_char, strip_marks

ALL = [chr(cp) for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF]


def test_fold_maps_every_character_to_exactly_one():
    assert all(len(fold_char(ch)) == 1 for ch in ALL)
    assert fold("Hỗ Trợ ĐĂNG KÝ hoà") == "ho tro dang ky hoa"


def test_align_key_is_fold_except_where_alignment_skips():
    """The tokenizer and the normaliser align on align_key: whitespace and combining marks have no
    key, and every other character has fold's key but three Tibetan vowel signs (documented)."""
    assert all(align_key(ch) == "" for ch in ALL if ch.isspace() or unicodedata.combining(ch))
    differ = [
        hex(ord(ch)) for ch in ALL if not (ch.isspace() or unicodedata.combining(ch)) and align_key(ch) != fold_char(ch)
    ]
    assert differ == ["0xf73", "0xf75", "0xf81"]


@pytest.mark.parametrize(
    "text, expected",
    [("Nguyễn Thị Hoà", "Nguyen Thi Hoa"), ("ĐÀ NẴNG", "DA NANG"), (unicodedata.normalize("NFD", "Đặng"), "Dang")],
)
def test_strip_marks_keeps_case(text, expected):
    assert strip_marks(text) == expected

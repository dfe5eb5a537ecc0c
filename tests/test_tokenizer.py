"""The underthesea tokenizer never raises, never drops text, and its offsets index the input."""

import unicodedata

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.tokenizer import VietnameseTokenizer, tokenize_text
from vntext.fold import fold
from vntext.normalize import normalize_text

CASES = [
    "Mua máy móc thiết bị được hỗ trợ bao nhiêu?",
    unicodedata.normalize("NFD", "Hỗ trợ hộ kinh doanh ở Hoà Bình thế nào?"),  # NFD input
    "hoà bình thuỷ sản khoẻ",  # old tone placement
    "ho tro   may moc\t\tdc bn",  # repeated whitespace
    "😀😀 máy sấy 👍",  # emoji
    "HTX ở xã Tân Lập, tỉnh Hà Giang",
    "1.200.000.000đ có đc ko?",
    "<img src=x onerror=alert(1)>",
    "what's the weather like?",
    "a" * 10_000,
    "\u200b\u200bzero width",
    "Đ" * 3 + " ĐƯỢC",
    "a\u0301\u0301\u0301",  # stacked combining marks
]


def _non_space(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


@pytest.mark.parametrize("text", CASES)
def test_offsets_point_into_text_and_nothing_is_dropped(text):
    tokens = tokenize_text(text)
    for tok in tokens:
        assert text[tok.start : tok.end] == tok.text
    covered = "".join(text[t.start : t.end] for t in tokens)
    assert _non_space(covered) == _non_space(text)
    assert all(a.end <= b.start for a, b in zip(tokens, tokens[1:]))


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_gives_no_tokens(text):
    assert tokenize_text(text) == []


def test_underthesea_words_are_kept_as_multi_syllable_tokens():
    tokens = [t.text for t in tokenize_text("Mua máy móc thiết bị được hỗ trợ bao nhiêu?")]
    assert tokens == ["Mua", "máy móc", "thiết bị", "được", "hỗ trợ", "bao nhiêu", "?"]


def test_lemmas_ignore_diacritics_and_expand_shorthand():
    accented = [t.lemma for t in tokenize_text("được hỗ trợ bao nhiêu")]
    plain = [t.lemma for t in tokenize_text("dc ho tro bn")]
    assert "duoc" in accented and "duoc" in plain
    assert "bao nhieu" in accented and "bao nhieu" in plain


def test_rasa_component_on_message():
    tok = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    msg = Message(data={"text": normalize_text(unicodedata.normalize("NFD", "Hoà  bình"))})
    tok.process([msg])
    assert [t.text for t in msg.get("text_tokens")] == ["Hòa", "bình"]


def test_normalize_is_idempotent_and_fold_preserves_length():
    for text in CASES:
        once = normalize_text(text)
        assert normalize_text(once) == once
        assert len(fold(once)) == len(once)
    assert normalize_text(unicodedata.normalize("NFD", "hoà")) == "hòa"
    assert normalize_text("  a \t b  ") == "a b"

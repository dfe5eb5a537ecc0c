"""Entity extraction that answers depend on: money in đồng, knowledge-base keys."""
import pytest

from bot.nlu.gazetteer import Gazetteer
from bot.nlu.money import find_money
from bot.nlu.text_normalize import fold, normalize_text


def money(text):
    folded = fold(normalize_text(text))
    return [m.value for m in find_money(folded)]


@pytest.mark.parametrize("text,value", [
    ("mua máy 800 triệu", 800_000_000),
    ("800tr", 800_000_000),
    ("1 tỷ", 1_000_000_000),
    ("1ty2", 1_200_000_000),
    ("1 tỷ 2", 1_200_000_000),
    ("1.200.000.000đ", 1_200_000_000),
    ("1,2 tỉ", 1_200_000_000),
    ("1.5 tỷ", 1_500_000_000),
    ("1 tỷ 200 triệu", 1_200_000_000),
    ("2tr5", 2_500_000),
    ("500k", 500_000),
    ("300 củ", 300_000_000),
    ("khoảng 1.000 triệu đồng", 1_000_000_000),
    ("may 450 TRIEU", 450_000_000),
    ("500000000", 500_000_000),
])
def test_money_forms(text, value):
    assert money(text) == [value]


@pytest.mark.parametrize("text", ["năm 2018", "Điều 8 khoản 4", "Nghị định 45/2012/NĐ-CP", "", "😀"])
def test_not_money(text):
    assert money(text) == []


def test_gazetteer_longest_match_and_accent_insensitive():
    g = Gazetteer({"activity": {"fair": ["hội chợ"], "fair_abroad": ["hội chợ nước ngoài"],
                                "machinery": ["máy sấy", "máy móc"]}})
    for text in ["Tham gia hội chợ nước ngoài", "tham gia hoi cho nuoc ngoai", "THAM GIA HỘI CHỢ NƯỚC NGOÀI"]:
        found = [(m.value, text[m.start:m.end]) for m in g.find(normalize_text(text))]
        assert found == [("fair_abroad", text[len("Tham gia "):])], found
    assert [m.value for m in g.find("mua may say")] == ["machinery"]
    assert [m.value for m in g.find("mua máy sấyxyz")] == []  # word boundaries

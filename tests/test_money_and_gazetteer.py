"""Entity extraction that answers depend on: money in đồng, knowledge-base keys."""

import pytest

from vntext.fold import fold
from vntext.gazetteer import Gazetteer
from vntext.money import find_money
from vntext.normalize import normalize_text


def money(text):
    folded = fold(normalize_text(text))
    return [m.value for m in find_money(folded)]


@pytest.mark.parametrize(
    "text,value",
    [
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
    ],
)
def test_money_forms(text, value):
    assert money(text) == [value]


@pytest.mark.parametrize(
    "text,value,said",
    [
        ("ba trăm rưỡi triệu", 350_000_000, "ba trăm rưỡi triệu"),
        ("ba tram ruoi trieu", 350_000_000, "ba tram ruoi trieu"),
        ("hai tỷ rưỡi", 2_500_000_000, "hai tỷ rưỡi"),
        ("hai ty ruoi", 2_500_000_000, "hai ty ruoi"),
        ("một tỷ hai", 1_200_000_000, "một tỷ hai"),
        ("mot ty hai", 1_200_000_000, "mot ty hai"),
        ("năm trăm triệu", 500_000_000, "năm trăm triệu"),
        ("tám trăm củ", 800_000_000, "tám trăm củ"),
        ("tam tram cu", 800_000_000, "tam tram cu"),
        ("một triệu rưỡi", 1_500_000, "một triệu rưỡi"),
        ("hai trăm năm mươi triệu", 250_000_000, "hai trăm năm mươi triệu"),
        ("một tỷ ba trăm triệu", 1_300_000_000, "một tỷ ba trăm triệu"),
        ("khoảng 1 tỷ rưỡi", 1_500_000_000, "1 tỷ rưỡi"),
        ("2tr rưỡi", 2_500_000, "2tr rưỡi"),
        ("3 trăm triệu", 300_000_000, "3 trăm triệu"),
        ("tỷ rưỡi", 1_500_000_000, "tỷ rưỡi"),
        ("một tỷ hai trăm", 1_200_000_000, "một tỷ hai trăm"),
        ("một trăm hai mươi triệu", 120_000_000, "một trăm hai mươi triệu"),
        ("hai mươi lăm triệu", 25_000_000, "hai mươi lăm triệu"),
        ("hai mươi triệu đồng", 20_000_000, "hai mươi triệu đồng"),
        ("năm trăm nghìn đồng", 500_000, "năm trăm nghìn đồng"),
        ("hai triệu năm trăm nghìn", 2_500_000, "hai triệu năm trăm nghìn"),
        ("năm trăm k", 500_000, "năm trăm k"),
        ("một tỷ lẻ năm triệu", 1_005_000_000, "một tỷ lẻ năm triệu"),
        ("mua máy hết ba trăm triệu", 300_000_000, "ba trăm triệu"),
        ("doanh thu hai tỷ năm ngoái", 2_000_000_000, "hai tỷ"),  # "năm ngoái" is last year, not ",5"
        ("doanh thu năm 2023 khoảng hai tỷ", 2_000_000_000, "hai tỷ"),
        ("lương tháng năm triệu", 5_000_000, "năm triệu"),
        ("chi phí một tỷ", 1_000_000_000, "một tỷ"),
        ("dạ khoảng một tỷ ạ", 1_000_000_000, "một tỷ"),
        ("hết ba củ", 3_000_000, "ba củ"),
        ("tối đa sáu tỷ phải không", 6_000_000_000, "sáu tỷ"),
    ],
)
def test_money_in_words(text, value, said):
    text = normalize_text(text)
    found = list(find_money(fold(text)))
    assert [(m.value, text[m.start : m.end]) for m in found] == [(value, said)]


def test_words_and_digits_together():
    text = "máy 1 tỷ 200 triệu, lắp đặt hai trăm rưỡi triệu, vé 2tr5"
    assert money(text) == [1_200_000_000, 250_000_000, 2_500_000]


@pytest.mark.parametrize(
    "text",
    [
        "năm 2018",
        "Điều 8 khoản 4",
        "Nghị định 45/2012/NĐ-CP",
        "",
        "😀",
        # number words that are not money, or amounts that are counts
        "hai trăm người",
        "hai nghìn người",
        "2 nghìn người",
        "1.200.000 lao động",
        "ba mươi phần trăm",
        "cho hỏi một tí",
        "cho hoi mot ti",
        "bà cụ nhà em",
        "gap ba cu",
        "vay ngân hàng",
        "nam ngan hang",
        "tỷ lệ hỗ trợ",
        "ty le ho tro",
        "vài trăm triệu",
        "hàng tỷ đồng",
        "có hai k",
        "năm nay",
    ],
)
def test_not_money(text):
    assert money(text) == []


def test_gazetteer_longest_match_and_accent_insensitive():
    g = Gazetteer(
        {"activity": {"fair": ["hội chợ"], "fair_abroad": ["hội chợ nước ngoài"], "machinery": ["máy sấy", "máy móc"]}}
    )
    for text in ["Tham gia hội chợ nước ngoài", "tham gia hoi cho nuoc ngoai", "THAM GIA HỘI CHỢ NƯỚC NGOÀI"]:
        found = [(m.value, text[m.start : m.end]) for m in g.find(normalize_text(text))]
        assert found == [("fair_abroad", text[len("Tham gia ") :])], found
    assert [m.value for m in g.find("mua may say")] == ["machinery"]
    assert [m.value for m in g.find("mua máy sấyxyz")] == []  # word boundaries


@pytest.mark.parametrize(
    "text, found",
    [
        ("nồi hơi cho xưởng nước mắm", []),  # "hơi cho" folds to "hoi cho" but is not hội chợ
        ("noi hoi cho xuong", ["fair"]),  # without marks nothing tells them apart
        ("tham gia Hội Chợ", ["fair"]),
        ("hoi chợ tỉnh", ["fair"]),  # a word typed without marks agrees with any
        ("hội chớ", ["fair"]),  # only the tone differs (a typo): still the phrase
        ("mấy sấy", []),  # "mấy" (how many) is not "máy"
        ("may say", ["machinery"]),
        ("dùng mmtb", ["machinery"]),  # a phrase word without marks agrees with any
    ],
)
def test_gazetteer_marks_typed_must_agree_with_the_phrase(text, found):
    g = Gazetteer({"activity": {"fair": ["hội chợ"], "machinery": ["máy sấy", "mmtb"]}})
    assert [m.value for m in g.find(normalize_text(text))] == found

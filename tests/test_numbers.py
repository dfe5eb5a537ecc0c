"""Counts of people in words, digits and ranges (vntext/numbers.py), and what must not be read."""

import unicodedata

import pytest

from vntext.fold import fold
from vntext.money import find_money
from vntext.normalize import normalize_text
from vntext.numbers import COUNT_UNIT_AFTER, Count, find_counts, read_count


def counts(text):
    text = normalize_text(text)
    return [(c.low, c.high, text[c.start : c.end]) for c in find_counts(text)]


def answer(text):
    text = normalize_text(text)
    c = read_count(text)
    return None if c is None else (c.low, c.high, text[c.start : c.end])


# (message, [(low, high, the number as written)])
COUNTS = [
    # words, with and without diacritics
    ("khoảng bốn mươi người", [(40, 40, "bốn mươi")]),
    ("bon muoi lao dong", [(40, 40, "bon muoi")]),
    ("hai mươi lăm công nhân", [(25, 25, "hai mươi lăm")]),
    ("hai muoi lam cong nhan", [(25, 25, "hai muoi lam")]),
    ("mười lăm người", [(15, 15, "mười lăm")]),
    ("muoi lam nguoi", [(15, 15, "muoi lam")]),
    ("một trăm hai mươi", [(120, 120, "một trăm hai mươi")]),
    ("ba chục người", [(30, 30, "ba chục")]),
    ("hai chục", [(20, 20, "hai chục")]),
    ("chín mươi người", [(90, 90, "chín mươi")]),
    ("chin muoi nguoi", [(90, 90, "chin muoi")]),
    ("khoang chin muoi", [(90, 90, "chin muoi")]),  # a hedge makes bare "chin muoi" a number
    ("một trăm linh năm người", [(105, 105, "một trăm linh năm")]),
    ("hai trăm lẻ tám công nhân", [(208, 208, "hai trăm lẻ tám")]),
    ("trăm rưỡi người", [(150, 150, "trăm rưỡi")]),
    ("hai mươi mốt người", [(21, 21, "hai mươi mốt")]),
    ("ba mươi tư thợ", [(34, 34, "ba mươi tư")]),
    ("bốn mươi lăm nhân công", [(45, 45, "bốn mươi lăm")]),
    ("hai lăm người", [(25, 25, "hai lăm")]),
    ("hai mốt lao động", [(21, 21, "hai mốt")]),
    ("hai muoi nam nguoi", [(25, 25, "hai muoi nam")]),
    ("mười người", [(10, 10, "mười")]),
    ("năm người", [(5, 5, "năm")]),
    ("nam nguoi", [(5, 5, "nam")]),
    ("chừng chục người", [(10, 10, "chục")]),
    ("tam tram nguoi", [(800, 800, "tam tram")]),
    ("một nghìn hai trăm lao động", [(1200, 1200, "một nghìn hai trăm")]),
    ("hai nghin nguoi", [(2000, 2000, "hai nghin")]),
    ("2 chục người", [(20, 20, "2 chục")]),
    ("3 trăm công nhân", [(300, 300, "3 trăm")]),
    ("xuong em co khoang hai chuc tho", [(20, 20, "hai chuc")]),
    ("KHOANG BON MUOI NGUOI", [(40, 40, "BON MUOI")]),
    # digits
    ("15", [(15, 15, "15")]),
    ("1.200 lao động", [(1200, 1200, "1.200")]),
    ("xưởng có 12 người", [(12, 12, "12")]),
    ("40ng", [(40, 40, "40")]),
    ("30lđ", [(30, 30, "30")]),
    ("25 cn", [(25, 25, "25")]),
    ("tầm 30 anh em", [(30, 30, "30")]),
    ("1 nghìn người", [(1000, 1000, "1 nghìn")]),
    ("số lao động: 35", [(35, 35, "35")]),
    # ranges
    ("khoảng 30-40 người", [(30, 40, "30-40")]),
    ("từ 30 đến 40 người", [(30, 40, "30 đến 40")]),
    ("30 – 40", [(30, 40, "30 – 40")]),
    ("30-40ng", [(30, 40, "30-40")]),
    ("có 5 hay 6 người thôi", [(5, 6, "5 hay 6")]),
    ("ba bốn chục người", [(30, 40, "ba bốn chục")]),
    ("ba bon chuc", [(30, 40, "ba bon chuc")]),
    ("năm sáu người", [(5, 6, "năm sáu")]),
    ("nam sau nguoi", [(5, 6, "nam sau")]),
    ("bốn năm người", [(4, 5, "bốn năm")]),
    ("hai ba chục người", [(20, 30, "hai ba chục")]),
    ("hai đến ba chục người", [(20, 30, "hai đến ba chục")]),
    ("hai mươi ba mươi người", [(20, 30, "hai mươi ba mươi")]),
    ("mười lăm hai mươi người", [(15, 20, "mười lăm hai mươi")]),
    ("hai mươi mấy người", [(21, 29, "hai mươi mấy")]),
    # bounds: the nearest whole number inside them
    ("hơn 50 người", [(51, 51, "50")]),
    ("trên 300 công nhân", [(301, 301, "300")]),
    ("co hon hai tram cong nhan", [(201, 201, "hai tram")]),
    ("gần 200 lao động", [(200, 200, "200")]),
    ("dưới 10 người", [(9, 9, "10")]),
    ("duoi mot tram nguoi", [(99, 99, "mot tram")]),
    ("tối đa 50 lao động", [(50, 50, "50")]),
    ("không quá 100 người", [(100, 100, "100")]),
    ("ít nhất 20 người", [(20, 20, "20")]),
    ("50 người trở lên", [(50, 50, "50")]),
    ("tren duoi 50 nguoi", [(50, 50, "50")]),
    # in a longer message, next to money, years and other numbers
    ("có bốn mươi người, doanh thu 5 tỷ", [(40, 40, "bốn mươi")]),
    ("xưởng có hai mươi công nhân và doanh thu ba tỷ", [(20, 20, "hai mươi")]),
    ("năm 2024 xưởng có ba mươi người", [(30, 30, "ba mươi")]),
    ("em có 3 xưởng, tổng cộng 60 công nhân", [(60, 60, "60")]),
    ("máy 1 tỷ 200 triệu, xưởng 20 người", [(20, 20, "20")]),
    ("xưởng em khoảng 40, doanh thu 3 tỷ", [(40, 40, "40")]),
]


@pytest.mark.parametrize("text,expected", COUNTS)
def test_counts(text, expected):
    assert counts(text) == expected


# Nothing here is a count, a money amount, or (as an answer) a number of workers.
NOT_NUMBERS = [
    "năm nay",
    "nam nay",
    "mỗi năm",
    "doanh thu năm ngoái",
    "một mình tôi làm",
    "làm muối",
    "lam muoi",
    "sau tết",
    "sau tet",
    "bay vào",
    "bay vao",
    "bay gio lam sao",
    "tâm huyết",
    "tam huyet",
    "khong biet",
    "không",
    "không có ai",
    "nam gioi",
    "miền nam",
    "mien nam",
    "ba mẹ",
    "ba me",
    "tu lam",
    "tự làm",
    "thời cơ đã chín muồi",
    "cá tẩm muối",
    "một cơ sở",
    "mot so may moc",
    "thứ bảy",
    "thu hai",
    "hai trạm bơm",
    "hai tram bom",
    "tram y te xa",
    "vài chục người",
    "hàng trăm người",
    "mấy chục người",
    "ba chục con gà",
    "bốn mươi tuổi",
    "hai mươi năm kinh nghiệm",
    "hai muoi nam kinh nghiem",
    "lúc 8 giờ",
    "ngày 15 tháng 3",
    "có 3 máy",
    "đi sau người khác",
    "năm 2024",
    "giai đoạn 2021-2025",
    "Nghị định 45/2012/NĐ-CP",
    "điều 8 khoản 4",
    "Thông tư 28",
    "OCOP 3 sao",
    "0912345678",
    "0912 345 678",
    "30%",
    "ba mươi phần trăm",
    "cho hỏi tỷ lệ hỗ trợ bao nhiêu phần trăm",
    "cho hỏi một tí",
    "cho hoi mot ti",
    "chờ em một tí nhé",
    "ngân hàng",
    "nam ngan hang",
    "bà cụ nhà em",
    "moi ngay tam tieng",
    "bon phan cho cay",
    "tầm năm giờ",
    "sau ba năm",
    "một hai năm nữa",
    "",
    "😀",
    "?",
]


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_not_numbers(text):
    assert counts(text) == []
    assert answer(text) is None
    assert list(find_money(fold(normalize_text(text)))) == []


# Not counts in a message, but what they mean alone as the answer to "how many workers?"
ANSWER_ONLY = [
    ("nam", (5, 5, "nam")),
    ("sau", (6, 6, "sau")),
    ("muoi", (10, 10, "muoi")),
    ("ba", (3, 3, "ba")),
    ("tầm năm", (5, 5, "năm")),
    ("dạ năm", (5, 5, "năm")),
    ("bon muoi", (40, 40, "bon muoi")),
    ("hai muoi nam", (25, 25, "hai muoi nam")),
    ("hai chuc", (20, 20, "hai chuc")),
    ("chin muoi", (90, 90, "chin muoi")),
    ("tam tram", (800, 800, "tam tram")),
    ("hai nghìn", (2000, 2000, "hai nghìn")),
    ("2000", (2000, 2000, "2000")),
    ("mot", (1, 1, "mot")),
]


@pytest.mark.parametrize("text,expected", ANSWER_ONLY)
def test_answer_only(text, expected):
    assert counts(text) == []
    assert answer(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("khoảng bốn mươi", (40, 40, "bốn mươi")),
        ("40 người", (40, 40, "40")),
        ("15", (15, 15, "15")),
        ("dạ khoảng 30 ạ", (30, 30, "30")),
        ("tam 30-40 nguoi", (30, 40, "30-40")),
        ("1.200", (1200, 1200, "1.200")),
        ("một người", (1, 1, "một")),
        ("xưởng em có khoảng bốn mươi người, doanh thu 3 tỷ", (40, 40, "bốn mươi")),
        ("năm 2018 thì 10, giờ 40 người", (40, 40, "40")),  # the one with a unit wins
        ("chừng chục người", (10, 10, "chục")),
    ],
)
def test_read_count(text, expected):
    assert answer(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "800 triệu",
        "năm 2020",
        "0912345678",
        "khong",
        "chưa biết",
        "năm nay",
        "có hai k",
        "hai tỷ rưỡi",
        "3 máy",
        "sau tết em mua",
        "nam gioi",
    ],
)
def test_read_count_refuses(text):
    assert answer(text) is None


def test_offsets_point_into_the_message_and_the_unit_starts_at_end():
    text = normalize_text("Xưởng em có khoảng HAI MƯƠI LĂM công nhân")
    (c,) = find_counts(text)
    assert c == Count(25, 25, text.index("HAI"), text.index(" công"))
    assert COUNT_UNIT_AFTER.match(fold(text), c.end)


def test_decomposed_text_is_read_like_composed():
    nfd = unicodedata.normalize("NFD", "khoảng bốn mươi người")
    assert [(c.low, c.high) for c in find_counts(nfd)] == [(40, 40)]


def test_money_in_a_message_is_not_a_count():
    for text in ["ba trăm rưỡi triệu", "800tr", "1ty2", "hai tỷ rưỡi", "500000000", "30-40 triệu", "hai k"]:
        assert counts(text) == [], text


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("0123456789 ,.-–/trieuty tỷ triệu người khoảng bốn mươi lăm rưỡi chục trăm nghìn hơn gần")
        ),
        max_size=80,
    )
    | st.text(max_size=120)
)
def test_number_reading_never_raises_and_counts_stay_inside_the_text(text):
    from vntext.fold import fold
    from vntext.money import find_money
    from vntext.normalize import normalize_text
    from vntext.numbers import find_counts, read_count

    text = normalize_text(text)
    for count in find_counts(text):
        assert 0 <= count.start <= count.end <= len(text) and count.low <= count.high
    read_count(text)
    for money in find_money(fold(text)):
        assert money.value >= 0 and 0 <= money.start <= money.end <= len(text)

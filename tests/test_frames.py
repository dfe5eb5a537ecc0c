"""The question-frame reader (vntext/frames.py): per-field accuracy on a labelled set
(tests/data/frames.yml: a development part, and a locked part written with it before the reader
and never used to tune it), and the tricky cases one by one."""

import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import yaml

from vntext.frames import ATTRIBUTES, THINGS, TIMES, Frame, read_frame

DATA = yaml.safe_load((Path(__file__).parent / "data" / "frames.yml").read_text("utf-8"))
DEV: List[dict] = DATA["dev"]
LOCKED: List[dict] = DATA["locked"]
FIELDS = ("documents", "attributes", "time", "year", "thing", "elliptical", "overview")
DEV_FLOOR = 0.95
LOCKED_FLOOR = 0.85


def expected(case: dict) -> Dict[str, object]:
    return {
        "documents": tuple(case.get("documents", ())),
        "attributes": tuple(case.get("attributes", ())),
        "time": case.get("time"),
        "year": case.get("year"),
        "thing": case.get("thing"),
        "elliptical": bool(case.get("elliptical", False)),
        "overview": bool(case.get("overview", False)),
    }


def got(frame: Frame) -> Dict[str, object]:
    return {field: getattr(frame, field) for field in FIELDS}


def accuracy(cases: List[dict]) -> Tuple[Dict[str, float], List[Tuple[str, str, object, object]]]:
    """Per-field share of cases read right, and the misses (question, field, want, got)."""
    right = dict.fromkeys(FIELDS, 0)
    misses = []
    for case in cases:
        want, have = expected(case), got(read_frame(case["q"]))
        for field in FIELDS:
            if want[field] == have[field]:
                right[field] += 1
            else:
                misses.append((case["q"], field, want[field], have[field]))
    return {field: right[field] / len(cases) for field in FIELDS}, misses


def report(name: str, scores: Dict[str, float], misses) -> str:
    lines = [f"{name} ({len(misses)} misses): " + ", ".join(f"{f} {scores[f]:.3f}" for f in FIELDS)]
    lines += [f"  {q!r}: {field} want {want!r} got {have!r}" for q, field, want, have in misses]
    return "\n".join(lines)


def test_labelled_set_is_well_formed():
    assert len(DEV) + len(LOCKED) >= 220
    assert len(LOCKED) * 3 >= len(DEV) + len(LOCKED) - 3, "the locked part is the last third"
    questions = [c["q"] for c in DEV + LOCKED]
    assert len(set(questions)) == len(questions), "a question is labelled twice"
    for case in DEV + LOCKED:
        assert set(case) <= {"q", *FIELDS}, case
        assert set(case.get("attributes", ())) <= set(ATTRIBUTES), case
        assert case.get("thing") in (None, *THINGS), case
        assert case.get("time") in (None, *TIMES), case


def test_development_accuracy():
    scores, misses = accuracy(DEV)
    print("\n" + report("dev", scores, misses))
    low = {f: s for f, s in scores.items() if s < DEV_FLOOR}
    assert not low, report("dev", scores, misses)


def test_locked_accuracy():
    scores, misses = accuracy(LOCKED)
    print("\n" + report("locked", scores, misses))
    low = {f: s for f, s in scores.items() if s < LOCKED_FLOOR}
    assert not low, report("locked", scores, misses)


# -- tricky cases --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, signer",
    [
        ("ai ký nghị định 235", True),
        ("ai ky nghi dinh 235", True),
        ("người ký là ai", True),
        ("kỳ hạn vay là bao lâu", False),
        ("ky han vay la bao lau", False),
        ("học kỳ này có lớp đào tạo không", False),
        ("mỗi kỳ bình chọn cách nhau bao lâu", False),
        ("ai ký duyệt hồ sơ", False),  # approval, not the signature of a document
    ],
)
def test_sign_is_not_period(text, signer):
    assert ("signer" in read_frame(text).attributes) is signer


def test_ky_ngay_nao_is_the_issue_date():
    assert read_frame("ký ngày nào?").attributes == ("issued",)
    assert read_frame("ky ngay nao").attributes == ("issued",)


@pytest.mark.parametrize(
    "text, attribute",
    [
        ("bao lâu một lần", "frequency"),
        ("bao lau 1 lan", "frequency"),
        ("bao lâu thì tổ chức bình chọn một lần", "frequency"),
        ("mấy năm một lần", "frequency"),
        ("bao lâu", "duration"),
        ("mất bao lâu", "duration"),
        ("mấy năm", "duration"),
    ],
)
def test_how_often_is_not_how_long(text, attribute):
    assert read_frame(text).attributes == (attribute,)


@pytest.mark.parametrize(
    "text, deadline",
    [
        ("hạn nộp hồ sơ là khi nào", True),
        ("han chot la ngay nao", True),
        ("hết hạn đăng ký chưa", True),
        ("mua máy hàn có được hỗ trợ không", False),
        ("may han co duoc ho tro khong", False),
        ("hàn quốc có hội chợ nào không", False),
        ("có hạn mức hỗ trợ không", False),
        ("giới hạn số lần được hỗ trợ", False),
        ("kỳ hạn hỗ trợ lãi suất là mấy năm", False),
        ("đào tạo ngắn hạn có được hỗ trợ không", False),
    ],
)
def test_deadline_is_not_welding(text, deadline):
    assert ("deadline" in read_frame(text).attributes) is deadline


def test_most_specific_attribute():
    assert read_frame("tối đa bao nhiêu phần trăm").attributes == ("share",)
    assert read_frame("mấy %").attributes == ("share",)
    assert read_frame("hiệu lực khi nào").attributes == ("effective",)
    assert read_frame("khác nhau chỗ nào").attributes == ("changes",)
    assert read_frame("hồ sơ gồm những gì").attributes == ("documents_needed",)
    assert read_frame("tỷ lệ hỗ trợ là bao nhiêu").attributes == ("share",)
    assert read_frame("mức hỗ trợ máy móc quy định ở điều nào").attributes == ("article",)


def test_attributes_in_the_order_asked():
    assert read_frame("NĐ 235 có hiệu lực từ ngày nào, ai ký?").attributes == ("effective", "signer")
    assert read_frame("ai ký NĐ 235, có hiệu lực từ ngày nào?").attributes == ("signer", "effective")


@pytest.mark.parametrize(
    "text, documents",
    [
        ("NĐ 235", ("235",)),
        ("nghị định 235/2025", ("235/2025",)),
        ("tt 46/2012", ("46/2012",)),
        ("thông tư số 28/2018/TT-BTC", ("28/2018",)),
        ("TTLT 26/2014", ("26/2014",)),
        ("nd235 con hieu luc ko", ("235",)),
        ("nghị định 45 năm 2012", ("45/2012",)),
        ("nghị định 45 và 235", ("45", "235")),
        ("theo 45/2012/NĐ-CP", ("45/2012",)),
        ("quyết định 1881/QĐ-TTg", ("1881",)),
        ("NĐ 235/2025 và NĐ 235", ("235/2025",)),
        ("NĐ 45 khác gì NĐ 235, NĐ 45 còn hiệu lực không", ("45", "235")),
    ],
)
def test_document_numbers(text, documents):
    assert read_frame(text).documents == documents


@pytest.mark.parametrize(
    "text",
    [
        "hỗ trợ 235 triệu đồng",
        "được hỗ trợ 50% chi phí",
        "tối đa 30 phần trăm",
        "hạn nộp trước ngày 30/6/2025",
        "gọi số 0912345678 nhé",
        "chuyển khoản 2.000.000 đồng",
        "văn bản 2 trang",
        "năm 2018 được bao nhiêu",
    ],
)
def test_money_dates_phones_are_not_documents(text):
    assert read_frame(text).documents == ()


def test_a_document_year_is_not_the_time_asked():
    frame = read_frame("nghị định 45/2012 còn hiệu lực không")
    assert (frame.year, frame.time) == (None, None)
    frame = read_frame("nghị định 45 năm 2012 ai ký")
    assert (frame.documents, frame.year, frame.time) == (("45/2012",), None, None)
    frame = read_frame("trước năm 2018 máy móc được hỗ trợ bao nhiêu")
    assert (frame.year, frame.time) == (2018, "past")
    frame = read_frame("thông tư 46/2012 ngày 27/12/2012 ai ký")
    assert (frame.year, frame.time) == (None, None)
    frame = read_frame("hạn nộp hồ sơ là 15/7/2025 phải không")
    assert (frame.year, frame.time) == (None, None)


@pytest.mark.parametrize(
    "text, time_, year",
    [
        ("hồi 2014 hỗ trợ bao nhiêu", "past", 2014),
        ("năm 2016 thì sao", "past", 2016),
        ("năm 2026 có bình chọn không", None, 2026),
        ("trước đây hỗ trợ hội chợ thế nào", "past", None),
        ("quy định cũ ra sao", "past", None),
        ("bản gốc nghị định 45", "original", None),
        ("hiện nay hỗ trợ thế nào", "now", None),
        ("giờ thì sao", "now", None),
        ("mấy giờ thì mở cửa", None, None),
        ("bao giờ phải nộp", None, None),
        ("trước đây 30%, bây giờ bao nhiêu", "both", None),
        ("thay đổi thế nào so với trước", "both", None),
        ("còn máy cũ thì sao", None, None),  # a used machine, not the old rule
    ],
)
def test_time(text, time_, year):
    frame = read_frame(text)
    assert (frame.time, frame.year) == (time_, year)


@pytest.mark.parametrize(
    "text, elliptical",
    [
        ("ai ký?", True),
        ("hiệu lực khi nào?", True),
        ("mấy lần một năm?", True),
        ("nộp ở đâu", True),
        ("bao lâu", True),
        ("còn hiệu lực không", True),
        ("nghị định 235 còn hiệu lực không", False),
        ("còn hiệu lực không ạ, nghị định 235/2025", False),
        ("còn nghị định 45 thì sao", True),
        ("vậy thì sao", True),
        ("nếu là hộ kinh doanh thì sao", True),
        ("khuyến công là gì", False),
        ("hồ sơ gồm những gì", False),
        ("cho em hỏi là muốn được hỗ trợ thì phải đáp ứng những điều kiện gì ạ", False),
    ],
)
def test_elliptical(text, elliptical):
    assert read_frame(text).elliptical is elliptical


@pytest.mark.parametrize(
    "text, overview",
    [
        ("khuyến công hỗ trợ những hoạt động gì", True),
        ("mục tiêu của khuyến công là gì", True),
        ("những ngành nghề nào được hỗ trợ", True),
        ("ai là đối tượng", True),
        ("có những văn bản nào", True),
        ("có những loại máy móc nào được hỗ trợ", False),
        ("nghị định 235 có những điểm mới nào", False),
        ("hồ sơ gồm những gì", False),
        ("hộ kinh doanh có thuộc đối tượng được hỗ trợ không", False),
    ],
)
def test_overview(text, overview):
    assert read_frame(text).overview is overview


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "?",
        "👍",
        "😀😀😀 ai ký 🙏",
        "\u0000\u200b\ufeff",
        "ai ký" * 2000,
        "nghị định " * 5000,
        "𝕟𝕘𝕙𝕚 đ𝕚𝕟𝕙 235",
        "中文 العربية русский",
        "1/2/3/4/5/6/7/8/9/2020/2021",
    ],
)
def test_never_raises(text):
    frame = read_frame(text)
    assert isinstance(frame, Frame)
    assert set(frame.attributes) <= set(ATTRIBUTES)
    assert frame.thing in (None, *THINGS)
    assert frame.time in (None, *TIMES)


def test_empty_and_emoji():
    assert read_frame("") == Frame()
    assert read_frame(None) == Frame()  # type: ignore[arg-type]
    assert read_frame("👍👍") == Frame()
    assert read_frame("ai ký 🙏").attributes == ("signer",)


def test_fast():
    texts = [c["q"] for c in DEV + LOCKED] + ["ai ký nghị định 235 " * 300, "x" * 50000]
    read_frame(texts[0])  # warm the normaliser's tone rules
    start = time.perf_counter()
    for text in texts:
        read_frame(text)
    per_call = (time.perf_counter() - start) / len(texts)
    print(f"\nread_frame: {per_call * 1000:.3f} ms per call over {len(texts)} texts")
    assert per_call < 0.005

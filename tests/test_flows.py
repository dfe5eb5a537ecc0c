"""The guided flows through the real model, action server and REST channel:
pre-eligibility check → estimate → consent → lead, then the officer export, on SQLite and
PostgreSQL. Also: invalid phone, refused consent, abandoning and resuming, interruptions."""

import csv
import os
import uuid

import openpyxl
import pytest

from tests.conftest import LiveBot

# What the bot asks (a phrase of each question) → what the user answers.
PROFILE_ANSWERS = {
    "loại hình": "hộ kinh doanh",
    "tỉnh, thành phố nào": "Bình Phước",
    "xã, phường hay đặc khu": "xã Phú Riềng",
    "mặt hàng gì": "làm bánh tráng",
    "làng nghề": "không",
    "khó khăn": "không",
    "lao động": "15",
}
PHONE = "0912 345 678"
PHONE_E164 = "+84912345678"


def drive(bot, sender, first, answers, done_marker, max_turns=10):
    """Send ``first``, then answer each question the bot asks until ``done_marker`` appears."""
    reply = bot.texts(first, sender)
    for _ in range(max_turns):
        if done_marker in reply:
            return reply
        question = next((q for q in answers if q in reply), None)
        assert question, f"unexpected bot turn: {reply}"
        reply = bot.texts(answers[question], sender)
    raise AssertionError(f"flow did not finish: {reply}")


def export(db_url, tmp_path, fmt):
    from lead_store.cli import main
    from policy_kb import db

    out = tmp_path / f"leads.{fmt}"
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = db_url
    db.get_engine.cache_clear()
    try:
        assert main(["export", "--format", fmt, "--out", str(out)]) == 0
    finally:
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old
        db.get_engine.cache_clear()
    if fmt == "csv":
        with out.open(encoding="utf-8-sig") as fh:
            return [list(r.values()) for r in csv.DictReader(fh)]
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    return [list(r) for r in rows[1:]]


def rows_with(rows, value):
    return [r for r in rows if any(str(c) == value for c in r)]


def full_flow(bot, db_url, tmp_path, sender):
    verdict = drive(bot, sender, "tôi muốn kiểm tra điều kiện được hỗ trợ", PROFILE_ANSWERS, "kiểm tra sơ bộ")
    assert "THUỘC đối tượng" in verdict
    assert "Bình Phước (nay thuộc" in verdict and "Đồng Nai" in verdict
    assert "Căn cứ" in verdict and "235/2025" in verdict

    estimate = drive(
        bot, sender, "/estimate_support", {"hoạt động nào": "mua máy sấy", "chi phí dự kiến": "800 triệu"}, "Ước tính"
    )
    assert "400 triệu đồng" in estimate and "tối đa 300 triệu đồng" in estimate
    assert "Thông tư 28/2018/TT-BTC" in estimate

    consent = bot.texts("/leave_contact", sender)
    assert "Nghị định 13/2023/NĐ-CP" in consent and "đồng ý" in consent.lower()
    assert "họ tên" in bot.texts("đồng ý", sender)
    assert "số điện thoại" in bot.texts("Nguyễn Văn An", sender).lower()
    assert "chưa đúng" in bot.texts("0912 345", sender)  # invalid: re-asked
    assert "chưa đúng" in bot.texts("abc-xyz", sender)
    done = bot.texts(PHONE, sender)
    assert "đã ghi nhận" in done and "+8491****678" in done

    # the same person submitting again in this conversation: still one lead
    bot.texts("/leave_contact", sender)
    bot.texts("/affirm", sender)
    bot.texts("Nguyễn Văn An", sender)
    assert "đã ghi nhận" in bot.texts("+84 912 345 678", sender)

    for fmt in ("csv", "xlsx"):
        rows = export(db_url, tmp_path, fmt)
        mine = rows_with(rows, sender)
        assert len(mine) == 1, (fmt, mine)
        row = [str(c) for c in mine[0]]
        for value in (
            PHONE_E164,
            "Nguyễn Văn An",
            "dong_nai",
            "household_business",
            "food_processing",
            "machinery",
            "800000000",
            "eligible",
            "rest",
        ):
            assert value in row, (fmt, value, row)


def test_full_flow_sqlite(live_bot, kb_url, tmp_path):
    full_flow(live_bot, kb_url, tmp_path, f"flow-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def pg_bot(pg_url, tmp_path_factory):
    from policy_kb.db import get_engine
    from policy_kb.loader import build

    build(get_engine(pg_url))
    bot = LiveBot(tmp_path_factory.mktemp("pg"), pg_url).start()
    yield bot
    bot.stop()


def test_full_flow_postgresql(pg_bot, pg_url, tmp_path):
    full_flow(pg_bot, pg_url, tmp_path, f"flow-pg-{uuid.uuid4().hex[:8]}")


def test_refusing_consent_stores_nothing(live_bot, kb_url, tmp_path):
    sender = f"refuse-{uuid.uuid4().hex[:8]}"
    assert "Nghị định 13/2023/NĐ-CP" in live_bot.texts("tôi muốn để lại liên hệ", sender)
    reply = live_bot.texts("không đồng ý", sender)
    assert "không lưu" in reply
    assert "Căn cứ" in live_bot.texts("khuyến công là gì", sender)  # the bot still answers
    assert rows_with(export(kb_url, tmp_path, "csv"), sender) == []


def test_abandon_then_resume_asks_only_what_is_missing(live_bot):
    sender = f"abandon-{uuid.uuid4().hex[:8]}"
    assert "loại hình" in live_bot.texts("kiểm tra điều kiện giúp tôi", sender)
    second = live_bot.texts("hợp tác xã", sender)
    next_question = next(q for q in PROFILE_ANSWERS if q in second)
    assert next_question != "loại hình"
    stopped = live_bot.texts("dừng lại", sender)
    assert "đã dừng" in stopped
    assert "Căn cứ" in live_bot.texts("thủ tục xin hỗ trợ thế nào", sender)
    resumed = live_bot.texts("kiểm tra điều kiện", sender)
    assert next_question in resumed and "loại hình" not in resumed


def test_question_in_the_middle_is_answered_then_the_check_resumes(live_bot):
    sender = f"interrupt-{uuid.uuid4().hex[:8]}"
    live_bot.texts("kiểm tra điều kiện", sender)
    reply = live_bot.texts("mua máy móc thiết bị được hỗ trợ bao nhiêu", sender)
    assert "300 triệu đồng" in reply
    assert "loại hình" in reply  # the check goes on


def test_entities_given_earlier_are_not_asked_again(live_bot):
    sender = f"earlier-{uuid.uuid4().hex[:8]}"
    live_bot.texts("htx làm mây tre đan ở Hà Giang có được hỗ trợ không", sender)
    reply = live_bot.texts("kiểm tra điều kiện", sender)
    assert "loại hình" not in reply and "tỉnh, thành phố nào" not in reply and "mặt hàng gì" not in reply


def test_unclear_answer_is_reasked_with_buttons(live_bot):
    sender = f"unclear-{uuid.uuid4().hex[:8]}"
    live_bot.texts("kiểm tra điều kiện", sender)
    resp = live_bot.ask("ừm cái này khó nói", sender)
    texts = " ".join(m.get("text", "") for m in resp.json())
    assert "chưa nhận ra loại hình" in texts  # the second asking says why, with a way out
    titles = [b["title"] for m in resp.json() for b in m.get("buttons", [])]
    assert "Hộ kinh doanh" in titles and "Không rõ / bỏ qua" in titles


@pytest.mark.parametrize("name", ["Nguyen Van Dung", "Hoàng Huy", "Tran Thi Dung", "Dũng", "huy"])
def test_names_that_look_like_stop_words_are_taken_as_names(live_bot, name):
    # Without diacritics "Dung" is "dừng" (stop) and "Huy" is "hủy" (cancel): while the form waits
    # for the name, such a message is the name unless it says stop in so many words.
    sender = f"name-{uuid.uuid4().hex[:8]}"
    live_bot.texts("/leave_contact", sender)
    assert "họ tên" in live_bot.texts("đồng ý", sender)
    assert "số điện thoại" in live_bot.texts(name, sender).lower()


@pytest.mark.parametrize("stop", ["dừng lại", "thôi không để lại nữa", "huy bo", "thôi", "thoi"])
def test_stop_at_the_name_question_stops_and_forgets(live_bot, stop):
    sender = f"namestop-{uuid.uuid4().hex[:8]}"
    live_bot.texts("/leave_contact", sender)
    assert "họ tên" in live_bot.texts("đồng ý", sender)
    assert "đã dừng" in live_bot.texts(stop, sender)
    assert "Căn cứ" in live_bot.texts("khuyến công là gì", sender)  # the bot answers normally after


@pytest.mark.parametrize("stop", ["thôi", "thoi", "để sau nhé"])
def test_a_bare_stop_word_stops_the_check(live_bot, stop):
    # "thôi" alone was split between stop / goodbye / deny by the classifier and re-asked as an
    # unclear answer; the stop-phrase component makes it "stop"
    sender = f"bare-stop-{uuid.uuid4().hex[:8]}"
    assert "loại hình" in live_bot.texts("kiểm tra điều kiện", sender)
    assert "đã dừng" in live_bot.texts(stop, sender)


def test_answers_to_other_questions_and_a_bare_no_mid_check(live_bot):
    # As people type: the province given when the product was asked, "ko" to "xã, phường hay đặc
    # khu?", the commune without diacritics. Each is kept or re-asked; nothing says goodbye.
    sender = f"offscript-{uuid.uuid4().hex[:8]}"
    assert "loại hình" in live_bot.texts("kiem tra dieu kien giup minh", sender)
    asked = live_bot.texts("htx", sender)
    assert "mặt hàng gì" in asked
    reply = live_bot.texts("quang ngai", sender)
    assert "đã ghi nhận địa bàn: Tỉnh Quảng Ngãi" in reply and "chưa rõ" not in reply and "mặt hàng gì" in reply
    reply = live_bot.texts("lam nuoc mam", sender)
    assert "xã, phường hay đặc khu" in reply and "tỉnh, thành phố nào" not in reply
    reply = live_bot.texts("ko", sender)
    assert "em hỏi vì" in reply and "xã, phường hay đặc khu" in reply and "em chào" not in reply
    verdict = live_bot.texts("xa binh son", sender)
    assert "THUỘC đối tượng" in verdict and "Căn cứ" in verdict


def test_estimate_fair_asks_which_fair_once_and_a_cost_given_early_is_kept(live_bot):
    sender = f"fair-{uuid.uuid4().hex[:8]}"
    assert "hoạt động nào" in live_bot.texts("uoc tinh ho tro", sender)
    resp = live_bot.ask("hoi cho", sender).json()
    assert [m.get("text") for m in resp] == ["Dạ, anh/chị hỏi về hội chợ, triển lãm trong nước hay ở nước ngoài ạ?"]
    assert "chi phí dự kiến" in live_bot.texts('/inform{"activity": "fair_abroad"}', sender)
    assert "Ước tính với chi phí 200 triệu đồng" in live_bot.texts("200tr", sender)

    sender = f"cost-first-{uuid.uuid4().hex[:8]}"
    live_bot.texts("uoc tinh ho tro", sender)
    reply = live_bot.texts("200tr", sender)
    assert "đã ghi nhận chi phí 200 triệu đồng" in reply and "hoạt động nào" in reply
    reply = live_bot.texts("máy móc", sender)
    assert "50% × 200 triệu đồng = 100 triệu đồng" in reply

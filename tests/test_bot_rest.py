"""The real bot (trained model + action server + KB) through its REST channel."""

import uuid
from pathlib import Path

import pytest
import yaml

from policy_kb.retrieval import INTENT_TOPICS

PHRASINGS = yaml.safe_load((Path(__file__).parent / "data" / "phrasings.yml").read_text("utf-8"))
CASES = [(intent, text) for intent, texts in PHRASINGS.items() if intent != "quick_check" for text in texts]


def test_machinery_question_returns_national_cap_with_source(live_bot):
    reply = live_bot.texts("Mua máy móc thiết bị được hỗ trợ bao nhiêu?")
    assert "50%" in reply and "300 triệu đồng" in reply
    assert "Thông tư 28/2018/TT-BTC" in reply
    assert "tỉnh" in reply  # provinces set their own levels


def test_same_question_typed_without_diacritics(live_bot):
    reply = live_bot.texts("mua may moc thiet bi dc ho tro bn")
    assert "50%" in reply and "300 triệu đồng" in reply and "Thông tư 28/2018/TT-BTC" in reply


def answered_records(resp):
    """The record ids the reply's buttons point at (``/ask_more{"record": …}``)."""
    import json

    out = []
    for m in resp.json():
        for b in m.get("buttons", []):
            if b["payload"].startswith("/ask_more{"):
                out.append(json.loads(b["payload"][len("/ask_more") :])["record"])
    return out


def topic_of(record_id):
    kind = record_id.split(".")[0]
    return {"level": "support_levels", "document": "legal_documents"}.get(kind, kind)


@pytest.mark.parametrize("intent,text", CASES, ids=[f"{i}:{t[:30]}" for i, t in CASES])
def test_every_topic_in_three_phrasings(live_bot, intent, text):
    resp = live_bot.ask(text, sender=f"phrasing-{abs(hash(text))}")
    reply = "\n".join(m.get("text") or "" for m in resp.json())
    assert "Căn cứ" in reply and len(reply) <= 450, reply  # one short, cited answer
    topics = {topic_of(r) for r in answered_records(resp)}
    rules_topic = (
        {"beneficiaries", "industries", "priorities"}
        if any(r.startswith("rule.") for r in answered_records(resp))
        else set()
    )
    assert INTENT_TOPICS[intent] in topics | rules_topic, (reply, answered_records(resp))


@pytest.mark.parametrize("text", PHRASINGS["quick_check"])
def test_question_naming_the_establishment_gets_its_quick_check(live_bot, text):
    resp = live_bot.ask(text, f"quick-{uuid.uuid4().hex[:8]}")
    reply = "\n".join(m.get("text") or "" for m in resp.json())
    assert reply.startswith("Dạ, theo những gì anh/chị nêu:") and "✓" in reply, reply
    assert "em cần hỏi thêm" in reply and "Căn cứ: Nghị định" in reply, reply
    payloads = [b["payload"] for m in resp.json() for b in m.get("buttons", [])]
    assert "/check_eligibility" in payloads


def test_quick_check_then_the_form_asks_only_what_is_missing(live_bot):
    sender = f"quick-form-{uuid.uuid4().hex[:8]}"
    first = live_bot.texts("minh o xa ben tre lam keo dua thi co dc ho tro ko", sender)
    assert "Bến Tre (nay thuộc Tỉnh Vĩnh Long)" in first and "chế biến thực phẩm" in first
    reply = live_bot.texts("/check_eligibility", sender)
    assert "loại hình" in reply  # asked: not said yet
    reply = live_bot.texts("hộ kinh doanh", sender)
    assert "tỉnh, thành phố nào" not in reply and "mặt hàng gì" not in reply  # said already


def test_a_shop_is_told_at_once_with_the_reason(live_bot):
    reply = live_bot.texts("toi mo cua hang tap hoa co duoc ho tro khuyen cong khong", f"shop-{uuid.uuid4().hex[:8]}")
    assert "CHƯA thuộc đối tượng" in reply and "✗" in reply and "Căn cứ" in reply


def test_a_cost_after_a_level_answer_is_estimated(live_bot):
    sender = f"cost-{uuid.uuid4().hex[:8]}"
    assert "300 triệu đồng" in live_bot.texts("muốn mua máy dệt thì được hỗ trợ thế nào", sender)
    reply = live_bot.texts("chi phi may khoang 500tr", sender)
    assert "50% × 500 triệu đồng = 250 triệu đồng" in reply and "Thông tư 28/2018/TT-BTC" in reply


def test_a_cost_alone_asks_for_the_activity_then_estimates(live_bot):
    sender = f"cost-only-{uuid.uuid4().hex[:8]}"
    assert "hoạt động nào" in live_bot.texts("chi phí khoảng 1 tỷ", sender)
    reply = live_bot.texts("máy móc", sender)
    assert "50% × 1 tỷ đồng = 500 triệu đồng" in reply and "tối đa 300 triệu đồng" in reply


def test_greeting_offers_buttons_and_button_payload_works(live_bot):
    resp = live_bot.ask("xin chào", sender="buttons")
    buttons = [b for m in resp.json() for b in m.get("buttons", [])]
    assert buttons and any(b["payload"] == "/ask_support_level" for b in buttons)
    reply = live_bot.texts('/ask_support_level{"activity": "fair_abroad"}', sender="buttons")
    assert "100%" in reply


@pytest.mark.parametrize(
    "kind,kwargs,status,reply",
    [
        ("empty", {"text": ""}, 200, "chưa nhận được"),
        ("spaces", {"text": "   \n\t"}, 200, "chưa nhận được"),
        ("10k chars", {"text": "máy " * 2500}, 200, "dài quá"),
        ("emoji only", {"text": "😀🙏👍"}, 200, "Dạ"),
        ("english", {"text": "What is the weather like in London today?"}, 200, "Dạ"),
        ("html", {"text": "<img src=x onerror=alert(1)>"}, 200, "Dạ"),
        ("null message", {"text": None}, 200, "chưa nhận được"),
        ("number message", {"text": 12345}, 400, None),
        ("malformed json", {"text": None, "raw": b'{"sender": "x", "message": "hi'}, 400, None),
        ("not json", {"text": None, "raw": b"hello", "content_type": "text/plain"}, 400, None),
        ("json list", {"text": None, "raw": b"[1, 2, 3]"}, 400, None),
        ("no sender", {"text": None, "raw": b'{"message": "xin chao"}'}, 400, None),
        ("missing message", {"text": None, "raw": b'{"sender": "x"}'}, 200, "chưa nhận được"),
        ("1 MB body", {"text": None, "raw": b'{"sender": "x", "message": "' + b"a" * 1_000_000 + b'"}'}, 413, None),
    ],
)
def test_bad_input_never_5xx_and_bot_keeps_answering(live_bot, kind, kwargs, status, reply):
    resp = live_bot.ask(kwargs.pop("text"), sender=f"bad-{kind}", **kwargs)
    assert resp.status_code == status, (kind, resp.status_code, resp.text[:200])
    if reply:
        texts = " ".join(m.get("text", "") for m in resp.json())
        assert reply in texts, texts
    else:
        assert "error" in resp.json()
    assert live_bot.alive()
    assert "Căn cứ" in live_bot.texts("khuyến công là gì", sender=f"after-{kind}")


def test_out_of_scope_and_bot_challenge_are_polite(live_bot):
    assert "ngoài phạm vi" in live_bot.texts("hôm nay thời tiết thế nào", sender="oos")
    # "are you a bot" is about the bot, not any question ending in "à?"
    assert "trợ lý tự động" not in live_bot.texts("phần còn lại tôi phải tự bỏ vốn à?", sender="oos2")
    assert "trợ lý tự động" in live_bot.texts("bạn là người hay máy vậy", sender="oos")


@pytest.mark.parametrize(
    "text, place, ask",
    [
        ("o ha giang thi nop ho so o dau", "Hà Giang (nay thuộc Tỉnh Tuyên Quang)", "Sở Công Thương Tuyên Quang"),
        ("tỉnh Hà Nội hỗ trợ bao nhiêu", "Thành phố Hà Nội", "Sở Công Thương Hà Nội"),
    ],
)
def test_question_about_a_named_province_says_whom_to_ask_there(live_bot, text, place, ask):
    reply = live_bot.texts(text, f"place-{uuid.uuid4().hex[:8]}")
    first = reply.splitlines()[0]
    assert place in first and ask in first
    assert "Căn cứ:" in reply


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Mình là hộ kinh doanh ở xã Phú Riềng, Bình Phước, làm bánh tráng, muốn mua máy sấy 800 triệu thì được "
            "hỗ trợ bao nhiêu?",
            ["50% × 800 triệu đồng = 400 triệu đồng", "Sở Công Thương Đồng Nai"],
        ),
        (
            "Chào em, anh ở Tân Uyên Bình Dương cũ, bên anh là công ty TNHH nhỏ làm đồ gỗ xuất khẩu khoảng 40 công nhân, "
            "muốn đầu tư dây chuyền sơn tĩnh điện khoảng 2 tỷ thì nhà nước hỗ trợ được bao nhiêu vậy em?",
            ["450 triệu đồng", "Sở Công Thương TP. Hồ Chí Minh"],
        ),
    ],
)
def test_a_long_detailed_how_much_question_gets_the_estimate(live_bot, text, expected):
    reply = live_bot.texts(text, f"long-{uuid.uuid4().hex[:8]}")
    for part in expected:
        assert part in reply, reply
    assert "Thông tư 28/2018/TT-BTC" in reply

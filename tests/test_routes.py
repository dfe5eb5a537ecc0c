"""The route table (actions/routes.py): each route taken by a message of its kind, with the reply
it gives; the table printed into docs/routes.md. The NLU result is given (intent, entities), so
these run without a model; the scripted dialogues run the same kinds through the real bot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import routes
from actions.kb import kb_session

DOC = Path(__file__).resolve().parent.parent / "docs" / "routes.md"


@pytest.fixture(autouse=True)
def kb(kb_url):
    """The shared throwaway knowledge base (tests/conftest.py: DATABASE_URL points at it)."""
    return kb_url


def run(text, intent=None, confidence=0.95, entities=(), slots=None, last_reply=None):
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence} if intent else {},
        "entities": [dict(e) for e in entities],
        "intent_ranking": [],
    }
    events = [{"event": "bot", "text": last_reply}] if last_reply else []
    tracker = Tracker("t", dict(slots or {}), message, events, False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    with kb_session() as session:
        turn = routes.Turn(tracker, session)
        route = routes.decide(turn)
        out = route.reply(turn, dispatcher)
    slots_set = {e["name"]: e["value"] for e in out if e.get("event") == "slot"}
    text_out = "\n".join(m.get("text") or m.get("response") or "" for m in dispatcher.messages)
    buttons = [b for m in dispatcher.messages for b in m.get("buttons") or []]
    return route.name, text_out, slots_set, buttons


def act(value):
    return {"entity": "activity", "value": value}


def test_docs_show_the_route_table():
    expected = routes.routes_markdown()
    if os.environ.get("KC_WRITE_DOCS"):
        DOC.write_text(expected, "utf-8")
    assert DOC.read_text("utf-8") == expected, (
        "docs/routes.md is stale: run KC_WRITE_DOCS=1 pytest tests/test_routes.py"
    )


def test_every_route_is_documented_by_its_functions():
    for r in routes.ROUTES:
        assert r.why and r.does, r.name


def test_a_button_for_more_takes_the_more_route():
    name, text, slots, _ = run(
        "/ask_more",
        "ask_more",
        1.0,
        [{"entity": "record", "value": "level.machinery"}, {"entity": "view", "value": "history"}],
    )
    assert name == "more" and "200 triệu" in text


def test_a_guess_of_ask_more_for_an_unclassified_message_is_not_more():
    message = {
        "text": "còn máy cũ thì sao?",
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "entities": [],
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3}, {"name": "ask_more", "confidence": 0.25}],
    }
    tracker = Tracker("t", {"last_record": "level.machinery"}, message, [], False, None, {}, "action_listen")
    with kb_session() as session:
        assert routes.decide(routes.Turn(tracker, session)).name != "more"


def test_english_in_scope_gets_the_answer():
    name, text, _, _ = run("How much support can I get to buy machinery?", "out_of_scope", 0.9)
    assert name == "english" and "300 triệu" in text and "tiếng Việt" in text


def test_english_out_of_scope_gets_the_note():
    name, text, _, _ = run("Is it going to rain in Hanoi tomorrow, please tell me?", "out_of_scope", 0.9)
    assert name == "english" and "Vietnamese" in text


def test_document_attributes_are_answered_in_the_order_asked():
    name, text, slots, _ = run("NĐ 235 có hiệu lực từ ngày nào, ai ký?", "ask_legal_documents")
    assert name == "document_attribute"
    assert "15/10/2025" in text and "Bùi Thanh Sơn" in text
    assert text.index("15/10/2025") < text.index("Bùi Thanh Sơn")
    assert slots["last_record"] == "document.nd-235-2025"


def test_a_follow_up_on_a_document_uses_the_conversation():
    name, text, _, _ = run("ai ký vậy?", "nlu_fallback", 0.3, slots={"last_record": "document.nd-235-2025"})
    assert name == "document_attribute" and "Bùi Thanh Sơn" in text


def test_a_level_states_the_figure_and_the_national_cap():
    name, text, slots, _ = run("mua máy móc được hỗ trợ bao nhiêu", "ask_support_level", entities=[act("machinery")])
    assert name == "level" and "300 triệu" in text and "tỉnh quy định" in text
    assert slots["last_record"] == "level.machinery"


def test_a_past_level_gets_the_value_then_and_now():
    name, text, _, _ = run(
        "Trước năm 2018 máy móc được tối đa bao nhiêu?", "ask_support_level", entities=[act("machinery")]
    )
    assert name == "level"
    assert "200 triệu" in text and "300 triệu" in text and text.index("200 triệu") < text.index("300 triệu")
    assert "trước đây" in text


def test_how_much_without_an_activity_gets_the_picker():
    name, _, _, buttons = run("mức hỗ trợ là bao nhiêu vậy", "ask_support_level")
    assert name == "activity_picker" and len(buttons) >= 5


def test_an_overview_lists_the_topic():
    name, text, _, buttons = run("Khuyến công hỗ trợ những hoạt động gì?", "ask_activities")
    assert name == "overview" and "Đào tạo nghề" in text and "Căn cứ" in text and len(text) <= 500
    assert any('"view": "detail"' in b["payload"] for b in buttons)


def test_several_questions_are_each_answered():
    name, text, _, _ = run("hạn nộp hồ sơ đề án quốc gia khi nào, và nộp mấy bộ hồ sơ?", "ask_procedure")
    assert name == "several" and "1." in text and "2." in text


def test_an_elliptical_condition_follows_the_last_level():
    name, text, slots, _ = run(
        "còn máy cũ thì sao?", "nlu_fallback", 0.3, slots={"last_record": "level.machinery", "activity": "machinery"}
    )
    assert slots.get("last_record") == "activities.machinery_must_be_new", (name, text)
    assert "mới" in text and "trước đây" in text


def test_another_activity_after_a_level_is_its_level():
    name, text, slots, _ = run(
        "còn hội chợ trong nước?", "nlu_fallback", 0.3, [act("fair_domestic")], {"last_record": "level.machinery"}
    )
    assert name == "level" and slots["last_record"] == "level.fair_domestic"


def test_a_self_description_with_a_coverage_question_gets_the_quick_check():
    name, text, _, _ = run(
        "chào em, chị làm nước mắm ở xã Cát Hải, hộ kinh doanh, chị có thuộc đối tượng không?",
        "ask_beneficiaries",
        entities=[
            {"entity": "business_type", "value": "household_business"},
            {"entity": "industry", "value": "food_processing"},
            {"entity": "unit_type", "value": "xa"},
        ],
    )
    assert name == "quick_check" and "THUỘC" in text


def test_an_unanswerable_question_is_refused_or_clarified_never_stated():
    name, text, _, _ = run("số điện thoại trung tâm khuyến công Nghệ An là bao nhiêu", "ask_agencies", 0.6)
    assert name in ("unknown", "clarify", "contact"), text


def test_the_same_reply_is_not_sent_twice_in_a_row():
    _, first, _, _ = run("thủ tục nộp hồ sơ đề án khuyến công địa phương thế nào", "ask_procedure")
    _, second, _, _ = run("thủ tục nộp hồ sơ đề án khuyến công địa phương thế nào", "ask_procedure", last_reply=first)
    assert second != first

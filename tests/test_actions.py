"""Custom actions on tracker fixtures (RasaHQ/financial-demo style): answers come from the KB."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswer
from actions.render import fmt_vnd
from policy_kb.retrieval import INTENT_TOPICS
from tests.conftest import make_tracker


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return dispatcher.messages, events


def ent(name, value):
    return {"entity": name, "value": value, "start": 0, "end": 1}


def ent_in(text, name, value, phrase):
    """An entity where the extractor would put it (the reader judges scope by what precedes it)."""
    start = text.index(phrase)
    return {"entity": name, "value": value, "start": start, "end": start + len(phrase), "text": phrase}


def test_machinery_answer_has_share_cap_source_and_local_caveat(kb_url):
    msgs, events = run(
        ActionAnswer(),
        make_tracker(
            "Mua máy móc thiết bị được hỗ trợ bao nhiêu?", "ask_support_level", [ent("activity", "machinery")]
        ),
    )
    text = msgs[0]["text"]
    assert "50%" in text and "300 triệu đồng" in text
    assert "Thông tư 28/2018/TT-BTC" in text and "Điều 8" in text
    assert "mức tối đa từ kinh phí khuyến công quốc gia; tỉnh quy định mức riêng" in text
    assert "Trung tâm Khuyến công" in text
    assert "200 triệu" not in text and len(text) <= 450  # the TTLT 26/2014 level is behind a button
    titles = [b["title"] for b in msgs[0]["buttons"]]
    assert "Chi tiết" in titles and "Quy định trước đây" in titles
    assert {"event": "slot", "name": "activity", "value": "machinery", "timestamp": None} in events


def test_the_earlier_level_is_behind_its_button_with_its_document(kb_url):
    msgs, _ = run(
        ActionAnswer(), make_tracker("", "ask_more", [ent("record", "level.machinery"), ent("view", "history")])
    )
    text = msgs[0]["text"]
    assert "Theo TTLT 26/2014" in text and "200 triệu đồng" in text
    assert "Thông tư liên tịch 26/2014/TTLT-BTC-BCT" in text


def test_estimate_with_cost_is_capped(kb_url):
    msgs, _ = run(
        ActionAnswer(),
        make_tracker(
            "mua máy 800 triệu", "ask_support_level", [ent("activity", "machinery"), ent("money", 800_000_000)]
        ),
    )
    text = msgs[0]["text"]
    assert "400 triệu đồng" in text and "tối đa 300 triệu đồng" in text


def test_no_activity_gets_buttons_to_choose(kb_url):
    msgs, _ = run(ActionAnswer(), make_tracker("mức hỗ trợ bao nhiêu", "ask_support_level"))
    assert "hoạt động nào" in msgs[0]["text"]
    payloads = [b["payload"] for b in msgs[0]["buttons"]]
    assert '/ask_support_level{"activity": "machinery"}' in payloads


def test_generic_fair_asks_domestic_or_abroad(kb_url):
    msgs, _ = run(ActionAnswer(), make_tracker("hội chợ", "ask_support_level", [ent("activity", "fair")]))
    assert len(msgs[0]["buttons"]) == 2


def test_fair_abroad_is_100_percent(kb_url):
    msgs, _ = run(
        ActionAnswer(), make_tracker("hội chợ ở nước ngoài", "ask_support_level", [ent("activity", "fair_abroad")])
    )
    assert "100%" in msgs[0]["text"] and "Thông tư 28/2018/TT-BTC" in msgs[0]["text"]


def test_unverified_level_is_not_stated_as_current(kb_url):
    msgs, _ = run(
        ActionAnswer(),
        make_tracker("xây dựng thương hiệu được hỗ trợ bao nhiêu", "ask_support_level", [ent("activity", "branding")]),
    )
    text = msgs[0]["text"]
    assert "chưa xác minh" in text
    first_line = text.splitlines()[0]
    assert "35 triệu" not in first_line and "%" not in first_line
    assert "Theo TTLT 26/2014 trước đây" in text  # the earlier figure, with its document
    assert "Thông tư 28/2018" not in text.splitlines()[-1]  # no figure from it is stated: not cited


def test_unverified_level_does_not_call_anything_a_maximum(kb_url):
    # no figure is given, so "Đây là mức tối đa …" would point at nothing
    msgs, _ = run(
        ActionAnswer(),
        make_tracker("đào tạo nghề được hỗ trợ bao nhiêu", "ask_support_level", [ent("activity", "training")]),
    )
    text = msgs[0]["text"]
    assert "chưa xác minh" in text and "mức tối đa" not in text
    assert "Mỗi tỉnh tự quy định" in text


def test_named_province_is_who_to_ask_about_levels(kb_url):
    msgs, _ = run(
        ActionAnswer(),
        make_tracker(
            "mua máy ở Bình Dương được hỗ trợ bao nhiêu",
            "ask_support_level",
            [ent("activity", "machinery"), {**ent("province", "ho_chi_minh"), "text": "Bình Dương"}],
        ),
    )
    assert "Sở Công Thương TP. Hồ Chí Minh" in msgs[0]["text"]


@pytest.mark.parametrize("intent", ["ask_local_levels", "ask_procedure", "ask_dossier", "ask_agencies"])
def test_local_topics_start_with_the_named_province(kb_url, intent):
    msgs, _ = run(
        ActionAnswer(),
        make_tracker("ở hà giang thì sao", intent, [{**ent("province", "tuyen_quang"), "text": "hà giang"}]),
    )
    first, second = msgs[0]["text"].splitlines()[:2]
    assert first.startswith("Dạ, với cơ sở ở Hà Giang (nay thuộc Tỉnh Tuyên Quang)")
    assert "Sở Công Thương Tuyên Quang" in first and "mức hỗ trợ của tỉnh" in first
    assert not second.startswith("Dạ")  # one "Dạ" per message
    assert "Căn cứ:" in msgs[0]["text"]


def test_province_from_earlier_in_the_conversation_and_city_wording(kb_url):
    msgs, _ = run(ActionAnswer(), make_tracker("thủ tục thế nào", "ask_procedure", slots={"province": "ha_noi"}))
    first = msgs[0]["text"].splitlines()[0]
    assert "Thành phố Hà Nội" in first and "mức hỗ trợ của thành phố" in first
    msgs, _ = run(ActionAnswer(), make_tracker("mục tiêu là gì", "ask_objectives", slots={"province": "ha_noi"}))
    assert "Hà Nội" not in msgs[0]["text"]  # not a topic where the province changes anything


def test_unread_article_is_said_so_in_the_citation(kb_url):
    msgs, _ = run(ActionAnswer(), make_tracker("mức của tỉnh", "ask_local_levels"))
    text = msgs[0]["text"]
    assert "(chưa xác định điều, khoản)" in text and "(chưa xác định)" not in text


def test_unread_article_with_a_note_reads_as_one_parenthesis():
    from types import SimpleNamespace

    from actions.render import sources_line

    line = sources_line([SimpleNamespace(document="Thông tư 38/2025/TT-BCT", article="chưa xác định (trích dẫn)")])
    assert line == "📄 Căn cứ: Thông tư 38/2025/TT-BCT (chưa xác định điều, khoản; trích dẫn)."


@pytest.mark.parametrize("intent", sorted(set(INTENT_TOPICS) - {"ask_support_level"}))
def test_every_topic_answer_cites_its_legal_basis(kb_url, intent):
    msgs, events = run(ActionAnswer(), make_tracker("?", intent))
    text = msgs[0]["text"]
    assert text.startswith("Dạ")
    assert "Căn cứ:" in text
    assert msgs[0]["buttons"]
    assert len(text) <= 450  # the first answer fits a phone screen; the rest is behind buttons


def test_more_continues_the_last_topic(kb_url):
    first, events = run(ActionAnswer(), make_tracker("ngành nghề nào", "ask_industries"))
    offset = [e["value"] for e in events if e["name"] == "topic_offset"][0]
    more, _ = run(
        ActionAnswer(), make_tracker("xem thêm", "ask_more", slots={"last_topic": "industries", "topic_offset": offset})
    )
    assert more[0]["text"] != first[0]["text"] and "Căn cứ" in more[0]["text"]


def test_named_document(kb_url):
    msgs, _ = run(ActionAnswer(), make_tracker("Nghị định 45/2012/NĐ-CP còn hiệu lực không", "ask_legal_documents"))
    assert "45/2012/NĐ-CP" in msgs[0]["text"] and "235/2025" in msgs[0]["text"]


def test_mixed_up_document_number_is_corrected(kb_url):
    msgs, _ = run(ActionAnswer(), make_tracker("thông tư 80/2018/TT-BTC quy định gì", "ask_legal_documents"))
    assert "28/2018/TT-BTC" in msgs[0]["text"]


def ask_machinery_with_database_down(monkeypatch):
    """The machinery question while the configured database refuses connections."""
    from actions import kb
    from policy_kb import db

    monkeypatch.setattr(kb, "_primary_down_until", 0.0)  # restored afterwards
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")
    db.get_engine.cache_clear()
    try:
        msgs, _ = run(ActionAnswer(), make_tracker("máy móc", "ask_support_level", [ent("activity", "machinery")]))
    finally:
        db.get_engine.cache_clear()
    return msgs


def test_knowledge_base_down_answers_from_the_built_in_copy(monkeypatch, kb_url):
    msgs = ask_machinery_with_database_down(monkeypatch)
    assert "300 triệu đồng" in msgs[0]["text"] and "Căn cứ" in msgs[0]["text"]


def test_knowledge_base_and_its_copy_down_gives_polite_reply(monkeypatch, kb_url):
    from actions import kb

    def broken():
        raise RuntimeError("no copy either")

    monkeypatch.setattr(kb, "fallback_engine", broken)
    msgs = ask_machinery_with_database_down(monkeypatch)
    assert "gián đoạn" in msgs[0]["text"]


@pytest.mark.parametrize(
    "amount,text",
    [
        (300_000_000, "300 triệu đồng"),
        (1_500_000_000, "1,5 tỷ đồng"),
        (450_000_000, "450 triệu đồng"),
        (2_500_000, "2,5 triệu đồng"),
        (1_234_567, "1.234.567 đồng"),
    ],
)
def test_money_format(amount, text):
    assert fmt_vnd(amount) == text


# -------------------------------------------------------- questions about *this* establishment
def test_industry_question_naming_the_product_gets_the_quick_check(kb_url):
    said = "làm bánh tráng ở Bình Phước có được hỗ trợ không"
    msgs, events = run(
        ActionAnswer(),
        make_tracker(
            said,
            "ask_industries",
            [
                ent_in(said, "industry", "food_processing", "bánh tráng"),
                ent_in(said, "province", "dong_nai", "Bình Phước"),
            ],
            slots={"industry": "food_processing", "province": "dong_nai"},
        ),
    )
    text = msgs[0]["text"]
    assert text.startswith("Dạ, theo những gì anh/chị nêu:")
    assert "Địa bàn: Bình Phước (nay thuộc Tỉnh Đồng Nai)." in text
    assert "✓ Chế biến" in text and "Căn cứ: Nghị định 45/2012/NĐ-CP (Điều 5" in text
    assert "em cần hỏi thêm" in text
    payloads = [b["payload"] for b in msgs[0]["buttons"]]
    assert "/check_eligibility" in payloads and "/ask_industries" in payloads
    assert {"event": "slot", "name": "old_province", "value": "Bình Phước", "timestamp": None} in events


def test_ward_of_a_centrally_run_city_is_the_open_question(kb_url):
    said = "tôi ở phường của Hà Nội có được hỗ trợ không"
    msgs, _ = run(
        ActionAnswer(),
        make_tracker(
            said,
            "ask_beneficiaries",
            [ent_in(said, "province", "ha_noi", "Hà Nội"), ent_in(said, "unit_type", "phuong", "phường")],
            slots={"province": "ha_noi", "unit_type": "phuong"},
        ),
    )
    text = msgs[0]["text"]
    assert text.startswith("Dạ, theo những gì anh/chị nêu:") and "Địa bàn: Thành phố Hà Nội." in text
    assert "? " in text and "làng nghề" in text  # a ward of Hà Nội qualifies only through a craft village


def test_general_question_about_a_place_keeps_the_topic_answer(kb_url):
    msgs, _ = run(
        ActionAnswer(),
        make_tracker(
            "ở Hà Nội ai được hỗ trợ", "ask_beneficiaries", [ent("province", "ha_noi")], slots={"province": "ha_noi"}
        ),
    )
    text = msgs[0]["text"]
    assert not text.startswith("Dạ, theo những gì anh/chị nêu") and "Căn cứ" in text  # no quick check


def test_inform_cost_with_an_activity_known_is_estimated(kb_url):
    from actions.answer import ActionAnswerInform

    msgs, _ = run(
        ActionAnswerInform(),
        make_tracker(
            "chi phí máy khoảng 500tr",
            "inform",
            [ent("money", 500_000_000)],
            slots={"activity": "machinery", "money": 500_000_000},
        ),
    )
    assert "50% × 500 triệu đồng = 250 triệu đồng" in msgs[0]["text"]


def test_inform_cost_alone_starts_the_estimate_form(kb_url):
    from actions.answer import ActionAnswerInform

    msgs, events = run(
        ActionAnswerInform(),
        make_tracker("chi phí khoảng 1 tỷ", "inform", [ent("money", 1_000_000_000)], slots={"money": 1_000_000_000}),
    )
    assert msgs == [] and events == [{"event": "followup", "name": "estimate_form", "timestamp": None}]


def test_inform_a_shop_is_not_eligible_with_the_reason(kb_url):
    from actions.answer import ActionAnswerInform

    msgs, events = run(
        ActionAnswerInform(),
        make_tracker("tôi bán tạp hóa", "inform", [ent("business_type", "shop")], slots={"business_type": "shop"}),
    )
    assert "CHƯA thuộc đối tượng" in msgs[0]["text"] and "✗" in msgs[0]["text"]
    assert not any(e.get("name") == "verdict" for e in events)  # the full check's slot, stored with leads


def test_quick_check_judges_this_message_not_earlier_questions(kb_url):
    # earlier: "doanh nghiệp lớn có được không" (slot business_type) and "ở Hà Nội" (slot province)
    msgs, _ = run(
        ActionAnswer(),
        make_tracker(
            "khai thác cát có được hỗ trợ không",
            "ask_industries",
            [ent("industry", "mining")],
            slots={"business_type": "large_enterprise", "province": "ha_noi", "industry": "mining"},
        ),
    )
    text = msgs[0]["text"]
    assert "doanh nghiệp lớn" not in text and "Hà Nội" not in text
    assert "khai thác" in text.lower()


def test_inform_without_anything_usable_gets_the_help(kb_url):
    from actions.answer import ActionAnswerInform

    msgs, _ = run(ActionAnswerInform(), make_tracker("vâng thế này", "inform"))
    assert msgs[0]["response"] == "utter_help"


# ------------------------------------------------------------- answers the check did not expect
@pytest.mark.parametrize(
    "text,key",
    [
        ("xa binh son", "xa"),
        ("Xã Bình Sơn", "xa"),
        ("P. Tân Mai", "phuong"),
        ("phường 5", "phuong"),
        ("thị trấn Hồ", "xa"),
        ("dac khu phu quoc", "dac_khu"),
        ("ko", None),
        ("quang ngai", None),
    ],
)
def test_unit_type_answer_by_its_first_word(text, key):
    from vntext.places import unit_type_in_answer

    assert unit_type_in_answer(text) == key


def test_an_unclear_answer_is_counted_then_skipped_and_another_fields_answer_acknowledged(kb_url):
    from actions.eligibility import ValidateEligibilityForm

    form = ValidateEligibilityForm()
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        "quang ngai",
        "inform",
        [{**ent("province", "quang_ngai"), "text": "quang ngai"}],
        slots={"province": "quang_ngai"},
    )
    assert form.validate_industry("unclear", dispatcher, tracker, {}) == {"industry": None, "reasks": '{"industry": 1}'}
    assert dispatcher.messages[0]["text"] == "Dạ, em đã ghi nhận địa bàn: Tỉnh Quảng Ngãi."
    dispatcher = CollectingDispatcher()
    again = make_tracker("abc", "inform", slots={"reasks": '{"industry": 1}'})
    assert form.validate_industry("unclear", dispatcher, again, {}) == {
        "industry": "unknown",
        "reasks": '{"industry": 2}',
    }
    assert dispatcher.messages[0]["response"] == "utter_question_skipped"
    assert form.validate_industry("mining", CollectingDispatcher(), again, {}) == {"industry": "mining"}


@pytest.mark.parametrize(
    "typed,stored",
    [
        ("ten toi la nguyen van dung", "Nguyen Van Dung"),
        ("Tên tôi là Nguyễn Văn Dũng ạ", "Nguyễn Văn Dũng"),
        ("em tên Lan", "Lan"),
        ("mình là Trần Thị Dung nhé", "Trần Thị Dung"),
        ("Họ tên: Lê Văn An", "Lê Văn An"),
        ("nguyễn thị hoa", "Nguyễn Thị Hoa"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("nguyen van a", "Nguyen Van A"),
        ("Anh Tuấn", "Anh Tuấn"),
    ],
)
def test_the_name_is_stored_without_the_words_around_it(typed, stored):
    from actions.leads import ValidateLeadForm

    assert ValidateLeadForm().validate_contact_name(typed, CollectingDispatcher(), None, {}) == {"contact_name": stored}


def test_a_detailed_how_much_question_gets_the_estimate_whatever_its_topic(kb_url):
    # "Mình là hộ kinh doanh ở xã Phú Riềng, Bình Phước, làm bánh tráng, muốn mua máy sấy 800 triệu
    #  thì được hỗ trợ bao nhiêu?" is classed as a local-levels question
    entities = [
        ent("activity", "machinery"),
        ent("money", 800_000_000),
        ent("business_type", "household_business"),
        {**ent("province", "dong_nai"), "text": "Bình Phước"},
    ]
    for intent in ("ask_local_levels", "ask_beneficiaries"):
        msgs, _ = run(
            ActionAnswer(),
            make_tracker(
                "… mua máy sấy 800 triệu thì được hỗ trợ bao nhiêu?", intent, entities, slots={"province": "dong_nai"}
            ),
        )
        text = msgs[0]["text"]
        assert "50% × 800 triệu đồng = 400 triệu đồng" in text and "tối đa 300 triệu đồng" in text, intent
        assert "Sở Công Thương Đồng Nai" in text and "Thông tư 28/2018/TT-BTC" in text


def test_a_question_without_an_amount_keeps_its_topic(kb_url):
    text = "ở Đồng Nai mua máy thì tỉnh có hỗ trợ riêng không"
    province = {"entity": "province", "value": "dong_nai", "start": 2, "end": 10, "text": "Đồng Nai"}
    msgs, _ = run(ActionAnswer(), make_tracker(text, "ask_local_levels", [ent("activity", "machinery"), province]))
    assert "mỗi tỉnh tự quy định mức chi" in msgs[0]["text"]

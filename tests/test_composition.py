"""The first message of every answer (actions.answer_text.compose): shortened only by whole
sentences, list items and bullets, never a word cut off with "…"; the status framing, the
national-cap line, a level's caveat and the citation always there (issue 22 item 6).

Every record of the knowledge base is rendered as the action renders it (actions.answer.Answerer
.first_answer, on the throwaway SQLite KB of tests/conftest.py, as scripts/evaluate_answers.py
does): as asked plainly, with a cost (the estimate), and with a named province."""

from __future__ import annotations

import re
from typing import List, Tuple

import pytest

from actions.answer import Answerer
from actions.answer_text import (
    MAX_FIRST,
    MORE_DETAIL,
    NATIONAL_CAP,
    caveat_line,
    compose,
    level_answer,
    units,
)
from actions.engine import LOCAL_TOPICS
from actions.render import LOCAL_RULE, estimate_text
from policy_kb import queries
from policy_kb.loader import DATA_DIR
from tests.conftest import make_tracker

COST = 800_000_000
ACTIVITIES = sorted(p.stem for p in (DATA_DIR / "support_levels").glob("*.yml"))
#: a word cut off: "…" or "..." right after a letter, except the data's own "(…, sản phẩm…)"
CUT = re.compile(r"\w(?:…|\.\.\.)(?!\))")
#: how a message's last line before the citation may end
END = re.compile(r"(?:[.?!:)]|ạ)$")
#: "Đây là mức tối đa từ kinh phí khuyến công quốc gia; …" or, with a province, "Đây là mức tối đa quốc gia; …"
CAP = "Đây là mức tối đa"
PROVINCE = {"entity": "province", "value": "tuyen_quang", "text": "hà giang", "start": 0, "end": 8}


def tracker(cost=None, province=False):
    entities = ([{"entity": "money", "value": cost}] if cost else []) + ([PROVINCE] if province else [])
    return make_tracker("?", None, entities)


@pytest.fixture(scope="module")
def replies(kb_url) -> List[Tuple[str, object, object, str]]:
    """(label, record, level answer or None, first message) for every record: plainly; a level
    also with a cost; a level or a local topic's record also with a named province."""
    from policy_kb.db import new_session

    out = []
    with new_session(kb_url) as session:
        plain = Answerer(tracker(), session)
        variants = {
            "": plain,
            "+cost": Answerer(tracker(COST), session),
            "+named": Answerer(tracker(province=True), session),
            "+named+cost": Answerer(tracker(COST, province=True), session),
        }
        assert len(plain.index.records) > 200
        assert {r.kind for r in plain.index.records} == {"fact", "rule", "level", "document"}
        for record in plain.index.records:
            level = queries.support_level(session, record.id.split(".", 1)[1]) if record.kind == "level" else None
            for suffix, engine in variants.items():
                if suffix and record.kind != "level" and (suffix != "+named" or record.topic not in LOCAL_TOPICS):
                    continue
                out.append((record.id + suffix, record, level, engine.first_answer(record)))
    return out


def body(text: str) -> List[str]:
    return [line for line in text.split("\n") if line.strip() and "Căn cứ:" not in line]


def failures(replies, bad) -> List[str]:
    return [f"{label}: {text}" for label, record, level, text in replies if bad(record, level, text)]


# ---------------------------------------------------------------- every record


def test_no_word_is_cut_off(replies):
    assert failures(replies, lambda r, lv, text: CUT.search(text)) == []


def test_every_reply_ends_as_a_sentence(replies):
    assert failures(replies, lambda r, lv, text: not END.search(body(text)[-1].rstrip())) == []


def test_every_reply_cites_its_basis(replies):
    assert failures(replies, lambda r, lv, text: "Căn cứ:" not in text) == []


def test_historical_records_are_framed_as_the_earlier_rule(replies):
    assert failures(replies, lambda r, lv, text: r.status == "HISTORICAL" and "trước đây" not in text) == []


def test_unverified_records_say_so(replies):
    assert failures(replies, lambda r, lv, text: r.status == "UNVERIFIED" and "chưa xác minh" not in text) == []


def test_a_level_without_a_verified_figure_says_so(replies):
    def bad(record, level, text):
        return (
            level is not None
            and (level.current is None or level.current.status != "VERIFIED")
            and ("chưa xác minh" not in body(text)[0] or CAP in text or LOCAL_RULE not in text)
        )

    assert failures(replies, bad) == []


def test_verified_levels_carry_the_national_cap_line(replies):
    def bad(record, level, text):
        return (
            level is not None
            and level.current is not None
            and level.current.status == "VERIFIED"
            and (CAP not in text or "tỉnh quy định" not in text)
        )

    assert failures(replies, bad) == []
    plain = [text for label, _, level, text in replies if level and "+" not in label and CAP in text]
    assert plain and all(NATIONAL_CAP in text for text in plain)


def _caveat_of(level):
    """The caveat of the value a level answer states: the current one, else the earlier one."""
    if level.current is not None and level.current.status == "VERIFIED":
        return level.current.caveat
    earlier = next((lv for lv in level.earlier if lv.status != "UNVERIFIED"), None)
    return earlier.caveat if earlier else None


def test_a_level_caveat_is_in_the_first_answer(replies):
    def bad(record, level, text):
        caveat = _caveat_of(level) if level is not None else None
        if not caveat:
            return False
        keys = re.findall(r"\d{1,4}/\d{4}", caveat)  # the documents it names: "64/2024", "28/2018"
        return "chưa xác minh" not in text.lower() or (keys and keys[0] not in text)

    with_caveat = [label for label, _, level, _ in replies if level is not None and _caveat_of(level)]
    assert len(with_caveat) >= 9 * 4  # nine levels, four ways asked
    assert failures(replies, bad) == []


def test_the_status_framing_sentence_is_whole(replies):
    """The framing the renderer writes appears whole, never shortened."""
    for label, record, level, text in replies:
        if level is not None and level.current is not None and level.current.status == "VERIFIED":
            continue
        if level is not None:
            assert re.search(r"^Dạ, .*mức hiện hành.* em chưa xác minh được.*\.$", body(text)[0]), label
        elif record.status == "UNVERIFIED" and record.kind != "document":
            assert re.search(r"(?i)em chưa xác minh được điều này: ", text), label


def test_typical_answers_fit_a_phone_screen_the_caveats_may_exceed(replies):
    """Without a named province (its line comes first and is long), every first message is within
    the limit once the lines that are kept whatever the length are left out."""
    soft = (NATIONAL_CAP, LOCAL_RULE, "Lưu ý: ", "Ước tính với chi phí", "Theo TT 46/2012 trước đây (Điều 4")
    over = []
    for label, record, level, text in replies:
        if "+named" in label:
            continue
        rest = [line for line in text.split("\n") if not line.startswith(soft)]
        if len("\n".join(rest)) > MAX_FIRST:
            over.append(f"{label}: {len(text)}")
    assert over == []
    lengths = sorted(len(text) for label, _, _, text in replies if "+" not in label)
    assert lengths[len(lengths) // 2] <= 300  # the median answer stays short


def test_a_shortened_answer_says_where_the_rest_is(replies):
    shortened = [(label, text) for label, _, _, text in replies if "(Chi tiết:" in text or "(Còn nữa:" in text]
    for label, text in shortened:
        assert re.search(r"[.?!:] \((?:Chi tiết|Còn nữa): bấm “[^”]+”[^)]*\.\)", text), label


# ---------------------------------------------------------------- the estimate of every level


@pytest.mark.parametrize("named", [False, True], ids=["plain", "named"])
@pytest.mark.parametrize("activity", ACTIVITIES)
def test_the_estimate_of_every_level_is_whole_with_its_caveats(kb_session, activity, named):
    from actions.slots import NamedProvince
    from policy_kb.provinces import load_provinces

    place = NamedProvince(load_provinces()["tuyen_quang"], "Hà Giang") if named else None
    answer = queries.support_level(kb_session, activity)
    text = level_answer(answer, COST, place)
    assert not CUT.search(text) and END.search(body(text)[-1]) and "Căn cứ:" in text, text
    current = answer.current
    if current is not None and current.status == "VERIFIED":
        assert estimate_text(current, COST) in text, text  # whole, as asked
        assert CAP in text and "tỉnh quy định" in text, text
        value = current.text.rstrip(".")
        figure = value.partition(":")[2].strip() or value  # the label is said once, before the figure
        assert value in text or figure in text or MORE_DETAIL in text, text  # the figure, whole or pointed to
        if current.caveat:
            assert caveat_line(current.caveat) in text, text
        # the order: figure, estimate, the national cap, the caveat, the citation last
        order = [text.index(estimate_text(current, COST)), text.index(CAP)]
        if current.caveat:
            order.append(text.index(caveat_line(current.caveat)))
        assert order == sorted(order) and text.split("\n")[-1].startswith("📄 Căn cứ:"), text
    else:
        assert "Ước tính" not in text and "chưa xác minh" in body(text)[0] and LOCAL_RULE in text, text


def test_the_prize_level_keeps_both_amounts_within_the_limit(kb_session):
    # issue 22: "em chưa xác minh" was cut to "em chưa…"; both amounts of the earlier rule stay
    text = level_answer(queries.support_level(kb_session, "typical_product_prize"), None)
    assert "chưa xác minh" in text and "5 triệu" in text and "10 triệu" in text and len(text) <= MAX_FIRST, text


def test_the_caveat_line_is_short_and_names_the_document():
    line = caveat_line("Chưa xác minh Thông tư 64/2024/TT-BTC (sửa đổi TT 28/2018) có thay đổi mức này hay không.")
    assert line == "Lưu ý: chưa xác minh TT 64/2024/TT-BTC có thay đổi mức này hay không."
    assert caveat_line(None) is None and caveat_line("  ") is None


# ---------------------------------------------------------------- the composition itself

SENTENCES = [
    "Theo NĐ 45/2012, cơ sở được hỗ trợ tối đa 1,5 lần mức thông thường.",
    "Sở Công Thương TP. Hồ Chí Minh hướng dẫn hồ sơ theo TT 28/2018.",
    "Mức chi là 100.000 đ. Mỗi cơ sở nộp một bộ hồ sơ.",
    "Đề án lập theo Điều 5. Nội dung gồm mục tiêu và kinh phí.",
    "Hội đồng xét trong 15 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "Kết quả được công bố trên trang thông tin điện tử của Sở.",
]


def test_units_split_at_sentence_ends_not_at_abbreviations_or_numbers():
    pieces = [text for _, text in units(" ".join(SENTENCES))]
    assert pieces == [
        SENTENCES[0],
        SENTENCES[1],
        SENTENCES[2],  # "đ." is the đồng: not a sentence end
        SENTENCES[3],  # nor "Điều 5."
        SENTENCES[4],
        SENTENCES[5],
    ]
    items = units("hồ sơ gồm: công văn đề nghị; đề án (mục tiêu; kinh phí); văn bản của đơn vị thụ hưởng.")
    assert items == [
        ("", "hồ sơ gồm: công văn đề nghị"),
        ("; ", "đề án (mục tiêu; kinh phí)"),
        ("; ", "văn bản của đơn vị thụ hưởng."),
    ]
    bullets = units("Hồ sơ gồm:\n• Công văn\n• Đề án")
    assert [t for _, t in bullets] == ["Hồ sơ gồm:", "Công văn", "Đề án"] and bullets[1][0] == "\n• "
    assert len(units("Một câu duy nhất, không có chỗ tách.")) == 1


def _whole(text: str, source: str) -> None:
    """Every sentence of ``text`` (pointer aside) is a whole sentence of ``source``."""
    for _, piece in units(text.replace(f" {MORE_DETAIL}", "")):
        assert piece.rstrip(".;") in source, piece


def test_a_long_answer_is_shortened_by_whole_sentences():
    long = "Dạ, " + " ".join(SENTENCES * 2)
    cite = "📄 Căn cứ: Nghị định 45/2012/NĐ-CP (Điều 3)."
    text = compose([long], (), ["Anh/chị hỏi Trung tâm Khuyến công tỉnh."], cite, limit=300)
    assert len(text) <= 300 and text.endswith(cite) and "Anh/chị hỏi" not in text
    first = text.split("\n")[0]
    assert first.startswith("Dạ, Theo NĐ 45/2012") and first.endswith(f". {MORE_DETAIL}") and not CUT.search(text)
    _whole(first, long)
    assert "TP. Hồ Chí Minh" in first and "1,5 lần" in first


def test_nothing_is_shortened_when_it_fits():
    text = compose(["Dạ, câu một. Câu hai."], ["Lưu ý: câu ba."], ["Câu bốn."], "📄 Căn cứ: X.")
    assert text == "Dạ, câu một. Câu hai.\nLưu ý: câu ba.\nCâu bốn.\n📄 Căn cứ: X."


def test_caveats_and_the_citation_stay_when_the_required_part_is_too_long():
    long = "Dạ, " + " ".join(SENTENCES * 3)
    caveat = "Lưu ý: chưa xác minh TT 64/2024/TT-BTC có thay đổi mức này hay không."
    cite = "📄 Căn cứ: Thông tư 28/2018/TT-BTC (Điều 8)."
    text = compose([long, "Dòng thứ hai. Câu sau của dòng hai."], [caveat, NATIONAL_CAP], (), cite, limit=120)
    lines = text.split("\n")
    # the first sentence of each line is kept even past the limit; the caveats whole; the citation last
    assert lines[:2] == [f"Dạ, {SENTENCES[0]}", f"Dòng thứ hai. {MORE_DETAIL}"] and "Câu sau" not in text
    assert lines[-3:] == [caveat, NATIONAL_CAP, cite]
    assert len(text) > 120  # correctness over length: the limit is soft for the caveats


def test_the_status_framing_is_kept_whole_wherever_it_is():
    framing = "Theo TT 46/2012 trước đây (Điều 4 khoản 4), máy được hỗ trợ phải là máy mới, nâng được năng suất."
    unverified = "Mức hiện hành em chưa xác minh được theo văn bản đang có hiệu lực, nên em không đưa con số."
    line = f"Dạ, câu đầu. {' '.join(SENTENCES)} {framing} {SENTENCES[4]} {unverified}"
    text = compose([line], (), (), "📄 Căn cứ: X.", limit=200)
    assert framing in text and unverified in text and "Dạ, câu đầu." in text
    assert SENTENCES[1] not in text and not CUT.search(text)


def test_a_list_is_shortened_by_whole_items_and_ended_as_a_sentence():
    items = "; ".join(f"giấy tờ số {i} của đơn vị thực hiện đề án" for i in range(1, 15))
    line = f"Dạ, theo TT 36/2013 trước đây, hồ sơ gồm: {items}."
    text = compose([line], (), (), "📄 Căn cứ: Thông tư 36/2013/TT-BCT (Điều 10).", limit=250)
    first = text.split("\n")[0]
    assert len(text) <= 250 and first.endswith(f"đề án. {MORE_DETAIL}"), first
    kept = re.findall(r"giấy tờ số (\d+) ", first)
    assert kept == [str(i) for i in range(1, len(kept) + 1)] and 1 <= len(kept) < 14  # a prefix of the list


def test_a_heading_keeps_at_least_its_first_bullet():
    line = "Dạ, hồ sơ gồm:\n• " + "\n• ".join(f"Giấy tờ số {i} của đơn vị thực hiện đề án." for i in range(1, 10))
    text = compose([line], (), (), "📄 Căn cứ: X.", limit=90)
    assert text.startswith("Dạ, hồ sơ gồm:\n• Giấy tờ số 1 của đơn vị thực hiện đề án.")
    assert "Giấy tờ số 9" not in text and not CUT.search(text)


def test_optional_lines_only_when_everything_else_fits():
    assert compose(["Dạ, ngắn."], (), ["Thêm một."], "📄 Căn cứ: X.") == "Dạ, ngắn.\nThêm một.\n📄 Căn cứ: X."
    assert "Thêm" not in compose(["Dạ, ngắn."], (), ["Thêm " + "x" * 500 + "."], "📄 Căn cứ: X.")


def test_no_ellipsis_when_nothing_can_be_split():
    line = "Dạ, " + ", ".join(["một mệnh đề dài không có dấu chấm"] * 30) + "."
    text = compose([line], (), (), "📄 Căn cứ: X.", limit=100)
    assert text == f"{line}\n📄 Căn cứ: X." and not CUT.search(text)


def test_the_pointer_can_be_left_out_or_named():
    long = "Dạ, " + " ".join(SENTENCES)
    assert compose([long], limit=80, more="") == "Dạ, " + SENTENCES[0]
    assert compose([long], limit=110, more="(Còn nữa.)").endswith(". (Còn nữa.)")

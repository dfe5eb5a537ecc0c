"""'I want the bot back' by its words (vntext/requests.py), the net under the resume_bot intent.

The phrases here were written apart from the patterns (and from nlu_data/train), as a person
waiting for an officer would type them; the negatives are what the same person says while still
waiting, or a question that merely names the bot or an officer. A miss on the left strands the
person (no reply while paused); a hit on the right hands the conversation away from the officer.
"""

import pytest

from vntext.requests import (
    asks_for_a_person,
    cancels_the_request,
    complains_of_waiting,
    is_bare_cancel,
    says_no_thanks,
    wants_the_bot_back,
)

WANTS_THE_BOT = [
    "em muốn quay về trợ lý ạ",
    "thôi khỏi chờ cán bộ",
    "cho em tiếp tục với chatbot",
    "không cần gặp cán bộ nữa",
    "huỷ chờ nhân viên đi",
    "quay lai tro ly tu dong giup em",
    "ko doi can bo nua, hoi bot",
    "em hỏi tiếp trợ lý ảo nhé",
    "Tiếp tục với trợ lý",
    "bật lại bot đi ạ",
]
STILL_WAITING = [
    "cho em gặp cán bộ",
    "hỏi tiếp về máy móc",
    "cán bộ chưa trả lời",
    "em chờ cán bộ",
    "trợ lý tự động là gì",
    "không biết cán bộ có đọc không",
    "hộ kinh doanh có được hỗ trợ không",
    "em vẫn đang đợi cán bộ ạ",
    "sao lâu vậy",
    "",
]


@pytest.mark.parametrize("text", WANTS_THE_BOT)
def test_the_ways_of_asking_for_the_bot_back(text):
    assert wants_the_bot_back(text)


@pytest.mark.parametrize("text", STILL_WAITING)
def test_waiting_and_questions_are_not_a_request_for_the_bot(text):
    assert not wants_the_bot_back(text)


# Calling the officer off is not the same as "for now": the request is closed.
CANCELS = [
    "thôi khỏi cán bộ gọi lại nhen em",
    "hong can can bo nhan lai dau",
    "e ko doi nua dau, mai e tu len trung tam",
    "huỷ yêu cầu gặp cán bộ giúp em",
    "không cần gặp cán bộ nữa ạ",
    "khoi goi lai nha",
]
NOT_CANCELS = [
    "thôi cho chị gặp cán bộ luôn đi",  # "thôi" here is "then", a yes
    "máy hỏng cần cán bộ xem giúp",  # "hỏng" (broken) is not "hông"
    "không biết cán bộ có đọc không",
    "quay lại trợ lý",  # for now: the request stays
    "em chờ cán bộ",
]
PUT_THROUGH = [
    "Vâng, bạn chuyển giúp tôi.",
    "ừa, chuyển giùm chị nhen",
    "kết nối cho em với cán bộ",
    "cho chị nói chiện với người của trung tâm đi",
    "cho e hỏi trực tiếp cán bộ dc ko ạ",
    "ok chuyen di",
]
NOT_PUT_THROUGH = [
    "chuyển giao công nghệ được hỗ trợ không",
    "nếu chị chuyển xưởng sang phường thì sao",
    "vâng",
    "cán bộ khuyến công là ai",
    "hồ sơ nộp cho cán bộ nào",
    "không cần gặp cán bộ",
]


@pytest.mark.parametrize("text", CANCELS)
def test_calling_the_officer_off(text):
    assert cancels_the_request(text) and wants_the_bot_back(text)


@pytest.mark.parametrize("text", NOT_CANCELS)
def test_not_calling_the_officer_off(text):
    assert not cancels_the_request(text)


@pytest.mark.parametrize("text", PUT_THROUGH)
def test_asking_to_be_put_through_to_a_person(text):
    assert asks_for_a_person(text)


@pytest.mark.parametrize("text", NOT_PUT_THROUGH)
def test_not_asking_for_a_person(text):
    assert not asks_for_a_person(text)


@pytest.mark.parametrize(
    "text, complaint",
    [("sao lâu vậy", True), ("chờ mãi chưa thấy ai trả lời", True), ("doi lau qua", True),
     ("máy dùng lâu năm rồi", False), ("em chờ cán bộ", False)],
)  # fmt: skip
def test_complaints_about_waiting(text, complaint):
    assert complains_of_waiting(text) is complaint


def test_no_message_of_another_kind_reads_as_a_handover_request():
    """Every NLU example of another intent and every question of the answer evaluation (1,200+
    messages written for other purposes): none is taken by these words for calling an officer off
    or asking for one (bot.nlu.stop_classifier.HandoverPhraseClassifier would overrule its intent)."""
    import glob

    import yaml
    from rasa.shared.nlu.training_data.loading import load_data

    handover = {"request_human", "handover_accept", "handover_decline", "resume_bot"}
    wrong = []
    for split in ("nlu_data/train", "nlu_data/test"):
        for m in load_data(split).intent_examples:
            text, intent = m.get("text"), m.get("intent")
            if intent not in handover and (cancels_the_request(text) or asks_for_a_person(text)):
                wrong.append((intent, text))
            if intent == "request_human" and cancels_the_request(text):
                wrong.append((intent, text))
    for path in glob.glob("tests/data/answer_eval/*.yml"):
        data = yaml.safe_load(open(path, encoding="utf-8")) or {}
        texts = [q["q"] for q in (data.get("questions") or []) + (data.get("unanswerable") or [])]
        texts += [t["user"] for c in data.get("conversations") or [] for t in c["turns"]]
        wrong += [("eval", t) for t in texts if cancels_the_request(t) or asks_for_a_person(t)]
    assert wrong == []


@pytest.mark.parametrize("text", ["huỷ", "hủy giúp em nhé", "thôi huỷ", "huy di"])
def test_a_bare_cancel(text):
    assert is_bare_cancel(text) and not cancels_the_request(text)  # stop elsewhere, the request while waiting


def test_a_cancel_with_more_words_is_not_bare():
    assert not is_bare_cancel("huỷ thông tin liên hệ của em")


@pytest.mark.parametrize(
    "text, no",
    [("mai mới trả lời à, thế thôi khỏi", True), ("thôi khỏi nhé em", True),
     ("thôi khỏi, cho em hỏi về máy móc", False), ("thôi khỏi cần bình chọn gì", False)],
)  # fmt: skip
def test_no_thanks_closes_the_message(text, no):
    assert says_no_thanks(text) is no

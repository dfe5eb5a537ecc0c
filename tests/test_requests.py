"""'I want the bot back' by its words (vntext/requests.py), the net under the resume_bot intent.

The phrases here were written apart from the patterns (and from nlu_data/train), as a person
waiting for an officer would type them; the negatives are what the same person says while still
waiting, or a question that merely names the bot or an officer. A miss on the left strands the
person (no reply while paused); a hit on the right hands the conversation away from the officer.
"""

import pytest

from vntext.requests import wants_the_bot_back

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

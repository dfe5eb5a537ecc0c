"""Stop requests by their words (vntext/stop_phrases.py) and through the trained pipeline."""

import pytest

from vntext.stop_phrases import explicit_stop, is_stop_request

STOP_REQUESTS = [
    "thôi",
    "Thôi!",
    "thoi",
    "thôi em không điền nữa",
    "dừng",
    "dừng lại đi",
    "dung lai",
    "hủy",
    "huy bo",
    "để sau nhé",
    "de sau nhe",
    "em thôi ạ",
    "ok thôi",
    "không muốn nữa",
    "stop",
    "thoát",
    "kết thúc",
]
NOT_STOP_REQUESTS = [
    "huy",
    "Dung",
    "Nguyen Van Dung",
    "Hoàng Huy",
    "Trần Thị Dung",
    "Lê Văn Thới",
    "xã Thới Bình",
    "không muốn mua máy mà muốn đào tạo nghề",
    "em không làm bánh",
    "để lại số điện thoại",
    "de lai sdt",
    "hộ kinh doanh",
    "thôi được hỗ trợ bao nhiêu thì tùy em kể cho anh mọi thứ về hỗ trợ mua máy nhé",
    # goodbyes, "no thanks" and "thời …" typed without diacritics are not ours to decide
    "thôi em chào ạ",
    "thoi tam biet nha ad",
    "kết thúc cuộc trò chuyện",
    "thôi khỏi",
    "thoi tiet da lat",
    "thoi han nop ho so",
    "thoi gian nhan ho tro",
]


@pytest.mark.parametrize("text", STOP_REQUESTS)
def test_stop_requests(text):
    assert is_stop_request(text) and explicit_stop(text)


@pytest.mark.parametrize("text", NOT_STOP_REQUESTS)
def test_names_and_statements_are_not_stop_requests(text):
    assert not is_stop_request(text)


def test_the_pipeline_classifies_short_stop_requests_as_stop():
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.stop_classifier import StopPhraseClassifier

    messages = [
        Message(
            data={
                "text": t,
                "intent": {"name": "goodbye", "confidence": 0.4},
                "intent_ranking": [{"name": "goodbye", "confidence": 0.4}, {"name": "stop", "confidence": 0.38}],
            }
        )
        for t in ("thôi", "de lai sdt")
    ]
    first, second = StopPhraseClassifier().process(messages)
    assert first.get("intent") == {"name": "stop", "confidence": 1.0}
    assert [r["name"] for r in first.get("intent_ranking")] == ["stop", "goodbye"]
    assert second.get("intent")["name"] == "goodbye"  # untouched

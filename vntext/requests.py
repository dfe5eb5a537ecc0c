"""What a message asks of the conversation itself, read from its words (pure; no Rasa).

Around a handover to an officer (actions/handover.py, bot/nlu/stop_classifier.py) the classifier
is the main reader and these phrases are the net under it: a misread "quay lại trợ lý" strands a
person with no reply (issue 28), a misread "thôi khỏi cán bộ gọi lại" leaves an officer calling
someone who said no, a misread "ừa, chuyển giùm chị nhen" answers a yes with a goodbye. The few
ways of saying each are read here, where a miss can be tested phrase by phrase:

* ``wants_the_bot_back``: the assistant instead of the officer, for now ("quay lại trợ lý");
* ``cancels_the_request``: no officer any more ("không cần cán bộ nữa", "khỏi gọi lại",
  "em không đợi nữa", "huỷ yêu cầu") — which also wants the bot back;
* ``asks_to_be_put_through``: yes, put me through ("vâng, chuyển giúp tôi", "kết nối giùm");
* ``complains_of_waiting``: "sao lâu vậy", "chờ mãi chưa thấy ai".
"""

from __future__ import annotations

import re

from vntext.fold import fold, letters, marked

_BOT = r"(?:tro ly(?: ao| tu dong)?|chat ?bot|bot|he thong tu dong|may tu dong)"
_BACK = (
    r"(?:quay (?:lai|ve)|tro lai|tiep tuc|hoi tiep|hoi lai|chuyen (?:lai|ve)|noi chuyen(?: lai| tiep)?|"
    r"hoi|gap lai|chat(?: tiep)?|lam viec(?: tiep)?|nho|bat lai|mo lai|tra lai(?: cho)?)"
)
# "không" as people type it, North and South ("hông", "hổng", "hok", "hem"); "hỏng" (broken),
# typed with its mark, is told apart by ``_not_broken``.
_NO = r"(?:khong|ko|k|kg|khg|hong|hok|hem|khoi|huy|chang|cha)"  # not "thôi": "thôi cho chị gặp cán bộ" is a yes
_WAIT = r"(?:can|gap|doi|cho|chuyen(?: cho)?|noi chuyen voi)"
_PERSON = r"(?:can bo|nguoi that|nguoi ta|nhan vien|admin|ad|trung tam)"
_CALLBACK = r"(?:goi lai|goi dien lai|nhan lai|lien he lai|tra loi|goi|lien he)"

_WANTS_BOT = re.compile(rf"\b{_BACK}\b(?:\W+\w+){{0,4}}?\W+{_BOT}\b")
_NO_PERSON = re.compile(rf"\b{_NO}\b(?:\W+\w+){{0,2}}?\W+{_WAIT}\b(?:\W+\w+){{0,2}}?\W+{_PERSON}\b")
# "khỏi cán bộ gọi lại", "hong can can bo nhan lai", "thôi khỏi gặp cán bộ": no, (wait,) person
_NO_CALLBACK = re.compile(
    rf"\b{_NO}\b(?:\W+{_WAIT}\b)?(?:\W+(?:gap|voi)\b)?\W+{_PERSON}\b(?:\W+\w+){{0,2}}?\W+{_CALLBACK}\b"
    rf"|\b(?:khoi|thoi khoi)\W+(?:{_WAIT}\W+)?{_PERSON}\b"
    r"|\bkhoi\W+(?:can\W+)?(?:goi lai|goi dien lai|nhan lai|lien he lai)\b"
)
# "em không đợi nữa", "ko cho duoc nua", "hong doi lau vay dau", "khỏi chuyển nữa nhen"
_NO_MORE_WAITING = re.compile(rf"\b{_NO}\b\W+(?:\w+\W+)?(?:doi|cho|chuyen|gap)\W+(?:nua|duoc nua|them|lau)\b")
# "huỷ yêu cầu", "huy giup e nhe", "hủy gặp cán bộ": the request, not a form (a bare "huỷ" is
# the stop phrase, which only the waiting state reads as this)
_CANCEL = re.compile(r"\bhuy\W+(?:yeu cau|viec gap|gap|cho|doi)\b")
# "mai mới trả lời à, thế thôi khỏi": "khỏi" closing a sentence after "thôi" — a plain no (the
# classifier's ``deny`` when alone; the words around it hide it from the classifier)
_NO_THANKS = re.compile(r"\bthoi\W+khoi\b(?:\W+(?:a|nha|nhe|nhen|di|luon|em))*\W*$")  # the message's end
# a bare "huỷ (giúp em) (nhé)": stop, whatever is going on; only while waiting is it the request
_BARE_CANCEL = re.compile(
    r"^\W*(?:thoi\W+)?huy(?:\W+(?:bo|giup|gium|dum|di|luon))?(?:\W+(?:em|e|minh|chi|anh|toi))?"
    r"(?:\W+(?:nhe|nha|nhen|a|di))?\W*$"
)

_YES = r"(?:vang|u|ua|uh|uhm|ok|oke|okay|da|duoc|dong y|co|chac|vay)"
# "chuyển" but not "dây chuyền" (a production line); "hộ" (for me) is left out: unmarked it is
# also "hỗ" of "hỗ trợ" ("dây chuyền được hỗ trợ")
_THROUGH = r"(?:(?<!day )chuyen|ket noi|noi may|chuyen may)"
_HELP = r"(?:giup|gium|dum|di|luon|nhe|nhen|nha|lien|ngay|voi)"
#: a yes to the offer is short; a long message that says "chuyển … giúp" is about something else
_SHORT_YES_WORDS = 12
_ME = r"(?:em|toi|chi|anh|minh|co|chu|bac|tui|tao|con)"
# "vâng, bạn chuyển giúp tôi", "ừa, chuyển giùm chị nhen", "kết nối cho em với cán bộ"
# "cháu cứ nối máy cho chú, mai người ta trả lời cũng không sao": connect the line (any length)
_CONNECT_THE_LINE = re.compile(r"\bnoi may\b(?!\W+(?:moc|tinh|vi tinh|in|lanh)\b)")
_PUT_THROUGH = re.compile(
    rf"\b{_THROUGH}\W+(?:\w+\W+)?{_HELP}\b"
    rf"|\b{_THROUGH}\W+(?:cho|qua|sang|toi|den)\W+(?:{_ME}\W+)?(?:\w+\W+)?{_PERSON}\b"
    rf"|^\W*{_YES}\b(?:\W+\w+){{0,3}}\W+(?:{_THROUGH}|gap)\b"
)
_NOT_A_TRANSFER = re.compile(
    r"\bchuyen\W+(?:giao|doi|nganh|xuong|nghe|dia diem|nha|sang|tien|khoan|cuoi|vui|ma|tro)\b"
    r"|\b(?:ke|noi|tro|cau|day) chuyen\b"
)
_COMPLAINT = re.compile(
    r"\b(?:lau (?:qua|the|vay|dzay|vay ta|roi|ghe|lam)|cho (?:mai|hoai|lau)|doi (?:mai|hoai|lau)|"
    r"chua thay ai|chua co ai|khong thay ai|ko thay ai|chua ai (?:tra loi|rep)|sao chua (?:ai|tra loi|rep|thay))\b"
)


def _not_broken(text: str, folded: str, match: "re.Match[str]") -> bool:
    """The match does not start with "hỏng" (broken) typed with its mark: "máy hỏng cần cán bộ"."""
    word = text[match.start() : match.start() + len(match.group(0).split()[0])]
    return not (marked(word) and letters(word) == "hong")


def _found(pattern: "re.Pattern[str]", text: str) -> bool:
    folded = fold(text or "")
    return any(_not_broken(text, folded, m) for m in pattern.finditer(folded))


def cancels_the_request(text: str) -> bool:
    """Does the person call off the officer? ("không cần cán bộ nữa", "khỏi cán bộ gọi lại",
    "em không đợi nữa đâu", "huỷ yêu cầu gặp cán bộ")"""
    return any(_found(p, text) for p in (_NO_PERSON, _NO_CALLBACK, _NO_MORE_WAITING, _CANCEL))


def says_no_thanks(text: str) -> bool:
    """ "thôi khỏi", "mai mới trả lời à, thế thôi khỏi nhé": no, thank you (to whatever was offered)."""
    return bool(_NO_THANKS.search(fold(text or "")))


def is_bare_cancel(text: str) -> bool:
    """ "huỷ", "hủy giúp em nhé", "thôi huỷ": calls off whatever is going on (while a person waits
    for an officer, that is the request; elsewhere it is the stop phrase)."""
    return bool(_BARE_CANCEL.match(fold(text or "")))


def wants_the_bot_back(text: str) -> bool:
    """Does the person ask for the automatic assistant instead of the officer? ("quay lại trợ
    lý", "thôi em hỏi tiếp bot"; calling the officer off is asking the bot back too)"""
    return bool(_WANTS_BOT.search(fold(text or ""))) or cancels_the_request(text)


def _without_stories(text: str, folded: str) -> str:
    """``folded`` with "chuyện" (a story, a talk) blanked where the marks say so: unmarked it is
    "chuyển" (put through) too, and "kể chuyện cười đi" is no yes to an offer."""
    out = list(folded)
    for m in re.finditer(r"[^\W_]+", text):
        word = m.group(0)
        if fold(word) == "chuyen" and marked(word) and word.lower() != "chuyển":
            out[m.start() : m.end()] = "_" * len(word)
    return "".join(out)


def asks_to_be_put_through(text: str) -> bool:
    """Does the message say "put me through (to a person)"? ("vâng, chuyển giúp tôi", "ừa, chuyển
    giùm chị nhen", "kết nối cho em với cán bộ"); not "chuyển giao công nghệ", "chuyển xưởng"."""
    for m in _CONNECT_THE_LINE.finditer(fold(text or "")):
        word = (text or "")[m.start() : m.start() + 3]
        if (not marked(word) or letters(word) == "nôi") and not cancels_the_request(text):
            return True  # "nối máy", not "nói máy cũ …" (said that the machine …)
    # the yes is the first sentence: "Vâng, cháu chuyển giúp tôi. Sáng mai cán bộ gọi số …"
    text = re.split(r"(?<=[.!?;\n])\s+", (text or "").strip(), maxsplit=1)[0]
    folded = fold(text)
    if len(folded.split()) > _SHORT_YES_WORDS or _NOT_A_TRANSFER.search(folded):
        return False
    if cancels_the_request(text) or _WANTS_BOT.search(folded):
        return False
    return bool(_PUT_THROUGH.search(_without_stories(text, folded)))


_TALK = (
    r"(?:gap|gap duoc|noi (?:chuyen|chien|chuen)(?: truc tiep)? (?:voi|vs|v)|chat (?:voi|vs)|hoi truc tiep|hoi thang|"
    r"nhan (?:tin )?(?:voi|cho)|"
    r"lam viec (?:truc tiep )?voi|ket noi (?:voi|cho \w+ voi)|trao doi (?:truc tiep )?voi|chuyen (?:cho|qua|sang) \w+ gap)"
)
_A_PERSON = (
    r"(?:nguoi that|nguoi thiet|nguoi that su|can bo that|can bo|nhan vien|admin|dong nghiep|tu van vien|"
    r"nguoi tu van|nguoi (?:cua|o|ben) trung tam|nguoi phu trach|chuyen vien)"
)
# not "đang nói chuyện với người thật phải không" (is this a person?), not "gặp cán bộ nào" (whom?)
_ASKS_PERSON = re.compile(
    rf"(?<!dang )(?<!co phai )\b{_TALK}\W+(?:(?:mot|1|voi|cac|anh|chi|em|ban|co|chu|bac)\W+){{0,2}}{_A_PERSON}\b(?!\W+nao\b)"
    # "nhờ cán bộ bên Nghệ An trao đổi với tôi" (a call back, "để cán bộ gọi cho em", is leaving
    # one's contact: the lead form, not a live officer)
    rf"|\b(?:nho|de|cho|bao|xin)\W+{_A_PERSON}\b(?:\W+\w+){{0,4}}?\W+"
    rf"(?:trao doi|noi chuyen|tu van|huong dan)\W+(?:voi|cho|lai)?\W*{_ME}\b"
)


def asks_for_a_person(text: str) -> bool:
    """ "cho chị nói chiện với người của trung tâm", "e muốn gặp cán bộ", "cho e hỏi trực tiếp cán
    bộ", "kết nối giúp tôi với một đồng nghiệp"; not "không cần gặp cán bộ" (that calls it off)."""
    if cancels_the_request(text):
        return False
    return bool(_ASKS_PERSON.search(fold(text or ""))) or asks_to_be_put_through(text)


_THE_BOT = re.compile(rf"\b(?:{_BOT}|tro ly oi|em tro ly)\b")


def mentions_the_bot(text: str) -> bool:
    """ "Còn câu hỏi … trợ lý chưa trả lời?", "chatbot ơi": the message is for the assistant."""
    return bool(_THE_BOT.search(fold(text or "")))


def complains_of_waiting(text: str) -> bool:
    """ "sao lâu vậy", "chờ mãi chưa thấy ai trả lời", "doi lau qua": the person has waited too long."""
    return bool(_COMPLAINT.search(fold(text or "")))


__all__ = [
    "asks_for_a_person",
    "asks_to_be_put_through",
    "cancels_the_request",
    "complains_of_waiting",
    "is_bare_cancel",
    "mentions_the_bot",
    "says_no_thanks",
    "wants_the_bot_back",
]

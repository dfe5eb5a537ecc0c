"""What one message says about the person's *own* establishment.

The NLU finds entities (business type, industry, province, unit type, area, money); this module
decides which of them are statements about the establishment, and reads what the entities do
not carry (workers, who owns it, export, local materials, fired bricks, yes/no answers):

* negation: "không phải làng nghề", "ko phải htx, là hộ kinh doanh", "chứ không phải ở xã";
* scope: "xưởng tôi ở Quảng Trị" is the establishment's province, "đi hội chợ ở Hà Nội" and
  "đề án thí điểm ở Bắc Ninh" are not;
* words inside other words: the "xã" of "hợp tác xã" is not a commune;
* corrections: "à nhầm, …", "sửa lại …", "không phải, là …" replace what was said before;
* uncertainty: "không biết có phải làng nghề không" is an answer ("không rõ"), not a yes.

Pure Python (no Rasa): it works on the normalised text Rasa holds and the entity dicts the
extractors produce (``entity``, ``value``, ``start``, ``end``; payload entities have no offsets).
``actions/listen.py`` turns a Reading into slots on every turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from vntext.fold import fold
from vntext.numbers import find_counts, read_count

#: the marker a form validator receives when an answer to its question could not be read
UNCLEAR = "unclear"
#: yes/no slots (and "không rõ")
YES, NO, UNKNOWN = "yes", "no", "unknown"

# Intents that are an attempt to answer the question the form asked (the rest are questions or
# commands of their own, answered by their rule, after which the form resumes).
ANSWER_INTENTS = {"inform", "affirm", "deny", "dont_know", "nlu_fallback", "out_of_scope", "goodbye"}

_CLAUSE_END = re.compile(r"[,.;:!?\n()]|\s(?:nhung|ma|con|va|voi lai)\s")

_NEG_WORD = r"(?:khong|ko|k|kg|hong|hok|hem|chua|chang|cha|deo)"
_FILLER = (
    r"(?:phai|la|o|tai|thuoc|nam|trong|co|lam|duoc|cong|nhan|ben|em|toi|minh|cua|thi|"
    r"con|nua|he|dang|san|xuat|sx|nguoi|ho|mot|cai)"
)
_NEGATED = re.compile(rf"\b{_NEG_WORD}(?:\s+{_FILLER}){{0,4}}\s*$")
_UNSURE = re.compile(rf"\b{_NEG_WORD}\s+(?:biet|ro|nho|chac)\b|\bchua\s+ro\b|\bkhong\s+ro\b")
# "làng nghề thì không", "xã khó khăn thì chưa": the denial after the phrase
_NEGATED_AFTER = re.compile(
    rf"^\s*(?:thi\s+)?{_NEG_WORD}(?:\s+(?:phai|co|duoc|thuoc))?\s*(?:a|nha|nhe)?\s*(?:[.,;!]|$)"
)

# Cues that a province named after them is where something else happens (a fair, a pilot
# project, a customer), not where the establishment is.
_EVENT_ELSEWHERE = re.compile(
    r"\b(?:hoi cho|trien lam|hoi thao|dien dan|de an|thi diem|mo hinh|tham quan|hoc hoi|hoc|tap huan|"
    r"di|ra|len|vao|sang|ban hang|ban|giao hang|giao|xuat khau|xuat|khach hang|khach|dat hang|mua|nhap|"
    r"nghe noi|doc bao|thay|bao chi|tren tivi|nguoi quen|ban be|con toi|con em|ho hang)\b"
)
# "Sở Công Thương Hà Nội ở đâu": a question about that province's agency, not a statement of
# where the establishment is (the answer is still about that province)
_AGENCY = re.compile(r"\b(?:so cong thuong|trung tam khuyen cong|ubnd|uy ban|cua tinh|tinh ban)\b")
_ELSEWHERE = re.compile(f"{_EVENT_ELSEWHERE.pattern}|{_AGENCY.pattern}")
# Cues that what follows is the establishment's own place.
_OWN_PLACE = re.compile(
    r"\b(?:o|tai|thuoc|que|nha|xuong|co so|htx|hop tac xa|ben|minh|em|toi|tui|chau|chung toi|"
    r"dia ban|dia chi|tinh|thanh pho|tp|cty|cong ty|doanh nghiep|dn|ho|lang)\b"
)
# "làm gia công cho doanh nghiệp lớn", "hợp đồng với htx": another party, not the establishment
_OTHER_PARTY = re.compile(r"\b(?:cho|cua|voi|giup|tu|doi tac|khach)(?:\s+\w+)?\s*$")

_CORRECTION = re.compile(
    r"^\W*(?:a|o|ay|ui|ui da|xin loi)?[\s,]*(?:nham|lon)\b|\bnham roi\b|\bem nham\b|\btoi nham\b|"
    r"^\W*a\s+khong\b|\bsua lai\b|\bsua\b.{0,40}\bthanh\b|\bdoi (?:thanh|lai)\b|\by (?:toi|em|minh) la\b|"
    r"\bdung ra la\b|\bchinh xac la\b|^\W*khong phai[\s,]+(?:ma\s+)?la\b|\bchu khong phai\b|"
    r"\bla\s+\w+(?:\s+\w+){0,3}\s+chu\W*$"
)

_WORKER_UNIT = re.compile(r"^\s*(?:nguoi|lao dong|ld|cong nhan|cn|nhan cong|tho|nhan vien|nv|lao\s*dong)\b")
_REVENUE = re.compile(r"\b(?:doanh thu|doanh so|thu nhap|ban duoc|thu ve|dt)\b")
_CAPITAL = re.compile(r"\b(?:von|nguon von|tong von|tai san|von dieu le)\b")

_YES = re.compile(
    r"^\W*(?:da|vang|u|uh|um|ok|oke|thi)?[\s,]*(?:co|co a|co chu|co nha|phai|phai a|dung|dung roi|"
    r"dung vay|roi|yes|ok|vang|duoc cong nhan|co cong nhan)\b"
)
_NO = re.compile(
    rf"^\W*(?:da|thua|u|vang)?[\s,]*(?:{_NEG_WORD}|no|khong phai|ko phai|khong co|ko co|hong co|"
    r"chua co|chua duoc)\b"
)

_WOMEN = re.compile(
    r"\b(?:phu nu|nu gioi|chi em)\b.{0,25}\b(?:lam chu|chu|dieu hanh|quan ly|dung ten)\b|"
    r"\b(?:chu|lam chu|giam doc|chu nhiem|chu ho|chu co so)\b.{0,25}\b(?:la|cung la)\s+"
    r"(?:phu nu|nu|nguoi nu|chi em)\b|\b(?:nu|phu nu) lam chu\b|\bdo (?:phu nu|nu) (?:lam chu|dieu hanh)\b|"
    r"\b(?:toi|em|minh|tui) la (?:phu nu|nu)\b|\bchu la nu\b"
)
_ETHNIC_GROUPS = (
    r"thai|tay|nung|mong|hmong|h mong|dao|khmer|kho me|khome|e de|ede|gia rai|jrai|ba na|bahnar|"
    r"cham|muong|xo dang|co ho|k ho|raglai|ra glai|san diu|san chay|hoa|m nong|mnong|xtieng|"
    r"ha nhi|lo lo|pa co|ta oi|bru van kieu|van kieu|co tu|gie trieng|cho ro|la chi|phu la"
)
_ETHNIC = re.compile(
    rf"\b(?:dan toc thieu so|dong bao dan toc|nguoi dan toc|dtts|nguoi (?:{_ETHNIC_GROUPS})|"
    rf"dan toc (?:{_ETHNIC_GROUPS}))\b"
)
_EXPORT = re.compile(
    r"\b(?:xuat khau|xuat di|xuat sang|hang xuat|xk|ban sang (?:nhat|han|my|trung|uc|eu|chau au|nuoc ngoai)|"
    r"don hang nuoc ngoai|khach nuoc ngoai|thi truong nuoc ngoai)\b"
)
_LOCAL_MATERIALS = re.compile(
    r"\bnguyen (?:vat )?lieu\b.{0,20}\b(?:tai cho|dia phuong|trong tinh|trong xa|"
    r"cua ba con|san co|tai dia phuong|cua nong dan|o day|trong vung)\b|"
    r"\b(?:thu mua|mua)\b.{0,20}\b(?:cua ba con|cua nong dan|tai cho)\b"
)
_FIRED_BRICK = re.compile(
    r"\bgach (?:dat set )?nung\b|\blo vong\b|\blo (?:nung )?thu cong\b|\bgach do\b|\blo hoffman\b"
)
_UNFIRED_BRICK = re.compile(r"\bgach khong nung\b|\bkhong nung\b")

# Industries when several are named: the restrictive one decides, then production before trade.
_INDUSTRY_ORDER = {"mining": 0, "cleaner_production": 1, "trade_services": 9}

_MERGER_QUESTION = re.compile(r"\b(?:sao lai|tai sao|vi sao|sao|sao la|la sao|chu|ma|khong phai)\b")


@dataclass
class Context:
    """Where the conversation is when the message arrives."""

    requested_slot: Optional[str] = None
    active_loop: Optional[str] = None
    intent: Optional[str] = None
    confidence: float = 0.0


@dataclass
class Reading:
    """Slot → canonical value for what the message states; ``denied``: slot → value it rules out."""

    values: Dict[str, Any] = field(default_factory=dict)
    denied: Dict[str, Any] = field(default_factory=dict)
    correction: bool = False
    old_province_name: Optional[str] = None  # the province as typed, when the NLU gave its text
    asks_about_merger: bool = False  # "sao lại Đồng Nai, tôi ở Bình Phước mà"


def _clause_before(folded: str, start: int, width: int = 60) -> str:
    before = folded[max(0, start - width) : start]
    ends = list(_CLAUSE_END.finditer(before))
    return before[ends[-1].end() :] if ends else before


def _clause_after(folded: str, end: int, width: int = 30) -> str:
    after = folded[end : end + width]
    m = _CLAUSE_END.search(after)
    return after[: m.start()] if m else after


def _polarity(folded: str, ent: Dict[str, Any]) -> Optional[str]:
    """'neg', 'unsure' or None (stated) for an entity with offsets."""
    start, end = ent.get("start"), ent.get("end")
    if start is None or end is None:
        return None
    before = _clause_before(folded, start)
    if _UNSURE.search(before):
        return "unsure"
    if _NEGATED.search(before):
        return "neg"
    if _NEGATED_AFTER.match(folded[end : end + 25]) and "?" not in folded[end:]:
        return "neg"
    return None


def is_correction(folded: str) -> bool:
    return bool(_CORRECTION.search(folded))


def is_question(folded: str) -> bool:
    """A question of its own rather than an answer ("… có được không", "bao nhiêu", "?")."""
    t = folded.strip()
    return (
        "?" in t
        or bool(
            re.search(
                r"\b(?:khong|ko|k|hong|hok|chua|nao|gi|sao|bao nhieu|bn|may|the nao|ntn|"
                r"ra sao|o dau|khi nao|luc nao|ai|nhi|ha)\W*$",
                t,
            )
        )
        or bool(re.match(r"^(?:cho (?:toi|em|minh|chau) hoi|xin hoi|hoi|lam sao|tai sao|vi sao|the nao)\b", t))
    )


# Someone asking for a person at the centre names who ("cán bộ", "nhân viên", "người thật", "tư
# vấn viên", "admin") or asks whether anyone is on duty ("có ai trực không"). A name such as
# "Người Chờ Số A", which the classifier may take for a request, does neither.
_PERSON_REQUEST = re.compile(
    r"\b(?:can bo|nhan vien|ng(?:uoi)? that|tu van vien|admin|ad|phu trach|nguoi cua trung tam|"
    r"chuyen (?:may|sang|cho nguoi)|noi may|ket noi|gap (?:nguoi|ng)|"
    r"co (?:ai|nguoi|can bo|anh chi|a/c)\b[^.?]*\b(?:truc|tra loi)|dang truc)\b"
)


def asks_for_person(folded: str) -> bool:
    """Does the (folded) message ask for a person at the centre, in words and not only by the
    classifier's guess?"""
    return bool(_PERSON_REQUEST.search(folded))


def _clauses_before(folded: str, start: int, width: int = 120) -> List[str]:
    """The clauses of the sentence before ``start``, nearest first."""
    before = folded[max(0, start - width) : start]
    before = re.split(r"[.!?\n]", before)[-1]
    return list(reversed(_CLAUSE_END.split(before)))


def _own_province(folded: str, ent: Dict[str, Any], ctx: Context, words_outside: int) -> bool:
    if ent.get("start") is None:  # a button payload
        return True
    clauses = _clauses_before(folded, ent["start"])
    if clauses and _ELSEWHERE.search(clauses[0]):
        return False
    if ctx.requested_slot == "province":
        return True
    if ctx.intent == "ask_pilot_projects":
        return False
    # "htx em ở xã Tân Phú, Bình Định": the nearest clause with a cue decides
    for clause in clauses:
        if _ELSEWHERE.search(clause):
            return False
        if _OWN_PLACE.search(clause):
            return True
    return words_outside <= 2


def happens_elsewhere(text: str, ent: Dict[str, Any]) -> bool:
    """Is this province mention where something else happens ("đi hội chợ ở Hà Nội", "đề án thí
    điểm ở Bắc Ninh")? Then neither the establishment nor the question is about that province."""
    if ent.get("start") is None:
        return False
    clauses = _clauses_before(fold(text or ""), ent["start"])
    return bool(clauses) and bool(_EVENT_ELSEWHERE.search(clauses[0]))


def _pick_industry(values: List[str]) -> str:
    return sorted(values, key=lambda v: (_INDUSTRY_ORDER.get(v, 5), values.index(v)))[0]


def _yes_no(folded: str, ctx: Context) -> Optional[str]:
    if ctx.intent == "stop":
        return None  # "dung lai" is "dừng lại", not "đúng"
    if ctx.intent == "dont_know" or _UNSURE.search(folded) or re.search(r"\b(?:bo qua|chiu|khong ro|ko ro)\b", folded):
        return UNKNOWN
    if _NO.match(folded):
        return NO
    if _YES.match(folded):
        return YES
    return {"affirm": YES, "deny": NO}.get(ctx.intent or "")


def _checked(ent: Dict[str, Any], length: int) -> Dict[str, Any]:
    """The entity with offsets only when they point into the text (else treated like a payload's)."""
    start, end = ent.get("start"), ent.get("end")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= length:
        return ent
    return {**ent, "start": None, "end": None}


def _overlaps(a: Dict[str, Any], b: Dict[str, Any]) -> bool:
    if a.get("start") is None or b.get("start") is None:
        return False
    return a["start"] < b["end"] and b["start"] < a["end"]


def read(text: str, entities: Iterable[Dict[str, Any]], ctx: Context) -> Reading:
    """The Reading of one (normalised) message."""
    folded = fold(text or "")
    ents = [_checked(e, len(folded)) for e in entities if isinstance(e, dict) and e.get("entity")]
    reading = Reading(correction=is_correction(folded))
    if folded.startswith("/"):
        folded = ""  # a payload: only its entities count
    # "hợp tác xã", "tổ hợp tác xã", "bảo hiểm xã hội": a unit type inside another entity is not one
    named = [e for e in ents if e["entity"] in ("business_type", "industry", "activity", "area")]
    ents = [e for e in ents if not (e["entity"] == "unit_type" and any(_overlaps(e, n) for n in named))]

    stated: Dict[str, List[Any]] = {}
    for ent in ents:
        name, value = ent["entity"], ent.get("value")
        slot = value if name == "area" else name  # area entities: craft_village / disadvantaged
        if slot not in ("business_type", "industry", "province", "unit_type", "craft_village", "disadvantaged"):
            continue
        polarity = _polarity(folded, ent)
        if name == "area":
            if polarity == "unsure":
                stated.setdefault(slot, []).append(UNKNOWN)
            elif polarity == "neg":
                stated.setdefault(slot, []).append(NO)
            elif _area_is_own(folded, ent, ctx, slot):
                stated.setdefault(slot, []).append(YES)
            continue
        if polarity == "neg":
            reading.denied[slot] = value
            continue
        if polarity == "unsure":
            continue
        if name == "province":
            outside = (
                len(re.findall(r"\w+", folded)) - len(re.findall(r"\w+", folded[ent["start"] : ent["end"]]))
                if ent.get("start") is not None
                else 0
            )
            if not _own_province(folded, ent, ctx, outside):
                continue
            if ent.get("text"):
                reading.old_province_name = ent["text"]
        if (
            name == "business_type"
            and ent.get("start") is not None
            and _OTHER_PARTY.search(_clause_before(folded, ent["start"]))
        ):
            continue
        stated.setdefault(slot, []).append(value)

    for slot, values in stated.items():
        if slot == "industry":
            reading.values[slot] = _pick_industry(values)
        else:
            reading.values[slot] = values[-1]  # "htx, à nhầm, hộ kinh doanh": the last one said

    # yes/no answers to the question just asked
    if ctx.requested_slot in ("craft_village", "disadvantaged") and ctx.requested_slot not in reading.values:
        answer = _yes_no(folded, ctx)
        if answer:
            reading.values[ctx.requested_slot] = answer
    elif ctx.requested_slot and ctx.intent == "dont_know" and ctx.requested_slot not in reading.values:
        reading.values[ctx.requested_slot] = UNKNOWN

    _read_numbers(text, folded, ents, ctx, reading)
    _read_owner_and_market(folded, reading)
    reading.asks_about_merger = bool(reading.old_province_name) and bool(_MERGER_QUESTION.search(folded))
    return reading


def _area_is_own(folded: str, ent: Dict[str, Any], ctx: Context, slot: str) -> bool:
    """ "xưởng ở làng nghề", "xã tôi đặc biệt khó khăn": a statement; "làng nghề có được hỗ trợ
    không?" is a question about craft villages in general."""
    if ent.get("start") is None or ctx.requested_slot == slot:
        return True
    before = _clause_before(folded, ent["start"])
    if re.search(r"\b(?:o|trong|thuoc|tai|la|nam|cua)\s*$", before) or _OWN_PLACE.search(before):
        return not is_question(folded[ent["start"] :]) or bool(re.search(r"\b(?:o|trong|thuoc|tai)\s*$", before))
    return False


def _read_numbers(text: str, folded: str, ents: List[Dict[str, Any]], ctx: Context, reading: Reading) -> None:
    money = [e for e in ents if e["entity"] == "money" and isinstance(e.get("value"), (int, float))]
    for ent in money:
        amount = int(ent["value"])
        before = _clause_before(folded, ent["start"]) if ent.get("start") is not None else ""
        if _REVENUE.search(before):
            reading.values["revenue_vnd"] = str(amount)
        elif _CAPITAL.search(before):
            reading.values["capital_vnd"] = str(amount)
        elif ctx.requested_slot in ("revenue_vnd", "capital_vnd"):
            reading.values[ctx.requested_slot] = str(amount)
        else:
            reading.values["money"] = amount
    money_spans = [(e["start"], e["end"]) for e in money if e.get("start") is not None]
    if "employees" in reading.values:
        return
    if ctx.requested_slot == "employees":
        count = read_count(text)
        if count is not None and not any(s <= count.start < e for s, e in money_spans):
            reading.values["employees"] = str(count.high)
            return
    for count in find_counts(text):
        if any(s <= count.start < e for s, e in money_spans):
            continue
        if _WORKER_UNIT.match(folded[count.end :]):
            reading.values["employees"] = str(count.high)
            return


def _read_owner_and_market(folded: str, reading: Reading) -> None:
    def stated(pattern: re.Pattern) -> Optional[bool]:
        m = pattern.search(folded)
        if not m:
            return None
        return not _NEGATED.search(_clause_before(folded, m.start()))

    for slot, pattern in (
        ("women_owned", _WOMEN),
        ("ethnic_minority_owned", _ETHNIC),
        ("exports", _EXPORT),
        ("local_materials", _LOCAL_MATERIALS),
    ):
        found = stated(pattern)
        if found is not None:
            reading.values[slot] = YES if found else NO
    if _UNFIRED_BRICK.search(folded):
        reading.values["fired_clay_brick"] = NO
    elif _FIRED_BRICK.search(folded):
        reading.values["fired_clay_brick"] = YES


def changed(before: Dict[str, Any], after: Dict[str, Any]) -> List[Tuple[str, Any, Any]]:
    """(slot, old, new) for values that were set and are now different."""
    return [
        (k, before.get(k), v)
        for k, v in after.items()
        if before.get(k) not in (None, "", UNKNOWN, UNCLEAR) and before.get(k) != v
    ]

"""Question frames: what a question asks about (the *thing*), which *attribute* of it, and for
which *time*.

"NĐ 235 có hiệu lực từ ngày nào, ai ký?" → thing ``document`` (235), attributes
``effective, signer``, time unspecified. "Trước năm 2018 máy móc được tối đa bao nhiêu?" → thing
``activity``, attribute ``amount``, time ``past`` before 2018. "còn máy cũ thì sao?" → elliptical:
it needs the conversation to be understood.

The answer routes (actions/routes.py) use the frame to pick the part of a record that was asked
and the value in force at the time asked. Pure text code: no Rasa, no knowledge base; the records
carry the same attribute names as data (``attributes:`` of a fact, the fields of a document).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from vntext.fold import fold
from vntext.normalize import SHORTHAND, normalize_text

#: the attributes a question can ask for, in the words of the knowledge data
ATTRIBUTES = (
    "issued",  # ngày ban hành, ký ngày nào
    "effective",  # hiệu lực từ khi nào
    "state",  # còn hiệu lực không, hết hiệu lực chưa
    "signer",  # ai ký
    "replaces",  # thay thế văn bản nào
    "amends",  # sửa đổi văn bản nào
    "changes",  # thay đổi gì, có gì mới, khác gì so với
    "article",  # điều nào, khoản nào, quy định ở đâu trong văn bản
    "approver",  # ai / cơ quan nào phê duyệt, quyết định
    "agency",  # cơ quan nào quản lý, thực hiện, chủ trì
    "amount",  # bao nhiêu tiền, tối đa bao nhiêu, mức
    "share",  # bao nhiêu phần trăm
    "advance",  # tạm ứng
    "count",  # bao nhiêu người, mấy bộ, mấy ảnh
    "frequency",  # mấy lần một năm
    "place",  # nộp ở đâu
    "deadline",  # hạn, khi nào, trước ngày nào
    "duration",  # bao lâu, mấy ngày
    "conditions",  # điều kiện gì
    "documents_needed",  # hồ sơ gồm gì, cần giấy tờ gì
    "beneficiaries",  # ai được, đối tượng nào
    "definition",  # là gì
    "list",  # những gì, gồm những gì (an overview)
)

#: what a question is about, coarse: the routes match it against the conversation and the records
THINGS = (
    "document",
    "activity",
    "agency",
    "programme",
    "selection",  # bình chọn sản phẩm tiêu biểu
    "dossier",
    "procedure",
    "beneficiary",
    "industry",
    "objective",
    "priority",
    "funding",
)

#: when the question is about: None = not said (the rule in force now)
TIMES = ("now", "past", "original", "both")


@dataclass(frozen=True)
class Frame:
    thing: Optional[str] = None  # one of THINGS, or None
    documents: Tuple[str, ...] = ()  # document numbers named: "235/2025", or "235" without a year
    attributes: Tuple[str, ...] = ()  # each attribute asked, in the order asked (ATTRIBUTES)
    time: Optional[str] = None  # one of TIMES, or None when the question does not say
    year: Optional[int] = None  # "trước năm 2018" → 2018, "hồi 2014" → 2014
    elliptical: bool = False  # a follow-up that needs the conversation ("còn máy cũ thì sao", "ai ký?")
    overview: bool = False  # asks for the whole list ("hỗ trợ những hoạt động gì", "mục tiêu là gì")

    @property
    def attribute(self) -> Optional[str]:
        """The first attribute asked, if any."""
        return self.attributes[0] if self.attributes else None


# ---------------------------------------------------------------------------------------------
# The reader. It works on a *canonical* view of the question: normalised, folded (no marks,
# lowercase), chat shorthand expanded ("bn" → "bao nhieu", "ko" → "khong", "z" → "vay"), document
# numbers replaced by one token ``vbso``, and the few words whose folded forms collide told apart
# by their marks when the text has them: "máy" (a machine) → ``may1``, "mấy" (how many) → ``may2``;
# "hàn" (to weld, Korea) → ``han1`` ("hạn", a deadline, stays ``han``); "kỳ"/"kỹ" → ``ky1``
# ("ký", to sign, stays ``ky``); "giờ" (now, an hour) stays ``gio``, "gió"/"giỏ" → ``gio1``.
# Without marks the patterns read the word by its neighbours ("may moc", "may han", "ai ky",
# "ky han"). Every pattern is a compiled regex over that text, with explicit word boundaries.
# ---------------------------------------------------------------------------------------------

#: questions are short: a longer text is read up to this many characters (keeps a call well under
#: a millisecond whatever arrives; what follows would not change how the question is routed)
MAX_CHARS = 1000
#: a year before this one is "the rule then" (time ``past``); from it on, the rule in force
PAST_BEFORE = 2025

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+|[^\w\s]")
_CLAUSE_MARKS = frozenset(",.;:?!()")

#: words told apart by their marks (lowercase, NFC) → canonical token
_SENSES = {
    "máy": "may1",
    "mấy": "may2",
    "hàn": "han1",
    "hán": "han1",
    "hân": "han1",
    "hãn": "han1",
    "hản": "han1",
    "hẳn": "han1",
    "hăn": "han1",
    "kỳ": "ky1",
    "kì": "ky1",
    "kỹ": "ky1",
    "kĩ": "ky1",
    "kỷ": "ky1",
    "kỉ": "ky1",
    "gió": "gio1",
    "giỏ": "gio1",
    "giở": "gio1",
    "giơ": "gio1",
    "ảnh": "anh1",
    "hông": "khong",
    "hồng": "hong1",
    "hỏng": "hong1",
    "hóng": "hong1",
    "cụ": "cu1",
    "củ": "cu1",
    "cú": "cu1",
    "cư": "cu1",
    "dzậy": "vay",
    "zậy": "vay",
}
#: shorthand of unmarked tokens: the project's map, without the document abbreviations (they only
#: mean a document before a number, which the document reader takes first: "nd" is also "nội dung")
_SHORT = {k: v for k, v in SHORTHAND.items() if k not in ("tt", "nd", "qd")}
_SHORT.update(
    {
        "z": "vay",
        "dzay": "vay",
        "zay": "vay",
        "ji": "gi",
        "bnhiu": "bao nhieu",
        "nhiu": "nhieu",
        "sct": "so cong thuong",
        "bct": "bo cong thuong",
        "ttkc": "trung tam khuyen cong",
        "cnnt": "cong nghiep nong thon",
        "spcnnttb": "san pham cong nghiep nong thon tieu bieu",
        "tg": "thoi gian",
        "ubnd": "uy ban nhan dan",
    }
)

# -- document numbers (read on the folded text, before anything else) --------------------------

_DOC_WORD = (
    r"(?:nghi\s*dinh|thong\s*tu\s*lien\s*tich|thong\s*tu|quyet\s*dinh|nghi\s*quyet|chi\s*thi|van\s*ban|"
    r"ttlt|nd|tt|qd|nq)"
)
# a number that is not money, a percentage, a count or a span of time
_NOT_QUANTITY = (
    r"(?![\d.,]*\s*(?:%|phan\s+tram|trieu|tr\b|ty\b|ti\b|dong\b|d\b|nghin|ngan\b|k\b|nguoi|lan\b|thang\b|"
    r"ngay\b|tuan\b|trang\b|cai\b|chiec\b|loai\b|san\s+pham|gio\b|tieng\b|lop\b|nam\b(?!\s+(?:19|20)\d\d)))"
)
_DOC_NUMBER = rf"(\d{{1,5}})(?:\s*/\s*((?:19|20)\d\d)(?!\d)|{_NOT_QUANTITY})(?:\s*/\s*[a-z]+(?:\s*-\s*[a-z]+)*)?"
_DOC_YEAR_AFTER = r"(?:\s+nam\s+((?:19|20)\d\d)\b)?"
_DOC = re.compile(rf"\b{_DOC_WORD}\s*(?:so\s*)?{_DOC_NUMBER}{_DOC_YEAR_AFTER}")
# "nghị định 45 và 235", "TT 28/2018 và 64/2024"
_DOC_MORE = re.compile(rf"\s*(?:,|va|hoac|&|;)\s*(?:{_DOC_WORD}\s*)?(?:so\s*)?{_DOC_NUMBER}{_DOC_YEAR_AFTER}")
# "45/2012/NĐ-CP", "1881/QĐ-TTg", "số 28/2018" without a document word before
_DOC_BARE = re.compile(
    r"\b(\d{1,5})\s*/\s*((?:19|20)\d\d)\s*/\s*(?:nd|tt|ttlt|qd|nq|ct)\b|"
    r"\b(\d{1,5})\s*/\s*(?:nd|tt|ttlt|qd|nq|ct)\s*-\s*[a-z]|"
    r"\bso\s+(\d{1,5})\s*/\s*((?:19|20)\d\d)\b(?!\s*/\s*\d)"
)


def _doc_key(number: str, year: Optional[str]) -> str:
    return f"{int(number)}/{year}" if year else str(int(number))


def _documents(folded: str) -> Tuple[Tuple[str, ...], List[Tuple[int, int]]]:
    """Document numbers named, in order, and the spans they take in the text."""
    found: List[Tuple[int, int, str]] = []
    for m in _DOC.finditer(folded):
        found.append((m.start(), m.end(), _doc_key(m.group(1), m.group(2) or m.group(3))))
        pos = m.end()
        while True:
            more = _DOC_MORE.match(folded, pos)
            if not more:
                break
            found.append((more.start(), more.end(), _doc_key(more.group(1), more.group(2) or more.group(3))))
            pos = more.end()
    for m in _DOC_BARE.finditer(folded):
        number = m.group(1) or m.group(3) or m.group(4)
        year = m.group(2) or m.group(5)
        found.append((m.start(), m.end(), _doc_key(number, year)))
    found.sort()
    spans: List[Tuple[int, int]] = []
    keys: List[str] = []
    for start, end, key in found:
        if spans and start < spans[-1][1]:  # inside one already read (a continuation read twice)
            continue
        spans.append((start, end))
        bare = key.split("/")[0]
        if key in keys or (bare == key and any(k.split("/")[0] == bare for k in keys)):
            continue
        if "/" in key and bare in keys:  # "NĐ 235 … NĐ 235/2025": one document, with its year
            keys[keys.index(bare)] = key
            continue
        keys.append(key)
    return tuple(keys), spans


def _canonical(norm: str, folded: str, doc_spans: List[Tuple[int, int]]) -> str:
    words: List[str] = []
    spans = iter(doc_spans)
    span = next(spans, None)
    for m in _TOKEN.finditer(folded):
        while span is not None and m.start() >= span[1]:
            span = next(spans, None)
        if span is not None and m.start() >= span[0]:
            if not words or words[-1] != "vbso":
                words.append("vbso")
            continue
        word = m.group()
        original = norm[m.start() : m.end()].lower()
        if original != word and original in _SENSES:
            words.append(_SENSES[original])
        elif original == word and word in _SHORT:
            words.append(_SHORT[word])
        elif word in ("dc", "dk") and original in ("đc", "đk"):
            words.append("duoc")
        else:
            words.append(word)
    return " ".join(words)


# -- attributes ----------------------------------------------------------------------------------

# "khi nào", "ngày nào", "bao giờ", "hồi nào", "chừng nào" (Southern), "bữa nào"
_WHEN = r"(?:(?:vao )?(?:ngay|thang|nam|khi|luc|hoi|chung|bua|dot) nao|bao gio|ngay may|ngay bao nhieu)"

# units after a quantifier ("bao nhiêu", "mấy"), by the attribute they ask
_UNITS = {
    "share": ("phan tram", "%", "pt"),
    "frequency": ("lan", "dot", "luot"),
    "count": (
        "tam anh",
        "san pham",
        "lao dong",
        "hoc vien",
        "doanh nghiep",
        "co so",
        "don vi",
        "gian hang",
        "hang muc",
        "thanh vien",
        "de an",
        "nguoi",
        "bo",
        "anh1",
        "tam",
        "cai",
        "chiec",
        "mau",
        "loai",
        "gian",
        "cap",
        "dieu",
        "ban",
        "lop",
        "doan",
        "giai",
        "nghe",
        "hoat dong",
    ),
    "duration": ("ngay", "thang", "nam", "tuan", "hom", "tieng", "lau", "buoi"),
    "amount": ("tien", "trieu", "ty", "dong", "nghin", "ngan", "vnd"),
}
_UNIT_KIND = {unit: kind for kind, units in _UNITS.items() for unit in units}
_UNIT_RE = "|".join(re.escape(u) for u in sorted(_UNIT_KIND, key=len, reverse=True))
# "bao nhiêu" / "bn" / "mấy" (marked, or unmarked before a unit: "may lan"; "may moc" is a machine)
_QUANTITY = re.compile(
    rf"(?<!\w)(?:bao nhieu|bao nhiu|bnhieu|may2|may(?= (?:{_UNIT_RE}|anh)(?!\w)))(?: (?P<unit>{_UNIT_RE}|anh(?= san pham| chup| mau| \d)))?(?!\w)"
)
_THEN_ONCE = re.compile(r"(?: \S+){0,3}? (?:mot|1|moi) lan\b")  # with .match(text, pos)
# Southern "nhiêu" for "bao nhiêu" after a verb ("được nhiêu", "hỗ trợ nhiêu")
_NHIEU = re.compile(r"\b(?:duoc|tro|la|chi|thuong) nhieu\b(?! (?:hon|lam|qua|loai|nguoi|lan|nhat|cach|thu|nganh))")

# (tag, rank, pattern): the tag is the attribute, or a variant the rules below treat apart;
# overlapping readings keep the higher rank, then the longer
_ATTRIBUTE_PATTERNS: List[Tuple[str, int, str]] = [
    # issued
    ("issued", 9, r"\bngay (?:ban hanh|ky)\b(?! (?:ket|hop dong))"),
    ("issued", 9, rf"\bban hanh (?:vao )?(?:{_WHEN}|ngay \d+|nam \d{{4}})"),
    ("issued", 9, rf"\b(?:ky|ra doi|duoc ky) (?:vao )?(?:{_WHEN}|ngay \d+)"),
    ("issued", 9, rf"\b{_WHEN} (?:duoc )?(?:ban hanh|ky)\b"),
    # effective
    ("effective", 9, rf"\b(?:co )?hieu luc (?:ke )?tu(?: (?:{_WHEN}|ngay|nam))?"),
    ("effective", 9, rf"\b(?:co )?hieu luc (?:vao |tu )?{_WHEN}"),
    ("effective", 9, rf"\b{_WHEN} (?:thi )?(?:bat dau )?(?:co |duoc )?(?:hieu luc|ap dung)\b"),
    ("effective", 9, r"\bngay (?:co )?hieu luc\b"),
    ("effective", 9, rf"\b(?:bat dau )?(?:duoc )?ap dung (?:ke )?tu(?: (?:{_WHEN}|ngay|nam))?"),
    ("effective", 9, rf"\bap dung (?:vao )?{_WHEN}"),
    ("effective", 9, r"\bbat dau (?:co hieu luc|ap dung)\b"),
    # state
    ("state", 9, r"\bcon (?:duoc )?(?:hieu luc|ap dung|gia tri|su dung)\b"),
    ("state", 9, r"\bhet hieu luc\b"),
    ("state", 9, r"\bhet han (?:chua|roi|khong)\b"),
    ("state", 9, r"\b(?:co )?hieu luc (?:chua|khong|hay khong|hay chua)\b"),
    ("state", 9, r"\bbi (?:thay the|bai bo|huy bo|dinh chi|thay)(?: \w+)? (?:chua|roi|khong)\b"),
    ("state", 9, r"\bcon (?:dung|xai) (?:duoc )?khong\b"),
    # signer
    (
        "signer",
        9,
        r"\b(?:ai|do ai|nguoi nao|ben nao|ai la nguoi|ai dung ten)(?: da)? ky\b"
        r"(?! (?:han|thuat|duyet|nay|truoc|sau|tiep|hop))",
    ),
    ("signer", 9, r"\bnguoi (?:da |dung ten )?ky\b(?! (?:han|thuat|duyet))"),
    ("signer", 9, r"\bky boi\b|\bky ten\b"),
    ("signer", 9, r"\b(?:thu tuong|pho thu tuong|bo truong|thu truong|chu tich|lanh dao) nao ky\b"),
    # replaces
    ("replaces", 9, r"\bthay (?:the )?cho\b"),
    ("replaces", 9, r"\bthay the (?:vbso|van ban|nghi dinh|thong tu|quyet dinh)\b"),
    ("replaces", 9, r"\bthay the (?:\w+ ){0,2}?nao\b"),
    ("replaces", 9, r"\b(?:bi|duoc) thay the (?:boi|bang)\b"),
    ("replaces", 9, r"\bthay the (?:gi|nhung gi)\b"),
    # amends
    ("amends", 9, r"\bsua doi(?: ,)?(?: bo sung)? (?:\w+ ){0,2}?(?:nao|gi)\b"),
    ("amends", 9, r"\bsua (?:vbso|van ban|nghi dinh|thong tu|quyet dinh) nao\b"),
    # changes
    (
        "changes",
        9,
        r"\bthay doi (?:gi|the nao|nhu the nao|ra sao|nhu nao|nhung gi|nhieu khong|so voi)\b",
    ),
    ("changes", 9, r"\bco (?:gi|diem gi|cai gi) (?:moi|khac|thay doi)\b"),
    (
        "changes",
        9,
        r"\bsua (?:cai |nhung |nhung noi dung |noi dung )?(?:gi|j)\b|\bsua (?:nhung )?(?:noi dung|diem|dieu) (?:nao|gi|j)\b",
    ),
    ("changes", 9, r"\bdiem (?:gi )?(?:moi|khac)\b|\bnhung thay doi\b|\bco thay doi (?:gi|khong)\b"),
    (
        "changes",
        9,
        r"\bkhac (?:gi|nhau|biet|nhu the nao|the nao|ra sao|o dau|cho nao)"
        r"(?: (?:the nao|nhu the nao|ra sao|o dau|cho nao|gi|nhu nao|nhau|nhieu))*\b",
    ),
    # article
    # "những khoản nào" (which items of expense) is a list, not "which clause"
    ("article", 9, r"\b(?<!nhung )(?<!cac )(?:dieu|khoan|chuong) (?:nao|may2|may|bao nhieu|so may|so bao nhieu)\b"),
    ("article", 9, r"\bquy dinh (?:o|tai) (?:dau|dieu|khoan|chuong|cho nao)\b|\bnam o (?:dieu|khoan)\b"),
    # approver
    (
        "approver",
        9,
        r"\b(?:ai|do ai|cap nao|co quan nao|don vi nao|ben nao|noi nao|duoc ai)(?: se| co quyen| duoc)? "
        r"(?:phe duyet|duyet|xet duyet|quyet dinh|tham dinh|ky duyet|chap thuan)\b",
    ),
    ("approver", 9, r"\btham quyen (?:phe duyet|quyet dinh|duyet|xet duyet)\b"),
    ("approver", 9, r"\b(?:phe duyet|duyet|quyet dinh) boi\b"),
    # agency
    (
        "agency",
        7,
        r"\b(?:co quan|don vi|ben|noi|cho) nao (?:se )?(?:quan ly|chu tri|thuc hien|to chuc|phu trach|lo|"
        r"tiep nhan|giai quyet|xu ly|huong dan|cap)\b",
    ),
    (
        "agency",
        7,
        r"\b(?:ai|ben nao|do ai) (?:se |dung ra )?(?:to chuc|thuc hien|quan ly|chu tri|phu trach|lo|lap|"
        r"trien khai|tiep nhan|huong dan|giai quyet|xu ly)\b",
    ),
    ("agency", 7, r"\b(?:nop|gui|lien he|lien lac) (?:cho |voi |den )?(?:ai|ben nao)\b"),
    ("agency", 7, r"\bco quan (?:quan ly|chu tri|dau moi|thuong truc)\b|\bdon vi chu tri\b"),
    ("agency", 5, r"\b(?:co quan|don vi|ben) nao\b|\bdau moi\b"),
    # amount (the quantifiers are read apart, below)
    ("amount_weak", 5, r"\bmuc (?:ho tro|chi|kinh phi|toi da|tien|thuong)\b"),
    ("amount", 7, r"\bhan muc\b|\bnhieu tien\b"),
    # share
    ("share", 7, r"\b(?:ty|ti) le\b"),
    # advance
    ("advance", 9, r"\btam ung\b|\bung truoc\b|\bung tien\b"),
    # count
    ("count", 7, r"\bso luong\b"),
    # frequency
    ("frequency", 9, r"\bbao (?:nhieu )?lau(?: \S+){0,5}? (?:mot|1) lan\b"),
    ("frequency", 9, r"\bcach nhau bao (?:nhieu )?lau\b|\btan suat\b|\bdinh (?:ky|ky1)\b|\bso lan\b"),
    # "định kỳ mấy năm": the interval between two rounds
    ("frequency", 9, r"\bdinh (?:ky|ky1) (?:la )?(?:may2?|bao nhieu) (?:nam|thang|tuan|ngay)\b"),
    # place
    ("place", 5, r"\b(?:o|tai|den) (?:dau|mo|cho nao|noi nao)\b|(?<!\bhoi )\bcho nao\b|\bnoi nao\b"),
    ("place", 5, r"\b(?:nop|gui|lay|tai|nhan|mua|dang ky|lien he|nam) (?:o )?dau\b"),
    ("place", 5, r"\bdia chi\b|\bdia diem\b"),
    # deadline
    (
        "deadline",
        5,
        r"\b(?:han chot|han cuoi|han nop|han dang ky|han gui|thoi han|het han|den han|qua han|truoc han|"
        r"dung han)\b",
    ),
    (
        "deadline",
        5,
        r"(?<!\bmay )(?<!may1 )(?<!gioi )(?<!\bky )(?<!ky1 )(?<!ngan )(?<!\bdai )(?<!\bvo )(?<!huu )"
        r"\bhan\b(?! (?:che|muc|quoc|xi|gan))",
    ),
    ("deadline", 5, rf"(?<!chua )(?<!khong )\b{_WHEN}"),
    # duration
    ("duration", 5, r"\bbao (?:nhieu )?lau\b"),
    ("duration", 9, r"\bthoi han (?:la |khoang )?(?:bao (?:nhieu )?lau|may2? (?:nam|thang|ngay))"),
    (
        "duration",
        7,
        r"\bthoi gian (?:xu ly|tham dinh|giai quyet|thuc hien|dao tao|ho tro|toi da|keo dai|duy tri|hoc)\b",
    ),
    # conditions
    ("conditions", 7, r"\bdieu kien\b|\b(?:can|phai) dap ung\b|\btieu chi\b|\btieu chuan\b"),
    ("conditions", 7, r"\bdap ung (?:gi|nhung gi|yeu cau)\b|\byeu cau (?:gi|nhung gi|the nao|nao|ra sao)\b"),
    # documents needed
    ("documents_needed", 9, r"\bho so (?:can |phai )?(?:gom|bao gom|co nhung|can nhung|gi)\b"),
    (
        "documents_needed",
        9,
        r"\b(?:can|phai|nop|chuan bi|lam|mang) (?:nhung |nhung loai )?(?:giay to|ho so) (?:gi|nao|nhung gi)\b",
    ),
    ("documents_needed", 9, r"\bgiay to (?:gi|nao|can thiet)\b|\bthanh phan ho so\b"),
    ("documents_needed", 9, r"\bchuan bi (?:nhung )?(?:gi|giay to|ho so)\b|\bmau (?:don|bieu|ho so|to khai)\b"),
    # "gồm những gì": what a dossier holds when one is named before, else a list
    ("gom_list", 3, r"\b(?:gom|bao gom)(?: (?:nhung|co|cac))?(?: (?:gi|giay to gi|nhung gi|\w+ nao))?"),
    # beneficiaries
    ("beneficiaries", 7, r"\bai (?:duoc|co the duoc|thi duoc|moi duoc|duoc phep)\b|\b(?:la )?nhung ai\b"),
    ("beneficiaries", 7, r"\bdoi tuong\b|\bai la doi tuong\b"),
    # definition
    ("definition_tail", 5, r"\b(?:la|la cai) (?:gi|chi)\b"),
    (
        "definition",
        5,
        r"\bduoc hieu (?:la|nhu the nao|the nao)\b|\bthe nao (?:la|duoc goi la)\b|\bnghia la (?:gi|sao)\b|"
        r"\bkhai niem\b|\bdinh nghia\b|\bhieu the nao\b",
    ),
    # list
    ("list", 3, r"\bnhung (?:\S+ ){0,4}?(?:gi|nao)\b|\bliet ke\b"),
    (
        "list",
        9,
        r"\bke (?:het|ra|giup|gium|cho|ten)\b|\bdanh sach\b|\btom tat\b|\bbao nhieu loai\b|"
        r"\bmay2? (?:kieu|loai|muc tieu|ben|hang muc|khoan|noi dung|phan|nhom|hinh thuc|van ban)\b|"
        r"\bmay2? cai (?:gi|j)\b|\bnhung cai (?:gi|j)\b",
    ),
    (
        "list",
        3,
        r"\bcac loai\b|\bcac (?:loai hinh|hinh thuc|noi dung|hoat dong|van ban|nganh|chinh sach|chuong trinh)\b",
    ),
    ("list", 3, r"\b(?:nganh nghe|nganh|linh vuc|hoat dong|noi dung|hinh thuc|loai hinh)(?: \w+){0,2}? nao\b"),
]
_ATTRIBUTE_RES = [(tag, rank, re.compile(pattern)) for tag, rank, pattern in _ATTRIBUTE_PATTERNS]
_HO_SO = re.compile(r"\bho so\b")
#: what a bare "bao nhiêu" after them asks ("tỷ lệ … là bao nhiêu" is a share)
_VALUED = frozenset({"share", "count", "duration", "frequency", "advance"})


def _clause_starts(canon: str) -> List[int]:
    return [i for i, ch in enumerate(canon) if ch in _CLAUSE_MARKS]


def _clause(starts: List[int], pos: int) -> int:
    return sum(1 for s in starts if s < pos)


def _attributes(canon: str) -> Tuple[str, ...]:
    marks = _clause_starts(canon)
    found: List[Tuple[int, int, str, int]] = []
    for tag, rank, pattern in _ATTRIBUTE_RES:
        for m in pattern.finditer(canon):
            if tag == "gom_list":
                clause_start = max([i for i in marks if i < m.start()], default=-1)
                named = _HO_SO.search(canon, clause_start + 1, m.start())
                tag_here = "documents_needed" if named else "list"
                found.append((m.start(), m.end(), tag_here, rank))
            else:
                found.append((m.start(), m.end(), tag, rank))
    for m in _QUANTITY.finditer(canon):
        unit = m.group("unit")
        kind = _UNIT_KIND.get(unit, "count") if unit else "amount_bare"
        if kind == "duration" and _THEN_ONCE.match(canon, m.end()):
            kind = "frequency"  # "mấy năm một lần"
        found.append((m.start(), m.end(), kind, 7))
    for m in _NHIEU.finditer(canon):
        found.append((m.start(), m.end(), "amount_bare", 7))
    # two readings of one attribute that overlap are one ("quy định ở điều" + "điều mấy")
    found.sort(key=lambda c: (c[2], c[0]))
    merged: List[Tuple[int, int, str, int]] = []
    for cand in found:
        last = merged[-1] if merged else None
        if last is not None and last[2] == cand[2] and cand[0] < last[1]:
            merged[-1] = (last[0], max(last[1], cand[1]), last[2], max(last[3], cand[3]))
        else:
            merged.append(cand)
    # overlapping readings: the most specific (rank), then the longest
    found = sorted(merged, key=lambda c: (-c[3], -(c[1] - c[0]), c[0]))
    kept: List[Tuple[int, int, str, int]] = []
    for cand in found:
        if all(cand[1] <= k[0] or cand[0] >= k[1] for k in kept):
            kept.append(cand)
    kept.sort()
    clauses = [_clause(marks, c[0]) for c in kept]
    out: List[str] = []
    for i, (start, _end, tag, _rank) in enumerate(kept):
        same = [kept[j][2] for j in range(len(kept)) if j != i and clauses[j] == clauses[i]]
        earlier = [kept[j][2] for j in range(i) if clauses[j] == clauses[i]]
        if tag == "amount_weak":
            # "mức hỗ trợ" names the subject when something else of it is asked
            if any(t not in ("amount", "amount_weak", "amount_bare") for t in same):
                continue
            tag = "amount"
        elif tag == "amount_bare":
            if any(t in _VALUED for t in earlier):
                continue
            tag = "amount"
        elif tag == "definition_tail":
            if earlier:  # "điều kiện … là gì", "điểm mới … là gì"
                continue
            tag = "definition"
        if tag not in out:
            out.append(tag)
    return tuple(out)


# -- the thing ------------------------------------------------------------------------------------

_MACHINE = (
    r"\bmay1\b|\bmay (?:moc|thiet bi|cu|moi|han|han1|say|ep|xay|nghien|dong goi|cat|khau|det|in|phay|tien|bom|"
    r"cong cu|dien|cong nghiep)\b|\b(?:mua|sam|dau tu|thue|chiec|cai) may\b"
)
_ACTIVITY = (
    rf"{_MACHINE}|\bthiet bi\b|\bday chuyen\b|\bhoi cho\b|\btrien lam\b|\bdao tao\b|\btap huan\b|"
    r"\btruyen nghe\b|\bday nghe\b|\bthuong hieu\b|\bmo hinh\b|\btrinh dien\b|\btu van\b|\btham quan\b|"
    r"\bkhao sat\b|\bhoc tap kinh nghiem\b|\bchuyen giao\b|\bcong nghe\b|\bung dung\b|\bkhoi nghiep\b|"
    r"\bkhoi su\b|\bsan xuat sach hon\b|\bcum cong nghiep\b|\bdi doi\b|\blai suat\b|\bvay von\b|"
    r"\bo nhiem\b|\bthiet ke mau\b|\bthuong mai dien tu\b|\bban hang truc tuyen\b|\bquang ba\b|"
    r"\bxuc tien\b|\b(?:phong|diem) trung bay\b|\bgian hang\b|\bhoi thao\b|\bnang cao nang luc\b"
)
#: (thing, kind, pattern), most specific first; kind: "specific", "generic" (a whole list),
#: "weak" (a verb that names no thing by itself: "nộp", "đăng ký")
_THING_PATTERNS: List[Tuple[str, str, str]] = [
    ("dossier", "specific", r"\bho so\b"),
    ("selection", "specific", r"\bbinh chon\b|\btieu bieu\b|\bdat giai\b|\bgiai thuong\b"),
    ("activity", "specific", _ACTIVITY),
    ("priority", "generic", r"\buu tien\b"),
    ("objective", "generic", r"\bmuc tieu\b|\bmuc dich\b"),
    ("industry", "generic", r"\bnganh nghe\b|\bnganh\b|\blinh vuc\b"),
    ("industry", "specific", r"\bmay mac\b|\bthu cong my nghe\b|\bdet may\b"),
    ("funding", "specific", r"\bkinh phi\b|\bngan sach\b|\bnguon von\b|\bquyet toan\b|\bgiai ngan\b|\bthanh toan\b"),
    (
        "procedure",
        "specific",
        r"\bthu tuc\b|\bquy trinh\b|\btrinh tu\b|\blam sao (?:de )?(?:dang ky|xin|duoc|nhan)\b|"
        r"\bcach (?:dang ky|xin|lam ho so)\b",
    ),
    (
        "beneficiary",
        "specific",
        r"\bho kinh doanh\b|\bhop tac xa\b|\bto hop tac\b|\bdoanh nghiep (?:nho|vua)\b|"
        r"\bco so cong nghiep nong thon\b|\blang nghe\b",
    ),
    ("beneficiary", "generic", r"\bdoi tuong\b|\bai (?:duoc|co the duoc|thi duoc)\b|\bnhung ai\b"),
    ("programme", "generic", r"\bchuong trinh\b|\bke hoach\b|\bde an\b"),
    (
        "agency",
        "specific",
        r"\bco quan\b|\bso cong thuong\b|\bbo cong thuong\b|\btrung tam khuyen cong\b|"
        r"\bcuc (?:cong thuong|ctdp|khuyen cong)\b|\buy ban nhan dan\b|\bphong kinh te\b|\bso ct\b",
    ),
    ("activity", "generic", r"\bhoat dong\b|\bnoi dung\b|\bhinh thuc\b|\bloai hinh\b"),
    ("document", "generic", r"\bnghi dinh\b|\bthong tu\b|\bvan ban\b|\bnghi quyet\b|\bchi thi\b"),
    ("procedure", "weak", r"\bnop\b|\bdang ky\b"),
]
_THING_RES = [(thing, kind, re.compile(pattern)) for thing, kind, pattern in _THING_PATTERNS]


def _thing(canon: str, documents: Tuple[str, ...]) -> Tuple[Optional[str], Optional[str]]:
    if documents:
        return "document", "specific"
    for thing, kind, pattern in _THING_RES:
        if pattern.search(canon):
            return thing, kind
    return None, None


# -- time -----------------------------------------------------------------------------------------

_YEAR = r"((?:19|20)\d\d)"
_PAST = re.compile(
    r"\btruoc (?:day|kia)\b|\bhoi (?:truoc|xua|do|ay)\b|\b(?:luc|khi|thoi|dao|giai doan) truoc\b|"
    r"\bngay (?:xua|truoc)\b|\bnam (?:ngoai|truoc|roi)\b|"
    r"\b(?:quy dinh|nghi dinh|thong tu|van ban|vbso|chinh sach|ban|muc|luat|quy che|che do|thu tuc) cu\b|"
    rf"\btruoc khi (?:co|ban hanh|vbso|nghi dinh)\b|\btruoc (?:nam )?{_YEAR}\b"
)
_ORIGINAL = re.compile(
    r"\bban goc\b|\bban dau\b|\b(?:khi|luc|hoi|thoi diem) moi ban hanh\b|\bnguyen (?:ban|goc)\b|"
    r"\bluc dau\b|\bthoat dau\b|\bkhi chua sua doi\b|\btruoc khi (?:duoc )?sua doi\b|\bban dau tien\b"
)
_NOW = re.compile(
    r"\bhien (?:nay|hanh|tai|gio|thoi)\b|\bbay (?:gio|h)\b|\bgio day\b|\bnam nay\b|\bmoi nhat\b|"
    r"\bthoi diem nay\b|\bquy dinh moi\b|"
    r"(?<!bao )(?<!may )(?<!may2 )(?<!truoc )(?<!hien )(?<!bay )(?<!moi )(?<!\d )\bgio\b"
    r"(?! (?:lam viec|hanh chinh|giac|mo cua|dong cua|nao|chieu|sang))"
)
_BOTH = re.compile(
    r"\bso voi (?:\S+ ){0,4}?(?:truoc|cu|xua|ban dau|ban goc|hoi truoc|luc truoc)\b|"
    r"\b(?:cu|truoc) (?:va|voi|so voi) (?:moi|sau|bay gio|hien nay|nay)\b|\bmoi (?:va|voi|so voi) cu\b"
)
_YEAR_CUE = re.compile(rf"\b(truoc|sau|tu|hoi|nam|luc|vao|khoang|trong|cuoi|dau|giua|den)(?: nam)? {_YEAR}\b(?! [/-])")
_DATE_BEFORE = re.compile(r"\bthang \d{1,2} $")


def _time(canon: str) -> Tuple[Optional[str], Optional[int]]:
    year = None
    year_says_past = False
    for m in _YEAR_CUE.finditer(canon):
        if m.group(1) == "nam" and _DATE_BEFORE.search(canon[max(0, m.start() - 12) : m.start()]):
            continue  # "ngày 15 tháng 8 năm 2025": a date
        year = int(m.group(2))
        year_says_past = m.group(1) == "truoc" or year < PAST_BEFORE
        break
    past = bool(_PAST.search(canon)) or year_says_past
    original = bool(_ORIGINAL.search(canon))
    now = bool(_NOW.search(canon))
    if _BOTH.search(canon) or ((past or original) and now):
        return "both", year
    if original:
        return "original", year
    if past:
        return "past", year
    if now:
        return "now", year
    return None, year


# -- ellipsis and overview -----------------------------------------------------------------------

_FOLLOW_UP_START = re.compile(
    r"^(?:(?:da|u|uh|um|ok|vang|a|oi|ua|ma)\s+)*"
    r"(?:(?:the|vay|ma) con\b|con\b(?! (?:hieu luc|ap dung|han|duoc|gia tri|dung|su dung|nua|xai))|"
    r"vay thi\b|the thi\b|roi sao\b|roi the nao\b)"
)
_FOLLOW_UP = re.compile(r"\bthi sao\b|\broi sao\b")
_TOPIC = re.compile(r"\bkhuyen cong\b|\bcong nghiep nong thon\b")
_WORD = re.compile(r"\w+")
#: words that do not count in the length of a question: particles, pronouns, the verbs every
#: question has ("được", "có", "hỗ trợ")
_FILLERS = frozenset(
    "a ah ak ha nhi nhe nha oi vay the thi la co khong duoc ho tro cho hoi em anh chi minh toi tui ban "
    "da vang u uh nua chua roi phai ne ta chu day ak ua".split()
)
_SHORT_QUESTION = 5
_OVERVIEW_ATTRIBUTES = frozenset({"list", "definition", "beneficiaries"})


def _elliptical(canon: str, attributes: Tuple[str, ...], thing: Optional[str], kind: Optional[str]) -> bool:
    if _FOLLOW_UP_START.search(canon) or _FOLLOW_UP.search(canon):
        return True
    if not attributes or (thing is not None and kind != "weak") or _TOPIC.search(canon):
        return False
    content = [w for w in _WORD.findall(canon) if w not in _FILLERS]
    return len(content) <= _SHORT_QUESTION


def _overview(canon: str, attributes: Tuple[str, ...], thing: Optional[str], kind: Optional[str]) -> bool:
    asked = set(attributes)
    if not asked <= _OVERVIEW_ATTRIBUTES:
        return False
    if thing == "objective":  # "mục tiêu của khuyến công là gì"
        return True
    general = thing is None or kind == "generic"
    if not general:
        return False
    if "list" in asked or "beneficiaries" in asked:
        return True
    # "khuyến công là gì"
    return thing is None and asked == {"definition"} and bool(_TOPIC.search(canon))


def read_frame(text: str) -> Frame:
    """The frame of ``text`` (a question as people type it: with or without diacritics,
    shorthand, Northern or Southern wording)."""
    if not text or not isinstance(text, str):
        return Frame()
    norm = normalize_text(text[:MAX_CHARS])
    if not norm:
        return Frame()
    folded = fold(norm)
    documents, spans = _documents(folded)
    canon = _canonical(norm, folded, spans)
    attributes = _attributes(canon)
    thing, kind = _thing(canon, documents)
    time, year = _time(canon)
    elliptical = _elliptical(canon, attributes, thing, kind)
    overview = not elliptical and not documents and _overview(canon, attributes, thing, kind)
    return Frame(
        thing=thing,
        documents=documents,
        attributes=attributes,
        time=time,
        year=year,
        elliptical=elliptical,
        overview=overview,
    )

"""Numbers as people type them: digits, words and ranges ("40", "bốn mươi", "ba tram ruoi", "30-40",
"ba bốn chục"). Pure Python; one regex tokenisation and one pass over the tokens per call.

Public API
----------
* ``find_counts(text) -> List[Count]``: every count of people in a normalised message (with or
  without diacritics), e.g. "khoảng bốn mươi người", "30-40 lao động", "hơn 50", "15".
* ``read_count(text) -> Optional[Count]``: the count in a short answer to "how many workers?";
  there a lone number word is allowed when it is the whole answer ("nam", "tầm năm", "bon muoi").
* ``money_in_words(folded)``: amounts in words in a *folded* text ("ba tram ruoi trieu", "hai tỷ
  rưỡi", "1 tỷ rưỡi"); ``vntext.money.find_money`` merges them with its digit forms.

``Count(low, high, start, end)``: ``start:end`` is the number itself in ``text`` (with a range's
separator, without hedges, bound words or the unit, so the unit starts at ``end``). A single number
has ``low == high``. A one-sided bound is read as the nearest whole number inside it, so it too has
``low == high``: "hơn/trên/quá 50" → 51, "ít nhất 50" / "50 trở lên" → 50, "gần 200" / "tối đa 200"
/ "200 trở xuống" → 200, "dưới 10" / "chưa tới 10" → 9. Approximations ("khoảng", "tầm", "chừng",
"cỡ") do not change the value.

How number words are read (conservatively)
------------------------------------------
Word forms: một/mốt(after mươi)=1, hai, ba, bốn/tư(after mươi), năm/lăm/nhăm(after mươi/mười),
sáu, bảy/bẩy, tám, chín; mười (10), mươi (×10), chục (×10), trăm, nghìn/ngàn, triệu/củ/tr, tỷ/tỉ, k;
linh/lẻ ("một trăm linh năm" = 105); rưỡi (half the unit before it: "ba trăm rưỡi" = 350, "hai tỷ
rưỡi" = 2,5 tỷ); a lone digit after a unit is its tenth ("một tỷ hai" = 1,2 tỷ, "trăm hai" = 120);
colloquial "hai lăm" = 25, "ba mốt" = 31; "hai mươi mấy" = 21-29; "năm sáu" = 5-6, "ba bốn chục" = 30-40.

Without diacritics most of these words are ordinary words too (nam = năm/nam, sau = sáu/sau,
muoi = mười/muối, bay, tam, ba, mot, tu, chin, tram, cu, ty), and "năm" is also "year" and "một"
"a". So:

* A word with diacritics must have the number's own ("muối", "sâu", "tâm", "bà", "trạm", "tí" are
  not numbers); in a message written mostly with diacritics, the bare forms ("nam", "sau") are not
  numbers either.
* A count in words needs a multiplier (mươi/mười + digit, chục, trăm, nghìn, rưỡi) and then the end
  of the clause, or a counting unit right after it (người, lao động, công nhân, thợ, nhân công,
  nhân viên, nhân sự, anh em, đứa, lđ, cn, nv). "năm người" counts, "năm nay" does not.
* Two bare words whose multiplier is ambiguous without diacritics ("tam muoi" = tẩm muối, "chin muoi"
  = chín muồi, "hai tram" = hai trạm) also need a unit, or a hedge before ("khoang tam muoi").
* "năm"/"nam" after mươi/mười/trăm is 5 only before a unit ("hai mươi năm" is twenty years).
* "không" is never a number; "vài/mấy/dăm/hàng chục" and ordinals ("thứ hai", "lớp ba") are not
  read.
* Digits are counts unless they are a phone number, a money amount, a year (a bare 1950-2035), a
  document or date number ("Nghị định 45/2012", "điều 8", "ngày 5", "năm 2024"), a percentage, or
  followed by another noun ("3 máy", "40 tuổi").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterator, List, NamedTuple, Optional, Tuple

from vntext.fold import fold

__all__ = ["Count", "find_counts", "read_count", "money_in_words", "COUNT_UNIT_AFTER"]


@dataclass(frozen=True)
class Count:
    low: int
    high: int
    start: int
    end: int


# --- vocabulary (folded forms) --------------------------------------------------------------------

_DIGITS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9}
_TRAIL_ONLY = {"tu": 4, "lam": 5, "nham": 5}  # only after mươi/mười (or as "hai lăm")
_SCALES = {"nghin": 1e3, "ngan": 1e3, "k": 1e3, "trieu": 1e6, "tr": 1e6, "cu": 1e6, "ty": 1e9, "ti": 1e9}
_MONEY_SCALES = frozenset({"trieu", "tr", "cu", "ty", "ti", "k"})
_MULTS = frozenset({"muoi", "chuc", "tram", "ruoi"}) | frozenset(_SCALES)
_AMBIGUOUS_MULTS = frozenset({"muoi", "tram", "chuc", "ngan", "cu", "ty", "ti", "k"})  # as bare ASCII
_SPELLED = frozenset(_DIGITS) | frozenset(_TRAIL_ONLY) | {"muoi", "chuc", "tram", "ruoi", "linh", "le"}

# The spellings (lower case, NFC) a word may have to be read as a number; its bare ASCII form is
# accepted too, except in a message written with diacritics when the real spelling has them.
_FORMS: Dict[str, FrozenSet[str]] = {
    k: frozenset(v)
    for k, v in {
        "mot": {"một", "mốt"},
        "hai": {"hai"},
        "ba": {"ba"},
        "bon": {"bốn"},
        "nam": {"năm"},
        "sau": {"sáu"},
        "bay": {"bảy", "bẩy"},
        "tam": {"tám"},
        "chin": {"chín"},
        "tu": {"tư"},
        "lam": {"lăm"},
        "nham": {"nhăm"},
        "muoi": {"mười", "mươi"},
        "chuc": {"chục"},
        "tram": {"trăm"},
        "nghin": {"nghìn"},
        "ngan": {"ngàn"},
        "trieu": {"triệu"},
        "tr": {"tr"},
        "cu": {"củ"},
        "ty": {"tỷ", "tỉ"},
        "ti": {"tỉ", "tỷ"},
        "k": {"k"},
        "ruoi": {"rưỡi", "rưởi"},
        "linh": {"linh"},
        "le": {"lẻ"},
        "may": {"mấy"},
    }.items()
}
_ASCII_SPELLED = frozenset({"hai", "ba", "linh", "tr", "k"})  # correctly spelled without diacritics

# Counting units after a number (folded word sequences); "thợ" and "đứa" must be spelled so.
_COUNT_UNITS: Tuple[Tuple[str, ...], ...] = (
    ("nguoi",),
    ("ng",),
    ("lao", "dong"),
    ("laodong",),
    ("ld",),
    ("cong", "nhan"),
    ("cn",),
    ("tho",),
    ("nhan", "cong"),
    ("nhan", "vien"),
    ("nv",),
    ("nhan", "su"),
    ("anh", "em"),
    ("dua",),
)
_UNITS_BY_FIRST: Dict[str, List[Tuple[str, ...]]] = {}
for _unit in sorted(_COUNT_UNITS, key=len, reverse=True):
    _UNITS_BY_FIRST.setdefault(_unit[0], []).append(_unit)
_UNIT_FORMS = {"tho": frozenset({"tho", "thợ"}), "dua": frozenset({"dua", "đứa"})}
COUNT_UNIT_AFTER = re.compile(
    r"\s*(?:" + "|".join(r"\s+".join(u) for u in sorted(_COUNT_UNITS, key=len, reverse=True)) + r")\b"
)
"""Matches (with ``.match(folded, pos)``) a counting unit right after ``pos`` in a folded text."""

_MONEY_SUFFIX = frozenset({"dong", "vnd", "d"})
_RANGE_WORDS = {
    "den": frozenset({"đến", "den"}),
    "toi": frozenset({"tới", "toi"}),
    "hoac": frozenset({"hoặc", "hoac"}),
    "hay": frozenset({"hay"}),
}
_RANGE_MARKS = frozenset("-–—~")
_PUNCT_BOUNDARY = frozenset(".,!?;…()[]\"'“”‘’-–—~+")
# Words that may follow a number without making it a count of something else ("40 thôi ạ"), with
# the spellings they must have when written with diacritics ("1 cơ sở" is not "1 có").
_PARTICLES: Dict[str, FrozenSet[str]] = {
    k: frozenset(v)
    for k, v in {
        "a": {"ạ", "à"},
        "ah": {"à"},
        "ak": set(),
        "thoi": {"thôi"},
        "nhe": {"nhé"},
        "nha": {"nhá"},
        "nhi": {"nhỉ"},
        "ha": {"hả", "há"},
        "roi": {"rồi"},
        "luon": {"luôn"},
        "ay": {"ấy"},
        "ne": {"nè"},
        "va": {"và"},
        "voi": {"với"},
        "nhung": {"nhưng"},
        "ma": {"mà"},
        "hoac": {"hoặc"},
        "hay": set(),
        "thi": {"thì"},
        "la": {"là"},
        "co": {"có"},
        "duoc": {"được"},
        "khong": {"không"},
        "ko": set(),
        "hok": set(),
        "em": set(),
        "anh": set(),
        "chi": {"chị"},
        "toi": {"tôi"},
        "u": {"ừ"},
        "vang": {"vâng"},
        "da": {"dạ"},
        "dung": {"đúng"},
        "tro": {"trở"},
        "o": {"ở"},
        "tai": {"tại"},
        "trong": set(),
        "the": {"thế"},
        "chang": {"chăng"},
        "chac": {"chắc"},
        "gi": {"gì"},
        "bao": set(),
        "nhieu": {"nhiêu", "nhiều"},
        "ok": set(),
    }.items()
}
# Words an answer may hold besides the number ("dạ khoảng 40 người thôi ạ").
_FILLER = frozenset(_PARTICLES) | frozenset(
    {
        "thua",
        "khoang",
        "tam",
        "chung",
        "uoc",
        "tinh",
        "xap",
        "xi",
        "hon",
        "gan",
        "tren",
        "duoi",
        "it",
        "nhat",
        "thieu",
        "chua",
        "den",
        "qua",
        "ngoai",
        "len",
        "xuong",
        "lai",
        "ben",
        "cua",
        "tat",
        "ca",
        "tong",
        "cong",
        "nguoi",
        "ng",
        "lao",
        "dong",
        "nhan",
        "vien",
        "su",
        "tho",
        "ld",
        "cn",
        "nv",
        "dua",
        "hien",
        "minh",
    }
)

# Bounds and hedges before a number: (words, kind). One-word ones must have the spelling in
# _PREFIX_FORMS when written with diacritics ("tám" is not "tầm").
_PREFIXES: Tuple[Tuple[Tuple[str, ...], str], ...] = (
    (("toi", "da"), "atmost"),
    (("khong", "qua"), "atmost"),
    (("nhieu", "nhat"), "atmost"),
    (("it", "nhat"), "atleast"),
    (("toi", "thieu"), "atleast"),
    (("chua", "den"), "below"),
    (("chua", "toi"), "below"),
    (("khong", "den"), "below"),
    (("khong", "toi"), "below"),
    (("tren", "duoi"), "approx"),
    (("xap", "xi"), "approx"),
    (("uoc", "tinh"), "approx"),
    (("uoc", "chung"), "approx"),
    (("vao", "khoang"), "approx"),
    (("khoang", "chung"), "approx"),
    (("hon",), "above"),
    (("tren",), "above"),
    (("qua",), "above"),
    (("ngoai",), "above"),
    (("gan",), "near"),
    (("duoi",), "below"),
    (("khoang",), "approx"),
    (("tam",), "approx"),
    (("chung",), "approx"),
    (("co",), "approx"),
    (("do",), "approx"),
    (("uoc",), "approx"),
)
_PREFIX_FORMS = {
    "hon": {"hơn"},
    "tren": {"trên"},
    "qua": {"quá"},
    "ngoai": {"ngoài"},
    "gan": {"gần"},
    "duoi": {"dưới"},
    "khoang": {"khoảng"},
    "tam": {"tầm"},
    "chung": {"chừng"},
    "co": {"cỡ"},
    "do": {"độ"},
    "uoc": {"ước"},
}
_ASCII_UNSURE_HEDGES = frozenset({"co", "do"})  # có/cỡ, do/độ: no evidence when bare
_POSTFIXES = (
    (("tro", "len"), "atleast"),
    (("tro", "xuong"), "atmost"),
    (("do", "lai"), "atmost"),
    (("tro", "lai"), "atmost"),
)
# Words before a number that make it an ordinal, a date, a document or an address, not a count.
_NOT_COUNT_BEFORE = frozenset(
    {
        "thu",
        "lop",
        "tang",
        "thang",
        "ngay",
        "mung",
        "phong",
        "dieu",
        "khoan",
        "diem",
        "chuong",
        "muc",
        "so",
        "luc",
        "nd",
        "tt",
        "qd",
        "dinh",
        "luat",
        "ql",
        "km",
        "duong",
        "hem",
        "ap",
        "thon",
        "xom",
        "khu",
        "to",
        "dot",
        "lan",
        "ky",
        "phan",
        "trang",
        "cau",
        "hang",
        "nam",
        "tuan",
        "buoi",
        "kiot",
        "lo",
        "loai",
        "vung",
        "cap",
        "bac",
        "nhom",
        "hop",
        "ocop",
    }
)
_QUANTIFIERS = frozenset({"vai", "dam", "hang", "may", "nhung", "cac", "moi"})  # before a bare chục/trăm
_MONEY_CUES = frozenset(
    {
        "von",
        "tien",
        "gia",
        "phi",
        "thu",
        "tu",
        "vay",
        "mat",
        "het",
        "tong",
        "khoang",
        "tam",
        "chung",
        "hon",
        "gan",
        "tren",
        "duoi",
        "la",
        "mua",
        "ban",
        "luong",
        "tra",
        "chi",
        "ton",
        "muc",
        "tri",
    }
)

_TOKEN = re.compile(r"(\d+(?:[.,]\d+)*)|([a-z]+)|(\S)")
_PHONE = re.compile(r"(?<![\d.,])(?:\+?84|0)(?:[ .\-]?\d){8,10}(?![\d])")
_W, _N, _P = 0, 1, 2  # token kinds: word, digits, other character
_KINDS = {1: _N, 2: _W, 3: _P}  # by the regex group that matched


def _atom(raw: str) -> Optional[float]:
    """'15' → 15, '1.200' → 1200, '1,5' → 1.5 (the same reading as vntext.money)."""
    parts = re.split(r"[.,]", raw)
    if len(parts) == 1:
        return float(raw)
    if all(len(p) == 3 for p in parts[1:]):
        return float("".join(parts))
    if len(parts) == 2:
        return float(f"{parts[0]}.{parts[1]}")
    return None


class _Group(NamedTuple):
    value: float
    end: int  # token after the group
    shape: str  # digit | pair | atom | tens | hundreds: how it reads after a unit ("tỷ hai")


class _Num(NamedTuple):
    value: float
    i: int  # first token
    j: int  # token after the last


class _Q(NamedTuple):
    """A quantity: a number or a range, tokens i..j-1, and how much evidence its words are."""

    low: float
    high: float
    i: int
    j: int
    evidence: str  # digit | strong | weak | unit (see _Parser.evidence)


# --- the parser -----------------------------------------------------------------------------------


class _Parser:
    def __init__(self, folded: str, text: Optional[str], answer: bool = False):
        ms = list(_TOKEN.finditer(folded))
        self.kind: List[int] = [_KINDS[m.lastindex] for m in ms]
        self.f: List[str] = [m.group() for m in ms]
        self.s: List[int] = [m.start() for m in ms]
        self.e: List[int] = [m.end() for m in ms]
        self.num: List[Optional[float]] = [_atom(f) if k == _N else None for k, f in zip(self.kind, self.f)]
        accented = words = 0
        if text is None:
            self.o: List[str] = self.f
        else:
            low = text.lower()
            if len(low) != len(text):  # a character whose lower case is longer ("İ")
                low = "".join(ch.lower()[:1] for ch in text)
            self.o = [low[s:e] if k == _W else f for k, f, s, e in zip(self.kind, self.f, self.s, self.e)]
            words = self.kind.count(_W)
            accented = sum(1 for k, f, o in zip(self.kind, self.f, self.o) if k == _W and f != o)
        self.n = len(self.f)
        self.answer = answer
        self.override: Optional[Tuple[int, int]] = None
        # A message mostly written with diacritics: "nam" there is nam, not năm.
        strict = text is not None and accented > 0 and 2 * accented >= words
        self.ok = [
            self._spelled_ok(f, o, strict) if kind == _W and f in _FORMS else False
            for kind, f, o in zip(self.kind, self.f, self.o)
        ]

    @staticmethod
    def _spelled_ok(f: str, o: str, strict: bool) -> bool:
        if o == f:
            return not strict or f in _ASCII_SPELLED
        return o in _FORMS[f]

    def starts(self, k: int) -> bool:
        """Whether a number can start at token k (digits, or a number word)."""
        return self.kind[k] == _N or self.ok[k] and self.f[k] in _STARTERS

    # token accessors
    def word(self, k: int) -> str:
        return self.f[k] if 0 <= k < self.n and self.kind[k] == _W else ""

    def nw(self, k: int) -> str:
        """The folded number word at k ("" if it is none, or spelled as another word)."""
        if not (0 <= k < self.n and self.ok[k]):
            return ""
        f = self.f[k]
        if f == "tram" and self.word(k - 1) == "phan":  # phần trăm
            return ""
        if f == "ngan" and self.word(k + 1) in ("hang", "sach"):  # ngân hàng, ngân sách
            return ""
        if f in ("ty", "ti") and self.word(k + 1) == "le" and self.digit(k + 2, True) is None:
            return ""  # tỷ lệ
        return f

    def confirmed(self, k: int) -> bool:
        return self.ok[k] and self.o[k] != self.f[k]

    def solid(self, k: int) -> bool:
        """A digit word that cannot be another word: spelled with its diacritics (but "năm" is
        also "year"), "hai", or digits."""
        if self.kind[k] == _N:
            return True
        return self.f[k] == "hai" or (self.confirmed(k) and self.f[k] != "nam")

    def digit(self, k: int, trailing: bool = False) -> Optional[int]:
        """A digit word (or a one-digit number) at k. Trailing positions also take mốt/tư/lăm."""
        if self.override is not None and self.override[0] == k:
            return self.override[1]
        if not 0 <= k < self.n:
            return None
        if self.kind[k] == _N:
            tok = self.f[k]
            return int(tok) if len(tok) == 1 and tok != "0" else None
        f = self.nw(k)
        if f in _DIGITS:
            if f == "mot" and self.o[k] == "mốt" and not trailing:
                return None
            return _DIGITS[f]
        if trailing and f in _TRAIL_ONLY:
            return _TRAIL_ONLY[f]
        return None

    def scale(self, k: int) -> float:
        return _SCALES.get(self.nw(k), 0.0)

    def unit_end(self, k: int) -> Optional[int]:
        """The token after a counting unit starting at k, else None."""
        if not 0 <= k < self.n or self.kind[k] != _W:
            return None
        for unit in _UNITS_BY_FIRST.get(self.f[k], ()):
            end = k + len(unit)
            if tuple(self.f[k:end]) == unit and all(self.kind[x] == _W for x in range(k, end)):
                forms = _UNIT_FORMS.get(unit[0])
                if forms is not None and self.o[k] not in forms:
                    continue
                return end
        return None

    def range_mark(self, k: int) -> bool:
        if not 0 <= k < self.n:
            return False
        if self.kind[k] == _P:
            return self.f[k] in _RANGE_MARKS
        forms = _RANGE_WORDS.get(self.word(k))
        return forms is not None and self.o[k] in forms

    def boundary(self, k: int) -> bool:
        """Nothing after the number makes it a number of something else."""
        if k >= self.n:
            return True
        if self.kind[k] == _P:
            return self.f[k] in _PUNCT_BOUNDARY
        if self.kind[k] == _W:
            forms = _PARTICLES.get(self.f[k])
            if forms is not None and (self.o[k] == self.f[k] or self.o[k] in forms):
                return True
            return self.unit_end(k) is not None
        return False

    def soft_boundary(self, k: int) -> bool:
        """After a trailing digit word: a boundary, a unit, a scale, money or a range."""
        return self.boundary(k) or self.scale(k) > 0 or self.word(k) in _MONEY_SUFFIX or self.range_mark(k)

    # grammar
    def trail(self, k: int, teen: bool = False) -> Optional[int]:
        """The units digit after mươi/mười/trăm (or the abbreviated digit after a unit)."""
        d = self.digit(k, trailing=True)
        if d is None or (teen and self.word(k) == "tu"):
            return None
        if self.nw(k + 1) in ("muoi", "tram", "chuc"):
            return None  # it starts the next number: "hai mươi ba mươi"
        if self.word(k) == "nam":  # "hai mươi năm" is twenty years unless a unit follows
            if not (
                self.unit_end(k + 1) is not None
                or self.scale(k + 1)
                or self.word(k + 1) in _MONEY_SUFFIX
                or (self.answer and k + 1 >= self.n)
            ):
                return None
        elif not self.solid(k) and not self.soft_boundary(k + 1):
            return None
        return d

    def tens(self, value: int, k: int, teen: bool) -> _Group:
        d = self.trail(k, teen)
        return _Group(value + d, k + 1, "tens") if d is not None else _Group(value, k, "tens")

    def hundreds(self, value: int, k: int) -> _Group:
        w = self.nw(k)
        if w == "ruoi":
            return _Group(value + 50, k + 1, "hundreds")
        if w in ("linh", "le"):
            d = self.digit(k + 1, trailing=True)
            if d is not None and self.nw(k + 2) not in ("muoi", "tram", "chuc"):
                return _Group(value + d, k + 2, "hundreds")
            return _Group(value, k, "hundreds")
        if w == "muoi":
            g = self.tens(10, k + 1, teen=True)
            return _Group(value + g.value, g.end, "hundreds")
        d = self.digit(k)
        if d is not None:
            m = self.nw(k + 1)
            if m == "muoi" and d >= 2:
                g = self.tens(d * 10, k + 2, teen=False)
                return _Group(value + g.value, g.end, "hundreds")
            if m in ("tram", "chuc", "muoi"):
                return _Group(value, k, "hundreds")
            if self.trail(k) is not None:  # "một trăm hai" = 120
                return _Group(value + d * 10, k + 1, "hundreds")
        return _Group(value, k, "hundreds")

    def group(self, k: int) -> Optional[_Group]:
        """A number below 1000 in words starting at token k."""
        d = self.digit(k)
        if d is not None:
            m = self.nw(k + 1)
            if m == "tram":
                return self.hundreds(d * 100, k + 2)
            if m == "muoi" and d >= 2:
                return self.tens(d * 10, k + 2, teen=False)
            if m == "chuc":
                if self.nw(k + 2) == "ruoi":
                    return _Group(d * 10 + 5, k + 3, "tens")
                return _Group(d * 10, k + 2, "tens")
            if self.kind[k] == _N:
                return None
            t = self.digit(k + 1, trailing=True)  # "hai lăm" = 25, "ba mốt" = 31
            if (
                t is not None
                and self.word(k + 1) in ("lam", "nham", "tu", "mot")
                and self.o[k + 1] != "một"
                and self.nw(k + 2) not in ("muoi", "tram", "chuc")
            ):
                return _Group(d * 10 + t, k + 2, "pair")
            return _Group(d, k + 1, "digit")
        w = self.nw(k)
        if w == "muoi":
            return self.tens(10, k + 1, teen=True)
        if w == "tram":
            return self.hundreds(100, k + 1)
        if w == "chuc":
            if self.nw(k + 1) == "ruoi":
                return _Group(15, k + 2, "tens")
            return _Group(10, k + 1, "tens")
        return None

    def group_or_atom(self, k: int, after_scale: bool) -> Optional[_Group]:
        if 0 <= k < self.n and self.kind[k] == _N:
            v = self.num[k]
            if v is None:
                return None
            if self.override is None and len(self.f[k]) == 1 and self.nw(k + 1) in ("tram", "chuc"):
                return self.group(k)
            if self.override is not None and self.override[0] == k:
                return self.group(k)
            if self.scale(k + 1):
                return _Group(v, k + 1, "atom")
            if after_scale and self.f[k].isdigit() and len(self.f[k]) <= 3:
                return _Group(v, k + 1, "atom")
            return None
        if not 0 <= k < self.n:
            return None
        return self.group(k)

    @staticmethod
    def _after_unit(g: _Group, unit: float, raw: str) -> float:
        """A group right after a unit, without its own: "tỷ hai" = 1,2 tỷ, "tỷ hai trăm" = 1,2 tỷ."""
        if g.shape == "digit":
            return g.value * unit / 10
        if g.shape == "pair":
            return g.value * unit / 100
        if g.shape == "atom":
            return g.value * unit / 10 ** len(raw)
        return g.value * unit / 1000

    def number(self, k: int) -> Optional[_Num]:
        """The longest number in words (digits allowed inside) starting at token k."""
        total, e, last, filler = 0.0, k, 0.0, False
        first = True
        while True:
            g = self.group_or_atom(e, after_scale=last > 0)
            if g is None:
                s = self.scale(e)
                if first and s and self.word(e) in ("nghin", "ngan", "trieu", "ty", "ti"):
                    if self.nw(e + 1) == "ruoi":  # "tỷ rưỡi"
                        return _Num(s * 1.5, k, e + 2)
                    g2 = self.group_or_atom(e + 1, after_scale=True)
                    if g2 is not None and g2.shape == "digit" and self.trail(e + 1) is not None:
                        return _Num(s + self._after_unit(g2, s, ""), k, g2.end)  # "triệu hai"
                break
            first = False
            if g.shape == "digit" and last and not filler and self.trail(e) is None:
                break  # "hai tỷ năm ngoái"
            s = self.scale(g.end)
            if s and (not last or s < last):
                total += g.value * s
                e, last, filler = g.end + 1, s, False
                if self.nw(e) == "ruoi":
                    total += s / 2
                    e += 1
                    break
                if self.nw(e) in ("linh", "le") and self.digit(e + 1, trailing=True) is not None:
                    e, filler = e + 1, True  # "một nghìn linh năm", "một tỷ lẻ năm triệu"
                continue
            if last:
                total += g.value if filler else self._after_unit(g, last, self.f[e])
            else:
                total = g.value
            e = g.end
            break
        if filler and self.word(e - 1) in ("linh", "le"):
            e -= 1
        return _Num(total, k, e) if e > k else None

    # counts
    def evidence(self, i: int, j: int) -> str:
        """strong: words a count can stand on; weak: two words that may be others without their
        diacritics ("tam muoi"); unit: needs a counting unit after it ("năm", "mười", "chục")."""
        mults = [x for x in range(i, j) if self.kind[x] == _W and self.f[x] in _MULTS]
        if not mults or j - i == 1:
            return "unit"
        if j - i >= 3 or any(self.confirmed(x) or self.f[x] not in _AMBIGUOUS_MULTS for x in mults):
            return "strong"
        return "weak"

    def quantity(self, k: int) -> Optional[_Q]:
        if not 0 <= k < self.n:
            return None
        nb = self.number(k)
        if nb is not None and not (nb.j == k + 1 and self.kind[k] == _N):
            if not any(self.kind[x] == _W for x in range(nb.i, nb.j)):
                return _Q(nb.value, nb.value, nb.i, nb.j, "digit")  # "800 triệu" stays money
            return _Q(nb.value, nb.value, nb.i, nb.j, self.evidence(nb.i, nb.j))
        if self.kind[k] == _N and self.num[k] is not None:
            return _Q(self.num[k], self.num[k], k, k + 1, "digit")
        return None

    def with_digit(self, k: int, d: int) -> Optional[_Num]:
        """The number at k read with its first digit replaced by d ("ba [bốn chục]" → 30)."""
        self.override = (k, d)
        try:
            return self.number(k)
        finally:
            self.override = None

    def lead_digit_word(self, k: int) -> Optional[int]:
        return self.digit(k) if 0 <= k < self.n and self.kind[k] == _W else None

    def range_at(self, k: int) -> Optional[_Q]:
        """A quantity, or a range of two, starting at token k."""
        d1 = self.lead_digit_word(k)
        if d1 is not None and self.lead_digit_word(k + 1) == d1 + 1:  # "năm sáu", "ba bốn chục"
            hi = self.number(k + 1)
            lo = self.with_digit(k + 1, d1) if hi is not None else None
            if hi is not None and lo is not None and lo.j == hi.j and lo.value < hi.value:
                ev = "unit" if hi.j == k + 2 else "strong"
                return _Q(lo.value, hi.value, k, hi.j, ev)
        q = self.quantity(k)
        if q is None:
            return None
        j = q.j
        if j < self.n and self.kind[j - 1] == _W and self.nw(j - 1) == "muoi" and self.o[j] == "mấy":
            return _Q(q.low + 1, q.low + 9, k, j + 1, "strong")  # "hai mươi mấy"
        if self.range_mark(j):
            q2 = self.quantity(j + 1)
            if q2 is not None:
                low = q.low
                if (
                    q.evidence in ("unit", "digit")
                    and q.j == q.i + 1
                    and self.digit(q2.i) is not None
                    and q.low < self.digit(q2.i)
                    and q2.j > q2.i + 1
                    and float(q.low).is_integer()
                ):
                    alt = self.with_digit(q2.i, int(q.low))  # "ba đến bốn chục" = 30-40
                    if alt is not None and alt.j == q2.j:
                        low = alt.value
                ev = q2.evidence if q2.evidence != "weak" else "strong"
                if q.evidence == "digit" and q2.evidence == "digit":
                    ev = "digit"
                return _Q(min(low, q2.high), max(low, q2.high), k, q2.j, ev)
        if q.evidence in ("strong", "weak") and q.low < 1000:  # "mười lăm hai mươi người"
            q2 = self.quantity(j)
            if q2 is not None and q2.evidence in ("strong", "weak") and q.low < q2.low <= 2 * q.low:
                return _Q(q.low, q2.high, k, q2.j, "strong")
        return q

    def prefix(self, i: int) -> Tuple[Optional[str], bool]:
        """The bound or hedge right before token i, and whether it is evidence for a number."""
        for words, kind in _PREFIXES:
            n = len(words)
            a = i - n
            if a < 0 or tuple(self.f[a:i]) != words or any(self.kind[x] != _W for x in range(a, i)):
                continue
            if n == 1:
                forms = _PREFIX_FORMS.get(words[0], ())
                bare = self.o[a] == self.f[a]
                if not bare and self.o[a] not in forms:
                    continue
                if self.f[a] == "tam" and self.digit(a) is not None and not bare:
                    continue  # "tám"
                return kind, not (bare and words[0] in _ASCII_UNSURE_HEDGES)
            return kind, True
        return None, False

    def postfix(self, j: int) -> Optional[str]:
        for words, kind in _POSTFIXES:
            if tuple(self.f[j : j + len(words)]) == words:
                return kind
        return None


def _money_spans(folded: str) -> List[Tuple[int, int, bool]]:
    from vntext.money import find_money  # money.py imports this module

    spans = []
    for m in find_money(folded):
        words = set(re.findall(r"[a-z]+", folded[m.start : m.end]))
        countable = bool(words & {"nghin", "ngan"}) and not words & (_MONEY_SCALES | _MONEY_SUFFIX)
        spans.append((m.start, m.end, countable))
    return spans


def _nfc(text: str) -> str:
    """fold keeps offsets only for NFC text (what normalize_text gives)."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _scan(text: str, answer: bool) -> Tuple[List[Tuple[Count, bool]], _Parser]:
    """Counts in ``text``, each with whether it was read only because ``text`` is an answer."""
    if not text:
        return [], _Parser("", "")
    text = _nfc(text)
    folded = fold(text)
    if not _MAYBE_NUMBER.search(folded):
        return [], _Parser("", "")
    blocked = [(s, e) for s, e, countable in _money_spans(folded) if not (answer and countable)]
    blocked += [m.span() for m in _PHONE.finditer(folded)]
    p = _Parser(folded, text, answer)
    out: List[Tuple[Count, bool]] = []
    k = 0
    while k < p.n:
        if not p.starts(k):
            k += 1
            continue
        q = p.range_at(k)
        if q is None:
            k += 1
            continue
        found = _accept(p, q, blocked)
        if found is not None:
            out.append(found)
        k = q.j
    return out, p


def _accept(p: _Parser, q: _Q, blocked: List[Tuple[int, int]]) -> Optional[Tuple[Count, bool]]:
    start, end = p.s[q.i], p.e[q.j - 1]
    if any(s < end and start < e for s, e in blocked):
        return None
    if q.low != int(q.low) or q.high != int(q.high) or q.low < 0:
        return None
    if any(p.kind[x] == _W and p.f[x] in _MONEY_SCALES for x in range(q.i, q.j)):
        return None  # "hai k", "ba cu": money even where find_money wants more evidence
    before = p.word(q.i - 1)
    atoms = [x for x in range(q.i, q.j) if p.kind[x] == _N]
    ordinal = (
        before in _NOT_COUNT_BEFORE
        and not (before == "thu" and p.word(q.i - 2) == "doanh")
        or before == "tu"
        and p.word(q.i - 2) == "thong"
    )  # "thứ hai", "Thông tư 28"
    if ordinal and (atoms or before != "nam"):
        return None  # "thứ hai", "lớp ba", "điều 8", "năm 2024" (but "năm ba người" is not a year)
    bare_mult = p.kind[q.i] == _W and p.f[q.i] in _MULTS
    if before in ("vai", "dam") or before == "may" and p.o[q.i - 1] == "mấy" or before in _QUANTIFIERS and bare_mult:
        return None  # "vài chục người", "mấy chục", "hàng trăm", "vài ba người"
    if atoms and q.i > 0 and p.kind[q.i - 1] == _P and p.f[q.i - 1] in "/:.," and p.s[q.i] == p.e[q.i - 1]:
        return None  # "45/2012", "8:30"
    if q.j < p.n and p.kind[q.j] == _P and p.f[q.j] in "/:%" and p.e[q.j - 1] == p.s[q.j]:
        return None  # "45/2012", "30%"
    unit = p.unit_end(q.j)
    relaxed = q.j == q.i + 1 and p.word(q.i) == "mot"  # "một người" is mostly "a person", "per person"
    if unit is None:
        big_bare = any(p.num[x] is not None and p.num[x] >= 100_000 and p.f[x].isdigit() for x in atoms)
        year = q.evidence == "digit" and any(
            len(p.f[x]) == 4 and p.f[x].isdigit() and 1950 <= int(p.f[x]) <= 2035 for x in atoms
        )
        if not p.boundary(q.j) or big_bare:
            return None
        _, evidence = p.prefix(q.i)
        if q.evidence == "unit" or q.evidence == "weak" and not evidence or year:
            relaxed = True
    if relaxed and not p.answer:
        return None
    low, high = int(q.low), int(q.high)
    if low == high:
        bound, _ = p.prefix(q.i)
        after = p.postfix(unit if unit is not None else q.j)
        bound = after or bound
        if bound == "above":
            low = high = low + 1
        elif bound == "below":
            low = high = max(low - 1, 0)
    return Count(low, high, start, end), relaxed


def find_counts(text: str) -> List[Count]:
    """Counts of people (and bare numbers) in a normalised message, in order; see the module doc."""
    return [c for c, _ in _scan(text, answer=False)[0]]


def read_count(text: str) -> Optional[Count]:
    """The count in a short answer ("khoảng bốn mươi", "40 người", "nam", "30-40"), else None.

    Besides what ``find_counts`` reads, a lone number word ("nam", "tầm năm", "bon muoi", "hai
    muoi nam") is read when the rest of the answer is only hedges, particles and units; a bare year
    is read then too (the question was how many). Prefers a count with a unit after it.
    """
    found, p = _scan(text, answer=True)
    if not found:
        return None
    if any(relaxed for _, relaxed in found):
        spans = [(c.start, c.end) for c, _ in found]
        rest = [p.f[k] for k in range(p.n) if p.kind[k] != _P and not any(s <= p.s[k] < e for s, e in spans)]
        if not all(w in _FILLER for w in rest):
            found = [(c, r) for c, r in found if not r]
            if not found:
                return None
    folded = fold(_nfc(text))
    with_unit = [c for c, _ in found if COUNT_UNIT_AFTER.match(folded, c.end)]
    return (with_unit or [c for c, _ in found])[0]


# --- money ----------------------------------------------------------------------------------------


def money_in_words(folded: str) -> Iterator[Tuple[int, int, int]]:
    """(start, end, đồng) of amounts written with number words in a folded text: "ba tram ruoi
    trieu", "hai ty ruoi", "mot ty hai", "tam tram cu", "1 ty ruoi", "nam tram nghin dong". Amounts
    in digits only are left to ``vntext.money``; an amount followed by a counting unit ("hai nghin
    nguoi") is not money; "mot ty" (một tí), "ba cu" (bà cụ), "hai k" need a money word near them."""
    if not _MAYBE_WORDS.search(folded):
        return
    p = _Parser(folded, None)
    k = 0
    while k < p.n:
        nb = p.number(k) if p.starts(k) else None
        if nb is None:
            k += 1
            continue
        i, j = nb.i, nb.j
        k = j
        words = [p.f[x] for x in range(i, j) if p.kind[x] == _W]
        if not any(w in _SPELLED for w in words) or p.unit_end(j) is not None:
            continue
        before = p.word(i - 1)
        if before in _QUANTIFIERS and p.f[i] in _MULTS:
            continue  # "vài trăm triệu", "hàng tỷ"
        suffix = p.word(j) in _MONEY_SUFFIX
        if not (suffix or any(w in _SCALES for w in words)):
            continue
        if (
            j - i == 2
            and not suffix
            and not ({before, p.word(i - 2)} & _MONEY_CUES)
            and (p.f[i + 1] in ("cu", "ngan", "k") or p.f[i + 1] in ("ty", "ti") and p.f[i] == "mot")
        ):
            closes = j >= p.n or p.kind[j] == _P or p.f[j] in ("a", "thoi", "ah", "nhe")
            answer = closes and all(p.kind[x] != _W or p.f[x] in _FILLER and p.f[x] != "co" for x in range(i))
            if not answer:
                continue  # "bà cụ", "năm củ hành", "năm ngăn", "có hai k(hông)", "chờ một tí"
        end = p.e[j] if suffix else p.e[j - 1]
        yield p.s[i], end, int(round(nb.value))


_STARTERS = frozenset(_DIGITS) | {"muoi", "chuc", "tram", "nghin", "ngan", "trieu", "ty", "ti"}
_MAYBE_WORDS = re.compile(r"\b(?:" + "|".join(sorted(_SPELLED)) + r")\b")
_MAYBE_NUMBER = re.compile(r"\d|\b(?:" + "|".join(sorted(_STARTERS)) + r")\b")

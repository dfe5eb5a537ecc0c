"""Machines and equipment by name: "máy cưa", "khung dệt", "lò sấy", "may suc khi" (pure; no Rasa).

Khuyến công supports applying advanced machines and equipment (the ``machinery`` activity), and
people name the machine rather than the activity: "máy bóc vỏ hạt điều", "cái lò nung gốm",
"mua may cua go". A list of machines is never complete, so a machine is read by its *shape*:
a head word that names equipment (máy, lò, khung dệt, nồi hơi, tủ sấy, hệ thống lọc …) and,
where the head is ambiguous, the word around it that makes it a machine.

The one hard word is "may" typed without marks: it is "máy" (a machine), "mấy" (how many), "may"
(sewing, the garment trade) or "mây" (rattan). It is read as a machine only when what follows
is a machine's job ("may say", "may boc vo") or what comes before is getting one ("mua may",
"thay may"), and what follows is not a count ("mua may cai" is "mấy cái"). "máy" typed with its
mark is a machine unless the words around it are about the bot ("người hay máy", "bạn là máy à").
A head typed with marks must be that word: "tự động" is not "tủ", "mấy" is not "máy".

Words are matched on the folded text (``vntext.fold``), so offsets index the text as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List

from vntext.fold import fold, letters, marked

# What a machine does, folded, right after "máy"/"may": "may say", "máy bóc vỏ hạt điều". Words
# that are as often something else after "mấy" (đồng, lô, đợt, xe, đi, đất …) are left out.
_JOBS = (
    "say|say lanh|ep|ep dau|ep mia|ep kien|ep vien|ep gach|cat|cat vai|cat laser|xay|xay xat|tron|"
    "det|cua|bao|tien|phay|han|nghien|dong goi|goi|boc|boc vo|tach|tach vo|tach hat|suc khi|suc|"
    "bom|rang|chien|in|khau|vat so|vat|thai|bam|loc|hut|hut chan khong|chiet|chiet rot|dan nhan|"
    "khoan|mai|danh bong|cha nham|uon|dap|cuon|keo soi|quay|nen|nen khi|phat dien|lam lanh|lam da|"
    "rua|got|xat|sang|phan loai|dong chai|dong lon|dong hop|dong bao|dong tui|dong gach|hap|nau|"
    "co dac|thanh trung|tiet trung|khuay|nhao|can|vo vien|lam bun|lam banh|trang|tao hinh|"
    "dinh hinh|ghep|dan canh|cnc|laser|khac|theu|ui|nghien bot|cap dong|danh tron|bao bi|"
    "dinh luong|nhuom|giat|phun|son|dun|nuong|nung|bam|xoi|cuoc|cay|gat|tuot|suot|"
    "say kho|vat nuoc|ly tam|dap vien|se soi|xe soi|bao go|cua go|do|dot dap|dot lo|thua|thua khuyet|"
    "dinh nut|ep keo|ep nhiet|dong nut|dong dai|bam dinh|dap nap|dong nap|xay da"
)
# Right before "may": getting one, or counting machines ("mua may", "2 cái máy").
_GETTING = (
    r"mua|sam|dau tu|thay|sua|nang cap|lap|lap dat|trang bi|nhap|dat mua|dung|thue|chay|van hanh|"
    r"cai|chiec|them|mot|hai|\d+"
)
# Right after "may": a count or a time, so the word is "mấy" (how many), not a machine.
_COUNTS = (
    r"cai|chiec|bo|nguoi|lan|nam|thang|ngay|tuan|gio|phan|phan tram|trieu|ty|nghin|ngan|tram|"
    r"muc|loai|buoc|cau|dot|ho|hang|xa|tinh|huyen|doanh nghiep|co so|khoan|van ban|giay|"
    r"tuoi|thu|dong|chuc|lo|con|em|anh|chi|ban"
)
# Around a marked "máy" that is the bot, not a machine: "người hay máy", "bạn là máy à"; or no
# production machine at all: "vé máy bay", "số máy lẻ", "máy tính", "bộ máy tổ chức".
_BOT_BEFORE = r"la|hay|hoac|voi|nguoi|chi|bo|nghe|so|goi"
_BOT_AFTER = (
    r"a|ha|ak|ah|hay|hoac|tra loi|that|khong|ko|chu|tu dong tra loi|noi|bay|le|tinh|dien thoai|"
    r"anh|ban|bao|to chuc|nha nuoc|quan ly"
)

# Heads that name equipment once its job or kind is said ("lò sấy", "khung dệt", "nồi hơi"),
# each with its own letters, so that a head typed with marks is that word and no other.
_HEADS: Dict[str, tuple] = {
    "lo": (
        "lo",
        "say|nung|hoi|dot|ren|gach|hap|nuong|quay|cao tan|dien|tuynel|tuy nen|vi song|luyen|duc|nau|sao|"
        "rang|say lanh|con thoi|gas|ga|banh",
    ),
    "khung": ("khung", "det|cui|in|theu"),
    "noi": ("nôi", "hoi|hap|nau|chung cat|co dac|nau ruou|ap suat|luoc|thanh trung"),
    "tu": ("tu", "say|hap|cap dong|nau com|say lanh|dong lanh"),
    "coi": ("côi", "xay|gia"),
    "bang": ("băng", "tai|chuyen|truyen"),
    "xe": ("xe", "nang"),
    "kho": ("kho", "lanh|cap dong"),
    "dong co": ("đông cơ", "dien"),
    "buong": ("buông", "u|say|son|phun son|lanh|hap|dong lanh|say lanh"),
    "he thong": (
        "hê thông",
        "loc|xu ly|say|cap dong|lam lanh|bang tai|dien mat troi|chiet|rua|hap|thanh trung|lo|may|"
        "thiet bi|hut|bom|suc khi|dieu khien|tu dong hoa|cnc|kho lanh|nen khi|phun|tuoi",
    ),
}
# Words that are equipment on their own.
_ALONE = "may moc|thiet bi|robot|motor|mo to|cnc|pa lang|palang"

_W = r"[^\W_]+"


def _alt(words: str) -> str:
    # longest first; each once (the lists are written by trade, a job may be listed twice)
    unique = sorted(set(words.split("|")), key=lambda w: (-len(w), w))
    return "|".join(w.replace(" ", r"[\W_]+") for w in unique)


_HEAD_RE = re.compile(
    r"(?<!\w)(?:"
    + "|".join(rf"(?P<h{i}>{_alt(head)})[\W_]+(?:{_alt(kinds)})" for i, (head, (_, kinds)) in enumerate(_HEADS.items()))
    + rf"|(?P<alone>{_alt(_ALONE)})"
    + r")(?!\w)"
)
_HEAD_LETTERS = [letters_ for letters_, _ in _HEADS.values()]
_MAY = re.compile(r"(?<!\w)may(?!\w)")
_JOB_AFTER = re.compile(rf"[\W_]+(?:{_alt(_JOBS)})(?!\w)")
_COUNT_AFTER = re.compile(rf"[\W_]+(?:{_alt(_COUNTS)})(?!\w)")
_GETTING_BEFORE = re.compile(rf"(?<!\w)(?:{_alt(_GETTING)})[\W_]+$")
_BOT_BEFORE_RE = re.compile(rf"(?<!\w)(?:{_alt(_BOT_BEFORE)})[\W_]+$")
_BOT_AFTER_RE = re.compile(rf"(?:[\W_]+(?:{_alt(_BOT_AFTER)})(?!\w)|[\W_]*$)")
_NEXT_WORD = re.compile(rf"[\W_]+{_W}")


@dataclass(frozen=True)
class Machine:
    start: int
    end: int


def _typed_as(text: str, expected: str) -> bool:
    """Is ``text`` (the head as typed) the word whose letters are ``expected``? Unmarked agrees."""
    words, wanted = text.split(), expected.split()
    return all(not marked(w) or letters(w) == e for w, e in zip(words, wanted))


def _is_may(word: str) -> bool:
    """ "máy" typed with its mark (any tone: "mày" is a slip of "máy" here), not "mấy" / "mây"."""
    return marked(word) and letters(word) == "may"


def find_machines(text: str) -> List[Machine]:
    """Spans of ``text`` naming a machine or a piece of production equipment."""
    folded = fold(text)
    found: List[Machine] = []
    for m in _HEAD_RE.finditer(folded):
        if m.lastgroup != "alone":  # each alternative holds one named group: its head
            start, end = m.span(m.lastgroup)
            if not _typed_as(re.sub(r"[\W_]+", " ", text[start:end]), _HEAD_LETTERS[int(m.lastgroup[1:])]):
                continue
        found.append(Machine(m.start(), m.end()))
    for m in _MAY.finditer(folded):
        if any(f.start <= m.start() < f.end for f in found):
            continue
        word, before, after = text[m.start() : m.end()], folded[: m.start()], folded[m.end() :]
        if marked(word) and not _is_may(word):
            continue  # "mấy", "mây": how many, rattan
        job = _JOB_AFTER.match(after)
        getting = _GETTING_BEFORE.search(before)
        if marked(word):
            if job:
                found.append(Machine(m.start(), m.end() + job.end()))
            elif getting or not (_BOT_BEFORE_RE.search(before) or _BOT_AFTER_RE.match(after)):
                nxt = _NEXT_WORD.match(after)
                found.append(Machine(m.start(), m.end() + (nxt.end() if nxt and not getting else 0)))
        elif job and (not _COUNT_AFTER.match(after) or job.end() > _COUNT_AFTER.match(after).end()):
            found.append(Machine(m.start(), m.end() + job.end()))  # the longer reading: "may dong tui"
        elif _COUNT_AFTER.match(after):
            continue
        elif getting:
            found.append(Machine(m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def mentions_machine(text: str) -> bool:
    return bool(find_machines(text))

"""Vietnamese copy for the answer engine: one record → a short first answer (≤ ~450 characters:
the fact, its status framing, its caveats, one citation line; shortened only by whole sentences,
see ``compose``) and, behind buttons, its details and history.

Status rules (docs/sources.md), enforced here and nowhere else:
* VERIFIED: stated.
* HISTORICAL: only as the earlier rule, naming its document ("Theo TT 26/2014 trước đây, …");
  when nothing newer is verified, that is said first ("Quy định hiện hành em chưa xác minh được").
* UNVERIFIED: never as fact — "em chưa xác minh được: …" and whom to ask.
* A citation names only documents whose content the answer states.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

from actions.render import ACTIVITY_CONDITIONS, LOCAL_RULE, estimate_text, fmt_date, next_step, sources_line
from policy_kb.queries import DocumentView, LevelAnswer, LevelView
from policy_kb.retrieval import Record

MAX_FIRST = 450

#: the one-line reminder every national figure carries
NATIONAL_CAP = "Đây là mức tối đa từ kinh phí khuyến công quốc gia; tỉnh quy định mức riêng."

_KIND_SHORT = (
    ("Thông tư liên tịch", "TTLT"),
    ("Thông tư", "TT"),
    ("Nghị định", "NĐ"),
    ("Quyết định", "QĐ"),
    ("Nghị quyết", "NQ"),
    ("Chỉ thị", "CT"),
)
_NUMBER = re.compile(r"(\d{1,4}/\d{4})(?:/[\wĐđ\-]+)?")


def short_doc(document: str) -> str:
    """'Thông tư liên tịch 26/2014/TTLT-BTC-BCT' → 'TTLT 26/2014'; other names unchanged."""
    for long, short in _KIND_SHORT:
        if document.startswith(long):
            m = _NUMBER.search(document)
            if m:
                return f"{short} {m.group(1)}"
    return document


class Cited:
    """What a citation line needs (duck-typed by ``sources_line``)."""

    def __init__(self, document: str, article: str) -> None:
        self.document, self.article = document, article


# "Theo TT 26/2014, …", "Theo quy định trước đây (TT 26/2014 bản gốc), …", "Theo quy định trước đây, …"
_LEAD = re.compile(r"^(?:Theo|Trước đây,? theo)\s[^,]{0,70},\s*")


#: the names of offices a sentence may start with: they keep their capital after "Dạ,"
_PROPER_HEADS = (
    "Sở ",
    "Bộ ",
    "Cục ",
    "Trung tâm Khuyến công",
    "Thủ tướng",
    "Ủy ban",
    "Uỷ ban",
    "Chính phủ",
    "Việt Nam",
    "Hội đồng nhân dân",
)


def _after_da(text: str) -> str:
    """'Quy định …' → 'quy định …' mid-sentence. Acronyms ('TT', 'NĐ') and the names of offices
    ('Sở Công Thương', 'Thủ tướng Chính phủ') stay."""
    if text[:2] == text[:2].upper() or text.startswith(_PROPER_HEADS):
        return text
    return text[:1].lower() + text[1:]


def _body(text: str) -> str:
    """A fact's text without its own "Theo …," lead-in (the renderer frames it)."""
    return _after_da(_LEAD.sub("", text, count=1))


def historical(text: str, document: str, until: Optional[object] = None, current_known: bool = False) -> str:
    """An earlier rule, framed with its document: 'Theo TT 26/2014 trước đây, …'."""
    frame = f"Theo {short_doc(document)} trước đây"
    if until:
        frame += f" (áp dụng đến {fmt_date(until)})"
    sentence = f"{frame}, {_body(text)}"
    return (
        sentence if current_known else f"Quy định hiện hành em chưa xác minh được; {sentence[0].lower()}{sentence[1:]}"
    )


# ---------------------------------------------------------------- composing a first message

#: what a shortened answer says about the rest (the buttons under it carry it)
MORE_DETAIL = "(Chi tiết: bấm “Chi tiết”.)"
MORE_TOPIC = "(Còn nữa: bấm “Xem thêm” bên dưới.)"

#: words after which "." does not end a sentence ("TP. Hồ Chí Minh"; "đ." is the đồng of a figure)
_ABBREVIATIONS = frozenset({"đ", "tp", "tx", "tt", "nđ", "qđ", "ts", "ths", "pgs", "gs", "tr", "v.v", "đ/c"})
#: the status framing of a fact: never dropped from an answer, never shortened
_FRAMING = re.compile(r"chưa xác minh|trước đây", re.IGNORECASE)
_OPEN, _CLOSE = "(“[", ")”]"


def _sentence_end(text: str, i: int, depth: int) -> bool:
    """Does the '.', '?' or '!' at ``i`` end a sentence (followed by a space and a capital)?"""
    if depth or text[i] not in ".?!" or text[i + 1 : i + 2] != " ":
        return False
    nxt = text[i + 2 : i + 3]
    if not nxt or not (nxt.isupper() or nxt in "“(\"'"):
        return False
    if text[i] != ".":
        return True
    word = text[:i].rsplit(" ", 1)[-1].lower()
    # "TP. Hồ Chí Minh", "đ. Mỗi", "v.v. Các", "Điều 5. Nội dung": not a sentence end
    return not (word in _ABBREVIATIONS or len(word) <= 1 or (word.isdigit() and len(word) <= 2))


def units(line: str) -> List[Tuple[str, str]]:
    """A line as (separator before, text) pieces that may be dropped whole: its sentences, the
    items of a list joined by "; " and its "• " bullets; never split inside brackets or quotes,
    nor after an abbreviation or a number ("TP. Hồ Chí Minh", "NĐ 45/2012", "1,5 lần", "2.")."""
    out: List[Tuple[str, str]] = []
    sep, start, depth, i = "", 0, 0, 0
    while i < len(line):
        ch = line[i]
        cut = None
        if ch == "\n":
            cut = (i, i + (3 if line.startswith("\n• ", i) else 1))
            depth = 0
        elif depth == 0 and line.startswith("; ", i):
            cut = (i, i + 2)
        elif _sentence_end(line, i, depth):
            cut = (i + 1, i + 2)
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        if cut and line[start : cut[0]].strip():
            out.append((sep, line[start : cut[0]]))
            sep, start = line[cut[0] : cut[1]], cut[1]
            i = cut[1]
            continue
        i += 1
    if line[start:].strip() or not out:
        out.append((sep, line[start:]))
    return out


def _ended(text: str) -> str:
    """A shortened sentence list ended as a sentence: 'a; b' → 'a; b.', 'gồm:' stays."""
    text = text.rstrip().rstrip(";,")
    return text if text.endswith((".", "?", "!", ":", ".)", "ạ")) else text + "."


def compose(
    required: Sequence[str],
    caveats: Sequence[str] = (),
    optional: Sequence[str] = (),
    cite: str = "",
    limit: int = MAX_FIRST,
    more: str = MORE_DETAIL,
) -> str:
    """One first message within ``limit`` characters, shortened only by whole sentences.

    * ``required``: the fact, its status framing first; shortened if needed, by whole sentences,
      list items ("; ") and bullets from the end of each line — the first piece of each line and
      every piece with the status framing ("chưa xác minh", "trước đây") are always kept whole;
      a line left shorter ends as a sentence, and ``more`` says where the rest is;
    * ``caveats``: kept whole whatever the length (the limit is soft for them: correctness over
      length) — the national-cap line, the level's caveat, what was asked for (the estimate);
    * ``optional``: each line that still fits, when nothing had to be left out;
    * ``cite``: the citation line, always last.
    Never a word cut off with "…"."""
    tail = [c for c in caveats if c]
    end = [cite] if cite else []
    pieces = [units(line) for line in required if line]

    def assemble(keep, pointer: bool) -> List[str]:
        lines = []
        for n, line in enumerate(pieces):
            kept = [j for j in range(len(line)) if (n, j) in keep]
            text = "".join((line[j][0] if k else "") + line[j][1] for k, j in enumerate(kept))
            if kept[-1] != len(line) - 1:  # the line lost its end: end it as a sentence
                text = _ended(text)
            lines.append(text)
        if pointer:
            lines[-1] = f"{_ended(lines[-1])} {more}" if more else lines[-1]
        return lines

    every = {(n, j) for n, line in enumerate(pieces) for j in range(len(line))}
    lines = assemble(every, False) if pieces else []
    if len("\n".join(lines + tail + end)) <= limit:
        for extra in optional:
            if len("\n".join(lines + tail + [extra] + end)) <= limit:
                tail.append(extra)
        return "\n".join(lines + tail + end)
    # too long: the first piece of each line and the status framing, then whole pieces in order
    keep = set()
    for n, line in enumerate(pieces):
        for j, (_, text) in enumerate(line):
            heading = j > 0 and (n, j - 1) in keep and line[j - 1][1].endswith(":")  # "gồm:" and its first item
            if j == 0 or heading or _FRAMING.search(text):
                keep.add((n, j))
    for n, line in enumerate(pieces):
        for j in range(len(line)):
            if (n, j) in keep:
                continue
            if len("\n".join(assemble(keep | {(n, j)}, True) + tail + end)) > limit:
                break  # the rest of this line waits behind the button
            keep.add((n, j))
    return "\n".join(assemble(keep, keep != every) + tail + end)


# ---------------------------------------------------------------- facts and rules


def statement(record: Record, until: Optional[object] = None) -> str:
    """One record's fact as a sentence with its status framing (no citation). ``until``: the
    date an earlier rule stopped applying, when known (then the current rule is known too)."""
    if record.status == "UNVERIFIED":
        return f"em chưa xác minh được điều này: {_body(record.text)}"
    if record.status == "HISTORICAL":
        return historical(record.text, record.document, until, current_known=bool(until))
    return record.text


def fact_answer(record: Record, until: Optional[object] = None, province_line: Optional[str] = None) -> str:
    said = statement(record, until)
    required = [province_line, said[:1].upper() + said[1:]] if province_line else [f"Dạ, {_after_da(said)}"]
    optional = [next_step()] if record.status == "UNVERIFIED" else []
    return compose(required, (), optional, sources_line([Cited(record.document, record.article)]), more=MORE_TOPIC)


# ---------------------------------------------------------------- support levels


def _level_line(label: str, current: LevelView) -> str:
    text = current.text.rstrip(".")
    head, sep, rest = text.partition(":")
    if sep and _same_head(head, label):
        # "Mô hình trình diễn …: tối đa 30% …" under the label “Xây dựng mô hình trình diễn …”:
        # the label once
        text = rest.strip()
    return f"Dạ, với “{label}”: {text}."


def _same_head(head: str, label: str) -> bool:
    """Does a value's lead-in name the same activity as the label (three words in common)?"""
    words = set(head.lower().split())
    return len(words & set(label.lower().split())) >= 3


def caveat_line(caveat: Optional[str]) -> Optional[str]:
    """A level's caveat, short, for the first answer (the whole of it is in ``level_detail``):
    'Chưa xác minh Thông tư 64/2024/TT-BTC (sửa đổi TT 28/2018) có thay đổi mức này hay không.'
    → 'Lưu ý: chưa xác minh TT 64/2024/TT-BTC có thay đổi mức này hay không.'"""
    text = re.sub(r"\s*\([^()]*\)", "", (caveat or "").strip()).strip()
    if not text:
        return None
    for long, short in _KIND_SHORT:
        text = re.sub(rf"\b{long} (?=\d)", f"{short} ", text)
    return f"Lưu ý: {_after_da(text).rstrip('.')}."


def _unverified_lines(label: str, current: Optional[LevelView]) -> List[str]:
    """'No current figure is verified', longest first: the first that lets the answer fit is used."""
    doc = f" ({short_doc(current.document)})" if current else ""
    return [
        f"Dạ, mức hiện hành cho “{label}” em chưa xác minh được theo văn bản đang có hiệu lực{doc}, nên em "
        "không đưa con số.",
        f"Dạ, với “{label}”: mức hiện hành{doc} em chưa xác minh được nên em không đưa con số.",
        f"Dạ, với “{label}”: mức hiện hành{doc} em chưa xác minh được.",
        f"Dạ, mức hiện hành{doc} cho hoạt động này em chưa xác minh được.",
    ]


def level_answer(answer: LevelAnswer, cost: Optional[int] = None, named=None, condition: bool = False) -> str:
    """The figure in effect (or that none is verified, and the earlier one), the national-cap
    line, the level's caveat, the estimate for a cost; every earlier value and the caveat in full
    are in ``level_detail``. ``named``: the province the person named (actions.slots.NamedProvince).
    ``condition``: the question asks a condition of the activity ("máy cũ có được không"), so its
    condition (the earlier rule, with its document) is said too — the estimate says it anyway."""
    current = answer.current
    caveats: List[Optional[str]] = []
    optional: List[str] = []
    earlier = next((lv for lv in answer.earlier if lv.status != "UNVERIFIED"), None)
    limit = MAX_FIRST
    verified = current is not None and current.status == "VERIFIED"
    if verified:
        lines = [_level_line(answer.label, current)]
        if cost:
            # asked for: kept whole, and it does not crowd out the level
            estimate = estimate_text(current, cost)
            caveats.append(estimate)
            limit += len(estimate) + 1
        # always, however long the rest: a national cap is not what the province pays
        caveats.append(
            f"Đây là mức tối đa quốc gia; mức ở {named.place} do tỉnh quy định, anh/chị hỏi Sở Công "
            f"Thương {named.unit.short_name}."
            if named
            else NATIONAL_CAP
        )
        caveats.append(caveat_line(current.caveat))
        if not named:
            optional.append("Anh/chị hỏi Trung tâm Khuyến công tỉnh về mức đang áp dụng.")
        cited = [current]
    else:
        lines, cited = [], []
        if earlier is not None:
            lines.append(f"Theo {short_doc(earlier.document)} trước đây: {earlier.text.rstrip('.')}.")
            caveats.append(caveat_line(earlier.caveat))
            cited.append(earlier)  # the figure stated is the earlier document's
        caveats.append(LOCAL_RULE)
        optional.append(next_step(named.unit if named else None))
    rule = ACTIVITY_CONDITIONS.get(answer.activity) if condition and not cost else None
    if rule is not None:
        caveats.insert(0, rule[0])  # the answer to what was asked: kept whole, first
        limit += len(rule[0]) + 1
    cite = sources_line(cited) if cited else ""
    kept = [c for c in caveats if c]
    if not verified:
        # no verified figure: the longest wording that lets the whole answer fit; else the
        # shortest, so that the earlier figure loses as little as possible
        wordings = _unverified_lines(answer.label, current)
        first = next((w for w in wordings if len("\n".join([w, *lines, *kept, cite])) <= limit), wordings[-1])
        lines.insert(0, first)
    return compose(lines, kept, optional, cite, limit)


def level_detail(answer: LevelAnswer, place_unit=None) -> str:
    """Everything about one activity's level: caveat, each earlier value, the local rule."""
    lines = [f"Dạ, chi tiết về “{answer.label}”:"]
    cited: List = []
    current = answer.current
    if current is not None and current.status == "VERIFIED":
        lines.append(
            f"• Hiện hành ({short_doc(current.document)}, từ {fmt_date(current.effective_from)}): "
            f"{current.text.rstrip('.')}."
        )
        if current.caveat:
            lines.append(f"• Lưu ý: {current.caveat}")
        cited.append(current)
    elif current is not None:
        lines.append(f"• Mức theo {short_doc(current.document)} (hiện hành) em chưa xác minh được.")
    for lv in answer.earlier:
        if lv.status == "UNVERIFIED":
            continue
        lines.append(
            f"• Theo {short_doc(lv.document)} trước đây (từ {fmt_date(lv.effective_from)}): {lv.text.rstrip('.')}."
        )
        cited.append(lv)
    lines.append("• " + LOCAL_RULE + " " + next_step(place_unit))
    return "\n".join(lines + ([sources_line(cited)] if cited else []))


def level_history(answer: LevelAnswer) -> Optional[str]:
    earlier = [lv for lv in answer.earlier if lv.status != "UNVERIFIED"]
    if not earlier:
        return None
    lines = [f"Dạ, các mức trước đây cho “{answer.label}”:"]
    lines += [
        f"• Theo {short_doc(lv.document)} (từ {fmt_date(lv.effective_from)}): {lv.text.rstrip('.')}." for lv in earlier
    ]
    return "\n".join(lines + [sources_line(earlier)])


# ---------------------------------------------------------------- documents

STATE_TEXT = {
    "in_force": "đang có hiệu lực",
    "amended": "đang có hiệu lực, đã được sửa đổi",
    "expired": "đã hết hiệu lực",
    "unknown": "chưa xác minh được tình trạng hiệu lực",
}


def document_state(doc: DocumentView) -> str:
    """Never 'đang có hiệu lực' for a document whose current state docs/sources.md marks unverified."""
    if doc.status == "UNVERIFIED" or not doc.state_verified:
        known = "đã được sửa đổi; " if doc.state == "amended" or doc.amended_by else ""
        return f"{known}tình trạng hiệu lực hiện nay em chưa xác minh được"
    state = STATE_TEXT.get(doc.state, doc.state)
    if doc.state == "expired" and doc.effective_to:
        state = f"đã hết hiệu lực từ {fmt_date(doc.effective_to)}"
    return state


def document_answer(doc: DocumentView) -> str:
    name = f"{doc.kind} {doc.number}"
    if doc.status == "UNVERIFIED":
        lines = [f"Dạ, về “{name}”, em chưa xác minh được: {_body(doc.summary)}"]
    else:
        first = f"Dạ, {name} ({doc.title}): {document_state(doc)}"
        if doc.replaced_by:
            first += f", được thay thế bởi {', '.join(doc.replaced_by)}"
        elif doc.amended_by and doc.state_verified:
            first += f" (sửa đổi bởi {', '.join(doc.amended_by)})"
        lines = [first + "."]
        if doc.amends:
            lines.append(f"Văn bản này sửa đổi, bổ sung {', '.join(doc.amends)}.")
        if doc.replaces:
            lines.append(f"Văn bản này thay thế {', '.join(doc.replaces)}.")
    return compose(lines[:1], (), lines[1:], sources_line([Cited(doc.source_document, doc.source_article)]))


def document_detail(doc: DocumentView) -> str:
    lines = [f"Dạ, chi tiết về {doc.kind} {doc.number}:"]
    dates = [
        f"ban hành {fmt_date(doc.issued)}" if doc.issued else "",
        f"hiệu lực từ {fmt_date(doc.effective_from)}" if doc.effective_from else "",
    ]
    dates = [d for d in dates if d]
    if dates:
        lines.append("• " + ", ".join(dates) + ".")
    lines.append(f"• {doc.summary}")
    if doc.amended_by:
        lines.append("• Được sửa đổi bởi: " + ", ".join(doc.amended_by) + ".")
    return "\n".join(lines + [sources_line([Cited(doc.source_document, doc.source_article)])])


# ---------------------------------------------------------------- several answers, no answer


def combined(parts: Sequence[str], unanswered: Sequence[str]) -> str:
    """Several questions in one message: each answer in order, numbered; then what is not known."""
    bodies = [p[4:] if p.startswith("Dạ, ") else p for p in parts]
    out = [f"{i}. {b[:1].upper() + b[1:]}" for i, b in enumerate(bodies, 1)]
    if unanswered:
        out.append(missing_line(unanswered))
    return "Dạ, em trả lời từng ý:\n" + "\n".join(out)


def missing_line(unanswered: Sequence[str]) -> str:
    """The parts of a message nothing answers, quoted, said as not known."""
    return "Em chưa có thông tin về: " + "; ".join(f"“{u}”" for u in unanswered) + "."


def no_answer(place_unit=None) -> str:
    return (
        "Dạ, câu này em chưa có thông tin trong tài liệu về khuyến công nên không trả lời để tránh sai. "
        + next_step(place_unit).replace("để được hướng dẫn cụ thể", "để được giải đáp")
        + " Em đã ghi lại câu hỏi để cán bộ bổ sung ạ."
    )


ENGLISH_REPLY = (
    "Dạ, em trả lời bằng tiếng Việt ạ. Hello! This assistant answers questions about khuyến công (Vietnam's industrial-extension "
    "support for rural producers) in Vietnamese. Please type your question in Vietnamese, "
    "with or without diacritics, or pick a topic below."
)

"""Vietnamese copy for the answer engine: one record → a short first answer (≤ ~450 characters:
the fact, its status framing, one citation line) and, behind buttons, its details and history.

Status rules (docs/sources.md), enforced here and nowhere else:
* VERIFIED: stated.
* HISTORICAL: only as the earlier rule, naming its document ("Theo TT 26/2014 trước đây, …");
  when nothing newer is verified, that is said first ("Quy định hiện hành em chưa xác minh được").
* UNVERIFIED: never as fact — "em chưa xác minh được: …" and whom to ask.
* A citation names only documents whose content the answer states.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence

from actions.render import LOCAL_RULE, estimate_text, fmt_date, next_step, sources_line
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


def _after_da(text: str) -> str:
    """'Quy định …' → 'quy định …' mid-sentence (acronyms such as 'TT', 'NĐ' stay)."""
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


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


def _fit(lines: List[str], cite: str, optional: Sequence[str] = (), limit: int = MAX_FIRST) -> str:
    """``lines`` (all kept) + each ``optional`` line that still fits + the citation, within
    ``limit`` characters; if the kept lines alone are too long, the first is cut at a word."""
    kept = list(lines)
    for extra in optional:
        if len("\n".join(kept + [extra, cite])) <= limit:
            kept.append(extra)
    text = "\n".join(kept + [cite])
    if len(text) > limit:
        room = limit - len(cite) - len("\n".join(kept[1:])) - 3
        kept[0] = kept[0][: max(room, 80)].rsplit(" ", 1)[0] + "…"
        text = "\n".join(kept + [cite])
    return text


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
    first = f"{province_line}\n{said}" if province_line else f"Dạ, {_after_da(said)}"
    optional = [next_step()] if record.status == "UNVERIFIED" else []
    return _fit([first], sources_line([Cited(record.document, record.article)]), optional)


# ---------------------------------------------------------------- support levels


def _level_line(label: str, current: LevelView) -> str:
    return f"Dạ, với “{label}”: {current.text.rstrip('.')}."


def level_answer(answer: LevelAnswer, cost: Optional[int] = None, named=None) -> str:
    """The figure in effect (or that none is verified, and the earlier one), the national-cap
    line, the estimate for a cost; the caveat and every earlier value are in ``level_detail``.
    ``named``: the province the person named (actions.slots.NamedProvince), if any."""
    current = answer.current
    lines: List[str] = []
    optional: List[str] = []
    cited: List = []
    earlier = next((lv for lv in answer.earlier if lv.status != "UNVERIFIED"), None)
    limit = MAX_FIRST
    if current is not None and current.status == "VERIFIED":
        lines.append(_level_line(answer.label, current))
        if cost:
            estimate = estimate_text(current, cost)
            lines.append(estimate)
            limit += len(estimate) + 1  # the estimate is asked for: it does not crowd out the level
        # always, however long the rest: a national cap is not what the province pays
        lines.append(
            f"Đây là mức tối đa quốc gia; mức ở {named.place} do tỉnh quy định, anh/chị hỏi Sở Công "
            f"Thương {named.unit.short_name}."
            if named
            else NATIONAL_CAP
        )
        if not named:
            optional.append("Anh/chị hỏi Trung tâm Khuyến công tỉnh về mức đang áp dụng.")
        cited.append(current)
    else:
        lines.append(
            f"Dạ, mức hiện hành cho “{answer.label}” em chưa xác minh được theo văn bản đang có "
            f"hiệu lực{f' ({short_doc(current.document)})' if current else ''}, nên em không đưa con số."
        )
        if earlier is not None:
            lines.append(f"Theo {short_doc(earlier.document)} trước đây: {earlier.text.rstrip('.')}.")
            cited.append(earlier)  # the figure stated is the earlier document's
        lines.append(LOCAL_RULE)
        optional.append(next_step(named.unit if named else None))
    return _fit(lines, sources_line(cited) if cited else "", optional, limit).rstrip("\n")


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
    return _fit(lines[:1], sources_line([Cited(doc.source_document, doc.source_article)]), lines[1:])


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
    out = [f"{i}. {p[4:] if p.startswith('Dạ, ') else p}" for i, p in enumerate(parts, 1)]
    if unanswered:
        out.append("Em chưa có thông tin về: " + "; ".join(f"“{u}”" for u in unanswered) + ".")
    return "Dạ, em trả lời từng ý:\n" + "\n".join(out)


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

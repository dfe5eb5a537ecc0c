"""Vietnamese copy for answers to the *part* of a record that was asked: a document's date, signer
or changes; a support level as it was at a past date, or then and now; a topic as an overview
list. The status rules are those of actions/answer_text.py (used here, not repeated): a HISTORICAL
value is said as the earlier rule naming its document, an UNVERIFIED one never as fact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import List, Optional, Sequence, Tuple

from actions.answer_text import NATIONAL_CAP, Cited, _after_da, document_state, short_doc
from actions.render import LOCAL_RULE, fmt_date, next_step, sources_line
from policy_kb.queries import DocumentView, FactView, LevelAnswer, LevelView
from policy_kb.retrieval import Record
from vntext.fold import fold

# ---------------------------------------------------------------- facts: the sentence asked first

#: words (folded) that show a sentence states the attribute (vntext.frames.ATTRIBUTES)
_CUES = {
    "deadline": r"\bhan\b|truoc ngay|\d{1,2}/\d{1,2}\b|chậm nhất|cham nhat",
    "duration": r"ngay lam viec|\d+\s*(?:ngay|thang|nam)\b|trong vong",
    "count": r"\b\d+\s*(?:bo|anh|ban|san pham|nguoi|lan|loai)\b",
    "frequency": r"\blan\s*/\s*nam|\blan mot nam|moi nam",
    "advance": r"tam ung",
    "share": r"\d+(?:,\d+)?\s*%",
    "amount": r"trieu|\bty\b|dong",
    "place": r"\btai\b|\bgui\b|\bnop (?:ve|cho|den|tai)\b",
    "approver": r"phe duyet|quyet dinh|\bduyet\b",
    "agency": r"\bso cong thuong\b|\bbo cong thuong\b|\bcuc\b|trung tam|ubnd|uy ban",
    "conditions": r"dieu kien|phai\b",
    "documents_needed": r"ho so|giay|ban sao|don\b",
}
# sentence ends only: a "; " joins the items of one sentence, which stay together
_SENTENCE = re.compile(r"(?<=\.)\s+(?=[A-ZĐÀ-Ỹ])")


def lead_with(record: Record, attributes: Sequence[str]) -> Record:
    """``record`` with the sentence that states the first attribute asked moved to the front
    ("tạm ứng bao nhiêu" → the advance sentence first), its other sentences kept in order. A
    record framed as the earlier rule keeps its frame ("Theo TT 46/2012 trước đây, …") first."""
    sentences = _SENTENCE.split(record.text)
    if len(sentences) < 2:
        return record
    for attribute in attributes:
        cue = _CUES.get(attribute)
        if not cue:
            continue
        found = [i for i, s in enumerate(sentences) if re.search(cue, fold(s))]
        if found and found[0] > 0 and not re.search(cue, fold(sentences[0])):
            if record.status == "HISTORICAL" and sentences[0].startswith("Theo"):
                return record  # the frame names the document: it stays the first words
            i = found[0]
            text = " ".join([sentences[i]] + sentences[:i] + sentences[i + 1 :])
            return dataclasses.replace(record, text=text)
        if found:
            return record
    return record


# ---------------------------------------------------------------- documents: the attribute asked

#: the attributes a document answers from its own fields
DOCUMENT_ATTRIBUTES = ("issued", "effective", "state", "signer", "replaces", "amends", "changes")


def _name(doc: DocumentView) -> str:
    return short_doc(f"{doc.kind} {doc.number}")


def document_attribute_lines(doc: DocumentView, attributes: Sequence[str]) -> List[str]:
    """One sentence per attribute asked, in the order asked; what the data does not hold is said
    as not known, never guessed."""
    name, lines = _name(doc), []
    for attribute in attributes:
        if attribute == "issued":
            lines.append(
                f"{name} ban hành ngày {fmt_date(doc.issued)}." if doc.issued else _unknown(name, "ngày ban hành")
            )
        elif attribute == "effective":
            if doc.effective_from:
                line = f"{name} có hiệu lực từ ngày {fmt_date(doc.effective_from)}"
                line += (
                    f"; hiện nay {document_state(doc)}." if doc.state != "in_force" or not doc.state_verified else "."
                )
                lines.append(line)
            else:
                lines.append(_unknown(name, "ngày có hiệu lực"))
        elif attribute == "state":
            if doc.replaced_by:
                more = f", được thay thế bởi {', '.join(doc.replaced_by)}"
            elif doc.amended_by and doc.state_verified and doc.status != "UNVERIFIED":
                by = ", ".join(doc.amended_by)
                more = f" (bởi {by})" if doc.state == "amended" else f", đã được sửa đổi, bổ sung bởi {by}"
            else:
                more = ""
            lines.append(f"{name}: {document_state(doc)}{more}.")
        elif attribute == "signer":
            lines.append(f"{name} do {doc.signer} ký." if doc.signer else _unknown(name, "người ký"))
        elif attribute in _RELATIONS:
            outgoing, incoming, verb, passive, none = _RELATIONS[attribute]
            if getattr(doc, outgoing):
                lines.append(f"{name} {verb} {', '.join(getattr(doc, outgoing))}.")
            elif getattr(doc, incoming):
                lines.append(f"{name} {passive} {', '.join(getattr(doc, incoming))}.")
            else:
                lines.append(f"Theo dữ liệu em có, {name} {none}.")
        elif attribute == "changes":
            lines.append(f"{name} thay đổi: {doc.changes}" if doc.changes else f"Về {name}: {doc.summary}")
    out: List[str] = []
    for line in lines:  # "hiệu lực khi nào, còn hiệu lực không" → each thing once
        if line not in out:
            out.append(line)
    return out


#: a relation between documents: (its field, the reverse field, the verb, the passive, none)
_RELATIONS = {
    "replaces": ("replaces", "replaced_by", "thay thế", "đã được thay thế bởi", "không thay thế văn bản nào"),
    "amends": ("amends", "amended_by", "sửa đổi, bổ sung", "được sửa đổi, bổ sung bởi", "không sửa đổi văn bản nào"),
}


def _unknown(name: str, what: str) -> str:
    return f"Em chưa có thông tin về {what} của {name}."


def document_attribute_answer(doc: DocumentView, attributes: Sequence[str]) -> str:
    lines = document_attribute_lines(doc, attributes)
    if doc.status == "UNVERIFIED":
        lines.append("Thông tin về văn bản này em chưa xác minh được đầy đủ.")
    cite = sources_line([Cited(doc.source_document, doc.source_article)])
    return f"Dạ, {_after_da(chr(10).join(lines))}\n{cite}"


# ---------------------------------------------------------------- support levels as of a date


def as_of_date(time: Optional[str], year: Optional[int], before: bool = True) -> Optional[dt.date]:
    """The date a past question is about: "trước năm 2018" → 31/12/2017; "hồi 2014" → 31/12/2014."""
    if year is None:
        return None
    return dt.date(year - 1, 12, 31) if before else dt.date(year, 12, 31)


def _value_line(label: str, lv: LevelView, until: Optional[dt.date]) -> str:
    when = f"từ {fmt_date(lv.effective_from)}" + (f" đến {fmt_date(until)}" if until else "")
    if lv.status == "UNVERIFIED":
        return f"Theo {short_doc(lv.document)} ({when}): mức cho “{label}” em chưa xác minh được."
    frame = "trước đây" if until else "hiện hành"
    return f"Theo {short_doc(lv.document)} {frame} ({when}): {lv.text.rstrip('.')}."


def level_as_of(answer: LevelAnswer, on: Optional[dt.date], time: Optional[str]) -> Tuple[str, List[LevelView]]:
    """The value asked for a past time (``on``, or the one before the current when no date is
    said; the first ever for "bản gốc"), and the current one after it: a question about the past
    never gets only the present, and the person sees what applies now."""
    values = ([answer.current] if answer.current else []) + list(answer.earlier)  # newest first
    values = [v for v in values if v is not None]
    if not values:
        return "", []
    past: Optional[LevelView]
    if time == "original":
        past = values[-1]
    elif on is not None:
        past = next((v for v in values if v.effective_from <= on), None)
    else:
        past = values[1] if len(values) > 1 else None
    lines: List[str] = []
    cited: List[LevelView] = []
    current = answer.current
    if past is None or past is current:
        if on is not None and past is None:
            lines.append(
                f"Dạ, em chưa có mức cho “{answer.label}” trước {fmt_date(values[-1].effective_from)} "
                "(văn bản sớm nhất em có)."
            )
        elif past is current and len(values) == 1:
            lines.append(f"Dạ, với “{answer.label}”, em chỉ có một mức, chưa có mức trước đó.")
        else:
            lines.append(f"Dạ, thời điểm đó đang áp dụng mức hiện hành cho “{answer.label}”.")
    else:
        newer = values[values.index(past) - 1]
        lines.append("Dạ, " + _after_da(_value_line(answer.label, past, newer.effective_from - dt.timedelta(days=1))))
        cited.append(past)
    if current is not None and current.status == "VERIFIED":
        lines.append(f"Hiện nay: {_after_da(_value_line(answer.label, current, None))}")
        lines.append(NATIONAL_CAP)
        if current.caveat:
            lines.append(f"Lưu ý: {current.caveat}")
        cited.append(current)
    else:
        lines.append("Mức hiện hành em chưa xác minh được.")
        lines.append(LOCAL_RULE)
    return "\n".join(lines), cited


def level_as_of_answer(answer: LevelAnswer, on: Optional[dt.date], time: Optional[str]) -> str:
    text, cited = level_as_of(answer, on, time)
    return f"{text}\n{sources_line(cited)}" if cited else text


# ---------------------------------------------------------------- overviews

OVERVIEW_LIMIT = 450


def item_title(fact: FactView) -> str:
    """A list item's short title: the fact's ``title:`` (data, policy_kb/data/README.md); for a
    record without one, its first clause, cut only at a clause boundary."""
    if getattr(fact, "title", None):  # facts and overview items have one; other records may not
        return fact.title
    text = fact.text.strip()
    for sep in (":", ";", " (", ". "):
        if sep in text[:90]:
            text = text.split(sep, 1)[0]
    if len(text) > 90:
        head, _, _ = text[:90].rpartition(",")
        text = head if len(head) >= 15 else text
    return text.rstrip(" ,.;")


def overview_answer(
    title: str, facts: Sequence, heading: Optional[str] = None, more_button: bool = True
) -> Tuple[str, List]:
    """The topic as a list: as many items as fit in ~450 characters with the citation, and how
    many more there are (behind "Xem thêm", or asked by name)."""
    head = heading or f"Dạ, {title[:1].lower() + title[1:]} gồm:"
    shown: List[FactView] = []
    for f in facts:
        trial = shown + [f]
        body = "\n".join([head] + [f"• {item_title(x)}." for x in trial] + [sources_line(trial)])
        if len(body) > OVERVIEW_LIMIT and shown:
            break
        shown = trial
    lines = [head] + [f"• {item_title(x)}." for x in shown]
    if len(shown) < len(facts):
        left = len(facts) - len(shown)
        lines.append(
            f"Và {left} nội dung khác (bấm “Xem thêm”)."
            if more_button
            else f"Và {left} nội dung khác: anh/chị hỏi theo tên để em trả lời cụ thể."
        )
    return "\n".join(lines + [sources_line(shown)]), shown


# ---------------------------------------------------------------- several answers, English

#: before the Vietnamese answer to a question asked in English
ENGLISH_LEAD = "Dạ, em trả lời bằng tiếng Việt ạ (answer in Vietnamese, with its legal basis):"


#: lines of an answer that are its caveats: a brief answer keeps them
_CAVEAT = re.compile(r"chưa xác minh|mức tối đa|tối đa quốc gia|tỉnh quy định|tự quy định|trước đây|Lưu ý")


def brief(answer: str) -> str:
    """One part of a several-question reply: its first line, its caveat lines and its citation."""
    lines = answer.split("\n")
    if len(lines) == 1:
        return answer
    kept = [lines[0]] + [line for line in lines[1:-1] if _CAVEAT.search(line)]
    return "\n".join(kept + [lines[-1]])


#: when no record is clearly the answer but two or three are close: the person picks
CLARIFY = (
    "Dạ, em chưa chắc anh/chị hỏi ý nào. Anh/chị chọn một nội dung dưới đây, hoặc hỏi cán bộ; "
    "em đã ghi lại câu hỏi để cán bộ bổ sung ạ."
)


def contact_text(unit=None) -> str:
    """No phone numbers, addresses or names of officials are in the knowledge base: whom to ask."""
    return (
        "Dạ, em chưa có thông tin về số điện thoại, địa chỉ hay tên cán bộ của các cơ quan trong tài "
        "liệu nên không đưa để tránh sai. " + next_step(unit) + " Em đã ghi lại câu hỏi để cán bộ bổ sung ạ."
    )


def pair_text(parts: Sequence[str]) -> str:
    """Two records that both answer: each briefly (its framing, caveats and citation kept)."""
    bodies = [p[4:] if p.startswith("Dạ, ") else p for p in parts]
    head = "Dạ, có hai quy định liên quan:"
    frame = bodies[0].split("; ", 1)[0]
    if "chưa xác minh" in frame and all(b.startswith(frame + "; ") for b in bodies):
        # the same caveat once, before both ("quy định hiện hành em chưa xác minh được")
        head = f"Dạ, {frame}. Có hai quy định liên quan:"
        bodies = [b[len(frame) + 2 :] for b in bodies]
        bodies = [b[:1].upper() + b[1:] for b in bodies]
    return head + "\n" + "\n".join(f"{i}. {b[:1].upper() + b[1:]}" for i, b in enumerate(bodies, 1))

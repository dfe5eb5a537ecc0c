"""The questions the bot could not answer, grouped the way an officer reads them.

``policy_kb.unanswered`` keeps one row per question the answer engine scored below its
threshold. The same need arrives in many spellings ("ho tro lam web ban hang ko", "hỗ trợ làm
web bán hàng không", "có hỗ trợ làm trang web bán hàng k"): listing rows one by one buries the
frequent needs under their variants, so rows are grouped by the *meaning words* they share —
diacritics and case folded (``vntext.normalize``, the bot's own folding), chat
shorthand expanded, filler and politeness dropped — and clustered greedily by Jaccard
similarity of those word sets. The officer then fixes a whole group at once: one
``questions:`` line in ``policy_kb/data`` (the YAML export has that shape) and "Đánh dấu đã xử lý".

Texts are redacted when written; older rows are redacted again before anything is shown or
exported (``policy_kb.unanswered.redact``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple, Union

import yaml
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from lead_store.leads import VN_TZ, _transaction, to_utc_naive, to_vietnam_time
from policy_kb.unanswered import UnansweredQuestion, ensure_table, redact
from vntext.fold import fold
from vntext.normalize import SHORTHAND, normalize_text

# Words that do not say what is asked: particles, pronouns, politeness, question frames, and
# the words nearly every question to this bot contains ("khuyến công hỗ trợ …"). Folded form.
# Not "vay" (vậy / vay vốn) nor "ban" (bạn / bán hàng): folded, the need wins over the filler.
FILLER = frozenset(
    """
a ah ak u ha nha nhe nhi oi voi the thi la cua va cho cac nhung mot nay do ay kia
em anh chi minh toi chung ong ba co chu bac cau ad admin
xin hoi biet giup muon can duoc khong phai roi nua cai con
da dang se gi sao nao nhu ra vao len di
khuyen cong ho tro chinh sach nha nuoc trung tam
""".split()
)

SIMILARITY = 0.6  # Jaccard of meaning-word sets at or above which two questions are one group
MAX_IDS = 5000  # ids one "mark handled" request may carry
_WORD = re.compile(r"\w+")
_PLACEHOLDER = re.compile(r"\[(?:số điện thoại|email|tên)\]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CHANNEL_LABELS = {"web": "Web", "zalo": "Zalo OA", "rest": "REST (API)", "socketio": "Web"}


def shown_text(text: str) -> str:
    """What officers see of a stored question: normalised and redacted (again: rows written
    before redaction existed may still hold a phone number or a name)."""
    return redact(normalize_text(text or ""))


def meaning_words(text: str) -> FrozenSet[str]:
    """The words of ``text`` that say what is asked (folded, shorthand expanded, filler and
    redaction placeholders out). A question made only of filler keeps all its words, so it
    still groups with its twins."""
    words: List[str] = []
    for w in _WORD.findall(fold(_PLACEHOLDER.sub(" ", normalize_text(text or "")))):
        words.extend(SHORTHAND.get(w, w).split())
    kept = frozenset(w for w in words if w not in FILLER and not w.isdigit())
    return kept or frozenset(words)


def similarity(a: FrozenSet[str], b: FrozenSet[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass
class QuestionGroup:
    """Similar questions: what the page shows in one line (and expands into its variants)."""

    representative: str  # redacted, the most asked wording
    count: int
    first_asked: dt.datetime  # Vietnam time, naive
    last_asked: dt.datetime
    channels: Tuple[str, ...]
    best_score: float
    best_record: Optional[str]  # KB record id the question came closest to
    handled: bool  # every row of the group handled
    note: Optional[str]
    ids: List[int] = field(default_factory=list)
    variants: List[Tuple[str, int]] = field(default_factory=list)  # redacted wording, count

    @property
    def ids_text(self) -> str:
        return ",".join(str(i) for i in self.ids)

    @property
    def channel_labels(self) -> str:
        return ", ".join(CHANNEL_LABELS.get(c, c) for c in self.channels)


def _bound(value: Union[dt.date, dt.datetime, None], end: bool) -> Optional[dt.datetime]:
    """A Vietnam-time day (inclusive) → naive UTC bound of ``asked_at``."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return to_utc_naive(value)
    day = value + dt.timedelta(days=1) if end else value
    return to_utc_naive(dt.datetime.combine(day, dt.time.min, tzinfo=VN_TZ))


def _rows(session: Session, handled: Optional[bool], since, until) -> List[UnansweredQuestion]:
    ensure_table(session.get_bind())
    query = select(UnansweredQuestion).order_by(UnansweredQuestion.asked_at, UnansweredQuestion.id)
    if handled is not None:
        query = query.where(UnansweredQuestion.handled.is_(handled))
    start, end = _bound(since, False), _bound(until, True)
    if start is not None:
        query = query.where(UnansweredQuestion.asked_at >= start)
    if end is not None:
        query = query.where(UnansweredQuestion.asked_at < end)
    return list(session.execute(query).scalars())


def _cluster(rows: Sequence[UnansweredQuestion]) -> List[List[UnansweredQuestion]]:
    """Greedy clustering: identical meaning-word sets first (cheap), then each distinct set
    joins the most similar existing cluster (compared with the cluster's first set) or starts
    one. Most frequent sets first, so a cluster is anchored on its commonest wording."""
    by_key: Dict[FrozenSet[str], List[UnansweredQuestion]] = {}
    for row in rows:
        by_key.setdefault(meaning_words(shown_text(row.text)), []).append(row)
    anchors: List[Tuple[FrozenSet[str], List[UnansweredQuestion]]] = []
    by_word: Dict[str, List[int]] = {}  # word → anchors holding it: only those can be similar
    for key, members in sorted(by_key.items(), key=lambda kv: (-len(kv[1]), kv[1][0].id)):
        best, best_sim = None, SIMILARITY
        for index in sorted({i for w in key for i in by_word.get(w, ())}):
            sim = similarity(key, anchors[index][0])
            if sim >= best_sim + 1e-9 or (best is None and sim >= best_sim):
                best, best_sim = index, sim
        if best is None:
            for w in key:
                by_word.setdefault(w, []).append(len(anchors))
            anchors.append((key, list(members)))
        else:
            anchors[best][1].extend(members)
    return [members for _, members in anchors]


def _readability(text: str) -> Tuple[int, int, int, int]:
    """Higher reads better: written with diacritics, without chat shorthand ("ko", "k",
    "dc"), then more diacritics, then shorter."""
    accents = sum(1 for ch in text if ord(ch) > 127)
    shorthand = sum(1 for w in _WORD.findall(text.lower()) if w in SHORTHAND)
    return (int(accents > 0), -shorthand, accents, -len(text))


def _group(members: List[UnansweredQuestion]) -> QuestionGroup:
    members = sorted(members, key=lambda r: (r.asked_at, r.id))
    wording = Counter(shown_text(r.text) for r in members)
    variants = sorted(wording.items(), key=lambda kv: (-kv[1], [-x for x in _readability(kv[0])]))
    best = max(members, key=lambda r: (r.best_score or 0.0, r.id))
    notes = [r.note for r in sorted(members, key=lambda r: r.id) if r.note]
    return QuestionGroup(
        representative=variants[0][0],
        count=len(members),
        first_asked=to_vietnam_time(members[0].asked_at),
        last_asked=to_vietnam_time(members[-1].asked_at),
        channels=tuple(sorted({r.channel for r in members})),
        best_score=float(best.best_score or 0.0),
        best_record=best.best_record,
        handled=all(r.handled for r in members),
        note=notes[-1] if notes else None,
        ids=sorted(r.id for r in members),
        variants=variants,
    )


def groups(
    session: Session,
    handled: Optional[bool] = None,
    since: Union[dt.date, dt.datetime, None] = None,
    until: Union[dt.date, dt.datetime, None] = None,
) -> List[QuestionGroup]:
    """Groups of similar unanswered questions, most asked first (then most recent).

    ``handled``: None = all rows, True / False = only rows marked so. ``since`` / ``until``:
    Vietnam-time days, inclusive."""
    out = [_group(members) for members in _cluster(_rows(session, handled, since, until))]
    return sorted(out, key=lambda g: (-g.count, -g.last_asked.timestamp()))


def parse_ids(text: Union[str, Iterable, None]) -> List[int]:
    """Ids posted by the page ("3,7,12"); anything else is refused with ValueError."""
    items = text.split(",") if isinstance(text, str) else list(text or ())
    ids = sorted({int(str(i).strip()) for i in items if str(i).strip()})
    if not ids or len(ids) > MAX_IDS or ids[0] < 1:
        raise ValueError("ids")
    return ids


def mark_handled(
    session_or_engine: Union[Session, Engine],
    ids: Iterable[int],
    note: Optional[str],
    officer: str,
    when: Optional[dt.datetime] = None,
) -> int:
    """Mark these rows handled, with the officer's note (what was changed, e.g. "đã thêm câu
    hỏi vào policy_kb/data/facts/activities.yml") signed with who and when, since the table has
    no column for them. Returns how many rows changed."""
    ids = parse_ids(ids)
    when = to_vietnam_time(to_utc_naive(when or dt.datetime.now(dt.timezone.utc)))
    text = (note or "").strip()[:1000]
    signed = f"{text} — {officer}, {when:%d/%m/%Y}" if text else f"{officer}, {when:%d/%m/%Y}"
    with _transaction(session_or_engine) as session:
        ensure_table(session.get_bind())
        result = session.execute(
            update(UnansweredQuestion)
            .where(UnansweredQuestion.id.in_(ids))
            .values(handled=True, note=signed)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)


# ------------------------------------------------------------------------------ exports

CSV_COLUMNS = (
    "Số lần hỏi",
    "Câu hỏi (tiêu biểu)",
    "Hỏi lần đầu",
    "Hỏi lần cuối",
    "Kênh",
    "Điểm cao nhất",
    "Bản ghi gần nhất",
    "Đã xử lý",
    "Ghi chú",
    "Các cách hỏi khác",
)


def _cell(value) -> str:
    # A cell starting with = + - @ is a formula for Excel: neutralise user-typed text.
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_rows(items: Sequence[QuestionGroup]) -> List[List[str]]:
    """One row per group, the cells of the CSV (header first)."""
    rows = [list(CSV_COLUMNS)]
    for g in items:
        rows.append(
            [
                str(g.count),
                _cell(g.representative),
                f"{g.first_asked:%d/%m/%Y %H:%M}",
                f"{g.last_asked:%d/%m/%Y %H:%M}",
                g.channel_labels,
                f"{g.best_score:.2f}",
                _cell(g.best_record or ""),
                "có" if g.handled else "chưa",
                _cell(g.note or ""),
                _cell(" | ".join(text for text, _ in g.variants[1:])),
            ]
        )
    return rows


def export_csv(items: Sequence[QuestionGroup]) -> bytes:
    """CSV for Excel (UTF-8 with BOM, so Vietnamese opens correctly)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(export_rows(items))
    return buffer.getvalue().encode("utf-8-sig")


def data_file(record_id: Optional[str]) -> Optional[str]:
    """The ``policy_kb/data`` file that holds a record (the ids follow the data layout)."""
    if not record_id:
        return None
    if record_id.startswith("level."):
        return f"policy_kb/data/support_levels/{record_id.split('.', 1)[1]}.yml"
    if record_id.startswith("document."):
        return "policy_kb/data/documents.yml"
    if record_id.startswith("rule."):
        return "policy_kb/data/eligibility.yml"
    return f"policy_kb/data/facts/{record_id.split('.', 1)[0]}.yml"


def export_yaml(items: Sequence[QuestionGroup], today: Optional[dt.date] = None) -> str:
    """A YAML snippet for the KB maintainer: per closest record, its file and the wordings to
    paste under that record's ``questions:`` (then ``make kb``). The record is only the
    closest match: the maintainer decides whether the question belongs there or needs a new
    record. Groups with no close record come last under ``null``."""
    today = today or dt.datetime.now(VN_TZ).date()
    by_record: Dict[Optional[str], List[QuestionGroup]] = {}
    for g in items:
        by_record.setdefault(g.best_record, []).append(g)
    lines = [
        f"# Câu hỏi chưa trả lời được — xuất ngày {today:%d/%m/%Y}, {len(items)} nhóm.",
        "# Với mỗi bản ghi: kiểm tra câu hỏi có đúng thuộc bản ghi đó không, dán các dòng vào",
        "# danh sách questions: của bản ghi trong tệp ghi bên cạnh, rồi chạy `make kb`.",
        "# Bản ghi chỉ là kết quả gần nhất (điểm thấp): có thể cần một bản ghi mới.",
    ]
    order = sorted(by_record, key=lambda r: (r is None, -sum(g.count for g in by_record[r]), r or ""))
    for record in order:
        entries = by_record[record]
        questions = []
        for g in entries:
            for text, _ in g.variants[:3]:
                if text not in questions:
                    questions.append(text)
        best = max(g.best_score for g in entries)
        where = data_file(record) or "chưa có bản ghi gần — cần bản ghi mới"
        lines.append("")
        lines.append(f"# {where} · {sum(g.count for g in entries)} lần hỏi · điểm cao nhất {best:.2f}")
        dumped = yaml.safe_dump(
            [{"id": record, "questions": questions}],
            allow_unicode=True,
            sort_keys=False,
            width=1000,
            default_style=None,
        )
        lines.extend(dumped.rstrip("\n").split("\n"))
    return "\n".join(lines) + "\n"

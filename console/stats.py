"""Figures for the officers' statistics page, for a range of Vietnam-time days.

Sources, all read-only:

* Rasa's SQL tracker store (``settings.tracker_db_url``): table ``events(id, sender_id,
  type_name, timestamp float, intent_name, action_name, data JSON text)`` as written by
  ``rasa.core.tracker_store.SQLTrackerStore.save`` — ``intent_name`` is the parsed intent of a
  ``user`` event, ``action_name`` is the event's ``name``: the action, the form of an
  ``active_loop`` event, the slot of a ``slot`` event;
* the bot's database (``settings.db_url``): ``leads``, ``unanswered_questions``, ``handovers``.

Why SQL aggregation: the tracker store grows by ~10 rows per user message; every figure is one
GROUP BY over indexed or narrow columns, and the JSON ``data`` column is only read (by the
database's own JSON functions) for the few fields that have no column: the input channel of a
user message and the value of a slot event. Nothing loads the table into Python.

Each figure is a :class:`Figure` (title, columns, rows, chart data, an optional note when its
source is missing) and :func:`csv` turns one into the CSV the page links to.
"""

from __future__ import annotations

import csv as _csv
import datetime as dt
import io
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

from policy_kb.db import get_engine

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
_VN_OFFSET = 7 * 3600
_EPOCH = dt.date(1970, 1, 1)

CHANNEL_LABELS = {
    "web": "Web",
    "socketio": "Web",
    "webchat": "Web",
    "zalo": "Zalo OA",
    "rest": "REST (API)",
    "cmdline": "Dòng lệnh",
    None: "Không rõ",
}
INTENT_LABELS = {
    "greet": "Chào hỏi",
    "goodbye": "Tạm biệt",
    "thank": "Cảm ơn",
    "affirm": "Đồng ý",
    "deny": "Không đồng ý",
    "bot_challenge": "Hỏi có phải máy không",
    "ask_help": "Cần giúp / menu",
    "out_of_scope": "Ngoài phạm vi",
    "ask_more": "Xem thêm",
    "ask_overview": "Khuyến công là gì",
    "ask_objectives": "Mục tiêu",
    "ask_beneficiaries": "Ai được hỗ trợ",
    "ask_industries": "Ngành nghề được hỗ trợ",
    "ask_priorities": "Đối tượng ưu tiên",
    "ask_activities": "Nội dung hỗ trợ",
    "ask_support_level": "Mức hỗ trợ",
    "ask_conditions": "Điều kiện",
    "ask_procedure": "Thủ tục",
    "ask_dossier": "Hồ sơ",
    "ask_typical_product": "Sản phẩm tiêu biểu",
    "ask_legal_documents": "Văn bản pháp luật",
    "ask_agencies": "Cơ quan phụ trách",
    "ask_pilot_projects": "Đề án điểm",
    "ask_local_levels": "Mức hỗ trợ của tỉnh",
    "check_eligibility": "Kiểm tra điều kiện",
    "estimate_support": "Ước tính mức hỗ trợ",
    "leave_contact": "Để lại liên hệ",
    "inform": "Trả lời câu hỏi của bot",
    "dont_know": "Không rõ",
    "stop": "Dừng",
    "erase_data": "Yêu cầu xóa dữ liệu",
    "ask_privacy": "Hỏi về dữ liệu cá nhân",
    "nlu_fallback": "Không hiểu (độ tin cậy thấp)",
    "request_human": "Muốn gặp cán bộ",
    "handover_accept": "Đồng ý chuyển cán bộ",
    "handover_decline": "Không chuyển cán bộ",
    None: "Không rõ",
}
TOPIC_LABELS = {
    "overview": "Khuyến công là gì",
    "objectives": "Mục tiêu",
    "beneficiaries": "Đối tượng được hỗ trợ",
    "industries": "Ngành nghề",
    "priorities": "Ưu tiên",
    "activities": "Nội dung hỗ trợ",
    "conditions": "Điều kiện",
    "procedure": "Thủ tục",
    "dossier": "Hồ sơ",
    "typical_product": "Sản phẩm tiêu biểu",
    "agencies": "Cơ quan phụ trách",
    "pilot_projects": "Đề án điểm",
    "local_levels": "Mức hỗ trợ của tỉnh",
    "legal_documents": "Văn bản pháp luật",
    "support_levels": "Mức hỗ trợ",
    "eligibility": "Điều kiện được hỗ trợ (quy tắc)",
}
VERDICT_LABELS = {
    "eligible": "Có vẻ thuộc đối tượng",
    "not_eligible": "Chưa thuộc đối tượng",
    "unknown": "Chưa kết luận được",
}
HANDOVER_REASONS = {
    "asked": "Người dùng yêu cầu",
    "not_understood": "Bot không hiểu",
    "zalo_oa_admin": "Cán bộ trả lời trên Zalo OA",
}
ELIGIBILITY_FORM = "eligibility_form"  # bot/domain/flows.yml
VERDICT_SLOT = "verdict"  # set by action_eligibility_verdict (actions/eligibility.py)
RECORD_SLOT = "last_record"  # the knowledge record an answer stated (actions/answer.py)
TOP = 15


@dataclass(frozen=True)
class DateRange:
    """Vietnam-time days, both inclusive."""

    since: dt.date
    until: dt.date

    @classmethod
    def last_days(cls, days: int = 30, today: Optional[dt.date] = None) -> "DateRange":
        today = today or dt.datetime.now(VN_TZ).date()
        return cls(today - dt.timedelta(days=days - 1), today)

    def epoch(self) -> Tuple[float, float]:
        """[start, end) as Unix timestamps (the tracker store's ``timestamp``)."""
        start = dt.datetime.combine(self.since, dt.time.min, tzinfo=VN_TZ)
        end = dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time.min, tzinfo=VN_TZ)
        return start.timestamp(), end.timestamp()

    def utc(self) -> Tuple[dt.datetime, dt.datetime]:
        """[start, end) as naive UTC (the bot's tables)."""
        start, end = self.epoch()
        return (
            dt.datetime.fromtimestamp(start, dt.timezone.utc).replace(tzinfo=None),
            dt.datetime.fromtimestamp(end, dt.timezone.utc).replace(tzinfo=None),
        )

    def days(self) -> List[dt.date]:
        return [self.since + dt.timedelta(days=i) for i in range((self.until - self.since).days + 1)]


@dataclass
class Figure:
    name: str  # URL slug: /stats/<name>.csv
    title: str
    columns: Tuple[str, ...]
    rows: List[Tuple[Any, ...]]
    chart: Dict[str, Any]  # {"type", "labels", "datasets": [{"label", "data"}], "stacked"?}
    note: Optional[str] = None  # why a figure is empty (source missing)
    summary: List[Tuple[str, str]] = field(default_factory=list)


def csv(figure: Figure) -> bytes:
    """The figure's rows as CSV (UTF-8 with BOM, so Excel shows Vietnamese correctly)."""
    buffer = io.StringIO()
    writer = _csv.writer(buffer)
    writer.writerow(figure.columns)
    for row in figure.rows:
        writer.writerow([_csv_value(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else value


# --------------------------------------------------------------------------- sources


@dataclass
class Sources:
    """Engines of the two databases, and which tables exist (checked once per request)."""

    db: Engine
    tracker: Optional[Engine]
    tables: frozenset
    tracker_tables: frozenset

    @classmethod
    def open(cls, db_url: str, tracker_db_url: Optional[str]) -> "Sources":
        db = get_engine(db_url)
        tracker = _tracker_engine(tracker_db_url)
        return cls(
            db,
            tracker,
            frozenset(sa.inspect(db).get_table_names()),
            frozenset(sa.inspect(tracker).get_table_names()) if tracker is not None else frozenset(),
        )

    @property
    def has_events(self) -> bool:
        return "events" in self.tracker_tables


def _tracker_engine(url: Optional[str]) -> Optional[Engine]:
    """The tracker store's engine, or None if there is none yet (an SQLite file is never created
    here: a missing file means the bot has not written a conversation yet)."""
    if not url:
        return None
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or not Path(parsed.database).exists():
            return None
    try:
        return get_engine(url)
    except Exception:  # noqa: BLE001 - a bad URL is shown as "no data", the rest of the page works
        return None


_EVENTS = sa.table(
    "events",
    sa.column("id"),
    sa.column("sender_id"),
    sa.column("type_name"),
    sa.column("timestamp"),
    sa.column("intent_name"),
    sa.column("action_name"),
    sa.column("data"),
)


def _event_day(dialect: str):
    """Vietnam-time day number (days since 1970-01-01) of an event's float timestamp."""
    shifted = (_EVENTS.c.timestamp + _VN_OFFSET) / 86400
    if dialect == "sqlite":
        return sa.cast(shifted, sa.Integer)  # truncation = floor for positive times
    return sa.cast(sa.func.floor(shifted), sa.Integer)


def _json_field(dialect: str, key: str):
    """``data[key]`` as text, extracted by the database."""
    if dialect == "sqlite":
        return sa.func.json_extract(_EVENTS.c.data, f"$.{key}")
    return sa.cast(_EVENTS.c.data, postgresql.JSON)[key].astext


def _in_range(period: DateRange):
    start, end = period.epoch()
    return sa.and_(_EVENTS.c.timestamp >= start, _EVENTS.c.timestamp < end)


def _day(number: Any) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(number))


def _datetime_day(column, dialect: str):
    """Vietnam-time day of a naive-UTC DateTime column, as the database computes it."""
    if dialect == "sqlite":
        return sa.func.date(column, "+7 hours")
    return sa.cast(column + sa.text("interval '7 hours'"), sa.Date)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _chart(kind: str, labels: Sequence[Any], datasets: Sequence[Tuple[str, Sequence[Any]]], **extra) -> Dict[str, Any]:
    return {
        "type": kind,
        "labels": [v.strftime("%d/%m") if isinstance(v, dt.date) else str(v) for v in labels],
        "datasets": [{"label": label, "data": list(data)} for label, data in datasets],
        **extra,
    }


NO_TRACKER = "Chưa có dữ liệu hội thoại: bot chưa ghi vào kho hội thoại (tracker store SQL, TRACKER_DB_URL)."


def _empty(name: str, title: str, columns: Tuple[str, ...], note: str) -> Figure:
    return Figure(name, title, columns, [], _chart("bar", [], []), note=note)


# --------------------------------------------------------------------------- figures


def conversations(src: Sources, period: DateRange) -> Figure:
    """Conversations (senders who wrote that day) and user messages, per day and channel."""
    title, columns = "Cuộc trò chuyện và tin nhắn theo ngày, theo kênh", ("Ngày", "Kênh", "Cuộc trò chuyện", "Tin nhắn")
    if not src.has_events:
        return _empty("conversations", title, columns, NO_TRACKER)
    dialect = src.tracker.dialect.name
    day, channel = _event_day(dialect).label("day"), _json_field(dialect, "input_channel").label("channel")
    stmt = (
        sa.select(day, channel, sa.func.count(sa.distinct(_EVENTS.c.sender_id)), sa.func.count())
        .where(_EVENTS.c.type_name == "user", _in_range(period))
        .group_by(day, channel)
        .order_by(day, channel)
    )
    with src.tracker.connect() as conn:
        raw = conn.execute(stmt).all()
    merged: Dict[Tuple[dt.date, str], List[int]] = {}
    for number, name, senders, messages in raw:
        key = (_day(number), CHANNEL_LABELS.get(name, name))
        counts = merged.setdefault(key, [0, 0])
        counts[0] += senders
        counts[1] += messages
    rows = [(d, c, n[0], n[1]) for (d, c), n in sorted(merged.items())]
    days = period.days()
    channels = sorted({c for _, c in merged})
    datasets = [(f"Tin nhắn – {c}", [merged.get((d, c), [0, 0])[1] for d in days]) for c in channels]
    total_conv = sum(r[2] for r in rows)
    total_msg = sum(r[3] for r in rows)
    return Figure(
        "conversations",
        title,
        columns,
        rows,
        _chart("bar", days, datasets, stacked=True),
        summary=[("Tin nhắn của người dùng", str(total_msg)), ("Cuộc trò chuyện (cộng theo ngày)", str(total_conv))],
    )


def top_intents(src: Sources, period: DateRange, limit: int = TOP) -> Figure:
    """What people wrote about, as the classifier understood it (Vietnamese labels)."""
    title, columns = "Ý định người dùng hay gặp nhất", ("Ý định", "Mã", "Tin nhắn")
    if not src.has_events:
        return _empty("intents", title, columns, NO_TRACKER)
    count = sa.func.count().label("n")
    stmt = (
        sa.select(_EVENTS.c.intent_name, count)
        .where(_EVENTS.c.type_name == "user", _in_range(period))
        .group_by(_EVENTS.c.intent_name)
        .order_by(count.desc(), _EVENTS.c.intent_name)
        .limit(limit)
    )
    with src.tracker.connect() as conn:
        raw = conn.execute(stmt).all()
    rows = [(INTENT_LABELS.get(name, name), name or "", n) for name, n in raw]
    return Figure(
        "intents",
        title,
        columns,
        rows,
        _chart("bar", [r[0] for r in rows], [("Tin nhắn", [r[2] for r in rows])], horizontal=True),
    )


def topic_of(record_id: str) -> str:
    """Knowledge topic of a record id (fact ids start with their topic)."""
    if record_id.startswith("level."):
        return "support_levels"
    if record_id.startswith("document."):
        return "legal_documents"
    if record_id.startswith("rule."):
        return "eligibility"
    return record_id.split(".", 1)[0]


def _topic_titles(src: Sources) -> Dict[str, str]:
    titles = dict(TOPIC_LABELS)
    if "kb_topics" in src.tables:
        with src.db.connect() as conn:
            for key, value in conn.execute(sa.text("SELECT key, title FROM kb_topics")):
                titles.setdefault(key, value)
    return titles


def top_topics(src: Sources, period: DateRange, limit: int = TOP) -> Figure:
    """Which parts of the knowledge base were answered: the record each answer stated
    (slot ``last_record``), summed per topic."""
    title, columns = "Chủ đề được trả lời nhiều nhất", ("Chủ đề", "Mã", "Câu trả lời")
    if not src.has_events:
        return _empty("topics", title, columns, NO_TRACKER)
    dialect = src.tracker.dialect.name
    value = _json_field(dialect, "value").label("value")
    stmt = (
        sa.select(value, sa.func.count())
        .where(_EVENTS.c.type_name == "slot", _EVENTS.c.action_name == RECORD_SLOT, _in_range(period))
        .group_by(value)
    )
    with src.tracker.connect() as conn:
        raw = conn.execute(stmt).all()
    per_topic: Dict[str, int] = {}
    for record_id, n in raw:
        if record_id:
            topic = topic_of(str(record_id))
            per_topic[topic] = per_topic.get(topic, 0) + n
    titles = _topic_titles(src)
    ranked = sorted(per_topic.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    rows = [(titles.get(k, k), k, n) for k, n in ranked]
    return Figure(
        "topics",
        title,
        columns,
        rows,
        _chart("bar", [r[0] for r in rows], [("Câu trả lời", [r[2] for r in rows])], horizontal=True),
    )


def _unanswered_per_day(src: Sources, period: DateRange) -> Dict[dt.date, int]:
    if "unanswered_questions" not in src.tables:
        return {}
    dialect = src.db.dialect.name
    table = sa.table("unanswered_questions", sa.column("asked_at"))
    start, end = period.utc()
    day = _datetime_day(table.c.asked_at, dialect).label("day")
    stmt = sa.select(day, sa.func.count()).where(table.c.asked_at >= start, table.c.asked_at < end).group_by(day)
    with src.db.connect() as conn:
        return {_as_date(d): n for d, n in conn.execute(stmt)}


def _rate(part: int, whole: int) -> Optional[float]:
    return round(100.0 * part / whole, 1) if whole else None


def _percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.1f} %".replace(".", ",")


def fallback_rate(src: Sources, period: DateRange) -> Figure:
    """Per day: user messages, those the classifier did not understand (``nlu_fallback``) and
    the questions the knowledge base could not answer (``unanswered_questions``), as shares
    of the user messages. The two overlap (a fallback message can also be unanswered), so
    they are shown side by side, not added."""
    title = "Tỉ lệ không hiểu / chưa trả lời được theo ngày"
    columns = ("Ngày", "Tin nhắn", "Không hiểu (nlu_fallback)", "Chưa trả lời được", "% không hiểu", "% chưa trả lời")
    unanswered = _unanswered_per_day(src, period)
    per_day: Dict[dt.date, Tuple[int, int]] = {}
    note = None
    if src.has_events:
        dialect = src.tracker.dialect.name
        day = _event_day(dialect).label("day")
        fallback = sa.func.sum(sa.case((_EVENTS.c.intent_name == "nlu_fallback", 1), else_=0))
        stmt = (
            sa.select(day, sa.func.count(), fallback)
            .where(_EVENTS.c.type_name == "user", _in_range(period))
            .group_by(day)
        )
        with src.tracker.connect() as conn:
            per_day = {_day(d): (int(n), int(f or 0)) for d, n, f in conn.execute(stmt)}
    else:
        note = NO_TRACKER
    days = period.days()
    rows = []
    for d in days:
        messages, fallbacks = per_day.get(d, (0, 0))
        missed = unanswered.get(d, 0)
        if messages or missed:
            rows.append((d, messages, fallbacks, missed, _rate(fallbacks, messages), _rate(missed, messages)))
    by_day = {r[0]: r for r in rows}
    chart = _chart(
        "line",
        days,
        [
            ("% không hiểu", [by_day[d][4] if d in by_day else None for d in days]),
            ("% chưa trả lời được", [by_day[d][5] if d in by_day else None for d in days]),
        ],
        percent=True,
    )
    total, fb, miss = sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows)
    summary = [("Không hiểu", _percent(_rate(fb, total))), ("Chưa trả lời được", _percent(_rate(miss, total)))]
    return Figure("fallback", title, columns, rows, chart, note=note, summary=summary)


def eligibility(src: Sources, period: DateRange) -> Figure:
    """Eligibility checks started (the form activated) and finished (a verdict given), per day
    and verdict."""
    title = "Kiểm tra điều kiện: bắt đầu và có kết luận"
    verdicts = tuple(VERDICT_LABELS)
    columns = ("Ngày", "Bắt đầu", "Có kết luận") + tuple(VERDICT_LABELS[v] for v in verdicts)
    if not src.has_events:
        return _empty("eligibility", title, columns, NO_TRACKER)
    dialect = src.tracker.dialect.name
    day = _event_day(dialect).label("day")
    started_stmt = (
        sa.select(day, sa.func.count())
        .where(_EVENTS.c.type_name == "active_loop", _EVENTS.c.action_name == ELIGIBILITY_FORM, _in_range(period))
        .group_by(day)
    )
    value = _json_field(dialect, "value").label("value")
    verdict_stmt = (
        sa.select(day, value, sa.func.count())
        .where(_EVENTS.c.type_name == "slot", _EVENTS.c.action_name == VERDICT_SLOT, _in_range(period))
        .group_by(day, value)
    )
    with src.tracker.connect() as conn:
        started = {_day(d): n for d, n in conn.execute(started_stmt)}
        finished: Dict[dt.date, Dict[str, int]] = {}
        for d, v, n in conn.execute(verdict_stmt):
            if v:
                finished.setdefault(_day(d), {})[str(v)] = n
    days = period.days()
    rows = []
    for d in days:
        per = finished.get(d, {})
        if started.get(d) or per:
            rows.append((d, started.get(d, 0), sum(per.values())) + tuple(per.get(v, 0) for v in verdicts))
    by_day = {r[0]: r for r in rows}
    chart = _chart(
        "bar",
        days,
        [
            ("Bắt đầu", [by_day[d][1] if d in by_day else 0 for d in days]),
            ("Có kết luận", [by_day[d][2] if d in by_day else 0 for d in days]),
        ],
    )
    total_started, total_finished = sum(r[1] for r in rows), sum(r[2] for r in rows)
    summary = [("Bắt đầu", str(total_started)), ("Có kết luận", str(total_finished))]
    summary += [(VERDICT_LABELS[v], str(sum(r[3 + i] for r in rows))) for i, v in enumerate(verdicts)]
    return Figure("eligibility", title, columns, rows, chart, summary=summary)


def _province_names() -> Dict[str, str]:
    try:
        from policy_kb.provinces import load_provinces

        return {key: p.short_name for key, p in load_provinces().items()}
    except Exception:  # noqa: BLE001 - the figure keeps its keys if the KB file is unreadable
        return {}


def leads_by_province(src: Sources, period: DateRange) -> Figure:
    """Contacts left (with consent) per province (the 34 units since 1 July 2025)."""
    title, columns = "Liên hệ để lại theo tỉnh, thành phố", ("Tỉnh, thành phố", "Mã", "Liên hệ")
    if "leads" not in src.tables:
        return _empty("leads", title, columns, "Chưa có bảng liên hệ (chưa ai để lại liên hệ).")
    table = sa.table("leads", sa.column("province"), sa.column("created_at"))
    start, end = period.utc()
    count = sa.func.count().label("n")
    stmt = (
        sa.select(table.c.province, count)
        .where(table.c.created_at >= start, table.c.created_at < end)
        .group_by(table.c.province)
    )
    with src.db.connect() as conn:
        # most first; "not known" after the provinces with as many (NULL order differs by database)
        raw = sorted(conn.execute(stmt).all(), key=lambda r: (-r[1], r[0] is None, r[0] or ""))
    names = _province_names()
    rows = [(names.get(key, key) if key else "Chưa rõ", key or "", n) for key, n in raw]
    return Figure(
        "leads",
        title,
        columns,
        rows,
        _chart("bar", [r[0] for r in rows], [("Liên hệ", [r[2] for r in rows])], horizontal=True),
        summary=[("Tổng số liên hệ", str(sum(r[2] for r in rows)))],
    )


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """Nearest-rank percentile (an observed value: "9 in 10 were answered within …")."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _minutes(value: Optional[float]) -> str:
    if value is None:
        return "–"
    if value < 60:
        return f"{value:.0f} phút"
    return f"{value / 60:.1f} giờ".replace(".", ",")


def handovers(src: Sources, period: DateRange) -> Figure:
    """Conversations handed to an officer per day, and the time to the first officer reply
    (median and 90th percentile, in minutes)."""
    title = "Chuyển cho cán bộ: số lượt và thời gian đến câu trả lời đầu tiên"
    columns = ("Ngày", "Lượt chuyển", "Đã trả lời", "Trung vị (phút)", "P90 (phút)")
    if "handovers" not in src.tables:
        return _empty(
            "handovers",
            title,
            columns,
            "Chưa có bảng chuyển cán bộ (migration 0003_handover chưa chạy): số liệu bằng 0.",
        )
    table = sa.table("handovers", sa.column("requested_at"), sa.column("first_reply_at"), sa.column("reason"))
    start, end = period.utc()
    stmt = sa.select(table.c.requested_at, table.c.first_reply_at, table.c.reason).where(
        table.c.requested_at >= start, table.c.requested_at < end
    )
    per_day: Dict[dt.date, List[Optional[float]]] = {}
    reasons: Dict[str, int] = {}
    with src.db.connect() as conn:
        for requested, replied, reason in conn.execute(stmt):
            requested = _naive(requested)
            day = (requested + dt.timedelta(hours=7)).date()
            wait = (_naive(replied) - requested).total_seconds() / 60 if replied is not None else None
            per_day.setdefault(day, []).append(wait)
            reasons[reason] = reasons.get(reason, 0) + 1
    rows, waits = [], []
    for d in sorted(per_day):
        answered = [w for w in per_day[d] if w is not None]
        waits.extend(answered)
        rows.append(
            (
                d,
                len(per_day[d]),
                len(answered),
                round(statistics.median(answered), 1) if answered else None,
                round(percentile(answered, 0.9), 1) if answered else None,
            )
        )
    days = period.days()
    by_day = {r[0]: r for r in rows}
    chart = _chart(
        "bar",
        days,
        [
            ("Lượt chuyển", [by_day[d][1] if d in by_day else 0 for d in days]),
            ("Đã trả lời", [by_day[d][2] if d in by_day else 0 for d in days]),
        ],
    )
    summary = [
        ("Lượt chuyển", str(sum(r[1] for r in rows))),
        ("Trung vị đến câu trả lời đầu", _minutes(statistics.median(waits) if waits else None)),
        ("90% được trả lời trong", _minutes(percentile(waits, 0.9))),
    ]
    summary += [(HANDOVER_REASONS.get(k, k), str(n)) for k, n in sorted(reasons.items())]
    return Figure("handovers", title, columns, rows, chart, summary=summary)


def _naive(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


FIGURES: Dict[str, Callable[[Sources, DateRange], Figure]] = {
    "conversations": conversations,
    "intents": top_intents,
    "topics": top_topics,
    "fallback": fallback_rate,
    "eligibility": eligibility,
    "leads": leads_by_province,
    "handovers": handovers,
}


def figure(name: str, src: Sources, period: DateRange) -> Figure:
    """One figure by its slug (KeyError for an unknown one)."""
    return FIGURES[name](src, period)


def all_figures(src: Sources, period: DateRange) -> List[Figure]:
    return [build(src, period) for build in FIGURES.values()]

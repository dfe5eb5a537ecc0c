"""console.stats on real tracker-store data: events written by Rasa's own SQLTrackerStore (so a
wrong assumption about its schema breaks these tests), on SQLite and PostgreSQL, plus the bot's
leads / unanswered questions / handovers tables."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from console import stats
from lead_store.leads import Lead, ensure_schema
from policy_kb.db import get_engine
from policy_kb.unanswered import UnansweredQuestion, ensure_table
from tests.conftest import ROOT, pg_schema

VN = dt.timezone(dt.timedelta(hours=7))
PERIOD = stats.DateRange(dt.date(2026, 11, 10), dt.date(2026, 11, 11))


def vn(day: int, hour: int, minute: int = 0) -> float:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=VN).timestamp()


def utc_naive(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).replace(tzinfo=None)


def conversations():
    """(sender, events) of four conversations, with Rasa's own event classes."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered

    def user(text, intent, channel, ts, confidence=0.9):
        return UserUttered(
            text,
            intent={"name": intent, "confidence": confidence},
            input_channel=channel,
            timestamp=ts,
            parse_data={"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text},
        )

    def act(name, ts):
        return ActionExecuted(name, timestamp=ts)

    a = [
        SessionStarted(timestamp=vn(10, 0, 30)),
        act("action_listen", vn(10, 0, 30)),
        # 00:30 in Vietnam on 10/11 is still 9/11 in UTC: counts for the 10th
        user("chào em", "greet", "web", vn(10, 0, 30)),
        act("utter_greet", vn(10, 0, 31)),
        user("khuyến công hỗ trợ đào tạo nghề không", "ask_activities", "web", vn(10, 9)),
        act("action_answer", vn(10, 9)),
        SlotSet("last_record", "activities.training", timestamp=vn(10, 9)),
        SlotSet("last_topic", "activities", timestamp=vn(10, 9)),
        BotUttered("Dạ, …", timestamp=vn(10, 9)),
        user("abc xyz", "nlu_fallback", "web", vn(10, 9, 5), confidence=0.2),
        act("action_answer", vn(10, 9, 5)),
    ]
    b = [
        user("kiểm tra điều kiện", "check_eligibility", "zalo", vn(10, 10)),
        act("eligibility_form", vn(10, 10)),
        ActiveLoop("eligibility_form", timestamp=vn(10, 10)),
        user("hộ kinh doanh", "inform", "zalo", vn(10, 10, 1)),
        SlotSet("verdict", "eligible", timestamp=vn(10, 10, 5)),
        ActiveLoop(None, timestamp=vn(10, 10, 5)),
    ]
    c = [
        user("kiểm tra điều kiện", "check_eligibility", "rest", vn(11, 8)),
        ActiveLoop("eligibility_form", timestamp=vn(11, 8)),
        user("thôi", "stop", "rest", vn(11, 8, 1)),
        ActiveLoop(None, timestamp=vn(11, 8, 1)),
        user("mua máy móc được hỗ trợ bao nhiêu", "ask_support_level", "rest", vn(11, 8, 2)),
        SlotSet("last_record", "level.machinery", timestamp=vn(11, 8, 2)),
        user("cho hỏi văn bản nào quy định", "ask_legal_documents", "rest", vn(11, 8, 3)),
        SlotSet("last_record", "level.machinery", timestamp=vn(11, 8, 3)),
        SlotSet("verdict", None, timestamp=vn(11, 8, 4)),
    ]  # a reset is not a verdict
    d = [
        user("chào", "greet", "web", vn(9, 23, 30)),  # the day before: out of range
        user("chào", "greet", "web", vn(12, 0, 0)),
    ]  # the day after: out of range
    return [("conv-a", a), ("conv-b", b), ("conv-c", c), ("conv-d", d)]


def write_tracker_store(store) -> None:
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "bot" / "domain"))
    store.domain = domain

    async def save_all():
        for sender, events in conversations():
            await store.save(DialogueStateTracker.from_events(sender, events, slots=domain.slots))

    asyncio.run(save_all())


def fill_bot_tables(engine) -> None:
    ensure_table(engine)
    ensure_schema(engine)
    from lead_store.handovers import Handover, ensure_handover_schema

    ensure_handover_schema(engine)
    with Session(engine, future=True) as s, s.begin():
        s.add(
            UnansweredQuestion(
                asked_at=utc_naive(vn(10, 9, 5)),
                channel="web",
                text="khuyến công có cho vay vốn mua xe tải không",
                best_score=0.1,
                best_record=None,
                intent="nlu_fallback",
            )
        )
        s.add(
            UnansweredQuestion(
                asked_at=utc_naive(vn(12, 9)),
                channel="web",
                text="giá điện sản xuất năm nay bao nhiêu",
                best_score=0.1,
                best_record=None,
                intent=None,
            )
        )
        for i, (province, day) in enumerate(
            [("dong_nai", 10), ("dong_nai", 11), ("ha_noi", 11), (None, 10), ("ha_noi", 13)]
        ):
            when = utc_naive(vn(day, 12))
            s.add(
                Lead(
                    name=f"Người {i}",
                    phone_e164=f"+8491234567{i}",
                    province=province,
                    channel="web",
                    conversation_id=f"c{i}",
                    consent_version="v1",
                    consent_at=when,
                    created_at=when,
                    updated_at=when,
                )
            )
        for requested, reply_after in [(vn(10, 9), 4), (vn(10, 14), 30), (vn(11, 10), 10), (vn(11, 11), None)]:
            at = utc_naive(requested)
            s.add(
                Handover(
                    conversation_id=f"h{requested}",
                    channel="web",
                    reason="asked",
                    requested_at=at,
                    status="answered" if reply_after else "waiting",
                    first_reply_at=at + dt.timedelta(minutes=reply_after) if reply_after else None,
                    closed_at=at if reply_after else None,
                )
            )


def check_figures(src: stats.Sources) -> None:
    d10, d11 = dt.date(2026, 11, 10), dt.date(2026, 11, 11)
    conv = stats.conversations(src, PERIOD)
    assert conv.note is None
    assert conv.rows == [(d10, "Web", 1, 3), (d10, "Zalo OA", 1, 2), (d11, "REST (API)", 1, 4)]
    assert conv.chart["labels"] == ["10/11", "11/11"]

    intents = {row[1]: row[2] for row in stats.top_intents(src, PERIOD).rows}
    assert intents == {
        "check_eligibility": 2,
        "greet": 1,
        "ask_activities": 1,
        "nlu_fallback": 1,
        "inform": 1,
        "stop": 1,
        "ask_support_level": 1,
        "ask_legal_documents": 1,
    }
    first = stats.top_intents(src, PERIOD).rows[0]
    assert first == ("Kiểm tra điều kiện", "check_eligibility", 2)

    topics = stats.top_topics(src, PERIOD).rows
    assert [(t[1], t[2]) for t in topics] == [("support_levels", 2), ("activities", 1)]
    assert topics[0][0] == "Mức hỗ trợ"

    fallback = stats.fallback_rate(src, PERIOD)
    assert fallback.rows == [(d10, 5, 1, 1, 20.0, 20.0), (d11, 4, 0, 0, 0.0, 0.0)]

    elig = stats.eligibility(src, PERIOD)
    assert elig.rows == [(d10, 1, 1, 1, 0, 0), (d11, 1, 0, 0, 0, 0)]

    leads = stats.leads_by_province(src, PERIOD).rows
    assert leads == [("Đồng Nai", "dong_nai", 2), ("Hà Nội", "ha_noi", 1), ("Chưa rõ", "", 1)]

    hand = stats.handovers(src, PERIOD)
    assert hand.note is None
    assert hand.rows == [(d10, 2, 2, 17.0, 30.0), (d11, 2, 1, 10.0, 10.0)]
    summary = dict(hand.summary)
    assert summary["Trung vị đến câu trả lời đầu"] == "10 phút"
    assert summary["90% được trả lời trong"] == "30 phút"

    table = list(csv.reader(io.StringIO(stats.csv(conv).decode("utf-8-sig"))))
    assert table == [
        list(conv.columns),
        ["2026-11-10", "Web", "1", "3"],
        ["2026-11-10", "Zalo OA", "1", "2"],
        ["2026-11-11", "REST (API)", "1", "4"],
    ]
    json.dumps([f.chart for f in stats.all_figures(src, PERIOD)])  # the page embeds them as JSON


def test_figures_on_sqlite_tracker_store(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    tracker_db = tmp_path / "rasa_tracker.db"
    write_tracker_store(SQLTrackerStore(None, dialect="sqlite", db=str(tracker_db)))
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    fill_bot_tables(get_engine(db_url))
    check_figures(stats.Sources.open(db_url, f"sqlite:///{tracker_db}"))


def test_figures_on_postgresql():
    from rasa.core.tracker_store import SQLTrackerStore

    with pg_schema("kc_stats") as (schema, url):
        store = SQLTrackerStore(
            None,
            dialect="postgresql",
            host="127.0.0.1",
            port=5432,
            db="test",
            username="postgres",
            query={"options": f"-csearch_path={schema}"},
        )
        write_tracker_store(store)
        store.engine.dispose()
        fill_bot_tables(get_engine(url))
        check_figures(stats.Sources.open(url, url))
        get_engine(url).dispose()


def test_missing_sources_give_notes_not_errors(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'empty.db'}"
    missing_tracker = tmp_path / "nowhere" / "rasa_tracker.db"
    src = stats.Sources.open(db_url, f"sqlite:///{missing_tracker}")
    figures = {f.name: f for f in stats.all_figures(src, PERIOD)}
    assert set(figures) == set(stats.FIGURES)
    assert not missing_tracker.exists()  # never created by the console
    for name in ("conversations", "intents", "topics", "eligibility", "handovers", "leads"):
        assert figures[name].rows == [] and figures[name].note, name
    assert "0003_handover" in figures["handovers"].note
    assert stats.csv(figures["handovers"]).decode("utf-8-sig").strip() == ",".join(figures["handovers"].columns)


def test_fast_on_100k_events(tmp_path):
    """100k events in the real table: every figure in well under a few seconds (SQL aggregation)."""
    from rasa.core.tracker_store import SQLTrackerStore

    tracker_db = tmp_path / "big.db"
    store = SQLTrackerStore(None, dialect="sqlite", db=str(tracker_db))
    start = vn(10, 0)
    rows = []
    intents = ["greet", "ask_activities", "ask_support_level", "nlu_fallback", "check_eligibility"]
    for i in range(100_000):
        ts = start + i * 1.5
        sender = f"s{i // 20}"
        kind = i % 4
        if kind == 0:
            intent = intents[i % len(intents)]
            data = {
                "event": "user",
                "timestamp": ts,
                "text": "x" * 40,
                "input_channel": ["web", "zalo", "rest"][i % 3],
                "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": []},
            }
            rows.append(
                dict(
                    sender_id=sender,
                    type_name="user",
                    timestamp=ts,
                    intent_name=intent,
                    action_name=None,
                    data=json.dumps(data),
                )
            )
        elif kind == 1:
            rows.append(
                dict(
                    sender_id=sender,
                    type_name="action",
                    timestamp=ts,
                    intent_name=None,
                    action_name="action_answer",
                    data=json.dumps({"event": "action", "name": "action_answer"}),
                )
            )
        elif kind == 2:
            rows.append(
                dict(
                    sender_id=sender,
                    type_name="slot",
                    timestamp=ts,
                    intent_name=None,
                    action_name="last_record",
                    data=json.dumps({"event": "slot", "name": "last_record", "value": "activities.training"}),
                )
            )
        else:
            rows.append(
                dict(
                    sender_id=sender,
                    type_name="bot",
                    timestamp=ts,
                    intent_name=None,
                    action_name=None,
                    data=json.dumps({"event": "bot", "text": "y" * 200}),
                )
            )
    with store.engine.begin() as conn:
        conn.execute(store.SQLEvent.__table__.insert(), rows)
    store.engine.dispose()
    db_url = f"sqlite:///{tmp_path / 'bot.db'}"
    src = stats.Sources.open(db_url, f"sqlite:///{tracker_db}")
    began = time.perf_counter()
    figures = stats.all_figures(src, stats.DateRange(dt.date(2026, 11, 10), dt.date(2026, 11, 12)))
    elapsed = time.perf_counter() - began
    conv = {f.name: f for f in figures}["conversations"]
    assert sum(r[3] for r in conv.rows) == 25_000
    assert elapsed < 3.0, elapsed


@pytest.mark.parametrize(
    "values, p90", [([1.0], 1.0), ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 9.0), ([5.0, 1.0, 3.0], 5.0)]
)
def test_percentile_nearest_rank(values, p90):
    assert stats.percentile(values, 0.9) == p90
    assert stats.percentile([], 0.9) is None


def test_date_range_bounds_are_vietnam_midnight():
    r = stats.DateRange(dt.date(2026, 11, 10), dt.date(2026, 11, 10))
    start, end = r.epoch()
    assert dt.datetime.fromtimestamp(start, dt.timezone.utc) == dt.datetime(2026, 11, 9, 17, tzinfo=dt.timezone.utc)
    assert end - start == 86400
    assert r.utc()[0] == dt.datetime(2026, 11, 9, 17, 0)


# ------------------------------------------------------------------ the /stats page (real server)


@pytest.fixture()
def console(tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    from tests.console_helpers import make_console

    server = make_console(tmp_path, seed=False)  # its tracker_db_url is tmp_path/tracker.db
    store = SQLTrackerStore(None, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    write_tracker_store(store)
    store.engine.dispose()
    fill_bot_tables(server.engine)
    yield server
    server.stop()


def test_stats_page_for_an_officer(console):
    import re

    import requests

    from tests.console_helpers import logged_in

    anonymous = requests.get(console.url("/stats"), allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    assert requests.get(console.url("/stats/conversations.csv"), allow_redirects=False, timeout=10).status_code == 302

    s = logged_in(console)
    page = s.get(console.url("/stats?from=2026-11-10&to=2026-11-11"), timeout=20)
    assert page.status_code == 200
    html = page.text
    assert "10/11/2026 – 11/11/2026" in html
    for name in stats.FIGURES:
        assert f'id="fig-{name}"' in html and f'href="/stats/{name}.csv?from=2026-11-10&amp;to=2026-11-11"' in html
    # the numbers as tables, Vietnamese labels
    assert "Kiểm tra điều kiện" in html and "Đồng Nai" in html and "Mức hỗ trợ" in html and "Zalo OA" in html
    # no inline script (CSP script-src 'self'): only vendored files and JSON data blocks
    for tag in re.findall(r"<script[^>]*>", html):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    blocks = re.findall(
        r'<script type="application/json" class="chart-data" data-canvas="chart-(\w+)">(.*?)</script>', html, re.S
    )
    charts = {name: json.loads(body) for name, body in blocks}
    assert charts["conversations"]["labels"] == ["10/11", "11/11"]
    assert charts["eligibility"]["datasets"][0]["data"] == [1, 1]
    for path in ("/static/vendor/chart.umd.min.js", "/static/charts.js", "/static/stats.css"):
        assert s.get(console.url(path), timeout=10).status_code == 200

    default = s.get(console.url("/stats"), timeout=20)
    last30 = stats.DateRange.last_days(30)
    assert default.status_code == 200
    assert f'name="from" value="{last30.since.isoformat()}"' in default.text  # default: last 30 days
    assert f"{last30.until:%d/%m/%Y}" in default.text
    empty = s.get(console.url("/stats?from=2025-01-01&to=2025-01-31"), timeout=20).text
    assert "Dạ, chưa có số liệu" in empty
    bad = s.get(console.url("/stats?from=2026-11-12&to=2026-11-01"), timeout=20).text
    assert "Từ ngày đang sau Đến ngày." in bad


def test_stats_csv_downloads(console):
    from console.audit import AuditEntry
    from tests.console_helpers import logged_in

    s = logged_in(console)
    got = s.get(console.url("/stats/leads.csv?from=2026-11-10&to=2026-11-11"), timeout=20)
    assert got.status_code == 200 and got.headers["Content-Type"].startswith("text/csv")
    assert 'filename="thong-ke-leads-20261110-20261111.csv"' in got.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows == [
        ["Tỉnh, thành phố", "Mã", "Liên hệ"],
        ["Đồng Nai", "dong_nai", "2"],
        ["Hà Nội", "ha_noi", "1"],
        ["Chưa rõ", "", "1"],
    ]
    hand = s.get(console.url("/stats/handovers.csv?from=2026-11-10&to=2026-11-11"), timeout=20)
    assert list(csv.reader(io.StringIO(hand.content.decode("utf-8-sig"))))[1] == [
        "2026-11-10",
        "2",
        "2",
        "17.0",
        "30.0",
    ]
    assert s.get(console.url("/stats/nothing.csv"), timeout=10).status_code == 404
    assert s.get(console.url("/stats/leads.csv?from=x"), timeout=10).status_code == 400
    with Session(console.engine, future=True) as session:
        entries = (
            session.execute(sa.select(AuditEntry).where(AuditEntry.action == "stats_export").order_by(AuditEntry.id))
            .scalars()
            .all()
        )
    assert [(e.count, e.detail) for e in entries] == [
        (3, "leads 10/11/2026 → 11/11/2026"),
        (2, "handovers 10/11/2026 → 11/11/2026"),
    ]

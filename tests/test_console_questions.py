"""console.questions: grouping of unanswered questions, marking them handled, exports.

On real SQLite files (and PostgreSQL for the update path), through policy_kb.unanswered's own
writer where the row is a new one; older rows (written before redaction existed) are inserted
raw to check that nothing personal is shown."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from console import questions
from policy_kb.db import get_engine
from policy_kb.unanswered import UnansweredQuestion, ensure_table, record
from tests.conftest import pg_schema

WEB_VARIANTS = ("ho tro lam web ban hang ko", "hỗ trợ làm web bán hàng không", "có hỗ trợ làm trang web bán hàng k")
UNRELATED = (
    "hỗ trợ vay vốn ngân hàng không",
    "khuyến công có hỗ trợ làm phim quảng cáo không",
    "giá vàng hôm nay bao nhiêu",
)


@pytest.fixture()
def db(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    engine = get_engine(url)
    ensure_table(engine)
    return url, engine


def add_raw(engine, text, asked_at, channel="web", score=0.2, best="activities.training", handled=False):
    with Session(engine, future=True) as s, s.begin():
        row = UnansweredQuestion(
            asked_at=asked_at,
            channel=channel,
            text=text,
            best_score=score,
            best_record=best,
            intent="ask_activities",
            handled=handled,
        )
        s.add(row)
        s.flush()
        return row.id


def test_variants_group_together_unrelated_do_not(db):
    url, engine = db
    for i, text in enumerate(WEB_VARIANTS):
        assert record(
            text, "web" if i else "zalo", 0.1 + i / 10, "activities.products_fairs_branding", "ask_activities", url=url
        )
    for text in UNRELATED:
        assert record(text, "rest", 0.05, None, "nlu_fallback", url=url)
    with Session(engine, future=True) as s:
        found = questions.groups(s)
    web = [g for g in found if g.count == 3]
    assert len(web) == 1, [(g.representative, g.count) for g in found]
    web = web[0]
    assert found[0] is web  # most asked first
    assert {t for t, _ in web.variants} == set(WEB_VARIANTS)
    assert web.representative == "hỗ trợ làm web bán hàng không"  # the accented wording is shown
    assert web.channels == ("web", "zalo")
    assert web.best_score == pytest.approx(0.3)
    assert web.best_record == "activities.products_fairs_branding"
    assert not web.handled
    others = [g for g in found if g is not web]
    assert sorted(g.representative for g in others) == sorted(UNRELATED)
    assert all(g.count == 1 for g in others)


def test_personal_data_never_shown_or_exported(db):
    _, engine = db
    # rows written before redaction existed: raw phone, e-mail and name
    now = dt.datetime(2026, 11, 20, 3, 0)
    add_raw(engine, "tên tôi là Nguyễn Văn Hùng, sđt 0912 345 678, hỗ trợ làm web bán hàng không", now)
    add_raw(engine, "hỗ trợ làm web bán hàng không, mail hung.nguyen@example.com", now)
    with Session(engine, future=True) as s:
        found = questions.groups(s)
    shown = " ".join(t for g in found for t, _ in g.variants) + " ".join(g.representative for g in found)
    exported = questions.export_csv(found).decode("utf-8-sig") + questions.export_yaml(found)
    for text in (shown, exported):
        assert "0912" not in text and "345 678" not in text
        assert "Hùng" not in text and "hung.nguyen" not in text
        assert "[số điện thoại]" in text


def test_dates_are_vietnam_days(db):
    _, engine = db
    # 30/11 18:30 UTC is 01/12 01:30 in Vietnam
    add_raw(engine, "hỗ trợ làm web bán hàng không", dt.datetime(2026, 11, 30, 18, 30))
    add_raw(engine, "hỗ trợ vay vốn ngân hàng không", dt.datetime(2026, 11, 30, 16, 30))  # 23:30 VN, 30/11
    with Session(engine, future=True) as s:
        dec = questions.groups(s, since=dt.date(2026, 12, 1), until=dt.date(2026, 12, 1))
        nov = questions.groups(s, since=dt.date(2026, 11, 30), until=dt.date(2026, 11, 30))
    assert [g.representative for g in dec] == ["hỗ trợ làm web bán hàng không"]
    assert dec[0].first_asked == dt.datetime(2026, 12, 1, 1, 30)
    assert [g.representative for g in nov] == ["hỗ trợ vay vốn ngân hàng không"]


def test_mark_handled_whole_group(db):
    _, engine = db
    t = dt.datetime(2026, 11, 25, 2, 0)
    ids = [add_raw(engine, text, t) for text in WEB_VARIANTS]
    other = add_raw(engine, UNRELATED[0], t)
    with Session(engine, future=True) as s:
        group = questions.groups(s, handled=False)[0]
    assert sorted(group.ids) == sorted(ids)
    changed = questions.mark_handled(
        engine,
        questions.parse_ids(group.ids_text),
        "đã thêm câu hỏi vào policy_kb/data/facts/activities.yml",
        "canbo1",
        when=dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.timezone.utc),
    )
    assert changed == 3
    with Session(engine, future=True) as s:
        open_groups = questions.groups(s, handled=False)
        done = questions.groups(s, handled=True)
        rows = s.execute(select(UnansweredQuestion).order_by(UnansweredQuestion.id)).scalars().all()
    assert [g.ids for g in open_groups] == [[other]]
    assert len(done) == 1 and done[0].handled and done[0].count == 3
    assert done[0].note == "đã thêm câu hỏi vào policy_kb/data/facts/activities.yml — canbo1, 01/12/2026"
    assert [r.handled for r in rows] == [True, True, True, False]


def test_mark_handled_inside_callers_transaction_and_bad_ids(db):
    _, engine = db
    row = add_raw(engine, "hỗ trợ làm web bán hàng không", dt.datetime(2026, 11, 25, 2, 0))
    with Session(engine, future=True) as s, s.begin():
        assert questions.mark_handled(s, [row], "", "admin") == 1
    with Session(engine, future=True) as s:
        assert s.get(UnansweredQuestion, row).handled
    for bad in ("", "1,x", "0", ",".join(str(i) for i in range(1, questions.MAX_IDS + 2))):
        with pytest.raises(ValueError):
            questions.parse_ids(bad)


def test_export_shapes(db):
    _, engine = db
    t = dt.datetime(2026, 11, 25, 2, 0)
    for text in WEB_VARIANTS:
        add_raw(engine, text, t, best="activities.products_fairs_branding", score=0.31)
    add_raw(engine, '=HYPERLINK("x") mức hỗ trợ máy móc cho hộ kinh doanh', t, best="level.machinery")
    add_raw(engine, "giá vàng hôm nay bao nhiêu", t, best=None, score=0.01)
    with Session(engine, future=True) as s:
        found = questions.groups(s)
    table = list(csv.reader(io.StringIO(questions.export_csv(found).decode("utf-8-sig"))))
    assert table[0] == list(questions.CSV_COLUMNS)
    assert len(table) == 1 + len(found) == 4
    assert table[1][0] == "3" and table[1][1] == "hỗ trợ làm web bán hàng không"
    assert table[1][6] == "activities.products_fairs_branding" and table[1][7] == "chưa"
    assert any(row[1].startswith("'=HYPERLINK") for row in table)  # never a formula in Excel

    snippet = questions.export_yaml(found, today=dt.date(2026, 12, 1))
    assert "policy_kb/data/facts/activities.yml" in snippet
    assert "policy_kb/data/support_levels/machinery.yml" in snippet
    data = yaml.safe_load(snippet)
    # same shape as the data files: records with an id and a list of question strings
    assert [d["id"] for d in data] == ["activities.products_fairs_branding", "level.machinery", None]
    assert data[0]["questions"][0] == "hỗ trợ làm web bán hàng không"  # best-written first
    assert sorted(data[0]["questions"]) == sorted(WEB_VARIANTS)
    assert all(isinstance(q, str) for d in data for q in d["questions"])


def test_groups_and_mark_handled_on_postgresql():
    with pg_schema("kc_questions") as (_, url):
        engine = get_engine(url)
        ensure_table(engine)
        ids = [add_raw(engine, text, dt.datetime(2026, 11, 25, 2, 0)) for text in WEB_VARIANTS]
        with Session(engine, future=True) as s:
            found = questions.groups(s, handled=False)
        assert len(found) == 1 and sorted(found[0].ids) == ids
        assert questions.mark_handled(engine, ids, "đã sửa", "canbo1") == 3
        with Session(engine, future=True) as s:
            assert questions.groups(s, handled=False) == []
        engine.dispose()


# ------------------------------------------------------------------ the /questions page (real server)


@pytest.fixture()
def console(tmp_path):
    from tests.console_helpers import make_console

    server = make_console(tmp_path, seed=False)
    yield server
    server.stop()


def seed_questions(engine):
    t = dt.datetime(2026, 11, 25, 2, 0)
    ids = [
        add_raw(engine, text, t + dt.timedelta(minutes=i), channel=("web", "zalo", "rest")[i])
        for i, text in enumerate(WEB_VARIANTS)
    ]
    # an old row written before redaction: its phone and name must not be shown
    ids.append(add_raw(engine, "em là Nguyễn Văn Hùng 0912 345 678 hỏi hỗ trợ làm web bán hàng không", t))
    other = add_raw(engine, "giá vàng hôm nay bao nhiêu", t, best=None, score=0.01)
    return ids, other


def test_questions_page_lists_groups_for_an_officer(console, caplog):
    import requests

    from tests.console_helpers import logged_in

    ids, other = seed_questions(console.engine)
    anonymous = requests.get(console.url("/questions"), allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")

    s = logged_in(console)
    page = s.get(console.url("/questions"), timeout=10)
    assert page.status_code == 200
    html = page.text
    assert "Câu hỏi chưa trả lời" in html and "2 nhóm, 5 lượt hỏi" in html
    assert html.index("hỗ trợ làm web bán hàng không") < html.index("giá vàng hôm nay bao nhiêu")  # by count
    assert "4 lượt" in html and "REST (API), Web, Zalo OA" in html
    assert "ho tro lam web ban hang ko" in html  # the variants, in the expandable part
    assert "0912" not in html and "Hùng" not in html and "[số điện thoại]" in html
    assert "policy_kb/data/facts/activities.yml" in html
    assert 'value="' + ",".join(str(i) for i in sorted(ids)) + '"' in html

    assert "Dạ, không có câu hỏi" in s.get(console.url("/questions?status=handled"), timeout=10).text
    assert "không hợp lệ" in s.get(console.url("/questions?from=hôm-qua"), timeout=10).text
    dated = s.get(console.url("/questions?status=all&from=2026-11-26"), timeout=10).text
    assert "Dạ, không có câu hỏi" in dated
    assert "0912" not in caplog.text and "bán hàng" not in caplog.text


def test_mark_group_handled_from_the_page(console):
    from console.audit import AuditEntry
    from tests.console_helpers import OFFICER, logged_in

    ids, other = seed_questions(console.engine)
    s = logged_in(console)
    form = {
        "ids": ",".join(map(str, ids)),
        "note": "đã thêm câu hỏi vào policy_kb/data/facts/activities.yml",
        "back": "status=open&from=2026-11-01",
    }
    assert s.post(console.url("/questions/handled"), data=form, allow_redirects=False, timeout=10).status_code == 403
    resp = s.post(
        console.url("/questions/handled"), data={**form, "csrf_token": s.csrf}, allow_redirects=False, timeout=10
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/questions?status=open&from=2026-11-01&msg=handled"
    page = s.get(console.url(resp.headers["Location"]), timeout=10).text
    assert "đã đánh dấu nhóm câu hỏi là đã xử lý" in page
    assert "hỗ trợ làm web bán hàng không" not in page and "giá vàng" in page
    done = s.get(console.url("/questions?status=handled"), timeout=10).text
    assert "Đã xử lý" in done and f"activities.yml — {OFFICER}," in done
    with Session(console.engine, future=True) as session:
        rows = {r.id: r for r in session.execute(select(UnansweredQuestion)).scalars()}
        entry = session.execute(select(AuditEntry).where(AuditEntry.action == "questions_handled")).scalar_one()
    assert all(rows[i].handled for i in ids) and not rows[other].handled
    assert entry.officer == OFFICER and entry.count == 4
    assert entry.target_ids == ",".join(map(str, sorted(ids))) and entry.detail is None
    bad = s.post(
        console.url("/questions/handled"),
        data={"ids": "1,abc", "csrf_token": s.csrf},
        allow_redirects=False,
        timeout=10,
    )
    assert bad.status_code == 400


def test_question_exports_from_the_page_are_audited_without_texts(console):
    from console.audit import AuditEntry
    from tests.console_helpers import logged_in

    seed_questions(console.engine)
    s = logged_in(console)
    got = s.get(console.url("/questions/export.csv?status=all&from=2026-11-01"), timeout=10)
    assert got.status_code == 200 and got.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in got.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert table[0] == list(questions.CSV_COLUMNS) and len(table) == 3 and table[1][0] == "4"
    snippet = s.get(console.url("/questions/export.yaml"), timeout=10)
    assert snippet.status_code == 200
    data = yaml.safe_load(snippet.text)
    assert data[0]["id"] == "activities.training" and "hỗ trợ làm web bán hàng không" in data[0]["questions"]
    assert "0912" not in got.content.decode("utf-8-sig") + snippet.text
    with Session(console.engine, future=True) as session:
        entries = (
            session.execute(select(AuditEntry).where(AuditEntry.action == "questions_export").order_by(AuditEntry.id))
            .scalars()
            .all()
        )
    assert [(e.count, e.detail) for e in entries] == [
        (5, "csv groups=2 status=all from=01/11/2026 to=-"),
        (5, "yaml groups=2 status=open from=- to=-"),
    ]
    for e in entries:
        assert "web" not in (e.detail or "") and "vàng" not in (e.detail or "")


def test_grouping_5000_rows_is_quick(db):
    import random
    import time

    _, engine = db
    rng = random.Random(13)
    vocab = (
        "may moc thiet bi vay von dao tao nghe thuong hieu hoi cho trien lam xuat khau gom su "
        "det may che bien nong san go my nghe lang nghe ho so thu tuc dien nuoc dat dai"
    ).split()
    t = dt.datetime(2026, 11, 1)
    with Session(engine, future=True) as s, s.begin():
        for i in range(5000):
            words = rng.sample(vocab, 4)
            s.add(
                UnansweredQuestion(
                    asked_at=t + dt.timedelta(minutes=i),
                    channel="web",
                    text="hỗ trợ " + " ".join(words) + " không",
                    best_score=0.1,
                )
            )
    began = time.perf_counter()
    with Session(engine, future=True) as s:
        found = questions.groups(s)
    assert sum(g.count for g in found) == 5000
    assert time.perf_counter() - began < 5.0

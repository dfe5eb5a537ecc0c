"""Leads: phone validation, consent, idempotent storage, officer export CLI, no PII in logs.

Every database test runs on SQLite (a temporary file) and on PostgreSQL (127.0.0.1:5432,
database ``test``, a schema of its own dropped at the end). PostgreSQL being unreachable is a
failure, not a skip: CI has it.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import stat
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, func, select, text, update

from lead_store.consent import CONSENT_TEXT, CONSENT_VERSION, REFUSED_TEXT
from policy_kb.db import get_engine
from lead_store.leads import (
    Lead,
    LeadInput,
    LeadNotFoundError,
    LeadStoreError,
    LeadValidationError,
    delete_leads,
    ensure_schema,
    mark_contacted,
    query_leads,
    save_lead,
)
from lead_store.erasure import ErasureRequest, ensure_erasure_schema, record_erasure_request
from lead_store.cli import EXPORT_HEADERS, main
from vntext.phone import is_mobile, mask_phone, national_format, normalize_phone
from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parent.parent
CONSOLE_SCRIPT = Path(sys.executable).parent / "khuyencong-leads"
PG_USERS = ("postgres", "root")
PG_URL = "postgresql+psycopg2://{user}@127.0.0.1:5432/test"
# TEST_POSTGRES_URL replaces the candidates above (e.g. another host or user in CI)
PG_CANDIDATES = (
    [os.environ["TEST_POSTGRES_URL"]]
    if os.environ.get("TEST_POSTGRES_URL")
    else [PG_URL.format(user=user) for user in PG_USERS]
)

NAME = "Nguyễn Thị Hoa"
PHONE = "0912 345 678"
E164 = "+84912345678"


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def postgresql_url():
    errors = []
    admin = base = None
    for base in PG_CANDIDATES:
        admin = create_engine(base, future=True)
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT 1"))
            break
        except Exception as exc:  # noqa: BLE001 - report every attempt
            errors.append(f"{base}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            admin.dispose()
            admin = None
    if admin is None:
        message = "PostgreSQL is not reachable (set TEST_POSTGRES_URL if elsewhere): " + "; ".join(errors)
        if in_ci():
            pytest.fail(message + " — CI has PostgreSQL, so this is a failure", pytrace=False)
        pytest.skip(message)
    schema = f"leads_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # libpq "options" in the URL, so the CLI subprocess (DATABASE_URL) uses the schema too
    url = f"{base}?options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('leads') / 'leads.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request):
    url = request.getfixturevalue(f"{request.param}_url")
    engine = get_engine(url)
    ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(delete(Lead))
    return url


@pytest.fixture()
def engine(db_url):
    return get_engine(db_url)


@pytest.fixture()
def cli_env(db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def lead(**overrides) -> LeadInput:
    values = dict(
        name=NAME,
        phone=PHONE,
        channel="rest",
        conversation_id="conv-1",
        consent_version=CONSENT_VERSION,
        consent_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5),
        province="da_nang",
        business_type="co_so_cnnt",
        industry="che_bien_nong_san",
        activity="machinery",
        estimated_cost_vnd=150_000_000,
        verdict="likely_eligible",
    )
    values.update(overrides)
    return LeadInput(**values)


def rows(engine):
    with new_session_for(engine) as session:
        return list(session.execute(select(Lead).order_by(Lead.id)).scalars())


def new_session_for(engine):
    from sqlalchemy.orm import Session

    return Session(engine, future=True)


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Lead)).scalar_one()


def set_created(engine, lead_id: int, when: dt.datetime) -> None:
    """Move a lead's creation time (naive UTC) for date-filter tests."""
    with engine.begin() as conn:
        conn.execute(update(Lead).where(Lead.id == lead_id).values(created_at=when))


# ------------------------------------------------------------------------------------ phones


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("0912 345 678", E164),
        ("0912.345.678", E164),
        ("0912-345-678", E164),
        ("0912345678", E164),
        ("+84 912 345 678", E164),
        ("+84912345678", E164),
        ("84912345678", E164),
        ("0084 912 345 678", E164),
        ("  0912 345 678  ", E164),
        ("0912３４５６７８", E164),  # full-width digits from a phone keyboard
        ("0868 123 456", "+84868123456"),
        ("0353.456.789", "+84353456789"),
        ("024 3825 1234", "+842438251234"),  # Hà Nội landline
        ("(024) 3825 1234", "+842438251234"),
        ("0236.3822.123", "+842363822123"),  # Đà Nẵng landline
        ("+84 28 3829 5555", "+842838295555"),  # TP.HCM landline
    ],
)
def test_valid_vietnamese_numbers_normalise_to_e164(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        None,
        912345678,
        "091234567",  # one digit short
        "09123456789",  # one digit too many
        "0912 345 67a",
        "0912345678 ext 12",
        "abc",
        "không có",
        "+1 650 253 0000",  # United States
        "+66 81 234 5678",  # Thailand
        "0123456789",  # old 11-digit-era prefix, no longer assigned
        "1900 1234",
        "1800 1234",  # premium / toll-free service numbers
        "113",
        "0912 345 678 0912 345 678",
        "+84 +84 912 345 678",
    ],
)
def test_invalid_numbers_are_refused(raw):
    assert normalize_phone(raw) is None


def test_mask_mobile_and_national_format():
    assert mask_phone(E164) == "+8491****678"
    assert mask_phone("+842438251234") == "+8424****234"
    assert mask_phone("not a phone") == "****"
    assert mask_phone(None) == "****"
    assert is_mobile(E164) and is_mobile("0353.456.789")
    assert not is_mobile("+842438251234") and not is_mobile("garbage")
    assert national_format(E164) == "0912 345 678"


# ----------------------------------------------------------------------------------- consent


def test_consent_text_states_collector_purpose_data_rights_and_legal_basis():
    assert len(CONSENT_TEXT) <= 450
    for phrase in (
        "Trung tâm Khuyến công tỉnh",
        "liên hệ",
        "họ tên",
        "số điện thoại",
        "tỉnh",
        "loại hình",
        "ngành nghề",
        "hoạt động",
        "chi phí dự kiến",
        "từ chối",
        "vẫn trả lời",
        "xóa",
        "Nghị định 13/2023/NĐ-CP",
        "Luật Bảo vệ dữ liệu cá nhân 2025",
        "đồng ý",
    ):
        assert phrase in CONSENT_TEXT, phrase
    assert "Điều" not in CONSENT_TEXT  # no invented article numbers
    assert CONSENT_VERSION == "2026-11-v1"
    assert "không lưu" in REFUSED_TEXT


# ---------------------------------------------------------------------------------- storage


def test_same_person_twice_in_a_conversation_is_one_lead(engine):
    first_id, created = save_lead(engine, lead())
    assert created
    # re-submitted with another way of writing the number, a corrected name and a new verdict;
    # the missing cost does not erase the one given before
    second_id, created = save_lead(
        engine, lead(phone="+84 912.345.678", name="Nguyễn Thị Hoà", verdict="eligible", estimated_cost_vnd=None)
    )
    assert (second_id, created) == (first_id, False)
    [row] = rows(engine)
    assert row.phone_e164 == E164
    assert row.name == "Nguyễn Thị Hoà" and row.verdict == "eligible"
    assert row.estimated_cost_vnd == 150_000_000
    assert row.updated_at >= row.created_at
    assert row.consent_version == CONSENT_VERSION and row.consent_at is not None
    assert NAME not in repr(row) and E164 not in repr(row)


def test_different_conversation_or_phone_gives_separate_leads(engine):
    a, _ = save_lead(engine, lead(conversation_id="conv-1"))
    b, created_b = save_lead(engine, lead(conversation_id="conv-2"))
    c, created_c = save_lead(engine, lead(conversation_id="conv-1", phone="024 3825 1234"))
    assert created_b and created_c and len({a, b, c}) == 3
    assert count(engine) == 3


def test_all_fields_are_stored(engine):
    consent = dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    lead_id, _ = save_lead(
        engine,
        lead(channel="Zalo", conversation_id="zalo-123", consent_at=consent.isoformat(), estimated_cost_vnd="2.5e8"),
    )
    [row] = rows(engine)
    assert row.id == lead_id
    assert (
        row.name,
        row.phone_e164,
        row.province,
        row.business_type,
        row.industry,
        row.activity,
        row.estimated_cost_vnd,
        row.verdict,
        row.channel,
        row.conversation_id,
    ) == (
        NAME,
        E164,
        "da_nang",
        "co_so_cnnt",
        "che_bien_nong_san",
        "machinery",
        250_000_000,
        "likely_eligible",
        "zalo",
        "zalo-123",
    )
    assert row.consent_at == dt.datetime(2026, 11, 3, 2, 30)  # stored as UTC
    assert row.contacted_at is None and row.contacted_by is None


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"consent_version": None}, "consent_version"),
        ({"consent_version": ""}, "consent_version"),
        ({"consent_version": "1999-01-v0"}, "consent_version"),
        ({"consent_at": None}, "consent_at"),
        ({"consent_at": "yesterday"}, "consent_at"),
        ({"consent_at": dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)}, "consent_at"),
        ({"phone": "0912 345 67"}, "phone"),
        ({"phone": "+1 650 253 0000"}, "phone"),
        ({"name": "   "}, "name"),
        ({"name": "0912345678"}, "name"),
        ({"name": "A" * 121}, "name"),
        ({"channel": "email"}, "channel"),
        ({"conversation_id": ""}, "conversation_id"),
        ({"estimated_cost_vnd": -5}, "estimated_cost_vnd"),
        ({"estimated_cost_vnd": "nhiều"}, "estimated_cost_vnd"),
        ({"province": "x" * 65}, "province"),
    ],
)
def test_invalid_submission_is_rejected_and_nothing_stored(engine, overrides, field):
    with pytest.raises(LeadValidationError) as info:
        save_lead(engine, lead(**overrides))
    assert info.value.field == field
    assert NAME not in str(info.value) and "912345678" not in str(info.value).replace(" ", "")
    assert count(engine) == 0


def test_save_with_session_commits_and_caller_transaction_is_respected(engine):
    with new_session_for(engine) as session:
        lead_id, created = save_lead(session, lead())
        assert created and not session.in_transaction()
    assert count(engine) == 1
    # inside the caller's transaction: a savepoint; the caller's rollback discards the lead
    with new_session_for(engine) as session:
        session.execute(select(func.count()).select_from(Lead))  # autobegins
        save_lead(session, lead(conversation_id="conv-9"))
        session.rollback()
    assert count(engine) == 1


def test_concurrent_submissions_make_exactly_one_lead(engine):
    barrier = threading.Barrier(10)
    results, errors = [], []

    def submit(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(save_lead(engine, lead(name=f"Người gửi {i}", conversation_id="race")))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == 10
    assert count(engine) == 1
    assert len({lead_id for lead_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_store_errors_do_not_leak_personal_data(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'no-table.db'}")  # ensure_schema never called
    with pytest.raises(LeadStoreError) as info:
        save_lead(engine, lead())
    message = str(info.value)
    assert "912345678" not in message and NAME not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_rebuilding_the_knowledge_base_keeps_leads(sqlite_url):
    from policy_kb.loader import build

    engine = get_engine(sqlite_url)
    ensure_schema(engine)
    with engine.begin() as conn:
        conn.execute(delete(Lead))
    save_lead(engine, lead())
    build(engine, force=True)
    assert count(engine) == 1


# -------------------------------------------------------------------------- query / mark / delete


def _three_leads(engine):
    """da_nang on 1 Nov, ha_noi on 2 Nov, da_nang at 00:30 on 3 Nov (Vietnam time)."""
    a, _ = save_lead(engine, lead(conversation_id="c-a", province="da_nang"))
    b, _ = save_lead(
        engine, lead(conversation_id="c-b", province="ha_noi", phone="024 3825 1234", name="Trần Văn Bình")
    )
    c, _ = save_lead(
        engine,
        lead(
            conversation_id="c-c",
            province="da_nang",
            phone="0353.456.789",
            name="Lê Minh Châu",
            estimated_cost_vnd=None,
            verdict=None,
        ),
    )
    set_created(engine, a, dt.datetime(2026, 11, 1, 3, 0))  # 10:00 VN, 1 Nov
    set_created(engine, b, dt.datetime(2026, 11, 2, 8, 0))  # 15:00 VN, 2 Nov
    set_created(engine, c, dt.datetime(2026, 11, 2, 17, 30))  # 00:30 VN, 3 Nov
    return a, b, c


def test_query_filters_by_province_vietnam_days_and_status(engine):
    a, b, c = _three_leads(engine)
    with new_session_for(engine) as s:
        ids = lambda **kw: [l.id for l in query_leads(s, **kw)]  # noqa: E731
        assert ids() == [a, b, c]
        assert ids(province="da_nang") == [a, c]
        assert ids(date_from=dt.date(2026, 11, 2)) == [b, c]
        assert ids(date_to=dt.date(2026, 11, 2)) == [a, b]  # 00:30 on 3 Nov is the next day
        assert ids(date_from=dt.date(2026, 11, 3), date_to=dt.date(2026, 11, 3)) == [c]
        assert ids(province="da_nang", date_from=dt.date(2026, 11, 2)) == [c]
        assert ids(contacted=True) == []
    assert mark_contacted(engine, [b], by="Cán bộ Lan", note="Đã gọi, hẹn gặp") == 1
    with new_session_for(engine) as s:
        assert [l.id for l in query_leads(s, contacted=False)] == [a, c]
        [done] = query_leads(s, contacted=True)
        assert (done.id, done.contacted_by, done.note) == (b, "Cán bộ Lan", "Đã gọi, hẹn gặp")
        assert done.contacted_at is not None


def test_mark_contacted_is_all_or_nothing(engine):
    a, _ = save_lead(engine, lead())
    with pytest.raises(LeadNotFoundError) as info:
        mark_contacted(engine, [a, 999999], by="Cán bộ Lan")
    assert info.value.ids == [999999]
    assert rows(engine)[0].contacted_at is None
    with pytest.raises(LeadValidationError):
        mark_contacted(engine, [a], by="  ")


def test_delete_on_request_by_id_and_by_phone(engine):
    a, b, c = _three_leads(engine)
    save_lead(engine, lead(conversation_id="c-d"))  # same person as a, another conversation
    assert delete_leads(engine, phone="0912.345.678") == 2
    assert delete_leads(engine, [b]) == 1
    assert [r.id for r in rows(engine)] == [c]
    with pytest.raises(LeadNotFoundError):
        delete_leads(engine, [b])


# ---------------------------------------------------------------------------------- export CLI


def read_csv(path: Path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def read_xlsx(path: Path):
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return wb.active


def test_export_csv_contains_exactly_the_filtered_leads(engine, cli_env, tmp_path, capsys):
    a, b, c = _three_leads(engine)
    out = tmp_path / "leads.csv"
    assert main(["export", "--format", "csv", "--out", str(out)]) == 0
    table = read_csv(out)
    assert table[0] == EXPORT_HEADERS
    body = [dict(zip(table[0], r)) for r in table[1:]]
    assert [int(r["Mã"]) for r in body] == [a, b, c]
    first = body[0]
    assert first["Họ tên"] == NAME and first["Số điện thoại"] == E164
    assert first["Số gọi trong nước"] == "0912 345 678"
    assert first["Tỉnh/thành"] == "da_nang" and first["Chi phí dự kiến (đồng)"] == "150000000"
    assert first["Ngày tạo (giờ VN)"] == "2026-11-01 10:00:00"
    assert first["Phiên bản nội dung đồng ý"] == CONSENT_VERSION
    assert body[2]["Chi phí dự kiến (đồng)"] == "" and body[2]["Đã liên hệ lúc (giờ VN)"] == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: owner only

    assert (
        main(
            [
                "export",
                "--format",
                "csv",
                "--out",
                str(out),
                "--province",
                "da_nang",
                "--from",
                "2026-11-02",
                "--to",
                "2026-11-03",
            ]
        )
        == 0
    )
    assert [int(r[0]) for r in read_csv(out)[1:]] == [c]
    assert main(["export", "--format", "csv", "--out", str(out), "--to", "2026-11-02"]) == 0
    assert [int(r[0]) for r in read_csv(out)[1:]] == [a, b]
    printed = capsys.readouterr().out
    assert str(out) in printed and "Exported 2 leads" in printed
    assert NAME not in printed and "912" not in printed


def test_export_xlsx_opens_with_vietnamese_header_text_phones_and_dates(engine, cli_env, tmp_path):
    a, b, c = _three_leads(engine)
    assert main(["mark-contacted", str(a), "--by", "Cán bộ Lan"]) == 0
    out = tmp_path / "leads.xlsx"
    assert main(["export", "--format", "xlsx", "--out", str(out), "--not-contacted"]) == 0
    ws = read_xlsx(out)
    header = [cell.value for cell in ws[1]]
    assert header == EXPORT_HEADERS
    assert all(cell.font.bold for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert all(ws.column_dimensions[col].width >= 8 for col in "ABCDEFGHIJ")
    data = [[cell.value for cell in r] for r in ws.iter_rows(min_row=2)]
    assert [r[0] for r in data] == [b, c]
    row_b = dict(zip(header, data[0]))
    assert row_b["Họ tên"] == "Trần Văn Bình"
    phone_cell = ws.cell(row=2, column=header.index("Số điện thoại") + 1)
    assert phone_cell.value == "+842438251234" and phone_cell.data_type == "s"
    assert row_b["Số gọi trong nước"] == "024 3825 1234"
    assert row_b["Ngày tạo (giờ VN)"] == dt.datetime(2026, 11, 2, 15, 0)
    assert isinstance(row_b["Thời điểm đồng ý (giờ VN)"], dt.datetime)
    assert row_b["Chi phí dự kiến (đồng)"] == 150_000_000

    assert main(["export", "--format", "xlsx", "--out", str(out), "--province", "ha_noi"]) == 0
    assert [r[0].value for r in read_xlsx(out).iter_rows(min_row=2)] == [b]
    assert main(["export", "--format", "xlsx", "--out", str(out), "--from", "2026-12-01"]) == 0
    assert read_xlsx(out).max_row == 1  # header only


def test_exports_neutralise_spreadsheet_formulas(engine, cli_env, tmp_path):
    save_lead(engine, lead(name='=HYPERLINK("http://x","Bấm")'))
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "a.csv")]) == 0
    assert read_csv(tmp_path / "a.csv")[1][1].startswith("'=")
    assert main(["export", "--format", "xlsx", "--out", str(tmp_path / "a.xlsx")]) == 0
    cell = read_xlsx(tmp_path / "a.xlsx").cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_mark_contacted_and_list_commands(engine, cli_env, capsys):
    a, b, c = _three_leads(engine)
    assert main(["mark-contacted", str(a), str(c), "--by", "Cán bộ Lan"]) == 0
    assert "2" in capsys.readouterr().out
    assert main(["list"]) == 0
    printed = capsys.readouterr().out
    lines = {line.split()[0]: line.split()[1:] for line in printed.splitlines()[1:]}
    assert lines["da_nang"] == ["0", "2", "2"]
    assert lines["ha_noi"] == ["1", "0", "1"]
    assert NAME not in printed and "+84" not in printed
    assert main(["list", "--province", "ha_noi"]) == 0
    assert "da_nang" not in capsys.readouterr().out
    # unknown id: exit 2, nothing changed
    assert main(["mark-contacted", str(b), "999999", "--by", "Lan"]) == 2
    assert "999999" in capsys.readouterr().err
    with new_session_for(engine) as s:
        assert [l.id for l in query_leads(s, contacted=False)] == [b]


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["export", "--format", "csv", "--out", "x.csv", "--from", "2026-13-01"], "YYYY-MM-DD"),
        (["export", "--format", "csv", "--out", "x.csv", "--to", "03/11/2026"], "YYYY-MM-DD"),
        (["export", "--format", "csv", "--out", "x.csv", "--from", "2026-11-05", "--to", "2026-11-01"], "--from"),
        (["export", "--format", "pdf", "--out", "x.pdf"], "format"),
        (["export", "--format", "csv"], "--out"),
        (["export", "--format", "csv", "--out", "/nonexistent-dir/x.csv"], "directory"),
        (["mark-contacted", "abc", "--by", "Lan"], "lead id"),
        (["mark-contacted", "1"], "--by"),
        (["delete", "1"], "--yes"),
        (["delete", "--phone", "12345", "--yes"], "phone"),
        ([], "command"),
    ],
)
def test_bad_arguments_exit_2_with_bilingual_message(engine, cli_env, capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Lỗi" in err and "rror" in err


def test_delete_command(engine, cli_env, capsys):
    a, b, c = _three_leads(engine)
    assert main(["delete", str(b), "--yes"]) == 0
    assert main(["delete", "--phone", "+84 912 345 678", "--yes"]) == 0
    assert "1" in capsys.readouterr().out
    assert [r.id for r in rows(engine)] == [c]


def test_installed_console_script(engine, db_url, tmp_path):
    assert CONSOLE_SCRIPT.exists(), "pip install -e . declares khuyencong-leads"
    a, b, c = _three_leads(engine)
    env = dict(os.environ, DATABASE_URL=db_url)
    out = tmp_path / "out.xlsx"

    def run(*args):
        return subprocess.run(
            [str(CONSOLE_SCRIPT), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )

    done = run("export", "--format", "xlsx", "--out", str(out), "--province", "da_nang")
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    assert [r[0].value for r in read_xlsx(out).iter_rows(min_row=2)] == [a, c]
    done = run("mark-contacted", str(a), "--by", "Cán bộ Lan")
    assert done.returncode == 0, done.stderr
    done = run("list")
    assert done.returncode == 0 and "da_nang" in done.stdout
    assert run("export", "--format", "csv", "--out", "x.csv", "--from", "hôm qua").returncode == 2
    for output in (done.stdout, done.stderr):
        assert NAME not in output and "912" not in output
    assert rows(engine)[0].contacted_by == "Cán bộ Lan"


# ------------------------------------------------------------------------------- logging


def test_saving_exporting_and_marking_never_log_name_or_phone(engine, cli_env, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # root at DEBUG, as with `rasa run actions -vv`
    lead_id, _ = save_lead(engine, lead())
    save_lead(engine, lead())  # update path
    with pytest.raises(LeadValidationError):
        save_lead(engine, lead(phone="0912 345 67"))
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "l.csv")]) == 0
    assert main(["export", "--format", "xlsx", "--out", str(tmp_path / "l.xlsx")]) == 0
    assert main(["mark-contacted", str(lead_id), "--by", "Cán bộ Lan"]) == 0
    delete_leads(engine, [lead_id])
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert f"lead {lead_id} created" in logged and "+8491****678" in logged
    for secret in (NAME, "Nguyễn", E164, "84912345678", "0912345678", "912345678", "0912 345 678", "912 345 678"):
        assert secret not in logged, secret


def test_unreachable_database_exits_1_without_password(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://officer:s3cret@127.0.0.1:1/none")
    assert main(["list"]) == 1
    err = capsys.readouterr().err
    assert "Database error" in err and "officer:***@" in err and "s3cret" not in err


# ------------------------------------------------------ erasure requests and retention (CLI)

OTHER = "0987 654 321"


def test_a_request_erases_only_the_leads_with_that_number(engine, cli_env, capsys):
    mine, _ = save_lead(engine, lead(conversation_id="conv-a", phone=OTHER))
    theirs, _ = save_lead(engine, lead(conversation_id="conv-b"))
    ensure_erasure_schema(engine)
    with engine.begin() as conn:
        conn.execute(delete(ErasureRequest))
    request = record_erasure_request(engine, "zalo", "conv-z", phone="+84 987 654 321")

    assert main(["erasure-requests"]) == 0
    listing = capsys.readouterr().out
    assert f"{request:<8}" in listing and str(mine) in listing and "654" not in listing  # no number shown

    assert main(["process-erasure", str(request), "--by", "Cán bộ A"]) == 2  # --yes required
    assert main(["process-erasure", str(request), "--by", "Cán bộ A", "--yes"]) == 0
    with new_session_for(engine) as session:
        assert [r.id for r in session.execute(select(Lead)).scalars()] == [theirs]
        done = session.get(ErasureRequest, request)
        assert done.processed_by == "Cán bộ A" and done.erased == 1 and done.processed_at is not None
    assert main(["erasure-requests"]) == 0 and "Tổng / Total: 0" in capsys.readouterr().out


def test_purge_handled_erases_only_leads_contacted_before_the_day(engine, cli_env):
    handled, _ = save_lead(engine, lead(conversation_id="conv-1"))
    waiting, _ = save_lead(engine, lead(conversation_id="conv-2", phone=OTHER))
    mark_contacted(engine, [handled], "Cán bộ B")
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    assert main(["purge-handled", "--contacted-before", tomorrow]) == 2  # --yes required
    assert main(["purge-handled", "--contacted-before", tomorrow, "--yes"]) == 0
    with new_session_for(engine) as session:
        assert [r.id for r in session.execute(select(Lead)).scalars()] == [waiting]

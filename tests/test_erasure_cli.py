"""Officers carry out the erasure requests left in the chat, and the stated retention, with the
leads CLI (SQLite and PostgreSQL, through the same fixtures as tests/test_leads.py)."""
import datetime as dt

from sqlalchemy import select

from policy_kb.erasure import ErasureRequest, ensure_erasure_schema, record_erasure_request
from policy_kb.leads import Lead, mark_contacted, save_lead
from policy_kb.leads_cli import main
from sqlalchemy import delete

from tests.test_leads import (cli_env, db_url, engine, lead, new_session_for, postgresql_url,  # noqa: F401
                              sqlite_url)  # (fixtures)

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

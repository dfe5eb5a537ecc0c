"""Console migrations (Alembic, console/migrations): fresh SQLite, fresh PostgreSQL, and the
upgrade of a database the bot created before the console existed.

PostgreSQL is this machine's (127.0.0.1:5432, database ``test``, a throw-away schema). When it is
unreachable the PostgreSQL tests fail under CI (CI=1/true: CI has it) and are skipped, with the
reason, elsewhere.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from console.migrations import VERSION_TABLE, current_revision, downgrade, head_revision, upgrade
from lead_store.consent import CONSENT_VERSION
from lead_store.leads import Lead, LeadBase, LeadInput, save_lead
from tests.conftest import pg_schema, require_postgresql

CONSOLE_TABLES = {"officers", "console_sessions", "login_attempts", "console_audit_log"}
BOT_TABLES = {
    "leads",
    "lead_erasure_requests",
    "unanswered_questions",
    "zalo_oa_tokens",
    "zalo_seen_events",
    "zalo_unfollowed_users",
}


def _bot_metadata():
    """Every model the bot creates with create_all (the way databases were made before issue 13)."""
    import lead_store.erasure  # noqa: F401 - registers lead_erasure_requests on LeadBase
    from bot.channels.zalo_tokens import ZaloBase
    from policy_kb.unanswered import UnansweredQuestion

    return [
        (LeadBase.metadata, [t for t in LeadBase.metadata.sorted_tables if t.name in BOT_TABLES]),
        (ZaloBase.metadata, None),
        (UnansweredQuestion.metadata, [UnansweredQuestion.__table__]),
    ]


def _create_the_old_way(engine) -> None:
    for metadata, tables in _bot_metadata():
        metadata.create_all(engine, tables=tables)


def _schema(engine):
    """{table: (columns with type class and nullability, index names and columns, unique sets)}."""
    insp = sa.inspect(engine)
    out = {}
    for table in sorted(set(insp.get_table_names()) & BOT_TABLES):
        cols = tuple(sorted((c["name"], type(c["type"]).__name__, c["nullable"]) for c in insp.get_columns(table)))
        idx = tuple(sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table)))
        uniq = tuple(sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)))
        pk = tuple(insp.get_pk_constraint(table)["constrained_columns"])
        out[table] = (cols, idx, uniq, pk)
    return out


def _lead(engine) -> int:
    lead_id, _ = save_lead(
        engine,
        LeadInput(
            name="Nguyễn Thị Hoa",
            phone="0912345678",
            channel="web",
            conversation_id="old-db",
            consent_version=CONSENT_VERSION,
            consent_at=dt.datetime.now(dt.timezone.utc),
            province="ha_noi",
        ),
    )
    return lead_id


def _check_fresh(url: str) -> None:
    upgrade(url)
    engine = create_engine(url, future=True)
    try:
        names = set(sa.inspect(engine).get_table_names())
        assert CONSOLE_TABLES | BOT_TABLES | {VERSION_TABLE} <= names
        assert current_revision(url) == head_revision()
        # the migrated bot tables are the ones the bot's own create_all makes
        reference_url = None
        if url.startswith("sqlite"):
            reference_url = url.replace(".db", "-reference.db")
            ref = create_engine(reference_url, future=True)
            _create_the_old_way(ref)
            assert _schema(engine) == _schema(ref)
            ref.dispose()
        # and the bot can use them: a lead is saved through lead_store.leads
        assert _lead(engine) > 0
        upgrade(url)  # a second run is a no-op
        assert current_revision(url) == head_revision()
    finally:
        engine.dispose()


def test_fresh_sqlite(tmp_path):
    _check_fresh(f"sqlite:///{tmp_path / 'fresh.db'}")


def test_upgrade_of_a_database_made_before_the_console(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url, future=True)
    _create_the_old_way(engine)
    lead_id = _lead(engine)
    before = _schema(engine)
    assert not CONSOLE_TABLES & set(sa.inspect(engine).get_table_names())
    upgrade(url)
    upgrade(url)
    with Session(engine, future=True) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.name == "Nguyễn Thị Hoa" and lead.phone_e164 == "+84912345678"
    assert CONSOLE_TABLES <= set(sa.inspect(engine).get_table_names())
    assert _schema(engine) == before  # the bot's tables were left as they were
    with engine.connect() as conn:
        versions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    assert versions == [head_revision()]
    engine.dispose()


def test_bot_creating_its_tables_after_the_migration_is_harmless(tmp_path):
    url = f"sqlite:///{tmp_path / 'after.db'}"
    upgrade(url)
    engine = create_engine(url, future=True)
    _create_the_old_way(engine)  # the bot's ensure_schema on first use
    assert _lead(engine) > 0
    engine.dispose()


def test_downgrade_of_console_revision_keeps_the_bot_data(tmp_path):
    url = f"sqlite:///{tmp_path / 'down.db'}"
    upgrade(url)
    engine = create_engine(url, future=True)
    lead_id = _lead(engine)
    downgrade(url, "0001_baseline")
    names = set(sa.inspect(engine).get_table_names())
    assert not CONSOLE_TABLES & names and BOT_TABLES <= names
    with Session(engine, future=True) as s:
        assert s.execute(select(Lead.id)).scalars().all() == [lead_id]
    upgrade(url)
    assert CONSOLE_TABLES <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def _pg_available() -> None:
    require_postgresql().dispose()


def test_fresh_postgresql():
    _pg_available()
    with pg_schema("kc_console") as (_, url):
        _check_fresh(url)


def test_upgrade_of_an_old_postgresql_database():
    _pg_available()
    with pg_schema("kc_console") as (schema, url):
        engine = create_engine(url, future=True)
        _create_the_old_way(engine)
        lead_id = _lead(engine)
        before = _schema(engine)
        upgrade(url)
        upgrade(url)
        with Session(engine, future=True) as s:
            assert s.get(Lead, lead_id).name == "Nguyễn Thị Hoa"
        insp = sa.inspect(engine)
        assert CONSOLE_TABLES <= set(insp.get_table_names(schema=schema))
        assert _schema(engine) == before
        engine.dispose()

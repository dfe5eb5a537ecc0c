"""The knowledge loader accepts the real data and refuses unsourced or badly dated records."""

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from policy_kb.db import get_engine
from policy_kb.loader import DATA_DIR, TOPICS, KnowledgeDataError, build, read_data
from policy_kb.queries import topic_answer


def test_real_data_loads_and_covers_every_topic():
    data = read_data()
    assert {t.key for t in data.topics} == set(TOPICS)
    assert len(data.documents) >= 10 and len(data.facts) >= 60 and len(data.levels) >= 20
    for fact in data.facts:
        assert fact.source_document and fact.source_article and fact.effective_from


def test_every_topic_has_verified_facts_today(kb_session):
    for topic in TOPICS:
        answer = topic_answer(kb_session, topic)
        assert answer.current or answer.historical, topic


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "policy_kb" / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit_first_fact(data_dir: Path, edit) -> str:
    path = data_dir / "facts" / "objectives.yml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    edit(doc["facts"][0])
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return doc["facts"][0]["id"]


def test_record_without_source_is_refused_with_file_and_record(tmp_path):
    data_dir = _copy_data(tmp_path)
    rid = _edit_first_fact(data_dir, lambda f: f.pop("source"))
    with pytest.raises(KnowledgeDataError) as err:
        read_data(data_dir)
    assert "objectives.yml" in str(err.value) and rid in str(err.value) and "source" in str(err.value)


def test_record_with_empty_article_is_refused(tmp_path):
    data_dir = _copy_data(tmp_path)
    rid = _edit_first_fact(data_dir, lambda f: f["source"].update(article=" "))
    with pytest.raises(KnowledgeDataError, match=rid):
        read_data(data_dir)


def test_malformed_date_is_refused(tmp_path):
    data_dir = _copy_data(tmp_path)
    rid = _edit_first_fact(data_dir, lambda f: f.update(effective_from="2012-13-45"))
    with pytest.raises(KnowledgeDataError, match=f"{rid}.*malformed date"):
        read_data(data_dir)


def test_unknown_status_is_refused(tmp_path):
    data_dir = _copy_data(tmp_path)
    _edit_first_fact(data_dir, lambda f: f.update(status="PROBABLY"))
    with pytest.raises(KnowledgeDataError, match="status"):
        read_data(data_dir)


def test_unverified_support_level_may_not_carry_figures(tmp_path):
    data_dir = _copy_data(tmp_path)
    path = data_dir / "support_levels" / "branding.yml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    latest = max(doc["values"])
    doc["values"][latest].update(status="UNVERIFIED", cap_vnd=35_000_000)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(KnowledgeDataError, match="UNVERIFIED"):
        read_data(data_dir)


def test_bad_data_leaves_existing_database_untouched(tmp_path):
    url = f"sqlite:///{tmp_path / 'kb.db'}"
    engine = get_engine(url)
    assert build(engine) is True
    assert build(engine) is False  # unchanged data: nothing to do
    data_dir = _copy_data(tmp_path)
    _edit_first_fact(data_dir, lambda f: f.pop("source"))
    with pytest.raises(KnowledgeDataError):
        build(engine, data_dir)
    from policy_kb.db import new_session

    with new_session(url) as s:
        assert topic_answer(s, "objectives", dt.date.today()).current


# ---------------------------------------------------------------- attributes, signer, changes


def test_unknown_attribute_is_refused_with_file_record_and_field(tmp_path):
    data_dir = _copy_data(tmp_path)
    rid = _edit_first_fact(data_dir, lambda f: f.update(attributes=["list", "deadlines"]))
    with pytest.raises(KnowledgeDataError) as err:
        read_data(data_dir)
    message = str(err.value)
    assert "objectives.yml" in message and rid in message
    assert "'attributes'" in message and "'deadlines'" in message


def test_attributes_must_be_a_list_of_names(tmp_path):
    data_dir = _copy_data(tmp_path)
    rid = _edit_first_fact(data_dir, lambda f: f.update(attributes="deadline"))
    with pytest.raises(KnowledgeDataError, match=f"{rid}.*'attributes' must be a list"):
        read_data(data_dir)


def test_every_attribute_in_the_data_is_a_frame_attribute():
    from vntext.frames import ATTRIBUTES

    data = read_data()
    for record in data.records:
        assert set(json.loads(record.attributes)) <= set(ATTRIBUTES), record.id
    tagged = [r for r in data.records if r.kind == "fact" and json.loads(r.attributes)]
    assert len(tagged) >= 0.8 * len(data.facts)  # every fact that states a value says which


def _edit_document(data_dir: Path, doc_id: str, edit) -> None:
    path = data_dir / "documents.yml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    edit(next(d for d in doc["documents"] if d["id"] == doc_id))
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")


@pytest.mark.parametrize("field, value", [("signer", " "), ("signer", ["Bùi Thanh Sơn"]), ("changes", 235)])
def test_signer_and_changes_must_be_non_empty_text(tmp_path, field, value):
    data_dir = _copy_data(tmp_path)
    _edit_document(data_dir, "nd-235-2025", lambda d: d.update({field: value}))
    with pytest.raises(KnowledgeDataError, match=f"documents.yml, record 'nd-235-2025': '{field}'"):
        read_data(data_dir)


def test_signer_and_changes_are_carried_to_the_document_view(kb_session):
    from policy_kb.queries import document

    nd235 = document(kb_session, "nd-235-2025")
    assert nd235.signer == "Bùi Thanh Sơn"
    assert "Thủ tướng" in nd235.changes and "toàn văn chưa được đọc hết" in nd235.changes.lower()
    assert document(kb_session, "tt-28-2018-btc").signer == "Trần Xuân Hà"
    # no source names the signer: none is made up
    assert document(kb_session, "nd-45-2012").signer is None
    assert document(kb_session, "qd-1288-ttg").changes is None  # it amends or replaces nothing
    assert "chưa xác minh" in document(kb_session, "tt-64-2024-btc").changes


def test_answer_records_carry_their_attributes(kb_session):
    from policy_kb.retrieval import load_records

    records = {r.id: r for r in load_records(kb_session)}
    assert records["dossier.deadline_so"].attributes == ("deadline", "place")
    assert records["dossier.three_sets"].attributes == ("count", "documents_needed", "place")
    assert records["dossier.advance_70"].attributes == ("advance", "share")
    assert records["typical_product.complaints"].attributes == ("deadline", "duration")
    assert records["activities.fair_abroad_twice_a_year"].attributes == ("frequency",)
    assert records["document.nd-235-2025"].attributes == ("issued", "effective", "state", "signer", "amends", "changes")
    assert records["document.qd-1288-ttg"].attributes == ("issued", "effective", "state")
    assert records["level.machinery"].attributes == ("amount", "share")
    assert records["level.ccn_infrastructure"].attributes == ("amount",)  # a cap, no share
    assert all(r.attributes == () for r in records.values() if r.kind == "rule")


def test_a_null_attributes_column_reads_as_none():
    from policy_kb.models import AnswerRecord
    from policy_kb.retrieval import records_from_rows

    row = AnswerRecord(id="x", kind="fact", topic="overview", position=0, status="VERIFIED", text="t")
    row.source_document, row.source_article, row.questions, row.attributes = "d", "a", "[]", None
    assert records_from_rows([row])[0].attributes == ()


@pytest.fixture(params=["sqlite", "postgresql"])
def kb_db_url(request, tmp_path):
    """An empty database of either kind (PostgreSQL: a throw-away schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kb.db'}"
        return
    from tests.conftest import pg_schema

    with pg_schema("kc_kb") as (_, url):
        yield url
        get_engine(url).dispose()


def test_a_database_of_the_old_schema_is_rebuilt(kb_db_url):
    """A KB built before kb_records.attributes, kb_facts.title or kb_records.title existed (same
    data digest) is rebuilt, not read with a missing column: on SQLite and on PostgreSQL."""
    from sqlalchemy import inspect, text

    from policy_kb.db import new_session
    from policy_kb.queries import fact
    from policy_kb.retrieval import load_records

    engine = get_engine(kb_db_url)
    assert build(engine) is True
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE kb_records DROP COLUMN attributes"))
        conn.execute(text("ALTER TABLE kb_documents DROP COLUMN signer"))
        conn.execute(text("ALTER TABLE kb_facts DROP COLUMN title"))
        conn.execute(text("ALTER TABLE kb_records DROP COLUMN title"))
    assert build(engine) is True
    assert {"attributes", "title"} <= {c["name"] for c in inspect(engine).get_columns("kb_records")}
    assert "title" in {c["name"] for c in inspect(engine).get_columns("kb_facts")}
    assert build(engine) is False
    with new_session(kb_db_url) as s:
        records = load_records(s)
        assert any(r.attributes for r in records)
        assert all(r.title for r in records if r.kind == "fact")
        assert fact(s, "activities.training").title == "Đào tạo nghề, truyền nghề"


def test_verified_tt28_levels_say_tt64_may_have_changed_them():
    """The fact sheet: TT 64/2024/TT-BTC amends TT 28/2018/TT-BTC and which levels it changed is
    unverified, so every VERIFIED TT 28/2018 figure carries that caveat."""
    for level in read_data().levels:
        if level.status == "VERIFIED" and "28/2018/TT-BTC" in level.source_document:
            assert level.caveat and "Chưa xác minh Thông tư 64/2024/TT-BTC" in level.caveat, level.activity


# ---------------------------------------------------------------- titles


@pytest.mark.parametrize(
    "edit, problem",
    [
        (lambda f: f.pop("title"), "missing or empty 'title'"),
        (lambda f: f.update(title="  "), "missing or empty 'title'"),
        (lambda f: f.update(title=["Huy động nguồn lực"]), "missing or empty 'title'"),
        (
            lambda f: f.update(title="Huy động các nguồn lực trong nước và ngoài nước tham gia"),
            "'title' longer than 48",
        ),
    ],
    ids=["missing", "blank", "not-text", "too-long"],
)
def test_fact_without_a_short_title_is_refused_with_file_record_and_field(tmp_path, edit, problem):
    data_dir = _copy_data(tmp_path)
    rid = _edit_first_fact(data_dir, edit)
    with pytest.raises(KnowledgeDataError) as err:
        read_data(data_dir)
    assert str(err.value).startswith(f"policy_kb/data/facts/objectives.yml, record '{rid}': ")
    assert problem in str(err.value)


def test_a_title_of_exactly_48_characters_is_accepted(tmp_path):
    data_dir = _copy_data(tmp_path)
    title = "Huy động nguồn lực trong và ngoài nước cho sản x"
    assert len(title) == 48
    rid = _edit_first_fact(data_dir, lambda f: f.update(title=f"  {title} "))
    assert next(f for f in read_data(data_dir).facts if f.id == rid).title == title


def test_the_same_title_twice_in_a_topic_is_refused(tmp_path):
    data_dir = _copy_data(tmp_path)
    path = data_dir / "facts" / "objectives.yml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    first, second = doc["facts"][0], doc["facts"][1]
    second["title"] = first["title"].upper()
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(KnowledgeDataError) as err:
        read_data(data_dir)
    message = str(err.value)
    assert f"objectives.yml, record '{second['id']}': 'title'" in message and first["id"] in message


def test_every_fact_has_a_short_title_unique_in_its_topic():
    data = read_data()
    by_topic = {}
    for f in data.facts:
        assert f.title and len(f.title) <= 48, f.id
        assert f.title == " ".join(f.title.split()) and f.title[0].isupper(), f.id
        assert f.title[-1] not in ".,;:!?…", f.id
        assert (f.status == "UNVERIFIED") == ("chưa xác minh" in f.title), f.id
        by_topic.setdefault(f.topic, []).append(f.title.lower())
    for topic, titles in by_topic.items():
        assert len(titles) == len(set(titles)), topic
    records = {r.id: r for r in data.records}
    assert all(records[f.id].title == f.title for f in data.facts)
    assert all(r.title is None for r in data.records if r.kind != "fact")


def test_titles_are_carried_to_the_fact_view_and_the_record(kb_session):
    from policy_kb.queries import fact
    from policy_kb.retrieval import load_records

    training = next(f for f in topic_answer(kb_session, "activities").current if f.id == "activities.training")
    assert training.title == "Đào tạo nghề, truyền nghề"
    assert fact(kb_session, "dossier.deadline_so").title == "Hạn gửi hồ sơ cho Sở Công Thương"
    records = {r.id: r for r in load_records(kb_session)}
    assert records["activities.training"].title == "Đào tạo nghề, truyền nghề"
    assert records["activities.nd235_article4_unverified"].title == "Điều 4 sau NĐ 235/2025 (chưa xác minh)"
    assert all(r.title for r in records.values() if r.kind == "fact")
    # levels and documents are named by their label or number; rules have no title
    assert records["level.machinery"].title == records["document.nd-235-2025"].title == ""
    assert all(r.title == "" for r in records.values() if r.kind == "rule")


def test_fact_view_and_record_keep_their_positional_fields():
    """``title`` is the last field of both, with a default: older positional constructions work."""
    from policy_kb.models import AnswerRecord
    from policy_kb.queries import FactView
    from policy_kb.retrieval import Record, records_from_rows

    view = FactView("x", None, "t", "VERIFIED", "d", "a", dt.date(2012, 7, 5), None)
    assert view.title is None and view.effective_to is None
    record = Record("x", "fact", "overview", "VERIFIED", "t", "d", "a", (), 0, ())
    assert record.title == "" and record.attributes == ()
    row = AnswerRecord(id="x", kind="fact", topic="overview", position=0, status="VERIFIED", text="t")
    row.source_document, row.source_article, row.questions, row.title = "d", "a", "[]", None
    assert records_from_rows([row])[0].title == ""  # NULL: a row from before the column

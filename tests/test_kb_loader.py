"""The knowledge loader accepts the real data and refuses unsourced or badly dated records."""

import datetime as dt
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

"""Time-versioned support levels: which rule applies on a date, and what it was before."""

import datetime as dt

from policy_kb.queries import find_document, support_level, topic_answer


def test_machinery_level_today_is_tt28_50_percent_300_million(kb_session):
    ans = support_level(kb_session, "machinery")
    cur = ans.current
    assert cur.status == "VERIFIED"
    assert cur.share == 0.5 and cur.cap_vnd == 300_000_000
    assert "28/2018/TT-BTC" in cur.document and "Điều 8" in cur.article
    assert cur.effective_from == dt.date(2018, 5, 11)


def test_machinery_level_in_2016_was_the_old_rule(kb_session):
    ans = support_level(kb_session, "machinery", on=dt.date(2016, 6, 1))
    assert ans.current.status == "HISTORICAL"
    assert "26/2014" in ans.current.document
    assert ans.current.cap_vnd and ans.current.cap_vnd < 300_000_000


def test_today_answer_lists_the_old_rule_as_earlier(kb_session):
    ans = support_level(kb_session, "demonstration_model")
    assert ans.current.cap_vnd == 1_000_000_000 and ans.current.share == 0.3
    assert any(e.status == "HISTORICAL" for e in ans.earlier)


def test_unverified_current_level_has_no_figure(kb_session):
    ans = support_level(kb_session, "branding")
    assert ans.current.status == "UNVERIFIED"
    assert ans.current.share is None and ans.current.cap_vnd is None


def test_superseded_beneficiary_wording_is_historical_after_nd235(kb_session):
    after = topic_answer(kb_session, "beneficiaries", dt.date(2026, 1, 1))
    before = topic_answer(kb_session, "beneficiaries", dt.date(2020, 1, 1))
    assert after.current and after.historical
    assert any("235/2025" in f.document for f in after.current)
    assert not any("235/2025" in f.document for f in before.current)


def test_find_document_by_loose_number(kb_session):
    assert find_document(kb_session, "thong tu 28/2018/TT-BTC con hieu luc ko").number.startswith("28/2018/TT-BTC")
    assert find_document(kb_session, "nđ 45/2012 là gì").number.startswith("45/2012")
    assert find_document(kb_session, "không có số nào") is None


def test_document_view_built_positionally_as_before_has_no_signer_or_changes():
    from policy_kb.queries import DocumentView

    view = DocumentView("x", "1/2020/TT-BCT", "Thông tư", "t", None, None, None, "in_force", "VERIFIED", "s")
    assert view.signer is None and view.changes is None and view.replaces == ()


def test_document_signer_is_only_where_a_source_names_it(kb_session):
    from policy_kb.queries import documents

    signed = {d.number: d.signer for d in documents(kb_session) if d.signer}
    assert signed == {"235/2025/NĐ-CP": "Bùi Thanh Sơn", "28/2018/TT-BTC": "Trần Xuân Hà"}

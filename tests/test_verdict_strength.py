"""A verdict or an estimate is never worded more strongly than the status of what it rests on.

Walks the real data, no mocks: every rule (checks, priorities, caveats) of every rule set in
policy_kb/data/eligibility.yml and every SME definition is triggered through ``assess`` and the
verdict is rendered with actions/verdict_text.py; every dated value of every support level
(policy_kb/data/support_levels, read through policy_kb.queries on the test KB) is rendered as an
estimate for a cost of 200 triệu đồng. Checked:

* an UNVERIFIED rule never appears without a hedge, and an unverified deciding rule changes the
  headline (never the headline of a verdict on verified text);
* a HISTORICAL rule appears framed as the earlier rule, naming its document;
* no UNVERIFIED priority is listed under "Thuộc diện ưu tiên";
* an estimate claims no amount equal to the cost unless the share is 100 %, shows share × cost
  when there is a share, and says the share is decided at approval when there is none.
"""

import dataclasses
import datetime as dt
import itertools
import re
import shutil
from pathlib import Path

import pytest
import yaml

from actions.answer_text import level_answer, short_doc
from actions.render import ACTIVITY_CONDITIONS, estimate_text, fmt_vnd, relative_to
from actions.verdict_text import HEDGES, PRE_CHECK, VERDICT_HEAD, verdict_text
from policy_kb.eligibility import RULES_FILE, Profile, assess, load_rules
from policy_kb.loader import DATA_DIR, KnowledgeDataError
from policy_kb.queries import fact, support_level

BOOK = load_rules()
TODAY = dt.date(2026, 1, 15)
COST = 200_000_000
PROFILE_FIELDS = {f.name for f in dataclasses.fields(Profile)}
# what a check needs to pass when another check is under test
PASSING = {
    "business_type": {"business_type": "household_business"},
    "business_type_b": {"business_type": "household_business"},
    "industry": {"industry": "handicraft"},
    "location": {"unit_type": "xa", "province": "thanh_hoa"},
    "scope_b": {},
}


def hedged(text: str) -> bool:
    return any(h in text.lower() for h in HEDGES)


def _alternatives(when):
    """Every profile-field assignment a rule's ``when`` allows (a list: each value in turn)."""
    keys = [k for k, _ in when]
    choices = [v if isinstance(v, list) else [v] for _, v in when]
    for values in itertools.product(*choices):
        out = {}
        for key, value in zip(keys, values):
            if key == "centrally_run":
                if value is not None:
                    out["province"] = "ha_noi" if value else "thai_nguyen"
            elif key == "min_employees":
                out["employees"] = value
            else:
                assert key in PROFILE_FIELDS, key
                out[key] = value
        yield out


def _profiles(rule_set, rule, check=None):
    """Profiles under which ``rule`` (of ``check``, or a priority/caveat when None) should fire."""
    for group in rule_set.groups:
        if check is not None and check not in group.checks:
            continue
        for base in _alternatives(group.applies_when):
            for wanted in _alternatives(rule.when):
                if any(k in base and base[k] != v for k, v in wanted.items()):
                    continue  # this group cannot hold with this rule
                fields = {**base, **wanted}
                for other in group.checks:
                    if other != check:
                        for key, value in PASSING[other].items():
                            fields.setdefault(key, value)
                yield Profile(**fields)
                if check is not None:  # a catch-all rule ("when: {}") is reached past the unknowns
                    yield Profile(**{**PASSING[check], **fields})


def _line_of(text: str, item) -> str:
    found = [line for line in text.splitlines() if item.text[:60] in line]
    assert found, f"{item.rule_id} not shown:\n{text}"
    return found[0]


def _section(text: str, title: str):
    lines = text.splitlines()
    if title not in lines:
        return []
    out = []
    for line in lines[lines.index(title) + 1 :]:
        if line in ("Thuộc diện ưu tiên:", "Lưu ý:", PRE_CHECK):
            break
        out.append(line)
    return out


def check_rendering(profile, verdict) -> str:
    """The wording rules every rendered verdict obeys; returns the text."""
    text = verdict_text(profile, verdict)
    first = text.splitlines()[0]
    head = text.splitlines()[1] if verdict.rule_set_status == "HISTORICAL" else first
    shown = verdict.reasons + verdict.priorities + verdict.caveats
    for item in shown:
        line = _line_of(text, item)
        if item.status == "UNVERIFIED":
            assert hedged(line), f"unhedged UNVERIFIED {item.rule_id}: {line}"
        if item.status == "HISTORICAL":
            if verdict.rule_set_status == "HISTORICAL":
                assert "quy định trước đây" in first, first
            else:
                assert "trước đây" in line and short_doc(item.document) in line, line
    # the headline: hedged exactly when the verdict rests on an unverified reading
    if verdict.rests_on_unverified:
        assert head != VERDICT_HEAD[verdict.verdict] and hedged(head), head
        assert "Trung tâm Khuyến công" in head
    else:
        assert head.lower().endswith(VERDICT_HEAD[verdict.verdict][len("Dạ, ") :].lower()), head
    # no UNVERIFIED priority listed as a priority; the stated ones are, with their basis
    listed = _section(text, "Thuộc diện ưu tiên:")
    for p in verdict.unverified_priorities:
        assert not any(p.text[:60] in line for line in listed), (p.rule_id, listed)
    for p in verdict.stated_priorities:
        assert any(p.text[:60] in line for line in listed), (p.rule_id, listed)
        assert p.document in text.splitlines()[-1]
    for note in verdict.caveats + verdict.unverified_priorities:
        assert any(note.text[:60] in line for line in _section(text, "Lưu ý:")), note.rule_id
    return text


# ---------------------------------------------------------------- the data itself


def _all_rules():
    for rule_set in BOOK.rule_sets:
        for check, rules in rule_set.checks.items():
            for rule in rules:
                yield rule_set, check, rule
        for rule in rule_set.priorities + rule_set.caveats:
            yield rule_set, None, rule


def test_unverified_texts_say_so_and_historical_ones_name_their_document():
    for rule_set, _, rule in _all_rules():
        if rule.status == "UNVERIFIED":
            assert hedged(rule.text), rule.id
        if rule.status == "HISTORICAL" and rule_set.status != "HISTORICAL":
            assert "trước đây" in rule.text and short_doc(rule.document) in rule.text, rule.id
    for sme in BOOK.sme_definitions:
        if sme.status == "UNVERIFIED":
            assert all(hedged(t) for t in sme.texts.values()), sme.id


# ---------------------------------------------------------------- every rule, rendered


@pytest.mark.parametrize(
    "rule_set, check, rule", list(_all_rules()), ids=[f"{rs.id}:{r.id}" for rs, _, r in _all_rules()]
)
def test_every_rule_is_worded_no_stronger_than_its_status(rule_set, check, rule):
    fired = 0
    for profile in _profiles(rule_set, rule, check):
        verdict = assess(profile, rule_set.effective_from)
        where = {None: verdict.priorities + verdict.caveats}.get(check, verdict.reasons)
        found = [r for r in where if r.rule_id == rule.id]
        if not found:
            continue  # e.g. a caveat under a verdict that failed on the defaults: another profile
        fired += 1
        assert found[0].status == rule.status
        check_rendering(profile, verdict)
        if check is not None and rule.status == "UNVERIFIED":
            assert found[0] in verdict.unverified_basis or verdict.verdict == "unknown"
            if rule.outcome == "fail" or (rule.outcome == "pass" and verdict.verdict == "eligible"):
                assert verdict.rests_on_unverified, rule.id
    assert fired, f"{rule_set.id}/{rule.id} is never reached"


SIZES = {
    "pass": dict(employees=10, revenue_vnd=1_000_000_000),
    "fail": dict(employees=500, revenue_vnd=500_000_000_000, capital_vnd=200_000_000_000),
    "unknown": {},
}


@pytest.mark.parametrize("sme", BOOK.sme_definitions, ids=[s.id for s in BOOK.sme_definitions])
def test_every_sme_definition_is_worded_no_stronger_than_its_status(sme):
    later = [s.effective_from for s in BOOK.sme_definitions if s.effective_from > sme.effective_from]
    dates = {sme.effective_from} | ({TODAY} if not later else set())
    for on, outcome in itertools.product(sorted(dates), sme.texts):
        profile = Profile(
            business_type="sme", industry="handicraft", unit_type="xa", province="thanh_hoa", **SIZES[outcome]
        )
        verdict = assess(profile, on)
        size = next(r for r in verdict.reasons if r.rule_id == sme.id)
        assert size.outcome == outcome and size.status == sme.status
        check_rendering(profile, verdict)
        if sme.status == "UNVERIFIED":
            assert verdict.rests_on_unverified, (on, outcome)


# ---------------------------------------------------------------- the cases of issue 12


def test_large_enterprise_verdict_rests_on_an_unverified_reading():
    profile = Profile(business_type="large_enterprise", province="bac_ninh", unit_type="xa", industry="mechanical")
    verdict = assess(profile, TODAY)
    assert verdict.verdict == "not_eligible"  # the stored key does not change
    assert [r.rule_id for r in verdict.unverified_basis] == ["bt.large_enterprise"]
    head = check_rendering(profile, verdict).splitlines()[0]
    assert "chưa được xác minh" in head and "có thể CHƯA thuộc đối tượng" in head
    assert "Trung tâm Khuyến công Bắc Ninh" in head


def test_a_verified_failure_keeps_the_plain_headline_even_beside_an_unverified_one():
    profile = Profile(business_type="large_enterprise", province="bac_ninh", unit_type="xa", industry="trade_services")
    verdict = assess(profile, TODAY)
    assert verdict.verdict == "not_eligible" and verdict.unverified_basis and not verdict.rests_on_unverified
    assert check_rendering(profile, verdict).splitlines()[0] == VERDICT_HEAD["not_eligible"]


def test_ward_of_ha_noi_outside_a_craft_village():
    profile = Profile(
        business_type="household_business",
        province="ha_noi",
        unit_type="phuong",
        craft_village=False,
        industry="handicraft",
    )
    verdict = assess(profile, TODAY)
    assert verdict.verdict == "not_eligible" and verdict.rests_on_unverified
    head = check_rendering(profile, verdict).splitlines()[0]
    assert head.startswith("Dạ, theo cách hiểu văn bản chưa được xác minh") and "Hà Nội" in head


def test_many_workers_is_a_hedged_note_not_a_priority():
    profile = Profile(
        business_type="cooperative", province="gia_lai", unit_type="xa", industry="wood_processing", employees=60
    )
    verdict = assess(profile, TODAY)
    assert [p.rule_id for p in verdict.unverified_priorities] == ["pri.many_workers"]
    text = check_rendering(profile, verdict)
    assert not any("lao động" in line for line in _section(text, "Thuộc diện ưu tiên:"))
    assert any("50 lao động" in line and hedged(line) for line in _section(text, "Lưu ý:"))


def test_every_stated_priority_the_user_matches_is_listed_with_its_basis():
    profile = Profile(
        business_type="cooperative",
        province="dien_bien",
        unit_type="xa",
        industry="food_processing",
        disadvantaged=True,
        ethnic_minority_area=True,
        women_owned=True,
        ethnic_minority_owned=True,
        exports=True,
        local_materials=True,
    )
    verdict = assess(profile, TODAY)
    ids = {p.rule_id for p in verdict.stated_priorities}
    assert ids == {
        "pri.area_disadvantaged",
        "pri.ethnic_minority_area",
        "pri.agro_processing",
        "pri.exports",
        "pri.local_materials",
        "pri.women_owned",
        "pri.ethnic_minority_owned",
    }
    text = check_rendering(profile, verdict)
    assert "Điều 6 khoản 2 điểm b" in text and "Điều 6 khoản 1" in text
    # the earlier definition of "nguyên liệu tại chỗ" comes with it, as the earlier rule
    assert any("trên 50%" in line and "TT 46/2012 trước đây" in line for line in _section(text, "Lưu ý:"))


def test_fired_clay_bricks_are_not_a_plain_pass():
    profile = Profile(
        business_type="household_business",
        province="thanh_hoa",
        unit_type="xa",
        industry="building_materials",
        fired_clay_brick=True,
    )
    verdict = assess(profile, TODAY)
    industry = next(r for r in verdict.reasons if r.rule_id.startswith("ind."))
    assert industry.outcome == "unknown" and industry.status == "HISTORICAL"
    assert verdict.verdict == "unknown" and verdict.missing == []
    text = check_rendering(profile, verdict)
    assert f"? {industry.text}" in text and "✓ Vật liệu" not in text
    assert [c.rule_id for c in verdict.caveats] == ["cav.fired_clay_brick"]
    assert "Thông tư 46/2012/TT-BCT (Điều 5 khoản 1)" in text


@pytest.mark.parametrize("fired, caveat", [(None, True), (False, False)])
def test_building_materials_get_the_kiln_caveat_until_the_kiln_is_known(fired, caveat):
    profile = Profile(
        business_type="household_business",
        province="thanh_hoa",
        unit_type="xa",
        industry="building_materials",
        fired_clay_brick=fired,
    )
    verdict = assess(profile, TODAY)
    assert verdict.verdict == "eligible" and not verdict.rests_on_unverified  # a caveat decides nothing
    text = check_rendering(profile, verdict)
    assert ("lò vòng" in "\n".join(_section(text, "Lưu ý:"))) is caveat


def test_fired_clay_bricks_under_the_earlier_rule_were_not_supported():
    profile = Profile(
        business_type="household_business",
        province="thanh_hoa",
        unit_type="xa",
        industry="building_materials",
        fired_clay_brick=True,
    )
    verdict = assess(profile, dt.date(2016, 1, 1))
    assert verdict.verdict == "not_eligible"
    text = check_rendering(profile, verdict)
    assert text.startswith("Dạ, em xét theo quy định trước đây") and "✗ Theo TT 46/2012 trước đây" in text


# ---------------------------------------------------------------- caveats are validated like the rest


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "policy_kb" / "data"
    shutil.copytree(DATA_DIR, target)
    return target / RULES_FILE.name


def _edit_caveat(path: Path, edit) -> str:
    doc = yaml.safe_load(path.read_text("utf-8"))
    caveat = doc["rule_sets"][max(doc["rule_sets"])]["caveats"][0]
    edit(caveat)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return caveat["id"]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda c: c.pop("source"), "source"),
        (lambda c: c.pop("status"), "status"),
        (lambda c: c.update(text="x" * 201), "longer than 200"),
        (lambda c: c.update(outcome="fail"), "may not have"),
        (lambda c: c.update(when={"kiln": True}), "unknown facts"),
    ],
)
def test_a_bad_caveat_is_refused_naming_file_and_record(tmp_path, edit, message):
    path = _copy_rules(tmp_path)
    cid = _edit_caveat(path, edit)
    with pytest.raises(KnowledgeDataError) as err:
        load_rules(path)
    assert "eligibility.yml" in str(err.value) and cid in str(err.value) and message in str(err.value)


# ---------------------------------------------------------------- estimates

ACTIVITIES = sorted(p.stem for p in (DATA_DIR / "support_levels").glob("*.yml"))
AMOUNT = r"\d[\d.,]*\s(?:triệu|tỷ)\sđồng"


def _claimed(text: str):
    """Amounts the estimate says may be paid: after '=' and after 'tối đa (khoảng)'."""
    return re.findall(rf"(?:=|tối đa(?: khoảng)?)\s({AMOUNT})", text)


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_every_support_level_estimate_invents_nothing(kb_session, activity):
    answer = support_level(kb_session, activity, TODAY)
    cost = fmt_vnd(COST)
    for level in [answer.current] + answer.earlier:
        text = estimate_text(level, COST)
        where = f"{activity}@{level.effective_from}: {text}"
        if level.share != 1:
            assert cost not in _claimed(text), where
        if level.status == "UNVERIFIED":
            assert "chưa xác minh" in text and "×" not in text and re.findall(AMOUNT, text) == [cost], where
            continue
        if level.status == "HISTORICAL":
            assert text.startswith(f"Theo {short_doc(level.document)} trước đây, ước tính"), where
        else:
            assert text.startswith(f"Ước tính với chi phí {cost}:"), where
        rel = relative_to(level) or {}
        if level.share is not None and rel and "factor" not in rel:
            # a share of something else than the cost (loan interest): no arithmetic on the cost
            assert f"tính trên {rel['of']}, không tính trên chi phí" in text and "×" not in text, where
            assert "phê duyệt" in text and not _claimed(text), where
        elif level.share is not None:
            pct = f"{level.share * 100:g}".replace(".", ",")
            assert f"{pct}% × {cost} = {fmt_vnd(COST * level.share)}" in text, where
            if not level.cap_vnd and "không quá" in level.text:  # caps only in words: no uncapped amount
                assert not re.search(rf"tối đa(?: khoảng)? {AMOUNT}", text), where
        else:
            assert "phê duyệt" in text and "×" not in text, where
            assert not _claimed(text), where
        if level.cap_vnd and level.share is None:
            assert f"mức trần {fmt_vnd(level.cap_vnd)}" in text, where
        if "factor" in rel:
            assert f"{rel['factor']:g}".replace(".", ",") + " lần " + rel["of"] in text, where


def test_relative_caps_match_the_level_they_are_relative_to(kb_session):
    checked = 0
    for activity in ACTIVITIES:
        answer = support_level(kb_session, activity, TODAY)
        for level in [answer.current] + answer.earlier:
            rel = relative_to(level)
            if not rel:
                continue
            assert set(rel) <= {"factor", "of", "activity"} and rel["of"].strip()
            # a multiple of another level, or (no factor) the level's share is of something else
            assert rel["factor"] > 0 if "factor" in rel else level.share is not None and "activity" not in rel
            if rel.get("activity"):
                base = support_level(kb_session, rel["activity"], level.effective_from).current
                assert base.effective_from <= level.effective_from and base.cap_vnd * rel["factor"] == level.cap_vnd
            checked += 1
    assert checked >= 3  # technology_line, priority_uplift, relocation_interest


@pytest.mark.parametrize("activity", ACTIVITIES)
def test_an_estimate_in_a_level_answer_says_the_province_sets_its_own_levels(kb_session, activity):
    answer = support_level(kb_session, activity, TODAY)
    text = level_answer(answer, COST)
    if answer.current.status == "VERIFIED":
        assert estimate_text(answer.current, COST) in text and "tỉnh quy định mức riêng" in text
        assert "…" not in text  # the level line is not cut to make room for the estimate
    else:
        assert "Ước tính" not in text and "Mỗi tỉnh tự quy định mức chi" in text


@pytest.mark.parametrize("activity", sorted(ACTIVITY_CONDITIONS))
def test_tt46_activity_conditions_come_with_the_estimate_as_the_earlier_rule(kb_session, activity):
    line, fact_id = ACTIVITY_CONDITIONS[activity]
    basis = fact(kb_session, fact_id)
    assert basis.status == "HISTORICAL" and basis.key == activity and basis.document == "Thông tư 46/2012/TT-BCT"
    assert line.startswith("Theo TT 46/2012 trước đây (") and f"({basis.article})" in line
    assert line in estimate_text(support_level(kb_session, activity, TODAY).current, COST)


def test_technology_line_of_200_million_is_not_200_million(kb_session):
    text = estimate_text(support_level(kb_session, "technology_line", TODAY).current, COST)
    assert "tối đa khoảng 200 triệu" not in text and "mức trần 450 triệu đồng/cơ sở" in text
    assert "1,5 lần mức hỗ trợ máy móc thiết bị" in text and "khi đề án được phê duyệt" in text


def test_machinery_arithmetic_stays_visible(kb_session):
    level = support_level(kb_session, "machinery", TODAY).current
    assert "50% × 800 triệu đồng = 400 triệu đồng, vượt mức trần nên tối đa 300 triệu đồng" in estimate_text(
        level, 800_000_000
    )

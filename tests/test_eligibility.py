"""Pre-eligibility rules (policy_kb/eligibility.py + data/eligibility.yml) and the province table.

The rule table lives in tests/eligibility_cases.yml (OpenFisca-style): profile → expected verdict,
reasons, priorities and missing fields. No Rasa needed.
"""

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from policy_kb.eligibility import FIELD_ORDER, RULES_FILE, Profile, assess, load_rules, missing_fields
from policy_kb.loader import DATA_DIR, KnowledgeDataError
from policy_kb.provinces import PROVINCES_FILE, load_provinces, province_of_old_name

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((Path(__file__).parent / "eligibility_cases.yml").read_text("utf-8"))
DEFAULT_ON = dt.date(2026, 1, 15)
PROFILE_FIELDS = {f.name for f in dataclasses.fields(Profile)}


def _lookup_keys(entity: str) -> set:
    doc = yaml.safe_load((ROOT / "nlu_data" / "lookups" / f"{entity}.yml").read_text("utf-8"))
    return {item["lookup"].split(".", 1)[1] for item in doc["nlu"] if "lookup" in item}


def _haystack(reason) -> str:
    return f"{reason.text} | {reason.document} | {reason.article}"


# ---------------------------------------------------------------- the rule table


def test_rule_table_is_big_enough_and_well_formed():
    names = [case["name"] for case in CASES]
    assert len(names) >= 30 and len(set(names)) == len(names)
    for case in CASES:
        assert set(case) <= {"name", "on", "profile", "expected"}, case["name"]  # bare `on:` → True
        assert set(case["profile"]) <= PROFILE_FIELDS, case["name"]
        assert case["expected"]["verdict"] in ("eligible", "not_eligible", "unknown"), case["name"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_table(case):
    expected = case["expected"]
    result = assess(Profile(**case["profile"]), case.get("on", DEFAULT_ON))
    shown = "\n".join(f"  [{r.outcome}] {_haystack(r)}" for r in result.reasons)
    assert result.verdict == expected["verdict"], f"{result.verdict}:\n{shown}"
    for part in expected.get("reason_contains", []):
        assert any(part in _haystack(r) for r in result.reasons), f"{part!r} not in:\n{shown}"
    for part in expected.get("priorities_contains", []):
        assert any(part in _haystack(p) for p in result.priorities), (part, result.priorities)
    for part in expected.get("caveats_contains", []):
        assert any(part in _haystack(c) for c in result.caveats), (part, result.caveats)
    if expected.get("no_priorities"):
        assert result.priorities == []
    if "missing" in expected:
        assert result.missing == expected["missing"]
    if "rule_set_effective_from" in expected:
        assert result.rule_set_effective_from == expected["rule_set_effective_from"]
    # Invariants of every verdict.
    if result.verdict != "unknown":
        assert result.missing == []
    assert result.missing == [f for f in FIELD_ORDER if f in result.missing]
    assert all(r.document and r.article and r.status for r in result.reasons + result.priorities)
    assert all(len(r.text) <= 200 for r in result.reasons + result.priorities)  # read in a chat
    assert all(r.outcome == "pass" for r in result.reasons) == (result.verdict == "eligible")


def test_missing_fields_is_the_verdicts_missing_list():
    profile = Profile(business_type="sme", unit_type="xa")
    assert missing_fields(profile, DEFAULT_ON) == ["industry", "employees", "revenue_vnd"]


def test_unverified_readings_are_worded_as_interpretations():
    for rule_set in load_rules().rule_sets:
        rules = [r for rules in rule_set.checks.values() for r in rules] + list(rule_set.priorities)
        for rule in rules:
            if rule.status_detail == "UNVERIFIED interpretation":
                assert rule.status == "UNVERIFIED"
                assert "chưa được xác minh chính thức" in rule.text, rule.id


def test_every_lookup_key_is_decided_by_a_rule_in_every_rule_set():
    """No business type or industry the NLU can extract falls through the rules."""
    for rule_set in load_rules().rule_sets:
        on = rule_set.effective_from
        for business_type in _lookup_keys("business_type"):
            assess(Profile(business_type=business_type, industry="handicraft", unit_type="xa"), on)
        for industry in _lookup_keys("industry"):
            assess(Profile(business_type="household_business", industry=industry, unit_type="xa"), on)


def test_the_keys_the_actions_accept_are_the_nlu_lookup_keys():
    """One list: the form's validators and the quick check accept the keys of the lookup tables,
    read from nlu_data/lookups (no hand-made copy), and each has its Vietnamese name."""
    from actions import eligibility as form
    from policy_kb.labels import VALUE_LABEL
    from policy_kb.eligibility import BUSINESS_TYPES, INDUSTRIES, UNIT_TYPES

    assert BUSINESS_TYPES == _lookup_keys("business_type") and INDUSTRIES == _lookup_keys("industry")
    assert (form.BUSINESS_TYPES, form.INDUSTRIES, form.UNIT_TYPES) == (BUSINESS_TYPES, INDUSTRIES, UNIT_TYPES)
    assert set(BUSINESS_TYPES) | set(INDUSTRIES) | set(UNIT_TYPES) <= set(VALUE_LABEL)


def test_rules_before_2012_do_not_exist():
    with pytest.raises(ValueError, match="no eligibility rule set"):
        assess(Profile(), dt.date(2011, 1, 1))


def test_unknown_keys_are_refused():
    with pytest.raises(ValueError, match="province"):
        assess(Profile(province="sai_gon"), DEFAULT_ON)
    with pytest.raises(ValueError, match="unit_type"):
        assess(Profile(unit_type="huyen"), DEFAULT_ON)


# ---------------------------------------------------------------- provinces


def test_province_keys_equal_the_nlu_lookup_keys():
    assert set(load_provinces()) == _lookup_keys("province")


def test_six_centrally_run_cities():
    cities = {key for key, p in load_provinces().items() if p.centrally_run}
    assert cities == {"ha_noi", "hue", "hai_phong", "da_nang", "ho_chi_minh", "can_tho"}


def test_every_old_province_name_maps_to_its_unit():
    names = 0
    for key, province in load_provinces().items():
        assert province.merged_from and province.short_name in province.name or key == "ho_chi_minh"
        for old in province.merged_from:
            names += 1
            assert province_of_old_name(old).key == key, old
    assert names >= 63  # the 63 pre-2025 provinces (plus a few aliases)


@pytest.mark.parametrize(
    "name, key",
    [
        ("tỉnh Hà Giang", "tuyen_quang"),
        ("binh phuoc", "dong_nai"),
        ("BÌNH DƯƠNG", "ho_chi_minh"),
        ("Bà Rịa - Vũng Tàu", "ho_chi_minh"),
        ("Thừa Thiên - Huế", "hue"),
        ("Thanh Hoá", "thanh_hoa"),
        ("thành phố Hồ Chí Minh", "ho_chi_minh"),
        ("Hòa Bình", "phu_tho"),
        ("Kon Tum", "quang_ngai"),
    ],
)
def test_old_names_match_without_accents_case_or_prefix(name, key):
    assert province_of_old_name(name).key == key


def test_unknown_old_name_is_none():
    assert province_of_old_name("Atlantis") is None
    assert province_of_old_name("") is None


# ---------------------------------------------------------------- refusing bad data


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "policy_kb" / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit_rule(path: Path, edit) -> str:
    doc = yaml.safe_load(path.read_text("utf-8"))
    current = doc["rule_sets"][max(doc["rule_sets"])]
    rule = current["checks"]["location"][0]
    edit(rule)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    return rule["id"]


@pytest.mark.parametrize("field", ["source", "status"])
def test_rule_without_source_or_status_is_refused_with_file_and_record(tmp_path, field):
    path = _copy_data(tmp_path) / RULES_FILE.name
    rid = _edit_rule(path, lambda rule: rule.pop(field))
    with pytest.raises(KnowledgeDataError) as err:
        load_rules(path)
    assert "eligibility.yml" in str(err.value) and rid in str(err.value) and field in str(err.value)


def test_rule_with_empty_article_is_refused(tmp_path):
    path = _copy_data(tmp_path) / RULES_FILE.name
    rid = _edit_rule(path, lambda rule: rule["source"].update(article=" "))
    with pytest.raises(KnowledgeDataError, match=rid):
        load_rules(path)


def test_rule_with_unknown_fact_is_refused(tmp_path):
    path = _copy_data(tmp_path) / RULES_FILE.name
    rid = _edit_rule(path, lambda rule: rule.update(when={"district": "x"}))
    with pytest.raises(KnowledgeDataError, match=f"{rid}.*unknown facts"):
        load_rules(path)


@pytest.mark.parametrize(
    "edit", [lambda about: about.pop("location"), lambda about: about.update(location=["district"])]
)
def test_a_check_without_its_about_fields_is_refused(tmp_path, edit):
    """Which profile fields a check judges is data (``about:``), not a rule-id prefix."""
    path = _copy_data(tmp_path) / RULES_FILE.name
    doc = yaml.safe_load(path.read_text("utf-8"))
    edit(doc["rule_sets"][max(doc["rule_sets"])]["about"])
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(KnowledgeDataError, match="about"):
        load_rules(path)


def test_every_reason_of_a_check_says_what_it_is_about():
    verdict = assess(Profile(business_type="cooperative", industry="mining", province="ha_noi", unit_type="xa"))
    about = {r.rule_id.split(".")[0]: r.about for r in verdict.reasons}
    assert about == {"bt": ("business_type",), "ind": ("industry",), "loc": ("province", "unit_type")}


def test_provinces_without_source_are_refused(tmp_path):
    path = _copy_data(tmp_path) / PROVINCES_FILE.name
    doc = yaml.safe_load(path.read_text("utf-8"))
    doc.pop("source")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(KnowledgeDataError, match="provinces.yml.*source"):
        load_provinces(path)


def test_old_name_in_two_units_is_refused(tmp_path):
    from policy_kb.provinces import _old_name_index

    path = _copy_data(tmp_path) / PROVINCES_FILE.name
    doc = yaml.safe_load(path.read_text("utf-8"))
    doc["provinces"]["dong_nai"]["merged_from"].append("Bình Dương")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(KnowledgeDataError, match="Bình Dương"):
        _old_name_index(path)

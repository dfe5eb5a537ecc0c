"""Pre-eligibility for khuyến công: rules as data (data/eligibility.yml), decided here, no Rasa.

``assess(profile, on)`` takes the rule set in force on ``on``, picks the beneficiary group that
applies (group (b), cleaner production, before group (a), rural industrial establishments), and
runs that group's checks. Each check is an ordered rule list; its first matching rule gives one
reason (pass / fail / unknown). Any fail → "not_eligible", else any unknown → "unknown", else
"eligible". These mean *appears* eligible / *appears* not eligible / cannot tell yet: this is a
pre-check for a conversation, and the Trung tâm Khuyến công decides.

Every reason keeps its rule's status (VERIFIED / HISTORICAL / UNVERIFIED), and so does the
verdict: ``Verdict.unverified_basis`` lists the deciding reasons that are UNVERIFIED readings and
``Verdict.rests_on_unverified`` says whether the verdict stands or falls with them, so that the
wording (actions/verdict_text.py) is never stronger than the text it rests on. Priorities and
caveats (earlier rules that would change the answer) are rules of the same shape, all of which
apply when they match.

Deterministic; the only I/O is reading the YAML files once (cached).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Tuple

from policy_kb.loader import (
    DATA_DIR,
    KnowledgeDataError,
    date_field,
    display_path,
    questions_field,
    read_yaml,
    source_field,
    status_field,
    text_field,
)
from policy_kb.provinces import Province, load_provinces, old_name_used, province_of_old_name
from vntext.places import UNIT_TYPES

RULES_FILE = DATA_DIR / "eligibility.yml"

# Order in which a conversation asks for what is missing: who, what, where, then size.
FIELD_ORDER = (
    "business_type",
    "industry",
    "province",
    "unit_type",
    "craft_village",
    "disadvantaged",
    "employees",
    "revenue_vnd",
    "capital_vnd",
)
OUTCOMES = ("pass", "fail", "unknown")
LOOKUPS_DIR = DATA_DIR.parent.parent / "nlu_data" / "lookups"
# Facts a rule's `when` may test. centrally_run is derived from the province key, so the user
# never has to know it; min_employees is "employees >= N".
CONDITION_KEYS = (
    "business_type",
    "industry",
    "province",
    "centrally_run",
    "unit_type",
    "craft_village",
    "disadvantaged",
    "ethnic_minority_area",
    "women_owned",
    "ethnic_minority_owned",
    "exports",
    "local_materials",
    "fired_clay_brick",
    "min_employees",
)
MAX_TEXT = 200  # reason texts stay short: they are read in a chat


@lru_cache(maxsize=None)
def lookup_keys(entity: str) -> FrozenSet[str]:
    """The canonical keys of an entity: its lookup tables ``<entity>.<key>`` in
    ``nlu_data/lookups/<entity>.yml``, where the NLU's phrases for them are. The one list of the
    business types and industries the rules decide (tests/test_eligibility.py: every one is)."""
    doc = read_yaml(LOOKUPS_DIR / f"{entity}.yml") or {}
    names = [item.get("lookup") or "" for item in doc.get("nlu") or [] if isinstance(item, dict)]
    return frozenset(name.split(".", 1)[1] for name in names if name.startswith(entity + "."))


BUSINESS_TYPES = lookup_keys("business_type")
INDUSTRIES = lookup_keys("industry")


# ---------------------------------------------------------------- public types


@dataclass(frozen=True)
class Profile:
    """What the conversation knows about an establishment; None = not known yet."""

    business_type: Optional[str] = None  # key of nlu_data/lookups/business_type.yml
    province: Optional[str] = None  # current key (provinces.yml)
    old_province_name: Optional[str] = None  # as the user said it, e.g. "Bình Phước"
    unit_type: Optional[str] = None  # 'xa' | 'phuong' | 'dac_khu'
    craft_village: Optional[bool] = None  # in a làng nghề recognised by UBND cấp tỉnh
    disadvantaged: Optional[bool] = None  # địa bàn có điều kiện KT-XH khó khăn / ĐBKK
    industry: Optional[str] = None  # key of nlu_data/lookups/industry.yml
    employees: Optional[int] = None
    revenue_vnd: Optional[int] = None
    capital_vnd: Optional[int] = None
    women_owned: Optional[bool] = None  # priorities only (NĐ 235/2025, secondary)
    ethnic_minority_owned: Optional[bool] = None  # priorities only (NĐ 235/2025, secondary)
    # Priorities of NĐ 45/2012 Điều 6 (never asked by the form; set them when the user says so):
    exports: Optional[bool] = None  # makes products with an export market (export
    # contract, or produces for export) – Đ6.2.b
    local_materials: Optional[bool] = None  # main raw materials come from the province – Đ6.2.b
    ethnic_minority_area: Optional[bool] = None  # in a vùng đồng bào dân tộc thiểu số – Đ6.1
    # TT 46/2012 Điều 5 khoản 1 (earlier rule): makes fired clay bricks (gạch đất sét nung) in an
    # improved hand-fired kiln (lò thủ công cải tiến) or a ring kiln (lò vòng).
    fired_clay_brick: Optional[bool] = None


@dataclass(frozen=True)
class Reason:
    text: str
    document: str
    article: str
    status: str  # VERIFIED | HISTORICAL | UNVERIFIED
    outcome: str  # pass | fail | unknown
    status_detail: Optional[str] = None
    rule_id: str = ""
    about: Tuple[str, ...] = ()  # the profile fields its check judges (the rule set's `about:`)


@dataclass
class Verdict:
    verdict: str  # eligible | not_eligible | unknown ("appears …" / cannot tell yet)
    reasons: List[Reason]
    priorities: List[Reason]  # every matching priority, each with its status (see stated_priorities)
    missing: List[str]  # profile fields still needed, in FIELD_ORDER
    rule_set_effective_from: dt.date
    rule_set: str = ""  # id of the rule set used
    group: str = ""  # beneficiary group used: 'a' or 'b'
    caveats: List[Reason] = field(default_factory=list)  # earlier rules / open points ("Lưu ý:")
    rule_set_status: str = "VERIFIED"  # status of the rule set used (HISTORICAL for the earlier rule)
    rule_set_label: str = ""

    @property
    def deciding_reasons(self) -> List[Reason]:
        """What the verdict rests on: the failing reasons of a not_eligible verdict, every
        (passing) reason of an eligible one, the open reasons of an unknown one."""
        wanted = {"not_eligible": "fail", "eligible": "pass", "unknown": "unknown"}[self.verdict]
        return [r for r in self.reasons if r.outcome == wanted]

    @property
    def unverified_basis(self) -> List[Reason]:
        """The deciding reasons whose status is UNVERIFIED."""
        return [r for r in self.deciding_reasons if r.status == "UNVERIFIED"]

    @property
    def rests_on_unverified(self) -> bool:
        """Would the verdict change if an UNVERIFIED reading were wrong? Eligible: yes as soon as
        one passing reason is unverified. Not eligible / unknown: yes when every failing (open)
        reason is unverified; one verified fail decides on its own."""
        unverified = self.unverified_basis
        if self.verdict == "eligible":
            return bool(unverified)
        return bool(unverified) and len(unverified) == len(self.deciding_reasons)

    @property
    def stated_priorities(self) -> List[Reason]:
        """Priorities that may be listed as such (VERIFIED, or HISTORICAL under the earlier rule)."""
        return [p for p in self.priorities if p.status != "UNVERIFIED"]

    @property
    def unverified_priorities(self) -> List[Reason]:
        """Priorities the user matches only under an UNVERIFIED reading: a note at most."""
        return [p for p in self.priorities if p.status == "UNVERIFIED"]


# ---------------------------------------------------------------- rules as loaded


@dataclass(frozen=True)
class Rule:
    id: str
    when: Tuple[Tuple[str, Any], ...]
    outcome: str
    text: str
    document: str
    article: str
    status: str
    status_detail: Optional[str]
    ask: Tuple[str, ...] = ()
    size_check: bool = False
    questions: Tuple[str, ...] = ()  # example questions: the rule is then an answerable record
    with_refusal: bool = False  # a caveat also shown with a not_eligible verdict
    about: Tuple[str, ...] = ()  # the profile fields its check judges (none for priorities, caveats)

    def matches(self, facts: Dict[str, Any]) -> bool:
        return all(_holds(key, expected, facts) for key, expected in self.when)

    def reason(self, unit: str, outcome: Optional[str] = None) -> Reason:
        return Reason(
            text=self.text.replace("{unit}", unit),
            document=self.document,
            article=self.article,
            status=self.status,
            outcome=outcome or self.outcome,
            status_detail=self.status_detail,
            rule_id=self.id,
            about=self.about,
        )


@dataclass(frozen=True)
class SmeDefinition:
    effective_from: dt.date
    id: str
    max_employees: Optional[int]
    max_revenue_vnd: Optional[int]
    max_capital_vnd: Optional[int]
    texts: Dict[str, str]  # outcome → text
    document: str
    article: str
    status: str
    status_detail: Optional[str]


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    applies_when: Tuple[Tuple[str, Any], ...]
    checks: Tuple[str, ...]


@dataclass(frozen=True)
class RuleSet:
    effective_from: dt.date
    id: str
    label: str
    status: str
    groups: Tuple[Group, ...]
    checks: Dict[str, Tuple[Rule, ...]]
    priorities: Tuple[Rule, ...]
    caveats: Tuple[Rule, ...] = ()  # earlier rules / open points that would change the answer


@dataclass(frozen=True)
class RuleBook:
    rule_sets: Tuple[RuleSet, ...]  # sorted by effective_from
    sme_definitions: Tuple[SmeDefinition, ...]  # sorted by effective_from

    def rule_set_on(self, on: dt.date) -> RuleSet:
        return _latest(self.rule_sets, on, "eligibility rule set")

    def sme_definition_on(self, on: dt.date) -> SmeDefinition:
        return _latest(self.sme_definitions, on, "SME definition")


def _latest(items, on: dt.date, what: str):
    # A later entry supersedes an earlier one, as with support levels.
    current = [item for item in items if item.effective_from <= on]
    if not current:
        raise ValueError(f"no {what} in force on {on.isoformat()}")
    return current[-1]


def _holds(key: str, expected: Any, facts: Dict[str, Any]) -> bool:
    if key == "min_employees":
        employees = facts.get("employees")
        return employees is not None and employees >= expected
    value = facts.get(key)
    if isinstance(expected, list):
        return value in expected
    # `is` for None/bools so that 0 never matches false and 1 never matches true.
    if expected is None or isinstance(expected, bool):
        return value is expected
    return value == expected


# ---------------------------------------------------------------- loading and validation


def _when(value: Any, file: str, record: str, key: str = "when") -> Tuple[Tuple[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise KnowledgeDataError(file, record, f"'{key}' must be a mapping of facts")
    unknown = set(value) - set(CONDITION_KEYS)
    if unknown:
        raise KnowledgeDataError(file, record, f"'{key}' uses unknown facts {sorted(unknown)}")
    return tuple(value.items())


def _rule(rec: Any, file: str, record: str, kind: str, about: Tuple[str, ...] = ()) -> Rule:
    if not isinstance(rec, dict):
        raise KnowledgeDataError(file, record, "a rule must be a mapping")
    src = source_field(rec.get("source"), file, record)
    status = status_field(rec, file, record)
    text = text_field(rec, "text", file, record)
    if len(text) > MAX_TEXT:
        raise KnowledgeDataError(file, record, f"text longer than {MAX_TEXT} characters")
    if kind != "check":
        # a priority or caveat applies whenever it matches: it decides nothing and asks nothing
        extra = sorted({"outcome", "ask", "size_check"} & set(rec))
        if extra:
            raise KnowledgeDataError(file, record, f"a {kind} rule may not have {extra}")
    if "with_refusal" in rec and kind != "caveat":
        raise KnowledgeDataError(file, record, "only a caveat may have 'with_refusal'")
    outcome = {"check": rec.get("outcome"), "priority": "pass", "caveat": "unknown"}[kind]
    if outcome not in OUTCOMES:
        raise KnowledgeDataError(file, record, f"outcome must be one of {OUTCOMES}, got {outcome!r}")
    ask = rec.get("ask") or []
    if not isinstance(ask, list) or set(ask) - set(FIELD_ORDER):
        raise KnowledgeDataError(file, record, f"'ask' must list profile fields from {FIELD_ORDER}")
    if ask and outcome != "unknown":
        raise KnowledgeDataError(file, record, "only an 'unknown' rule may ask for fields")
    size_check = bool(rec.get("size_check", False))
    if size_check and outcome != "pass":
        raise KnowledgeDataError(file, record, "size_check only makes sense on a 'pass' rule")
    return Rule(
        id=text_field(rec, "id", file, record),
        when=_when(rec.get("when"), file, record),
        outcome=outcome,
        text=text,
        document=src["document"],
        article=src["article"],
        status=status,
        status_detail=rec.get("status_detail"),
        ask=tuple(ask),
        size_check=size_check,
        questions=tuple(questions_field(rec, file, record)),
        with_refusal=rec.get("with_refusal") is True,
        about=about,
    )


def _rules(
    items: Any, file: str, where: str, kind: str = "check", optional: bool = False, about: Tuple[str, ...] = ()
) -> Tuple[Rule, ...]:
    if optional and items is None:
        return ()
    if not isinstance(items, list) or (not items and not optional):
        raise KnowledgeDataError(file, where, "expected a non-empty list of rules")
    out = []
    for i, rec in enumerate(items):
        rid = rec.get("id") if isinstance(rec, dict) else None
        out.append(_rule(rec, file, f"{where}/{rid or '#' + str(i + 1)}", kind, about))
    return tuple(out)


def _about(value: Any, checks: Dict[str, Any], file: str, record: str) -> Dict[str, Tuple[str, ...]]:
    """The rule set's ``about:``: for every check, the profile fields it judges."""
    if not isinstance(value, dict) or set(value) != set(checks):
        raise KnowledgeDataError(
            file,
            record,
            f"'about' must name the profile fields of every check {sorted(checks)}, got {sorted(value or {})}",
        )
    for name, fields in value.items():
        if not isinstance(fields, list) or set(fields) - set(FIELD_ORDER):
            raise KnowledgeDataError(file, f"{record}/about/{name}", f"must list profile fields from {FIELD_ORDER}")
    return {name: tuple(fields) for name, fields in value.items()}


def _rule_set(when: Any, rec: Any, file: str) -> RuleSet:
    record = f"rule_sets@{when}"
    if not isinstance(rec, dict):
        raise KnowledgeDataError(file, record, "a rule set must be a mapping")
    record = f"{text_field(rec, 'id', file, record)}@{when}"
    source_field(rec.get("source"), file, record)
    about = _about(rec.get("about"), rec.get("checks") or {}, file, record)
    checks = {
        name: _rules(items, file, f"{record}/{name}", about=about[name])
        for name, items in (rec.get("checks") or {}).items()
    }
    groups = []
    for g in rec.get("groups") or []:
        if not isinstance(g, dict):
            raise KnowledgeDataError(file, record, "a group must be a mapping")
        gid = f"{record}/group {g.get('id')}"
        names = tuple(g.get("checks") or ())
        missing = [n for n in names if n not in checks]
        if not names or missing:
            raise KnowledgeDataError(file, gid, f"group checks must name defined checks; missing {missing}")
        groups.append(
            Group(
                id=text_field(g, "id", file, gid),
                label=text_field(g, "label", file, gid),
                applies_when=_when(g.get("applies_when"), file, gid, "applies_when"),
                checks=names,
            )
        )
    if not groups or groups[-1].applies_when:
        # The last group must apply to everyone, so that assess() always has a group.
        raise KnowledgeDataError(file, record, "the last group must have an empty 'applies_when'")
    priorities = _rules(rec.get("priorities"), file, f"{record}/priorities", "priority")
    caveats = _rules(rec.get("caveats"), file, f"{record}/caveats", "caveat", optional=True)
    all_ids = [r.id for rules in checks.values() for r in rules] + [r.id for r in priorities + caveats]
    duplicates = {i for i in all_ids if all_ids.count(i) > 1}
    if duplicates:
        raise KnowledgeDataError(file, record, f"duplicate rule ids {sorted(duplicates)}")
    return RuleSet(
        effective_from=date_field(when, file, record, "effective date", True),
        id=rec["id"],
        label=text_field(rec, "label", file, record),
        status=status_field(rec, file, record),
        groups=tuple(groups),
        checks=checks,
        priorities=priorities,
        caveats=caveats,
    )


def _sme_definition(when: Any, rec: Any, file: str) -> SmeDefinition:
    record = f"sme_definitions@{when}"
    if not isinstance(rec, dict):
        raise KnowledgeDataError(file, record, "an SME definition must be a mapping")
    src = source_field(rec.get("source"), file, record)
    limits = [rec.get(k) for k in ("max_employees", "max_revenue_vnd", "max_capital_vnd")]
    if any(v is not None and not (isinstance(v, int) and v > 0) for v in limits):
        raise KnowledgeDataError(file, record, "size limits must be positive integers or null")
    if len({v is None for v in limits}) > 1:
        raise KnowledgeDataError(file, record, "give all three size limits or none")
    needed = ("unknown",) if limits[0] is None else OUTCOMES
    texts = {o: text_field(rec, f"{o}_text", file, record) for o in needed}
    return SmeDefinition(
        effective_from=date_field(when, file, record, "effective date", True),
        id=text_field(rec, "id", file, record),
        max_employees=limits[0],
        max_revenue_vnd=limits[1],
        max_capital_vnd=limits[2],
        texts=texts,
        document=src["document"],
        article=src["article"],
        status=status_field(rec, file, record),
        status_detail=rec.get("status_detail"),
    )


def _dated(data: Dict[str, Any], key: str, file: str, parse) -> Tuple[Any, ...]:
    entries = data.get(key)
    if not isinstance(entries, dict) or not entries:
        raise KnowledgeDataError(file, None, f"no dated '{key}'")
    return tuple(
        sorted((parse(when, rec, file) for when, rec in entries.items()), key=lambda item: item.effective_from)
    )


@lru_cache(maxsize=8)
def load_rules(path: Path = RULES_FILE) -> RuleBook:
    """Read and validate eligibility.yml once; refuses unsourced records, naming file and record."""
    path = Path(path)
    file = display_path(path)
    data = read_yaml(path) or {}
    return RuleBook(
        rule_sets=_dated(data, "rule_sets", file, _rule_set),
        sme_definitions=_dated(data, "sme_definitions", file, _sme_definition),
    )


# ---------------------------------------------------------------- assessment


def _resolve_province(profile: Profile) -> Optional[Province]:
    if profile.province:
        try:
            return load_provinces()[profile.province]
        except KeyError:
            raise ValueError(f"unknown province key {profile.province!r}") from None
    if profile.old_province_name:
        return province_of_old_name(profile.old_province_name)
    return None


def _unit_label(province: Optional[Province], old_name: Optional[str]) -> str:
    """'tỉnh Đồng Nai (trước đây thuộc Bình Phước)': the user sees the old name they used."""
    if province is None:
        return "tỉnh, thành phố của cơ sở"
    label = province.name[:1].lower() + province.name[1:]
    old = old_name_used(old_name, province.key)
    if old:
        label += f" (trước đây thuộc {old})"
    return label


def _facts(profile: Profile, province: Optional[Province]) -> Dict[str, Any]:
    if profile.unit_type not in (None, *UNIT_TYPES):
        raise ValueError(f"unit_type must be one of {UNIT_TYPES} or None, got {profile.unit_type!r}")
    facts = {
        name: getattr(profile, name)
        for name in CONDITION_KEYS
        if name not in ("province", "centrally_run", "min_employees")
    }
    facts.update(
        province=province.key if province else None,
        centrally_run=province.centrally_run if province else None,
        employees=profile.employees,
    )
    return facts


def _first_match(rule_set: RuleSet, check: str, facts: Dict[str, Any]) -> Rule:
    for rule in rule_set.checks[check]:
        if rule.matches(facts):
            return rule
    # Only an unexpected key (a bug upstream) gets here: the data covers every lookup key.
    raise ValueError(f"no rule in {rule_set.id}/{check} matches {facts}")


def _size(profile: Profile, sme: SmeDefinition) -> Tuple[str, Tuple[str, ...]]:
    """SME test (NĐ 80/2021 shape): employees ≤ max AND (revenue ≤ max OR capital ≤ max)."""
    if sme.max_employees is None:
        return "unknown", ()  # no thresholds for that period: nothing the user can add helps
    emp, rev, cap = profile.employees, profile.revenue_vnd, profile.capital_vnd
    rev_ok = None if rev is None else rev <= sme.max_revenue_vnd
    cap_ok = None if cap is None else cap <= sme.max_capital_vnd
    if (emp is not None and emp > sme.max_employees) or (rev_ok is False and cap_ok is False):
        return "fail", ()
    if emp is not None and (rev_ok or cap_ok):
        return "pass", ()
    # Ask only what can still change the answer: capital matters once revenue is too high.
    ask = [] if emp is not None else ["employees"]
    if rev_ok is None and not cap_ok:
        ask.append("revenue_vnd")
    elif rev_ok is False and cap_ok is None:
        ask.append("capital_vnd")
    return "unknown", tuple(ask)


def _size_reason(profile: Profile, sme: SmeDefinition) -> Tuple[Reason, Tuple[str, ...]]:
    outcome, ask = _size(profile, sme)
    reason = Reason(
        text=sme.texts[outcome],
        document=sme.document,
        article=sme.article,
        status=sme.status,
        outcome=outcome,
        status_detail=sme.status_detail,
        rule_id=sme.id,
    )
    return reason, ask


def _verdict_of(outcomes: Iterable[str]) -> str:
    outcomes = set(outcomes)
    if "fail" in outcomes:
        return "not_eligible"
    return "unknown" if "unknown" in outcomes else "eligible"


def _ordered(fields: Iterable[str]) -> List[str]:
    wanted = set(fields)
    return [name for name in FIELD_ORDER if name in wanted]


def assess(profile: Profile, on: Optional[dt.date] = None) -> Verdict:
    """Pre-eligibility of ``profile`` under the rules in force on ``on`` (today by default)."""
    on = on or dt.date.today()
    book = load_rules()
    rule_set = book.rule_set_on(on)
    province = _resolve_province(profile)
    facts = _facts(profile, province)
    unit = _unit_label(province, profile.old_province_name)
    group = next(g for g in rule_set.groups if all(_holds(k, v, facts) for k, v in g.applies_when))

    judged: List[Tuple[Reason, Tuple[str, ...]]] = []
    for check in group.checks:
        rule = _first_match(rule_set, check, facts)
        judged.append((rule.reason(unit), rule.ask))
        if rule.size_check:
            judged.append(_size_reason(profile, book.sme_definition_on(on)))

    verdict = _verdict_of(reason.outcome for reason, _ in judged)
    if verdict == "not_eligible":
        # Once something fails, open questions are noise: show what decided it, ask nothing; only
        # caveats about what decided it ("with_refusal": the rule it rests on has changed) stay.
        reasons, missing, priorities = [r for r, _ in judged if r.outcome != "unknown"], [], []
        caveats = [rule.reason(unit) for rule in rule_set.caveats if rule.with_refusal and rule.matches(facts)]
    else:
        reasons = [r for r, _ in judged]
        missing = _ordered(f for r, ask in judged if r.outcome == "unknown" for f in ask)
        priorities = [rule.reason(unit) for rule in rule_set.priorities if rule.matches(facts)]
        caveats = [rule.reason(unit) for rule in rule_set.caveats if rule.matches(facts)]
    return Verdict(
        verdict=verdict,
        reasons=reasons,
        priorities=priorities,
        missing=missing,
        rule_set_effective_from=rule_set.effective_from,
        rule_set=rule_set.id,
        group=group.id,
        caveats=caveats,
        rule_set_status=rule_set.status,
        rule_set_label=rule_set.label,
    )


def missing_fields(profile: Profile, on: Optional[dt.date] = None) -> List[str]:
    """Profile fields a conversation should still ask for, in asking order ([] once decided)."""
    return assess(profile, on).missing

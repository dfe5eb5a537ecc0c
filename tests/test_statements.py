"""What a message says about the establishment (vntext/statements.py), as YAML cases
(tests/data/statements.yml), with entities from the real lookup tables and extractors."""

from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from vntext.fold import fold
from vntext.gazetteer import Gazetteer
from vntext.money import find_money
from vntext.normalize import normalize_text
from vntext.places import find_places
from vntext.statements import Context, read

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((Path(__file__).parent / "data" / "statements.yml").read_text("utf-8"))["cases"]


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    table = {}
    for path in sorted((ROOT / "nlu_data" / "lookups").glob("*.yml")):
        for item in yaml.safe_load(path.read_text("utf-8"))["nlu"]:
            entity, value = item["lookup"].split(".", 1)
            phrases = [line[2:].strip() for line in item["examples"].splitlines() if line.strip().startswith("- ")]
            table.setdefault(entity, {}).setdefault(value, []).extend(phrases)
    return Gazetteer(table)


def entities(text: str):
    found = [
        {"entity": m.entity, "value": m.value, "start": m.start, "end": m.end, "text": text[m.start : m.end]}
        for m in gazetteer().find(text)
    ]
    found += [{"entity": "money", "value": m.value, "start": m.start, "end": m.end} for m in find_money(fold(text))]
    found += [{"entity": "unit_type", "value": p.unit_type, "start": p.start, "end": p.end} for p in find_places(text)]
    return found


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:50] for c in CASES])
def test_reading(case):
    text = normalize_text(case["text"])
    reading = read(text, entities(text), Context(**case.get("context", {})))
    for slot, want in case.get("values", {}).items():
        assert str(reading.values.get(slot)) == str(want), (slot, reading)
    for slot in case.get("absent", []):
        assert slot not in reading.values, (slot, reading)
    for slot, want in case.get("denied", {}).items():
        assert reading.denied.get(slot) == want, (slot, reading)
    if "correction" in case:
        assert reading.correction is case["correction"], reading
    if "merger" in case:
        assert reading.asks_about_merger is case["merger"], reading


# Every message goes through the reader: it must never raise, whatever arrives (emoji, other
# scripts, control characters, very long text, entities with odd offsets or values).
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ENTITY = st.fixed_dictionaries(
    {
        "entity": st.sampled_from(
            ["business_type", "industry", "province", "unit_type", "area", "money", "activity", "x"]
        ),
        "value": st.one_of(
            st.none(),
            st.text(max_size=20),
            st.integers(-10, 10**13),
            st.sampled_from(["cooperative", "ha_noi", "xa", "craft_village", "disadvantaged", "mining"]),
        ),
        "start": st.one_of(st.none(), st.integers(-5, 400)),
        "end": st.one_of(st.none(), st.integers(-5, 400)),
    }
)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=300),
    entities=st.lists(ENTITY, max_size=6),
    requested=st.sampled_from([None, "business_type", "craft_village", "employees", "revenue_vnd", "province"]),
    intent=st.sampled_from([None, "inform", "affirm", "deny", "dont_know", "stop", "ask_pilot_projects"]),
)
def test_the_reader_never_raises(text, entities, requested, intent):
    reading = read(normalize_text(text), entities, Context(requested_slot=requested, intent=intent))
    assert isinstance(reading.values, dict)


def _examples(path: str, intent: str) -> list:
    import yaml

    data = yaml.safe_load(open(path, encoding="utf-8"))
    block = next(i["examples"] for i in data["nlu"] if i.get("intent") == intent)
    return [line[2:].strip() for line in block.splitlines() if line.startswith("- ")]


def test_a_request_for_a_person_says_so_in_words_and_a_name_does_not():
    from vntext.fold import fold
    from vntext.statements import asks_for_person

    requests_ = _examples("nlu_data/train/handover.yml", "request_human") + _examples(
        "nlu_data/test/handover.yml", "request_human"
    )
    assert len(requests_) >= 60
    assert [r for r in requests_ if not asks_for_person(fold(r))] == []
    for name in ("Người Chờ Số A", "Nguyễn Văn Trực", "Lê Thị Hoa", "Trần Nhân", "Phạm Thật", "Ng Văn Gặp"):
        assert not asks_for_person(fold(name)), name

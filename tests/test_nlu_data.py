"""Training data hygiene: no test example leaks into training, every intent has all three styles."""

import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import yaml
from rasa.shared.nlu.training_data.loading import load_data

ROOT = Path(__file__).resolve().parent.parent


def key(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def has_diacritics(text: str) -> bool:
    return any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text)) or "đ" in text.lower()


TRAIN = load_data(str(ROOT / "nlu_data" / "train"))
TEST = load_data(str(ROOT / "nlu_data" / "test"))


def test_no_test_example_is_in_training():
    train_keys = {key(m.get("text")) for m in TRAIN.intent_examples}
    leaked = [m.get("text") for m in TEST.intent_examples if key(m.get("text")) in train_keys]
    assert not leaked, leaked


def test_conversation_test_phrasings_are_not_in_training():
    train_keys = {key(m.get("text")) for m in TRAIN.intent_examples}
    phrasings = yaml.safe_load((ROOT / "tests" / "data" / "phrasings.yml").read_text("utf-8"))
    leaked = [t for texts in phrasings.values() for t in texts if key(t) in train_keys]
    assert not leaked, leaked


def test_every_intent_has_test_examples_and_enough_training_examples():
    train = Counter(m.get("intent") for m in TRAIN.intent_examples)
    test = Counter(m.get("intent") for m in TEST.intent_examples)
    assert set(test) <= set(train)
    for intent, n in train.items():
        assert n >= 15, (intent, n)
    for intent in train:
        assert test[intent] >= 5, (intent, test[intent])


def test_every_topic_intent_has_accented_and_unaccented_examples():
    styles = defaultdict(set)
    for m in TRAIN.intent_examples:
        styles[m.get("intent")].add(has_diacritics(m.get("text")))
    for intent, seen in styles.items():
        assert seen == {True, False}, intent


def test_no_duplicate_training_examples():
    counts = Counter((m.get("intent"), key(m.get("text"))) for m in TRAIN.intent_examples)
    assert [k for k, n in counts.items() if n > 1] == []

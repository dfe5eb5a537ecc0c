"""vntext.normalize reads underthesea's tone-placement rules from the package's data file instead
of importing ``underthesea.pipeline.text_normalize`` (which loads all of underthesea, joblib and
numpy). These tests hold it to underthesea's own function, word by word, so an upgrade that changes
the rules or the file fails here rather than silently changing what the NLU sees."""

import subprocess
import sys
import unicodedata

import pytest

from vntext import normalize

underthesea_tn = pytest.importorskip("underthesea.pipeline.text_normalize")


def _words():
    characters, tokens = normalize.tone_rules()
    words = set(tokens) | set(tokens.values())
    for w in list(words):
        words.add(unicodedata.normalize("NFD", w))
        words.add(w.upper())
        words.add(w.capitalize())
    words |= {"hoà", "thuỷ", "Hoà", "HOÀ", "khoẻ", "quý", "nghành", "ko", "ho tro", "", "a", "xxxxxxxx"}
    words |= set(characters)
    return sorted(words)


def test_same_result_as_underthesea_for_every_rule_word_and_variants():
    words = _words()
    assert len(words) > 5000  # the rule file holds ~2,900 tokens; all of them and their variants
    ours = [normalize.token_normalize(w) for w in words]
    theirs = [underthesea_tn.token_normalize(w) for w in words]
    diff = [(w, a, b) for w, a, b in zip(words, ours, theirs) if a != b]
    assert not diff, diff[:10]


def test_known_rewrites():
    assert normalize.token_normalize("hoà") == "hòa"
    assert normalize.token_normalize("thuỷ") == "thủy"
    assert normalize.normalize_text(unicodedata.normalize("NFD", "Hoà bình thuỷ lợi")) == "Hòa bình thủy lợi"


def test_normalising_text_does_not_import_underthesea():
    code = (
        "import sys; from vntext.normalize import normalize_text; normalize_text('hoà'); "
        "print(sorted(m for m in ('underthesea', 'joblib', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_officer_tools_load_without_the_nlu_stack():
    """The leads CLI, the KB CLI and the console (and the province table they use) import neither
    underthesea nor numpy nor Rasa (issue 16: policy_kb pulled underthesea through vntext)."""
    code = (
        "import sys, lead_store.cli, policy_kb.cli, console.__main__; "
        "from policy_kb.provinces import load_provinces; load_provinces(); "
        "print(sorted(m for m in ('underthesea', 'joblib', 'numpy', 'rasa', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

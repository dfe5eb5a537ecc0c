"""Answer, or say "em chưa có thông tin": decided from all the ranking's evidence, not one score.

One threshold on the best record's score refused 43 % of the questions it should have answered
and answered most of the on-topic questions it could not (a question about a province centre's
phone number shares many words with the records about that centre). The features below —
lexical and character scores of the best view, the margin to the second record, the priors,
whether the classifier's topic agrees, whether the record states the attribute asked, how much
of the question the best view covers, how many of its words the index has never seen — are
combined by a logistic regression trained with cross-validation on the tuning split of the
held-out questions (``scripts/train_decision.py`` writes ``actions/decision.json``: weights,
the scaling, the threshold it chose and its cross-validated figures). No scikit-learn at run
time: a dot product.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from policy_kb.retrieval import INTENT_TOPICS, STOP, Hit, lemmas, terms
from vntext.frames import Frame

MODEL_FILE = Path(__file__).with_name("decision.json")

FEATURES = (
    "score",
    "lexical",
    "chars",
    "prior",
    "margin",
    "second",
    "agree",
    "confidence",
    "out_of_scope",
    "fallback",
    "attribute_match",
    "attribute_asked",
    "coverage",
    "unseen",
    "length",
    "level",
    "document",
    "follow_up",
)


def features(
    hits: Sequence[Hit],
    query: str,
    intent: Optional[str],
    confidence: float,
    frame: Optional[Frame],
    vocabulary,
    follow_up: bool = False,
) -> Dict[str, float]:
    """The evidence for stating ``hits[0]`` as the answer to ``query``."""
    top = hits[0]
    second = hits[1].score if len(hits) > 1 else 0.0
    words = [w for w in lemmas(query) if w not in STOP]
    view = set(lemmas(top.view)) | set(lemmas(top.record.text))
    asked = set(frame.attributes) if frame else set()
    q_terms = [t for t in terms(query) if "_" not in t]
    return {
        "score": top.score,
        "lexical": top.lexical,
        "chars": top.chars,
        "prior": top.prior,
        "margin": top.score - second,
        "second": second,
        "agree": float(INTENT_TOPICS.get(intent or "") == top.record.topic) * confidence,
        "confidence": confidence,
        "out_of_scope": float(intent == "out_of_scope") * confidence,
        "fallback": float(intent in (None, "nlu_fallback")),
        "attribute_match": float(bool(asked & set(top.record.attributes))),
        "attribute_asked": float(bool(asked)),
        "coverage": sum(w in view for w in words) / len(words) if words else 0.0,
        "unseen": sum(t not in vocabulary for t in q_terms) / len(q_terms) if q_terms else 0.0,
        "length": min(len(words), 30) / 30.0,
        "level": float(top.record.kind == "level"),
        "document": float(top.record.kind == "document"),
        "follow_up": float(follow_up),
    }


@lru_cache(maxsize=1)
def _model() -> Optional[dict]:
    try:
        return json.loads(MODEL_FILE.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def probability(values: Dict[str, float], model: Optional[dict] = None) -> Optional[float]:
    model = model or _model()
    if model is None:
        return None
    z = model["intercept"]
    for name, w, mean, scale in zip(model["features"], model["weights"], model["mean"], model["scale"]):
        z += w * (values.get(name, 0.0) - mean) / (scale or 1.0)
    return 1.0 / (1.0 + math.exp(-z))


def accept(values: Dict[str, float], fallback: bool) -> bool:
    """State the best record? ``fallback``: the score rule's answer, used when no model ships."""
    p = probability(values)
    if p is None:
        return fallback
    return p >= _model()["threshold"]


#: below the threshold by at most this much: not refused outright, the person picks (buttons)
CLARIFY_BAND = 0.2


def unsure(values: Optional[Dict[str, float]], band: float = CLARIFY_BAND) -> bool:
    """Not sure enough to state, not far enough to refuse (within ``band`` below the threshold):
    ask which record was meant, or answer from the topic asked."""
    p = probability(values) if values else None
    if p is None:
        return False
    t = _model()["threshold"]
    return t - band <= p < t


def vector(values: Dict[str, float]) -> List[float]:
    return [values[name] for name in FEATURES]

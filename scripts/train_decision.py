"""Train the answer / refuse decision (actions/decision.py) on the TUNING split of the held-out
questions, with 5-fold cross-validation, and write actions/decision.json.

A row per message: the features of the ranking's best record for it (through the trained NLU
model and the turn reading of actions/routes.py), labelled 1 when the knowledge base answers the
message (its answerable classes) and 0 for the on-topic questions it cannot answer. The
threshold is the one that maximises the smaller of the two cross-validated rates (answerable
answered, unanswerable refused). The locked split is never read here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rows():
    from actions.decision import vector
    from actions.kb import kb_session
    from actions.routes import Turn
    from devtools.answer_sim import AnswerSimulator, Conversation
    from scripts.evaluate_routes import load

    sim = AnswerSimulator()
    singles, conversations = load()
    X, y = [], []

    def add(text, label, conversation=None):
        tracker = sim.tracker(text, conversation or Conversation("train"))
        with kb_session() as session:
            turn = Turn(tracker, session)
            if turn.evidence is not None:
                X.append(vector(turn.evidence))
                y.append(label)

    for item in singles:
        if item["split"] != "tune" or item.get("route") or item.get("parts") or item["cls"] == "english":
            continue
        add(item["q"], 0 if item["cls"] == "unanswerable" else 1)
    for n, conv in enumerate(conversations):
        if conv["split"] != "tune":
            continue
        c = Conversation(f"train-{n}")
        for i, turn in enumerate(conv["turns"]):
            if i and turn.get("kind") != "more":
                add(turn["user"], 1, c)
            sim.ask(turn["user"], c)
    return np.array(X), np.array(y)


def main() -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.preprocessing import StandardScaler

    from actions.decision import FEATURES, MODEL_FILE

    X, y = rows()
    scaler = StandardScaler().fit(X)
    Xs = scaler.transform(X)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    p = cross_val_predict(model, Xs, y, cv=cv, method="predict_proba")[:, 1]
    best = max((min(np.mean(p[y == 1] >= t), np.mean(p[y == 0] < t)), t) for t in np.linspace(0.05, 0.95, 91))
    threshold = float(best[1])
    answered = float(np.mean(p[y == 1] >= threshold))
    refused = float(np.mean(p[y == 0] < threshold))
    model.fit(Xs, y)
    out = {
        "features": list(FEATURES),
        "weights": [round(float(w), 6) for w in model.coef_[0]],
        "intercept": round(float(model.intercept_[0]), 6),
        "mean": [round(float(m), 6) for m in scaler.mean_],
        "scale": [round(float(s), 6) for s in scaler.scale_],
        "threshold": round(threshold, 4),
        "trained_on": {"rows": int(len(y)), "answerable": int(y.sum()), "unanswerable": int(len(y) - y.sum())},
        "cross_validated": {"answerable_answered": round(answered, 4), "unanswerable_refused": round(refused, 4)},
    }
    MODEL_FILE.write_text(json.dumps(out, indent=1) + "\n", "utf-8")
    print(json.dumps({k: out[k] for k in ("threshold", "trained_on", "cross_validated")}, indent=1))
    for name, w in sorted(zip(FEATURES, out["weights"]), key=lambda x: -abs(x[1])):
        print(f"  {name:16} {w:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

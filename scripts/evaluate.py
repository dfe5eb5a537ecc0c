"""Evaluate the trained model on the held-back test split (nlu_data/test, never trained on).

Prints per-intent precision / recall / F1 for the test split as written and with diacritics
stripped, plus parse latency; writes results/intent_report.json. Exits 1 if macro-F1 (as written)
is below --min-macro-f1.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _strip(text: str) -> str:
    from bot.nlu.text_normalize import normalize_text
    import unicodedata
    out = unicodedata.normalize("NFD", normalize_text(text))
    out = "".join(c for c in out if not unicodedata.combining(c))
    return out.replace("đ", "d").replace("Đ", "D")


async def _predict(agent, texts):
    preds, latencies = [], []
    for text in texts:
        t0 = time.perf_counter()
        result = await agent.parse_message(text)
        latencies.append((time.perf_counter() - t0) * 1000)
        preds.append(result["intent"]["name"])
    return preds, latencies


def _table(y_true, y_pred, labels):
    from sklearn.metrics import precision_recall_fscore_support
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, lab in enumerate(labels)}


def evaluate(model: str, test_data: str) -> dict:
    """Per-view accuracy, macro-F1, per-intent scores, errors and parse latencies of a model."""
    import logging
    from rasa.utils.log_utils import configure_structlog
    configure_structlog(logging.WARNING)  # one debug line per parse otherwise
    logging.getLogger("rasa").setLevel(logging.WARNING)
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.metrics import accuracy_score, f1_score

    examples = [(m.get("text"), m.get("intent")) for m in load_data(test_data).intent_examples]
    texts = [t for t, _ in examples]
    gold = [i for _, i in examples]
    labels = sorted(set(gold))
    agent = Agent.load(model)

    views = {"as written": texts, "diacritics stripped": [_strip(t) for t in texts]}
    report = {"labels": labels, "n": len(texts), "latencies_ms": []}
    for view, inputs in views.items():
        preds, lat = asyncio.run(_predict(agent, inputs))
        report["latencies_ms"] += lat
        report[view] = {
            "accuracy": accuracy_score(gold, preds),
            "macro_f1": f1_score(gold, preds, labels=labels, average="macro", zero_division=0),
            "per_intent": _table(gold, preds, labels),
            "errors": [{"text": t, "gold": g, "predicted": p} for t, g, p in zip(inputs, gold, preds) if g != p],
        }
    return report


def latency_summary(latencies) -> str:
    lat_sorted = sorted(latencies)
    p95 = lat_sorted[int(0.95 * (len(lat_sorted) - 1))]
    return f"p50 {statistics.median(latencies):.1f} ms  p95 {p95:.1f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=str(ROOT / "models" / "khuyencong.tar.gz"))
    ap.add_argument("--test-data", default=str(ROOT / "nlu_data" / "test"))
    ap.add_argument("--min-macro-f1", type=float, default=0.0)
    args = ap.parse_args()
    report = evaluate(args.model, args.test_data)
    labels, views = report["labels"], ["as written", "diacritics stripped"]

    w = max(len(lab) for lab in labels)
    print(f"\nTest split: {report['n']} examples, {len(labels)} intents (none of them in training)\n")
    print(f"{'intent':<{w}}  {'P':>5} {'R':>5} {'F1':>5}  | {'F1 no-diacritics':>16}  {'n':>3}")
    for lab in labels:
        a = report["as written"]["per_intent"][lab]
        b = report["diacritics stripped"]["per_intent"][lab]
        print(f"{lab:<{w}}  {a['precision']:5.2f} {a['recall']:5.2f} {a['f1']:5.2f}  | {b['f1']:16.2f}  {a['support']:3d}")
    for view in views:
        print(f"{view:>20}: accuracy {report[view]['accuracy']:.3f}  macro-F1 {report[view]['macro_f1']:.3f}")
    print(f"{'parse latency':>20}: {latency_summary(report['latencies_ms'])} "
          f"(in-process, {len(report['latencies_ms'])} parses)")

    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    (out / "intent_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), "utf-8")
    print(f"Full report with errors: {out / 'intent_report.json'}")
    macro = report["as written"]["macro_f1"]
    if macro < args.min_macro_f1:
        print(f"FAIL: macro-F1 {macro:.3f} < {args.min_macro_f1}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

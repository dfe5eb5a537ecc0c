"""Evaluate NLU on the held-back test split (nlu_data/test: never used in training).

Prints, for our pipeline (and with --compare-stock, for the stock `rasa init` pipeline trained
on the same data in the same run):
  * intent accuracy and macro-F1 in three views of the test split: as written; diacritics
    stripped; informal (chat shorthand substituted, some words without diacritics);
  * entity precision / recall for money and location (province) on the annotated examples in
    nlu_data/test/entities.yml;
  * training time (with --compare-stock: both trained from scratch, empty cache) and parse
    latency p50 / p95 per message (in-process, one message at a time);
  * per-intent precision / recall / F1 for our pipeline, a confusion-matrix image
    (results/confusion_matrix.png) and a JSON report with every error (results/intent_report.json).
Exits 1 if our macro-F1 (as written) is below --min-macro-f1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import zlib
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from vntext.fold import strip_marks  # noqa: E402

RESULTS = ROOT / "results"
TEST_DIR = ROOT / "nlu_data" / "test"
ENTITY_FILE = TEST_DIR / "entities.yml"
PIPELINES = {"ours": ROOT / "config.yml", "stock rasa init": ROOT / "configs" / "stock_rasa_init.yml"}
ENTITY_TYPES = ("money", "province")

# ------------------------------------------------------------------ views of the test split

# Common chat shorthand (longest first), applied to the lowercase text.
_SHORTHAND = [
    ("như thế nào", "ntn"),
    ("bao nhiêu", "bn"),
    ("anh/chị", "a/c"),
    ("anh chị", "a/c"),
    ("được", "dc"),
    ("không", "ko"),
    ("gì", "j"),
    ("với", "vs"),
    ("rồi", "r"),
    ("mình", "mik"),
    ("em", "e"),
    ("hợp tác xã", "htx"),
    ("doanh nghiệp", "dn"),
    ("sản phẩm", "sp"),
    ("khuyến công", "kc"),
    ("điều kiện", "đk"),
    ("thành phố", "tp"),
    ("triệu", "tr"),
]


# The "no diacritics" view: marks dropped, đ → d, case kept (vntext.fold, the one home of folding).
strip_diacritics = strip_marks


def informal(text: str) -> str:
    """Shorthand substituted; every other word loses its diacritics (deterministic)."""
    out = unicodedata.normalize("NFC", text).lower()
    for long, short in _SHORTHAND:
        out = re.sub(rf"(?<!\w){re.escape(long)}(?!\w)", short, out)
    words = out.split()
    seed = zlib.crc32(text.encode())
    return " ".join(strip_diacritics(w) if (i + seed) % 2 else w for i, w in enumerate(words))


VIEWS = {"as written": lambda t: t, "no diacritics": strip_diacritics, "informal": informal}

# ------------------------------------------------------------------ evaluation of one model


def _quiet_rasa() -> None:
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # one debug line per parse otherwise
    logging.getLogger("rasa").setLevel(logging.WARNING)


def _load_examples(path: Path):
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(path)).intent_examples


async def _parse_all(agent, texts):
    results, latencies = [], []
    for text in texts:
        t0 = time.perf_counter()
        results.append(await agent.parse_message(text))
        latencies.append((time.perf_counter() - t0) * 1000)
    return results, latencies


def _entity_scores(agent, examples) -> dict:
    """Precision/recall per entity type: a prediction counts when type and value match a gold one."""
    texts = [m.get("text") for m in examples]
    parsed, _ = asyncio.run(_parse_all(agent, texts))
    scores = {}
    for etype in ENTITY_TYPES:
        tp = n_pred = n_gold = 0
        for m, p in zip(examples, parsed):
            gold = [str(e.get("value")) for e in m.get("entities") or [] if e["entity"] == etype]
            pred = [str(e.get("value")) for e in p.get("entities") or [] if e["entity"] == etype]
            n_gold += len(gold)
            n_pred += len(pred)
            remaining = list(gold)
            for v in pred:
                if v in remaining:
                    remaining.remove(v)
                    tp += 1
        scores[etype] = {
            "precision": tp / n_pred if n_pred else 0.0,
            "recall": tp / n_gold if n_gold else 0.0,
            "gold": n_gold,
            "predicted": n_pred,
        }
    return scores


def evaluate(model: str, test_data: Path = TEST_DIR) -> dict:
    """Views × (accuracy, macro-F1, per-intent scores, errors); entity scores; latencies."""
    _quiet_rasa()
    from rasa.core.agent import Agent
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    examples = _load_examples(test_data)
    texts = [m.get("text") for m in examples]
    gold = [m.get("intent") for m in examples]
    labels = sorted(set(gold))
    agent = Agent.load(model)
    report = {"labels": labels, "n": len(texts), "latencies_ms": [], "views": {}}
    for view, fn in VIEWS.items():
        inputs = [fn(t) for t in texts]
        parsed, lat = asyncio.run(_parse_all(agent, inputs))
        preds = [p["intent"]["name"] for p in parsed]
        report["latencies_ms"] += lat
        p, r, f, s = precision_recall_fscore_support(gold, preds, labels=labels, zero_division=0)
        report["views"][view] = {
            "accuracy": accuracy_score(gold, preds),
            "macro_f1": f1_score(gold, preds, labels=labels, average="macro", zero_division=0),
            "per_intent": {
                lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                for i, lab in enumerate(labels)
            },
            "predictions": preds,
            "errors": [{"text": t, "gold": g, "predicted": pr} for t, g, pr in zip(inputs, gold, preds) if g != pr],
        }
    report["gold"] = gold
    report["entities"] = _entity_scores(agent, _load_examples(ENTITY_FILE)) if ENTITY_FILE.exists() else {}
    return report


def latency(latencies) -> tuple:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


# ------------------------------------------------------------------ training (for comparisons)


def _training_data_dir(tmp: Path) -> Path:
    # `rasa train nlu --nlu` takes one path: link training examples and lookups together.
    data = tmp / "nlu"
    data.mkdir()
    for folder in ("train", "lookups"):
        for f in (ROOT / "nlu_data" / folder).glob("*.yml"):
            (data / f"{folder}_{f.name}").symlink_to(f)
    return data


def train_nlu(config: Path, tmp: Path, name: str) -> tuple:
    """Train an NLU model from scratch (empty cache); returns (model path, seconds)."""
    data = tmp / "nlu" if (tmp / "nlu").exists() else _training_data_dir(tmp)
    out = tmp / "models"
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(tmp / f"cache-{name}")}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(data),
            "--out",
            str(out),
            "--fixed-model-name",
            name,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"training {config} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return out / f"{name}.tar.gz", seconds


# ------------------------------------------------------------------ printing


def print_per_intent(report: dict) -> None:
    labels = report["labels"]
    w = max(len(lab) for lab in labels)
    print(f"\nOur pipeline, per intent (test split: {report['n']} examples, none in training)")
    print(f"{'intent':<{w}}  {'P':>5} {'R':>5} {'F1':>5} | {'F1 no-diacr.':>12} {'F1 informal':>11} {'n':>4}")
    for lab in labels:
        a = report["views"]["as written"]["per_intent"][lab]
        b = report["views"]["no diacritics"]["per_intent"][lab]
        c = report["views"]["informal"]["per_intent"][lab]
        print(
            f"{lab:<{w}}  {a['precision']:5.2f} {a['recall']:5.2f} {a['f1']:5.2f} | "
            f"{b['f1']:12.2f} {c['f1']:11.2f} {a['support']:4d}"
        )


def print_side_by_side(reports: dict, train_times: dict) -> None:
    names = list(reports)
    w = 34
    print("\n" + f"{'':<{w}}" + "".join(f"{n:>18}" for n in names))
    for view in VIEWS:
        print(
            f"{'intent accuracy · ' + view:<{w}}"
            + "".join(f"{reports[n]['views'][view]['accuracy']:18.3f}" for n in names)
        )
        print(
            f"{'intent macro-F1 · ' + view:<{w}}"
            + "".join(f"{reports[n]['views'][view]['macro_f1']:18.3f}" for n in names)
        )
    for etype in ENTITY_TYPES:
        for metric in ("precision", "recall"):
            label = f"{etype} {metric}"
            vals = [reports[n]["entities"].get(etype, {}).get(metric, float("nan")) for n in names]
            print(f"{label:<{w}}" + "".join(f"{v:18.3f}" for v in vals))
    if train_times:
        print(
            f"{'NLU training time (s, from scratch)':<{w}}"
            + "".join(f"{train_times.get(n, float('nan')):18.1f}" for n in names)
        )
    p50s = {n: latency(reports[n]["latencies_ms"]) for n in names}
    print(f"{'parse latency p50 (ms)':<{w}}" + "".join(f"{p50s[n][0]:18.1f}" for n in names))
    print(f"{'parse latency p95 (ms)':<{w}}" + "".join(f"{p50s[n][1]:18.1f}" for n in names))


def save_confusion_matrix(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    view = report["views"]["as written"]
    labels = report["labels"] + sorted({p for p in view["predictions"]} - set(report["labels"]))
    fig, ax = plt.subplots(figsize=(14, 12))
    ConfusionMatrixDisplay.from_predictions(
        report["gold"], view["predictions"], labels=labels, xticks_rotation="vertical", ax=ax, colorbar=False
    )
    ax.set_title("Intent confusion matrix, test split as written")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--model",
        default=str(ROOT / "models" / "khuyencong.tar.gz"),
        help="our trained model (used unless --compare-stock)",
    )
    ap.add_argument(
        "--compare-stock",
        action="store_true",
        help="train ours and the stock rasa init pipeline from scratch and compare",
    )
    ap.add_argument("--min-macro-f1", type=float, default=0.0)
    ap.add_argument(
        "--max-view-gap",
        type=float,
        default=1.0,
        help="fail if the no-diacritics or informal macro-F1 is further below 'as written'",
    )
    args = ap.parse_args()
    RESULTS.mkdir(exist_ok=True)

    reports, train_times = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.compare_stock:
            for name, cfg in PIPELINES.items():
                model, train_times[name] = train_nlu(cfg, Path(tmp), re.sub(r"\W", "_", name))
                reports[name] = evaluate(str(model))
                print(f"evaluated {name}", file=sys.stderr, flush=True)
        else:
            reports["ours"] = evaluate(args.model)
    ours = reports["ours"]
    print_per_intent(ours)
    print_side_by_side(reports, train_times)
    save_confusion_matrix(ours, RESULTS / "confusion_matrix.png")
    slim = {n: {k: v for k, v in r.items() if k != "latencies_ms"} for n, r in reports.items()}
    (RESULTS / "intent_report.json").write_text(json.dumps(slim, ensure_ascii=False, indent=1), "utf-8")
    print(f"\nConfusion matrix: {RESULTS / 'confusion_matrix.png'}; errors: {RESULTS / 'intent_report.json'}")
    macro = ours["views"]["as written"]["macro_f1"]
    failed = macro < args.min_macro_f1
    if failed:
        print(f"FAIL: macro-F1 {macro:.3f} < {args.min_macro_f1}", file=sys.stderr)
    for view in ("no diacritics", "informal"):
        gap = macro - ours["views"][view]["macro_f1"]
        if gap > args.max_view_gap:
            print(f"FAIL: {view} macro-F1 is {gap:.3f} below 'as written' (max {args.max_view_gap})", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

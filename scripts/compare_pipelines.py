"""Train NLU-only models for several pipelines on nlu_data/train and compare them on nlu_data/test.

Candidates: our config.yml; the same front end with other classifiers (DIET, SVM); and the stock
`rasa init` pipeline (configs/stock_rasa_init.yml). Prints macro-F1 (as written / diacritics
stripped), NLU training time and parse latency side by side. Slow (trains DIET): not in `make test`.
"""
from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from evaluate import evaluate, latency_summary  # noqa: E402

OURS = yaml.safe_load((ROOT / "config.yml").read_text("utf-8"))


def with_classifier(classifier: dict) -> dict:
    cfg = copy.deepcopy(OURS)
    cfg["pipeline"] = [classifier if c["name"] == "LogisticRegressionClassifier" else c for c in cfg["pipeline"]]
    return cfg


CANDIDATES = {
    "ours: LogisticRegression": OURS,
    "ours, DIET 100 epochs": with_classifier({"name": "DIETClassifier", "epochs": 100,
                                              "entity_recognition": False, "constrain_similarities": True}),
    "ours, SVM (Sklearn)": with_classifier({"name": "SklearnIntentClassifier"}),
    "stock rasa init": yaml.safe_load((ROOT / "configs" / "stock_rasa_init.yml").read_text("utf-8")),
}


def main() -> int:
    rasa = str(Path(sys.executable).parent / "rasa")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # `rasa train nlu --nlu` takes one path: link training examples and lookups together.
        data = Path(tmp) / "nlu"
        data.mkdir()
        for folder in ("train", "lookups"):
            for f in (ROOT / "nlu_data" / folder).glob("*.yml"):
                (data / f"{folder}_{f.name}").symlink_to(f)
        for name, cfg in CANDIDATES.items():
            cfg_path = Path(tmp) / "config.yml"
            cfg_path.write_text(yaml.safe_dump(cfg, allow_unicode=True), "utf-8")
            out = Path(tmp) / "models"
            t0 = time.perf_counter()
            proc = subprocess.run([rasa, "train", "nlu", "--config", str(cfg_path), "--nlu", str(data),
                                   "--out", str(out), "--fixed-model-name", "m"],
                                  cwd=ROOT, capture_output=True, text=True,
                                  env={**os.environ, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")})
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
                return 1
            train_s = time.perf_counter() - t0
            rep = evaluate(str(out / "m.tar.gz"), str(ROOT / "nlu_data" / "test"))
            rows.append((name, rep["as written"]["macro_f1"], rep["diacritics stripped"]["macro_f1"],
                         train_s, latency_summary(rep["latencies_ms"])))
            print(f"done: {name}", file=sys.stderr, flush=True)
    print(f"\n{'pipeline':<28} {'macro-F1':>8} {'no-diacr.':>9} {'train s':>8}  parse latency")
    for name, f1, f1s, train_s, lat in rows:
        print(f"{name:<28} {f1:8.3f} {f1s:9.3f} {train_s:8.1f}  {lat}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

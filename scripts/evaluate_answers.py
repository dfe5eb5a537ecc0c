"""Answer-engine evaluation on held-out questions (tests/data/answer_eval/*.yml).

Prints retrieval top-1 / top-3 accuracy for each ranking choice (what each part buys), no-answer
precision / recall at the shipped threshold, rows per style and per topic, the median length of
the first answer as the bot renders it, coverage (every VERIFIED / HISTORICAL record is the
expected first answer of at least one question), and the in-process latency of ranking and of
ranking + rendering. With ``--min-*`` it exits 1 when a figure misses its gate (make test).

The classifier's intent and entities are priors of the ranking, so the trained NLU model
(models/khuyencong.tar.gz) parses every question first; ``--no-nlu`` skips it (no priors).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL_DIR = ROOT / "tests" / "data" / "answer_eval"
MODEL = ROOT / "models" / "khuyencong.tar.gz"


#: the ranking's own regression set (issue 11); every file, per class and split, is scored through
#: the route table by scripts/evaluate_routes.py
RANKING_FILES = ("part_a.yml", "part_b.yml")


def load_eval(directory: Path = EVAL_DIR):
    answerable, unanswerable = [], []
    for path in sorted(directory.glob("*.yml")):
        if path.name not in RANKING_FILES:
            continue
        data = yaml.safe_load(path.read_text("utf-8")) or {}
        answerable += data.get("questions") or []
        unanswerable += data.get("unanswerable") or []
    return answerable, unanswerable


def parse_all(texts: List[str]) -> Dict[str, dict]:
    """NLU result of every text with the trained model (intent, confidence, entities)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    import structlog  # Rasa prints every parse at debug level through structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))

    async def run():
        return {t: await agent.parse_message(t) for t in texts}

    out = asyncio.run(run())
    logging.disable(logging.NOTSET)
    return out


def percentile(values: List[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0.0


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-nlu", action="store_true", help="rank without the classifier's priors")
    ap.add_argument("--min-top1", type=float)
    ap.add_argument("--min-top3", type=float)
    ap.add_argument("--max-median-chars", type=int)
    ap.add_argument("--min-coverage", type=float, help="share of VERIFIED/HISTORICAL records covered")
    ap.add_argument("--errors", action="store_true", help="list every question ranked wrong")
    args = ap.parse_args(argv)

    from policy_kb.loader import read_data
    from policy_kb.retrieval import AnswerIndex, Weights, priors_for, records_from_rows

    data = read_data()
    records = records_from_rows(data.records)
    ids = {r.id for r in records}
    answerable, unanswerable = load_eval()
    bad = [q["q"] for q in answerable if not q.get("answers") or set(q["answers"]) - ids]
    if bad:
        print(f"ERROR: {len(bad)} eval questions name unknown records, e.g. {bad[:3]}")
        return 2

    texts = [q["q"] for q in answerable] + [q["q"] for q in unanswerable]
    nlu = {} if args.no_nlu or not MODEL.exists() else parse_all(texts)

    def priors(text: str, index):
        res = nlu.get(text)
        if not res:
            return None
        intent = res.get("intent") or {}
        return priors_for(
            intent.get("name"), float(intent.get("confidence") or 0), res.get("entities") or [], text, index.records
        )

    shipped = Weights()
    variants = [
        ("char n-gram TF-IDF only", Weights(bm25=0.0), False),
        ("BM25 over lemmas only", Weights(chars=0.0), False),
        ("BM25 + char n-grams", shipped, False),
        ("BM25 + char n-grams + NLU priors (shipped)", shipped, True),
    ]
    if not nlu:
        variants = variants[:3]
    from actions.answer import THRESHOLD, accepts

    def intent_of(text):
        return ((nlu.get(text) or {}).get("intent") or {}).get("name")

    def confidence_of(text):
        return float(((nlu.get(text) or {}).get("intent") or {}).get("confidence") or 0.0)

    print(
        f"\nANSWER ENGINE · held-out questions: {len(answerable)} answerable, {len(unanswerable)} "
        f"unanswerable · {len(records)} records, threshold {THRESHOLD}"
    )
    print(f"{'ranking':46} {'top-1':>6} {'top-3':>6} {'answered':>9} {'no-ans P':>9} {'no-ans R':>9}")
    results = {}
    for label, weights, use_priors in variants:
        index = AnswerIndex(records, weights)
        rows = []
        for q in answerable:
            hits = index.search(q["q"], priors(q["q"], index) if use_priors else None, k=3)
            rows.append((q, hits))
        neg = [index.search(q["q"], priors(q["q"], index) if use_priors else None, k=1)[0] for q in unanswerable]
        top1 = sum(h[0].record.id in q["answers"] for q, h in rows) / len(rows)
        top3 = sum(any(x.record.id in q["answers"] for x in h) for q, h in rows) / len(rows)
        right = sum(
            h[0].record.id in q["answers"] and accepts(h[0], intent_of(q["q"]), confidence_of(q["q"])) for q, h in rows
        ) / len(rows)
        rejected_pos = sum(not accepts(h[0], intent_of(q["q"]), confidence_of(q["q"])) for q, h in rows)
        rejected_neg = sum(not accepts(h, intent_of(q["q"]), confidence_of(q["q"])) for q, h in zip(unanswerable, neg))
        prec = rejected_neg / (rejected_neg + rejected_pos) if rejected_neg + rejected_pos else 0.0
        rec = rejected_neg / len(neg) if neg else 0.0
        results[label] = (rows, neg, index)
        print(f"{label:46} {top1:6.3f} {top3:6.3f} {right:9.3f} {prec:9.3f} {rec:9.3f}")

    label = variants[-1][0]
    rows, neg, index = results[label]
    top1 = sum(h[0].record.id in q["answers"] for q, h in rows) / len(rows)
    top3 = sum(any(x.record.id in q["answers"] for x in h) for q, h in rows) / len(rows)

    print(f"\nby style ({label})")
    by_style: Dict[str, list] = defaultdict(list)
    for q, h in rows:
        by_style[q.get("style", "?")].append(h[0].record.id in q["answers"])
    for style, oks in sorted(by_style.items()):
        print(f"  {style:16} n={len(oks):4} top-1 {sum(oks) / len(oks):.3f}")

    topic_of = {r.id: r.topic for r in records}
    print("\nper topic (topic of the expected record)")
    print(f"  {'topic':18} {'n':>4} {'top-1':>6} {'top-3':>6}")
    by_topic: Dict[str, list] = defaultdict(list)
    for q, h in rows:
        by_topic[topic_of[q["answers"][0]]].append(
            (h[0].record.id in q["answers"], any(x.record.id in q["answers"] for x in h))
        )
    for topic, oks in sorted(by_topic.items()):
        print(
            f"  {topic:18} {len(oks):4} {sum(a for a, _ in oks) / len(oks):6.3f} {sum(b for _, b in oks) / len(oks):6.3f}"
        )

    # coverage: every VERIFIED / HISTORICAL record is the expected first answer somewhere
    wanted = {r.id for r in records if r.status in ("VERIFIED", "HISTORICAL")}
    firsts = {q["answers"][0] for q in answerable}
    missing = sorted(wanted - firsts)
    coverage = 1 - len(missing) / len(wanted)
    print(
        f"\ncoverage: {len(wanted) - len(missing)}/{len(wanted)} VERIFIED/HISTORICAL records are the expected "
        f"first answer of an eval question ({coverage:.3f})"
        + (f"; missing: {', '.join(missing[:12])}" if missing else "")
    )

    # rendering: the first answer as the bot writes it, and latency in process
    lengths, t_rank, t_full = render_and_time(rows, index, priors)
    median = statistics.median(lengths)
    print(
        f"first answer length (chars): median {median:.0f}, p90 {percentile(lengths, 90):.0f}, "
        f"max {max(lengths)}; over 450: {sum(n > 450 for n in lengths)}"
    )
    print(
        f"latency in process (ms): ranking p50 {percentile(t_rank, 50):.2f} p95 {percentile(t_rank, 95):.2f}; "
        f"ranking + rendering p50 {percentile(t_full, 50):.2f} p95 {percentile(t_full, 95):.2f}"
    )

    if args.errors:
        print("\nwrong top-1:")
        for q, h in rows:
            if h[0].record.id not in q["answers"]:
                print(f"  [{q.get('style')}] {q['q']}\n      want {q['answers'][0]}  got {h[0].explain()}")
        print("\nunanswerable accepted:")
        for q, h in zip(unanswerable, neg):
            if accepts(h, intent_of(q["q"]), confidence_of(q["q"])):
                print(f"  {q['q']}\n      got {h.explain()}")

    failed = []
    if args.min_top1 is not None and top1 < args.min_top1:
        failed.append(f"top-1 {top1:.3f} < {args.min_top1}")
    if args.min_top3 is not None and top3 < args.min_top3:
        failed.append(f"top-3 {top3:.3f} < {args.min_top3}")
    if args.max_median_chars is not None and median > args.max_median_chars:
        failed.append(f"median answer {median:.0f} > {args.max_median_chars} chars")
    if args.min_coverage is not None and coverage < args.min_coverage:
        failed.append(f"coverage {coverage:.3f} < {args.min_coverage}")
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    return 0


def render_and_time(rows, index, priors):
    """Render each top record as the action does, on a throwaway SQLite copy of the KB."""
    from rasa_sdk import Tracker
    from sqlalchemy.orm import Session

    from actions.answer import Answerer
    from actions import answer_index
    from policy_kb.db import get_engine
    from policy_kb.loader import build

    tmp = tempfile.mkdtemp()
    engine = get_engine(f"sqlite:///{tmp}/kb.db")
    build(engine)
    lengths, t_rank, t_full = [], [], []
    with Session(engine, future=True) as session:
        answer_index._state.update(index=index, digest=None, checked=time.monotonic() + 1e9)
        for q, _ in rows:
            tracker = Tracker("eval", {}, {"text": q["q"], "intent": {}, "entities": []}, [], False, None, {}, "")
            engine_ = Answerer(tracker, session)
            start = time.perf_counter()
            hits = index.search(q["q"], priors(q["q"], index), k=5)
            mid = time.perf_counter()
            text = engine_.first_answer(hits[0].record)
            end = time.perf_counter()
            t_rank.append((mid - start) * 1000)
            t_full.append((end - start) * 1000)
            lengths.append(len(text))
    return lengths, t_rank, t_full


if __name__ == "__main__":
    sys.exit(main())

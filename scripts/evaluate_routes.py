"""The answer engine as people meet it: every held-out message through the NLU model and the
route table (devtools.answer_sim), scored per class, on the tuning and the LOCKED split.

Classes: plain (parts A/B), attribute, as_of, self_described, multi_part, english, overview,
unanswerable, follow_up (each follow-up turn of tests/data/answer_eval/conversations.yml, in
its conversation). Parts A and B were used to calibrate the ranking (issue 11); of the newer
files, the items whose crc32 % 3 == 0 are the LOCKED split: never used for tuning; ``--errors``
lists only tuning-split errors.

Per class: right first (the record the reply states is one of the expected ones; for a quick
check, that route; for an overview, its topic), right decision (answerable answered,
unanswerable refused), expected phrases present, cut replies ("…" after a word, a last line
without an ending). With ``--min-*`` it exits 1 when the locked split misses a gate (make test).
"""

from __future__ import annotations

import argparse
import re
import sys
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EVAL_DIR = ROOT / "tests" / "data" / "answer_eval"
#: parts used to calibrate the ranking before the locked split existed: tuning only
CALIBRATION_FILES = ("part_a.yml", "part_b.yml")
REFUSALS = ("unknown", "out_of_scope", "contact")
_CUT = re.compile(r"\w(?:…|\.\.\.)(?![)”])")


def split_of(path: Path, text: str) -> str:
    if path.name in CALIBRATION_FILES:
        return "tune"
    return "locked" if zlib.crc32(text.encode("utf-8")) % 3 == 0 else "tune"


def load(directory: Path = EVAL_DIR):
    singles, conversations = [], []
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text("utf-8")) or {}
        for q in data.get("questions") or []:
            singles.append(dict(q, cls=q.get("class") or "plain", split=split_of(path, q["q"]), file=path.name))
        for q in data.get("unanswerable") or []:
            singles.append(dict(q, cls="unanswerable", split=split_of(path, q["q"]), file=path.name))
        for c in data.get("conversations") or []:
            conversations.append(dict(c, split=split_of(path, c["turns"][0]["user"]), file=path.name))
    return singles, conversations


def is_cut(text: str) -> bool:
    if re.fullmatch(r"(?:utter_\w+\n?)+", text):
        return False  # a response of the domain (the sim shows its name)
    body = [line for line in text.split("\n") if line.strip() and not line.startswith("📄")]
    return bool(_CUT.search(text)) or bool(body and not re.search(r"[.?!:)ạ”»]\s*$", body[-1]))


def judge(item: dict, reply) -> Dict[str, Optional[bool]]:
    """right: the reply is the expected one; decision: it answered iff the item is answerable."""
    cls = item["cls"]
    offered = set(re.findall(r'"record": "([^"]+)"', " ".join(b["payload"] for b in reply.buttons)))
    if reply.route == "clarify":
        # "anh/chị hỏi về …?": no fact stated; right for an answerable question when the
        # expected record is one of the buttons
        hit = bool(set(item.get("answers") or []) & offered)
        refusable = cls == "unanswerable" or item.get("route") == "out_of_scope"
        return {"right": refusable or hit, "decision": (not refusable) and hit, "phrases": None}
    answered = reply.route not in REFUSALS and not (reply.route == "english" and reply.record is None)
    if cls == "unanswerable" or item.get("route") == "out_of_scope":
        return {"right": not answered, "decision": not answered, "phrases": None}
    if reply.route == "quick_check" and not item.get("route"):
        # the quick check states the eligibility rules that decide it, with their sources
        answers = item.get("answers") or []
        return {"right": any(a.startswith("rule.") for a in answers), "decision": True, "phrases": None}
    if item.get("route") == "quick_check":
        right = reply.route == "quick_check"
        if item.get("outcome") == "not_covered":
            right = right and bool(re.search(r"chưa thuộc|không thuộc|thương mại|dịch vụ", reply.text))
        return {"right": right, "decision": answered, "phrases": None}
    if item.get("parts"):
        wanted = [set(p) for p in item["parts"]]
        said = set(re.findall(r'"record": "([^"]+)"', " ".join(b["payload"] for b in reply.buttons)))
        said |= {reply.record} if reply.record else set()
        right = sum(bool(w & said) for w in wanted) == len(wanted)
        return {"right": right, "decision": answered, "phrases": None}
    answers = set(item.get("answers") or [])
    if "any" in answers:
        right = answered
    elif reply.route == "overview":
        right = item.get("topic") is not None and reply.slots.get("last_topic") == item.get("topic")
        right = right or bool(answers & set(re.findall(r'"record": "([^"]+)"', str(reply.buttons))))
    else:
        right = reply.record in answers
    phrases = None
    if item.get("expect"):
        low = reply.text.lower()
        phrases = all(p.lower() in low for p in item["expect"])
    return {"right": right, "decision": answered, "phrases": phrases}


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--errors", action="store_true", help="list tuning-split errors")
    ap.add_argument("--only", help="classes to run, comma-separated")
    ap.add_argument("--cuts", action="store_true", help="list tuning-split replies judged cut")
    ap.add_argument("--min-locked-right", type=float)
    ap.add_argument("--min-locked-decision", type=float)
    ap.add_argument("--max-cut", type=int)
    args = ap.parse_args(argv)

    from devtools.answer_sim import AnswerSimulator, Conversation

    sim = AnswerSimulator()
    singles, conversations = load()
    only = set(args.only.split(",")) if args.only else None
    rows = []  # (item, reply, judgement)
    for item in singles:
        if only and item["cls"] not in only:
            continue
        reply = sim.ask(item["q"], Conversation(f"eval-{len(rows)}"))
        rows.append((item, reply, judge(item, reply)))
    for n, conv in enumerate(conversations):
        if only and "follow_up" not in only:
            break
        c = Conversation(f"conv-{n}")
        previous = None
        for i, turn in enumerate(conv["turns"]):
            reply = sim.ask(turn["user"], c)
            if i == 0:
                previous = reply
                continue
            item = dict(turn, q=turn["user"], cls="follow_up", split=conv["split"], kind=turn.get("kind"))
            verdict = judge(item, reply)
            if turn.get("kind") == "more" or "any" in (turn.get("answers") or []):
                verdict["right"] = reply.route not in REFUSALS and reply.text != previous.text
            rows.append((item, reply, verdict))
            previous = reply

    def figures(selected):
        n = len(selected)
        right = sum(bool(j["right"]) for _, _, j in selected)
        answerable = [
            (i, r, j) for i, r, j in selected if i["cls"] != "unanswerable" and i.get("route") != "out_of_scope"
        ]
        refusable = [
            (i, r, j) for i, r, j in selected if i["cls"] == "unanswerable" or i.get("route") == "out_of_scope"
        ]
        dec_pos = sum(j["decision"] for _, _, j in answerable) / len(answerable) if answerable else None
        dec_neg = sum(j["right"] for _, _, j in refusable) / len(refusable) if refusable else None
        ph = [j["phrases"] for _, _, j in selected if j["phrases"] is not None]
        cut = sum(is_cut(r.text) for _, r, _ in selected if r.route not in REFUSALS and r.route != "english")
        return n, right / n if n else 0.0, dec_pos, dec_neg, (sum(ph) / len(ph) if ph else None), cut

    def fmt(x):
        return "   -  " if x is None else f"{x:6.3f}"

    print("\nANSWER ROUTES · every held-out message through the NLU model and actions/routes.py")
    print(f"{'class':16} {'split':7} {'n':>4} {'right':>6} {'answer':>6} {'refuse':>6} {'phrase':>6} {'cut':>4}")
    classes = sorted({i["cls"] for i, _, _ in rows})
    totals = {}
    for split in ("tune", "locked"):
        for cls in classes:
            sel = [x for x in rows if x[0]["cls"] == cls and x[0]["split"] == split]
            if sel:
                n, right, dp, dn, ph, cut = figures(sel)
                print(f"{cls:16} {split:7} {n:4} {fmt(right)} {fmt(dp)} {fmt(dn)} {fmt(ph)} {cut:4}")
        sel = [x for x in rows if x[0]["split"] == split]
        totals[split] = figures(sel)
        n, right, dp, dn, ph, cut = totals[split]
        print(f"{'ALL':16} {split:7} {n:4} {fmt(right)} {fmt(dp)} {fmt(dn)} {fmt(ph)} {cut:4}\n")
    routes = defaultdict(int)
    for _, r, _ in rows:
        routes[r.route] += 1
    print("routes taken: " + ", ".join(f"{k} {v}" for k, v in sorted(routes.items(), key=lambda kv: -kv[1])))
    times = sorted(r.ms for _, r, _ in rows)
    if times:
        p50, p95 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"action time in process (reading, ranking, routing, rendering; no NLU): p50 {p50:.1f} ms, p95 {p95:.1f} ms"
        )
    by_kind = defaultdict(list)
    for i, _, j in rows:
        if i["cls"] == "follow_up":
            by_kind[i.get("kind") or "?"].append(bool(j["right"]))
    if by_kind:
        print("follow-ups by kind: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(by_kind.items())))

    if args.cuts:
        print("\nCUT REPLIES (tuning split):")
        for i, r, _ in rows:
            if i["split"] == "tune" and r.route not in REFUSALS and is_cut(r.text):
                print(f"  [{r.route}] {i['q'][:80]}\n      {r.text[-160:]!r}")

    if args.errors:
        print("\nTUNING-SPLIT ERRORS (the locked split is never listed):")
        for i, r, j in rows:
            if i["split"] == "tune" and not (j["right"] and j["phrases"] is not False):
                want = i.get("answers") or i.get("parts") or i.get("route") or i["cls"]
                print(f"  [{i['cls']}] {i['q'][:110]}\n      want {want}  got {r.route}:{r.record}  | {r.text[:150]!r}")

    n, right, dp, dn, ph, cut = totals.get("locked", (0, 0.0, None, None, None, 0))
    failed = []
    if args.min_locked_right is not None and right < args.min_locked_right:
        failed.append(f"locked right-first {right:.3f} < {args.min_locked_right}")
    if args.min_locked_decision is not None and (
        (dp or 0) < args.min_locked_decision or (dn or 0) < args.min_locked_decision
    ):
        failed.append(f"locked decision answer {dp} / refuse {dn} < {args.min_locked_decision}")
    if args.max_cut is not None and sum(t[5] for t in totals.values()) > args.max_cut:
        failed.append(f"cut replies {sum(t[5] for t in totals.values())} > {args.max_cut}")
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The held-out follow-up conversations (tests/data/answer_eval/conversations.yml) through the real
bot: trained model, action server, REST channel. Each follow-up turn is right when the record its
reply states (the ``last_record`` the turn set) is one of the expected ones and the expected
phrases are in the reply ("xem thêm" turns: a reply, not a refusal, not the previous reply).

The gate is on the LOCKED conversations (scripts/evaluate_routes.py: crc32 of the first turn's
text % 3 == 0), never used for tuning; the figure printed is the one quoted in the notes. The
same conversations run in process in ``make eval`` (scripts/evaluate_routes.py)."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.evaluate_routes import load  # noqa: E402

#: the locked split's follow-up rate through the real bot reached when this gate was set
LOCKED_FOLLOW_UP_GATE = 0.45
REFUSAL = ("chưa có thông tin trong tài liệu", "utter_out_of_scope")

pytestmark = pytest.mark.server


def _record_set_this_turn(tracker: dict):
    """The last_record the bot set after the latest user message (None: this turn set none)."""
    events = tracker.get("events") or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    found = None
    for e in events[last_user + 1 :]:
        if e.get("event") == "slot" and e.get("name") == "last_record":
            found = e.get("value")
    return found


def test_locked_follow_up_conversations_through_the_real_bot(live_bot):
    _, conversations = load()
    locked = [c for c in conversations if c["split"] == "locked"]
    assert len(locked) >= 25
    right = total = 0
    for conv in locked:
        sender = f"eval-{uuid.uuid4().hex[:8]}"
        previous = ""
        for i, turn in enumerate(conv["turns"]):
            resp = live_bot.ask(turn["user"], sender)
            assert resp.status_code == 200, resp.text
            reply = "\n".join(m.get("text") or "" for m in resp.json())
            if i:
                total += 1
                answers = set(turn.get("answers") or [])
                if turn.get("kind") == "more" or "any" in answers:
                    ok = bool(reply) and reply != previous and not any(r in reply for r in REFUSAL)
                else:
                    record = _record_set_this_turn(live_bot.tracker(sender))
                    ok = record in answers and all(p.lower() in reply.lower() for p in turn.get("expect") or [])
                right += ok
            previous = reply
    rate = right / total
    print(f"\nLOCKED follow-ups through the real bot: {right}/{total} = {rate:.3f}")
    # the failing turns are not listed: the locked split is not for reading errors off
    assert rate >= LOCKED_FOLLOW_UP_GATE, f"{rate:.3f} < {LOCKED_FOLLOW_UP_GATE}"

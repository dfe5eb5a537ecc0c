"""Scripted dialogues (tests/dialogues/*.yml) through the real bot's REST channel."""
import uuid
from pathlib import Path

import pytest
import yaml

DIALOGUES = [d for path in sorted((Path(__file__).parent / "dialogues").glob("*.yml"))
             for d in yaml.safe_load(path.read_text("utf-8"))["dialogues"]]


@pytest.mark.parametrize("dialogue", DIALOGUES, ids=[d["name"][:60] for d in DIALOGUES])
def test_dialogue(live_bot, dialogue):
    sender = f"dlg-{uuid.uuid4().hex[:8]}"
    for turn in dialogue["turns"]:
        resp = live_bot.ask(turn["user"], sender)
        assert resp.status_code == 200, resp.text
        messages = [m.get("text") or "" for m in resp.json()]
        reply = "\n".join(messages)
        for phrase in turn.get("expect", []):
            assert phrase in reply, f"{turn['user']!r}: missing {phrase!r} in\n{reply}"
        for phrase in turn.get("reject", []):
            assert phrase not in reply, f"{turn['user']!r}: {phrase!r} should not be in\n{reply}"
        if "max_chars" in turn:
            assert len(messages[0]) <= turn["max_chars"], f"{len(messages[0])} chars:\n{messages[0]}"

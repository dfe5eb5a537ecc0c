"""Scripted dialogues (tests/dialogues/*.yml) through the real model, action server and REST channel.

A dialogue is data:

    - name: what the conversation shows
      item: the issue item it covers (free text, for the report)
      turns:
        - user: what the person types
          expect: [phrases that must be in the bot's reply]
          reject: [phrases that must not be]
          slots: {slot: value}        # the tracker's slots after the turn (null = not set)
          max_chars: 450              # length of the first message
      lead: {province: ha_noi}        # the lead stored for this sender at the end (null = none)

A failure prints the whole conversation so far.
"""

import uuid
from pathlib import Path

import pytest
import yaml

DIALOGUES = [
    d
    for path in sorted((Path(__file__).parent / "dialogues").glob("*.yml"))
    for d in yaml.safe_load(path.read_text("utf-8"))["dialogues"]
]


def _stored_leads(db_url: str, sender: str):
    from sqlalchemy import select

    from policy_kb.db import new_session
    from lead_store.leads import Lead, ensure_schema
    from policy_kb.db import get_engine

    ensure_schema(get_engine(db_url))
    with new_session(db_url) as session:
        return list(session.scalars(select(Lead).where(Lead.conversation_id == sender)))


DIALOGUE_KEYS = {"name", "item", "turns", "lead"}
TURN_KEYS = {"user", "expect", "reject", "slots", "max_chars"}


def test_dialogues_use_only_known_keys():
    # a misspelt key ("expects:") would make a turn check nothing
    assert len(DIALOGUES) >= 50
    for d in DIALOGUES:
        assert set(d) <= DIALOGUE_KEYS and {"name", "turns"} <= set(d), d.get("name")
        for turn in d["turns"]:
            assert set(turn) <= TURN_KEYS and "user" in turn, (d["name"], turn)


@pytest.mark.parametrize("dialogue", DIALOGUES, ids=[d["name"][:60] for d in DIALOGUES])
def test_dialogue(live_bot, dialogue):
    run_dialogue(live_bot, dialogue)


@pytest.mark.parametrize("dialogue", DIALOGUES, ids=[d["name"][:60] for d in DIALOGUES])
def test_dialogue_with_actions_in_the_rasa_process(in_process_bot, dialogue):
    """Every dialogue again with the opt-in in-process actions (bot/rasa_patches.py, patch 8):
    the same replies, slots and leads as through the action server."""
    run_dialogue(in_process_bot, dialogue)


def run_dialogue(live_bot, dialogue) -> None:
    sender = f"dlg-{uuid.uuid4().hex[:8]}"
    transcript = []

    def fail(message: str) -> None:
        pytest.fail(f"{message}\n--- conversation ---\n" + "\n".join(transcript), pytrace=False)

    for turn in dialogue["turns"]:
        resp = live_bot.ask(turn["user"], sender)
        assert resp.status_code == 200, resp.text
        messages = [m.get("text") or "" for m in resp.json()]
        reply = "\n".join(messages)
        transcript.append(f"USER: {turn['user']}")
        transcript += [f"BOT:  {m}" for m in messages]
        for phrase in turn.get("expect", []):
            if phrase not in reply:
                fail(f"{turn['user']!r}: missing {phrase!r}")
        for phrase in turn.get("reject", []):
            if phrase in reply:
                fail(f"{turn['user']!r}: {phrase!r} should not be in the reply")
        if "max_chars" in turn and len(messages[0]) > turn["max_chars"]:
            fail(f"{turn['user']!r}: first message has {len(messages[0])} chars > {turn['max_chars']}")
        if "slots" in turn:
            slots = live_bot.tracker(sender)["slots"]
            for name, want in turn["slots"].items():
                got = slots.get(name)
                if str(got) != str(want) if want is not None else got is not None:
                    transcript.append(f"      slots: { {k: v for k, v in slots.items() if v is not None} }")
                    fail(f"{turn['user']!r}: slot {name} = {got!r}, expected {want!r}")
    if "lead" in dialogue:
        leads = _stored_leads(live_bot.db_url, sender)
        if dialogue["lead"] is None:
            if leads:
                fail(f"expected no stored lead, found {len(leads)}")
        else:
            if len(leads) != 1:
                fail(f"expected one stored lead, found {len(leads)}")
            for name, want in dialogue["lead"].items():
                got = getattr(leads[0], name)
                if str(got) != str(want):
                    fail(f"stored lead: {name} = {got!r}, expected {want!r}")

"""bot/rasa_patches.py: each patch against the Rasa code it wraps (fails when Rasa changes)."""

import asyncio
import inspect

import pytest

from rasa.core.processor import MessageProcessor


def test_processor_entry_points_have_the_signatures_the_patch_wraps():
    assert list(inspect.signature(MessageProcessor.handle_message).parameters) == ["self", "message"]
    assert list(inspect.signature(MessageProcessor._handle_message_with_tracker).parameters) == [
        "self",
        "message",
        "tracker",
    ]
    assert inspect.iscoroutinefunction(MessageProcessor.handle_message)


def test_at_most_n_turns_run_at_once_and_none_is_lost(monkeypatch):
    from types import SimpleNamespace

    from bot import rasa_patches

    monkeypatch.setenv("RASA_CONCURRENT_TURNS", "3")
    running, peak, done = 0, 0, []

    async def original(self, message):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        done.append(message.sender_id)
        return [message.sender_id]

    monkeypatch.setattr(MessageProcessor, "handle_message", original)
    monkeypatch.setattr(MessageProcessor, "_handle_message_with_tracker", original)
    monkeypatch.setattr(rasa_patches, "_turn_gate", rasa_patches._TurnGate())
    rasa_patches._patch_processor()  # wraps the stub, as it wraps Rasa's method

    async def burst():
        return await asyncio.gather(
            *(MessageProcessor.handle_message(None, SimpleNamespace(sender_id=f"s{i}")) for i in range(20))
        )

    results = asyncio.run(burst())
    assert peak == 3
    assert sorted(r[0] for r in results) == sorted(f"s{i}" for i in range(20)) and len(done) == 20


def test_rasa_keeps_only_the_slots_of_a_slot_mapping_action():
    # why the apology for a failed action_read_message is said by the turn's next action call:
    # Rasa's action_extract_slots passes only SlotSet events on (its messages are dropped)
    from rasa.core.actions.action import ActionExtractSlots

    source = inspect.getsource(ActionExtractSlots._execute_validation_action)
    assert "isinstance(event, SlotSet)" in source


def test_the_domain_has_no_other_slot_mapping_action():
    from pathlib import Path

    import yaml

    from bot.rasa_patches import SLOT_MAPPING_ACTIONS

    found = set()
    for path in (Path(__file__).resolve().parent.parent / "bot" / "domain").glob("*.yml"):
        for slot in (yaml.safe_load(path.read_text("utf-8")) or {}).get("slots", {}).values():
            found |= {m["action"] for m in slot.get("mappings", []) if m.get("type") == "custom" and m.get("action")}
    assert found == SLOT_MAPPING_ACTIONS


def test_a_failed_slot_mapping_call_leaves_the_apology_to_the_turns_action(monkeypatch):
    from types import SimpleNamespace

    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import BotUttered, UserUttered

    from bot import rasa_patches

    async def down(self, *args):
        raise OSError("action server down")

    monkeypatch.setattr(rasa_patches, "_original_run", down)
    monkeypatch.setattr(rasa_patches, "_failed_turns", rasa_patches._FailedTurns())
    tracker = SimpleNamespace(sender_id="s1", events=[UserUttered("hi", timestamp=1.0)])

    def call(name):
        return asyncio.run(rasa_patches._run_remote_action(RemoteAction(name, None), None, None, tracker, None))

    assert call("action_read_message") == []  # dropped by Rasa anyway: say nothing here
    first = call("action_answer")  # the turn's action: apologises at once
    assert [e.text for e in first if isinstance(e, BotUttered)] == [rasa_patches.APOLOGY]
    assert call("action_answer") == []  # once per turn


def test_the_patches_refuse_another_rasa_version():
    import rasa

    from bot import rasa_patches

    assert rasa.__version__ == rasa_patches.WRITTEN_FOR
    rasa_patches.check_version(rasa_patches.WRITTEN_FOR)
    with pytest.raises(SystemExit, match="re-check each patch"):
        rasa_patches.check_version("3.7.0")


def test_stock_session_start_unpauses_and_the_patch_keeps_the_pause():
    """Rasa 3.6's action_session_start returns SessionStarted (which resets the tracker, pause
    included) + action_listen: the stock run must still do that, and the patched one re-adds the
    pause before the listen."""
    from rasa.core.actions.action import ActionSessionStart
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, ConversationPaused, SessionStarted
    from rasa.shared.core.trackers import DialogueStateTracker

    import bot.channels  # noqa: F401 - applies the patches, as the Rasa server does
    from bot import rasa_patches

    tracker = DialogueStateTracker("t", slots=[])
    tracker.update(ConversationPaused())
    events = asyncio.run(ActionSessionStart().run(CollectingOutputChannel(), None, tracker, Domain.empty()))
    assert isinstance(events[0], SessionStarted) and isinstance(events[-2], ConversationPaused)
    assert isinstance(events[-1], ActionExecuted)
    fresh = DialogueStateTracker("t", slots=[])
    fresh.update(ConversationPaused())
    fresh.update(SessionStarted())
    assert not fresh.is_paused()  # why the patch is needed: a new session un-pauses
    assert rasa_patches.WRITTEN_FOR


def test_in_process_actions_run_like_the_action_server(tmp_path, monkeypatch):
    """Patch 8: rasa_sdk's executor inside Rasa — the same events and messages as over HTTP, a
    rejection still lets other policies predict, a crash becomes the turn's apology. (All the
    dialogues also run this way: tests/test_dialogues.py.)"""
    import sys

    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot import rasa_patches

    package = tmp_path / "kc_fake_actions"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from rasa_sdk import Action\n"
        "from rasa_sdk.events import SlotSet\n"
        "from rasa_sdk.interfaces import ActionExecutionRejection\n"
        "class Ok(Action):\n"
        "    def name(self): return 'action_ok'\n"
        "    def run(self, dispatcher, tracker, domain):\n"
        "        dispatcher.utter_message(text='xin chào ' + tracker.latest_message['text'])\n"
        "        return [SlotSet('province', 'ha_noi')]\n"
        "class Rejects(Action):\n"
        "    def name(self): return 'action_rejects'\n"
        "    def run(self, dispatcher, tracker, domain): raise ActionExecutionRejection('action_rejects')\n"
        "class Crashes(Action):\n"
        "    def name(self): return 'action_crashes'\n"
        "    def run(self, dispatcher, tracker, domain): raise ZeroDivisionError\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(rasa_patches, "_failed_turns", rasa_patches._FailedTurns())
    endpoint = EndpointConfig(actions_module="kc_fake_actions")
    assert endpoint.url is None and rasa_patches.InProcessActions.module_of(endpoint) == "kc_fake_actions"
    domain = Domain.from_dict({"slots": {"province": {"type": "text", "mappings": [{"type": "custom"}]}}})
    tracker = DialogueStateTracker("s2", domain.slots)
    tracker.update(UserUttered("anh Ba", intent={"name": "greet", "confidence": 1.0}, timestamp=5.0))
    nlg = TemplatedNaturalLanguageGenerator({})

    def call(name):
        action = RemoteAction(name, endpoint)
        return asyncio.run(rasa_patches._run_remote_action(action, CollectingOutputChannel(), nlg, tracker, domain))

    events = call("action_ok")
    assert [e.text for e in events if isinstance(e, BotUttered)] == ["xin chào anh Ba"]
    assert [(e.key, e.value) for e in events if isinstance(e, SlotSet)] == [("province", "ha_noi")]
    with pytest.raises(ActionExecutionRejection):
        call("action_rejects")
    crashed = call("action_crashes")
    assert [e.text for e in crashed if isinstance(e, BotUttered)] == [rasa_patches.APOLOGY]
    assert "kc_fake_actions" in sys.modules


def test_event_types_are_resolved_as_rasa_does_and_remembered():
    """Patch 10: the remembered lookup answers what Rasa's walk over Event's subclasses answers,
    for every event type, for "topic" (None) and for an unknown name (default, or ValueError)."""
    from rasa.shared.core import events
    from rasa.shared.utils.common import all_subclasses

    import bot.channels  # noqa: F401 - applies the patches, as the Rasa server does
    from bot import rasa_patches

    stock = rasa_patches._original_resolve_by_type
    assert stock is not None and events.Event.resolve_by_type is not stock
    names = {cls.type_name for cls in all_subclasses(events.Event)}
    assert {"user", "bot", "slot", "action", "session_started", "pause", "resume"} <= names
    for name in sorted(names):
        assert events.Event.resolve_by_type(name) is stock(name), name
        assert events.Event.resolve_by_type(name) is stock(name), name  # remembered: the same
    assert events.Event.resolve_by_type("topic") is None and stock("topic") is None
    assert events.Event.resolve_by_type("kc-no-such-event", events.SlotSet) is events.SlotSet
    with pytest.raises(ValueError):
        stock("kc-no-such-event")
    with pytest.raises(ValueError):
        events.Event.resolve_by_type("kc-no-such-event")
    stored = [
        events.UserUttered("xin chào", {"name": "greet", "confidence": 1.0}).as_dict(),
        events.SlotSet("province", "ha_noi").as_dict(),
        events.ActionExecuted("action_listen").as_dict(),
    ]
    assert [type(e) for e in events.deserialise_events(stored)] == [
        events.UserUttered,
        events.SlotSet,
        events.ActionExecuted,
    ]


GRAPH_RUNS = r"""
import asyncio, json, sys, yaml
from pathlib import Path
from bot import no_tensorflow
no_tensorflow.install()
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.utils.endpoints import EndpointConfig
import bot.channels  # the server's patches, as in `rasa run`
from bot import rasa_patches

texts = []
for path in sorted(Path("nlu_data/test").glob("*.yml")):
    for item in (yaml.safe_load(path.read_text("utf-8")) or {}).get("nlu", []):
        if "intent" in item:
            texts += [l[2:].strip() for l in item["examples"].splitlines() if l.startswith("- ")]
conversations = [["xin chào", "mua máy móc được hỗ trợ bao nhiêu", "còn hộ kinh doanh thì sao"],
                 ["kiểm tra điều kiện", "hộ kinh doanh", "Thái Bình", "dệt may", "thôi"],
                 ["ho tro may moc dc bn", "cảm ơn", "tạm biệt"]]
agent = Agent.load(sys.argv[1], action_endpoint=EndpointConfig(actions_module="actions"))

async def run(tag):
    parses = []
    for t in texts:
        r = await agent.parse_message(t)
        parses.append([t, r["intent"]["name"], r["intent"]["confidence"], r["intent_ranking"][:3],
                       sorted((e["entity"], str(e.get("value")), e["start"], e["end"]) for e in r["entities"])])
    turns = []
    for i, conv in enumerate(conversations):
        for text in conv:
            replies = await agent.handle_message(UserMessage(text, sender_id=f"{tag}-{i}"))
            turns.append([r.get("text") for r in replies or []])
        tracker = await agent.tracker_store.retrieve(f"{tag}-{i}")
        turns.append([e.action_name for e in tracker.events if e.type_name == "action"])
    return {"parses": parses, "turns": turns}

patched = asyncio.run(run("patched"))
assert DaskGraphRunner.run is rasa_patches._run_graph
DaskGraphRunner.run = rasa_patches._original_graph_run
stock = asyncio.run(run("stock"))
print(json.dumps({"patched": patched, "stock": stock, "texts": len(texts)}, ensure_ascii=False))
"""


@pytest.mark.slow
def test_the_graph_runner_gives_what_dask_gives_on_the_trained_model(kb_url):
    """Patch 9: every held-out NLU example parses to the same intent, confidence, ranking and
    entities, and three conversations (answers, the eligibility form, a stop) take the same actions
    and send the same replies, through the patched runner and through Rasa's DaskGraphRunner."""
    import json
    import os
    import subprocess
    import sys

    from devtools.servers import ROOT, ensure_model

    env = dict(os.environ, DATABASE_URL=kb_url, RASA_TELEMETRY_ENABLED="false")
    out = subprocess.run(
        [sys.executable, "-c", GRAPH_RUNS, str(ensure_model())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["texts"] > 300
    assert result["patched"]["parses"] == result["stock"]["parses"]
    assert result["patched"]["turns"] == result["stock"]["turns"]
    assert any("action_answer" in turn for turn in result["patched"]["turns"])  # the conversations ran


def _responses_to_validate():
    """Valid action-server responses of every event kind, and broken ones of many shapes."""
    from rasa.shared.core import events as ev

    kinds = [
        ev.UserUttered(
            "chào",
            {"name": "greet", "confidence": 0.9},
            [{"entity": "province", "value": "ha_noi", "start": 0, "end": 2}],
        ),
        ev.BotUttered("Dạ", {"buttons": [{"title": "A", "payload": "/a"}]}),
        ev.SlotSet("province", "ha_noi"),
        ev.SlotSet("money", 3.5e8),
        ev.SlotSet("x", None),
        ev.ActionExecuted("action_listen"),
        ev.ActiveLoop("eligibility_form"),
        ev.ActiveLoop(None),
        ev.FollowupAction("action_answer"),
        ev.ConversationPaused(),
        ev.ConversationResumed(),
        ev.Restarted(),
        ev.AllSlotsReset(),
        ev.UserUtteranceReverted(),
        ev.ActionReverted(),
        ev.SessionStarted(),
        ev.LoopInterrupted(True),
        ev.ActionExecutionRejected("action_x"),
        ev.EntitiesAdded([{"entity": "a", "value": "b"}]),
        ev.AgentUttered("x"),
        ev.StoryExported(),
    ]
    good = [e.as_dict() for e in kinds]
    out = [
        {"events": good, "responses": [{"text": "Dạ"}, {"buttons": []}]},
        {},
        {"events": []},
        {"responses": []},
        {"events": good[:1], "extra": 1},
    ]
    broken_events = [
        {"event": "slot"},
        {"event": "slot", "name": 5},
        {"event": "no_such_kind"},
        {"event": 3},
        {"event": ["slot"]},
        {"name": "x"},
        "slot",
        None,
        3,
        {"event": "action", "name": 7},
        {"event": "user", "text": 5},
        {"event": "user", "parse_data": {"intent": "greet"}},
        {"event": "entities", "entities": [{"value": 1}]},
        {"event": "slot", "name": "a", "timestamp": "yesterday"},
        {"event": "bot", "metadata": "x"},
    ]
    for bad in broken_events:
        out.append({"events": good[:3] + [bad] + good[3:5], "responses": []})
    out += [
        {"events": {"event": "slot"}},
        {"events": "x"},
        {"responses": ["text"]},
        {"responses": {}},
        [],
        "x",
        None,
        {"events": [good[0]], "responses": [{"text": "a"}, 3]},
    ]
    return out


def test_action_results_get_the_verdicts_and_errors_of_rasas_own_validation():
    """Patch 1: for valid responses of every event kind and broken ones of many shapes, the
    validator accepts exactly what ``jsonschema.validate`` with Rasa's schema accepts, and raises
    the same error message; Rasa's schema still has the shape the fast path relies on."""
    from jsonschema import ValidationError, validate
    from rasa.core.actions.action import RemoteAction

    from bot.rasa_patches import ActionResultValidator

    spec = RemoteAction.action_response_format_spec()
    ours = ActionResultValidator(spec)
    assert ours.top is not None and len(ours.by_event) == len(spec["properties"]["events"]["items"]["oneOf"]) == 23
    verdicts = []
    for result in _responses_to_validate():
        try:
            validate(result, spec)
            stock = None
        except ValidationError as e:
            stock = e.message
        try:
            ours.validate(result)
            mine = None
        except ValidationError as e:
            mine = e.message
        assert mine == stock, result
        verdicts.append(stock is None)
    assert verdicts.count(True) == 5 and verdicts.count(False) >= 20  # both kinds were exercised

"""Fixes for Rasa 3.6, applied in the Rasa server process (see bot/channels/__init__.py).

1. Speed. Rasa validates every action-server response with ``jsonschema.validate(result, schema)``,
   which first re-checks the *schema itself* against the JSON-Schema meta-schema, on every call.
   In our profile (py-spy, 259 knowledge questions) that was ~60% of the Rasa server's CPU per
   turn. We validate against the same schema with validators built once, and each event against
   the one branch of the schema's ``oneOf`` its ``"event"`` names rather than all 23 (the other
   22 cannot match it; 8 % of the CPU per message before): same verdicts, same errors.
2. Action server down or slow. Rasa waits up to 5 minutes for a custom action and then sends
   nothing. Here a call that fails, or takes longer than ``ACTION_TIMEOUT`` seconds (default 4),
   becomes one polite apology for the turn (later custom actions of the same turn are skipped, so
   the user hears back within ~``ACTION_TIMEOUT`` s). A failed form *validation* also resets the
   slots it was validating, so the form asks that question again instead of keeping an unchecked
   answer. Nothing is remembered between turns: the next message tries the action server again,
   so the bot recovers by itself when it is back.
3. Privacy (see bot/log_privacy.py): every log record is redacted; each message is processed
   inside its conversation's context, and what the user types while the lead form is open is
   treated as personal data. Structured tracebacks no longer dump local variables (they would
   contain slot values).
4. Button payloads such as ``/inform{"business_type": "sme"}`` in domain responses are not slot
   templates: Rasa's interpolator tried them as such and logged an ERROR (with the slot values)
   for each one. They are now passed through unchanged, silently.
5. Rasa's HTTP API (``--enable-api``) returns whole conversations, names and phone numbers
   included. The server refuses to start with it on a non-loopback interface unless it is
   protected by ``--auth-token`` or ``--jwt-secret``.
6. Bursts. Rasa starts every arriving message at once; its turns are CPU-bound (NLU, policies,
   the synchronous SQL tracker store), so under 200 simultaneous conversations each turn's
   action call waited seconds for the *Rasa* event loop and hit ``ACTION_TIMEOUT``: the person
   got "hệ thống đang bận" although the action server was idle (py-spy: Rasa 95 % busy, the
   action server 8 %). At most ``RASA_CONCURRENT_TURNS`` (default 4) turns now run at once; the
   others wait *before* starting, which neither counts against the action timeout nor lowers
   throughput (the CPU was the limit anyway).
7. Live handover. A conversation an officer has taken over is paused (``ConversationPaused``).
   When its session expires (``session_expiration_time``, 120 min) Rasa starts a new session,
   which resets the tracker and so un-pauses it: someone who accepted "Gặp cán bộ" in the evening
   and writes back in the morning was answered by the bot while the officer still had the
   conversation. ``action_session_start`` now carries the pause over to the new session.

8. Speed, opt-in: custom actions in the Rasa process. With ``actions_module: actions`` under
   ``action_endpoint`` in endpoints.yml (the key Rasa Pro later added for the same purpose), a
   custom action is run by rasa_sdk's own ``ActionExecutor`` inside the Rasa server, with the same
   request and response dictionaries, validation and error handling as over HTTP, but without the
   HTTP round trip and JSON (de)serialisation on both sides (27 % of the Rasa server's CPU per
   message in the profile). The separate action server stays the default: it scales on its own
   and keeps the knowledge base and lead store out of the Rasa process.

9. Speed: the graph runner. Every parse and every prediction runs a part of the model's graph
   through ``DaskGraphRunner.run``, which first recomputes which nodes the targets need (a
   recursive walk without memo: 7 % of the CPU per message at 20 conversations, py-spy) and then
   hands the graph to dask's scheduler (another ~6 %). The graph and the targets never change
   while the server runs, so the order of the nodes is computed once per target list and the
   nodes are called in that order, each with its needs' results, as dask would; errors are
   raised as before. Training is untouched (it runs in ``rasa train``, without these patches).
10. Speed: event types. Reading stored events resolves each event's class by walking every
   subclass of ``Event`` (``all_subclasses``, recursive, with ``inspect.isabstract`` on each):
   ~5 % of the CPU per message. The classes are looked up once per type name and remembered.
11. Live handover the person controls (issue 28). A paused conversation predicts nothing, so a
   person waiting for an officer got no reply to anything ("quay lại trợ lý", the "Tiếp tục với
   trợ lý" button, a new question) until an officer acted. Now every message of a paused
   conversation (except /restart, which Rasa handles itself) runs ``action_while_handed_over``
   (actions/handover.py decides: resume, answer out of hours, or a rate-limited "cán bộ đã nhận").
   Its events are applied the way Rasa applies ``action_extract_slots``' (no ``ActionExecuted``
   of its own, so the rules still see the message right after ``action_listen``); if it resumed
   the bot without closing the turn, Rasa predicts the answer to the message as usual, and when
   that answer was one given out of office hours (the note's ``handover_by`` is
   ``lead_store.handovers.ANSWER_THEN_WAIT``) the conversation is paused again after it: the
   request stays the officer's, and the next "alo" gets the waiting notice, not a new greeting.

Every patch was written against one Rasa version (``WRITTEN_FOR``): another version refuses to
start the server until each patch has been re-checked (tests/test_rasa_patches.py has a test per
patch that fails when Rasa's behaviour changes) and ``WRITTEN_FOR`` updated.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import sys
import time
from collections import OrderedDict
from typing import Any, Dict, List, Text, Tuple

import aiohttp
from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.exceptions import RasaException

import rasa
from bot import log_privacy

logger = logging.getLogger(__name__)

#: The Rasa release every patch below was written and tested against.
WRITTEN_FOR = "3.6.21"

APOLOGY = (
    "Dạ, em xin lỗi, hệ thống đang bận nên em chưa xử lý được yêu cầu này. Anh/chị vui lòng gửi lại sau ít phút ạ."
)


class ActionResultValidator:
    """Patch 1: Rasa's action-response schema checked with validators built once.

    Each event of the response must match exactly one branch of the schema's ``oneOf`` (23 event
    kinds); the branches are told apart by a ``const`` on ``"event"``, so the branch an event names
    is the only one that can match, and checking that one branch (with the common properties)
    gives the verdict of checking all 23, which was most of the validation's cost. Anything
    invalid is validated again against the whole schema, so the error raised is jsonschema's own.
    If the schema ever stops having that shape, the whole schema is used for every response.
    """

    def __init__(self, spec: Dict[Text, Any]) -> None:
        cls = validators.validator_for(spec)
        self.whole = cls(spec)
        self.top: Any = None
        self.by_event: Dict[Text, Any] = {}
        try:
            item = spec["properties"]["events"]["items"]
            common = {k: v for k, v in item.items() if k != "oneOf"}
            for branch in item["oneOf"]:
                kind = branch["properties"]["event"]["const"]
                if kind in self.by_event:
                    raise ValueError(f"two event branches for {kind!r}")
                self.by_event[kind] = cls({"allOf": [common, branch]})
            top = {**spec, "properties": {**spec["properties"], "events": {"type": "array"}}}
            self.top = cls(top)
        except (KeyError, TypeError, ValueError):
            self.top, self.by_event = None, {}

    def validate(self, result: Any) -> None:
        if self.top is None or not self._valid(result):
            error = best_match(self.whole.iter_errors(result))  # what jsonschema.validate raises
            if error is not None:
                raise error

    def _valid(self, result: Any) -> bool:
        if not self.top.is_valid(result):
            return False
        for event in (result.get("events") or []) if isinstance(result, dict) else []:
            kind = event.get("event") if isinstance(event, dict) else None
            branch = self.by_event.get(kind) if isinstance(kind, str) else None
            if branch is None or not branch.is_valid(event):
                return False
        return True


_validator: "ActionResultValidator | None" = None


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    global _validator
    if _validator is None:
        _validator = ActionResultValidator(RemoteAction.action_response_format_spec())
    try:
        _validator.validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def action_timeout() -> float:
    try:
        return max(0.1, float(os.environ.get("ACTION_TIMEOUT", "4")))
    except ValueError:
        return 4.0


class _FailedTurns:
    """Turns (conversation, time of its user message) whose action call already failed, and
    whether the person has been told."""

    def __init__(self, size: int = 10_000) -> None:
        self._data: "OrderedDict[str, Tuple[float, bool]]" = OrderedDict()
        self.size = size

    def failed(self, sender: str, turn: float) -> bool:
        return (self._data.get(sender) or (None,))[0] == turn

    def apologised(self, sender: str, turn: float) -> bool:
        return self._data.get(sender) == (turn, True)

    def mark(self, sender: str, turn: float, apologised: bool = True) -> None:
        self._data.pop(sender, None)
        self._data[sender] = (turn, apologised)
        while len(self._data) > self.size:
            self._data.popitem(last=False)


#: custom slot-mapping actions (bot/domain: ``{type: custom, action: …}``). Rasa keeps only the
#: SlotSet events of these, so an apology returned by one would be dropped: the turn's next
#: action call says it instead (a test checks the domain lists no other mapping action).
SLOT_MAPPING_ACTIONS = frozenset({"action_read_message"})


_failed_turns = _FailedTurns()
_original_run = RemoteAction.run


class InProcessActions:
    """Patch 8: rasa_sdk's executor for one actions package, loaded on first use."""

    def __init__(self) -> None:
        self._executors: Dict[str, Any] = {}

    @staticmethod
    def module_of(endpoint: Any) -> "str | None":
        module = getattr(endpoint, "kwargs", {}).get("actions_module") if endpoint is not None else None
        return module if isinstance(module, str) and module else None

    def executor(self, module: str) -> Any:
        if module not in self._executors:
            from rasa_sdk.executor import ActionExecutor

            executor = ActionExecutor()
            executor.register_package(module)
            self._executors[module] = executor
        return self._executors[module]

    async def run(
        self, action: RemoteAction, module: str, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> List[Any]:
        from rasa.shared.core import events as rasa_events
        from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection
        from rasa_sdk.interfaces import ActionNotFoundException

        body = action._action_call_format(tracker, domain)
        try:
            response = await self.executor(module).run(body)
        except SdkRejection as exc:  # as the HTTP endpoint's 400: let other policies predict
            raise ActionExecutionRejection(exc.action_name, exc.message) from exc
        except ActionNotFoundException as exc:
            raise RasaException(f"Failed to execute custom action '{action.name()}': not in {module}") from exc
        except Exception as exc:  # the action server would answer 500: the turn gets the apology
            logger.exception("custom action '%s' failed in the Rasa process", action.name())
            raise RasaException(f"Failed to execute custom action '{action.name()}'") from exc
        response = response or {"events": [], "responses": []}
        action._validate_action_result(response)
        bot_messages = await action._utter_responses(response.get("responses", []), output_channel, nlg, tracker)
        return list(bot_messages) + rasa_events.deserialise_events(response.get("events", []))


_in_process = InProcessActions()


def _run_action(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any):
    module = InProcessActions.module_of(self.action_endpoint)
    if module:
        return _in_process.run(self, module, output_channel, nlg, tracker, domain)
    return _original_run(self, output_channel, nlg, tracker, domain)


def _turn_of(tracker: Any) -> float:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return event.timestamp
    return 0.0


def _slots_to_recheck(tracker: Any) -> List[SlotSet]:
    """A failed validation must not leave unchecked answers: reset the slots set this turn."""
    keys: List[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, SlotSet) and event.key != "requested_slot" and event.key not in keys:
            keys.append(event.key)
    return [SlotSet(key, None) for key in keys]


async def _run_remote_action(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
    sender, turn = tracker.sender_id, _turn_of(tracker)
    validating = self.name().startswith("validate_")
    if _failed_turns.failed(sender, turn):  # the action server already failed this turn: answer at once
        events = _slots_to_recheck(tracker) if validating else []
        if not _failed_turns.apologised(sender, turn) and self.name() not in SLOT_MAPPING_ACTIONS:
            _failed_turns.mark(sender, turn, apologised=True)
            return [BotUttered(APOLOGY)] + events
        return events
    started = time.monotonic()
    try:
        events = await asyncio.wait_for(_run_action(self, output_channel, nlg, tracker, domain), action_timeout())
        elapsed = time.monotonic() - started
        if elapsed > action_timeout() / 2:
            logger.warning(
                "slow custom action '%s': %.1f s (apology after %.1f s)", self.name(), elapsed, action_timeout()
            )
        return events
    except ActionExecutionRejection:
        raise
    except (asyncio.TimeoutError, aiohttp.ClientError, RasaException, OSError) as exc:
        reason = "timed out" if isinstance(exc, asyncio.TimeoutError) else type(exc).__name__
        logger.error(
            "action server unavailable for '%s' (%s after %.1f s); the user got an apology",
            self.name(),
            reason,
            time.monotonic() - started,
        )
        if self.name() in SLOT_MAPPING_ACTIONS:
            _failed_turns.mark(sender, turn, apologised=False)
            return []  # the message is not read this turn; the turn's own action apologises
        _failed_turns.mark(sender, turn)
        apology: List[Any] = [BotUttered(APOLOGY)]
        return apology + (_slots_to_recheck(tracker) if validating else [])


# ------------------------------------------------------------------------------- privacy


def concurrent_turns() -> int:
    try:
        return max(1, int(os.environ.get("RASA_CONCURRENT_TURNS", "4")))
    except ValueError:
        return 4


class _TurnGate:
    """At most ``concurrent_turns()`` message turns at once (created lazily: the semaphore must
    belong to the server's event loop)."""

    def __init__(self) -> None:
        self._semaphore: "asyncio.Semaphore | None" = None

    @property
    def semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(concurrent_turns())
        return self._semaphore


_turn_gate = _TurnGate()


def _patch_processor() -> None:
    from rasa.core.processor import MessageProcessor

    original_handle = MessageProcessor.handle_message
    original_with_tracker = MessageProcessor._handle_message_with_tracker

    async def handle_message(self, message):  # type: ignore[no-untyped-def]
        async with _turn_gate.semaphore:
            with log_privacy.conversation(message.sender_id):
                return await original_handle(self, message)

    async def _handle_message_with_tracker(self, message, tracker):  # type: ignore[no-untyped-def]
        personal = [tracker.get_slot(s) for s in log_privacy.PERSONAL_SLOTS]
        if tracker.active_loop_name == log_privacy.LEAD_FORM:
            personal.append(message.text)  # consent, name or phone answer
        log_privacy.remember(tracker.sender_id, *personal)
        with log_privacy.conversation(tracker.sender_id):
            return await original_with_tracker(self, message, tracker)

    MessageProcessor.handle_message = handle_message
    MessageProcessor._handle_message_with_tracker = _handle_message_with_tracker


WHILE_HANDED_OVER = "action_while_handed_over"


def _patch_paused_turns() -> None:
    """Patch 11: a message of a paused conversation runs ``action_while_handed_over``."""
    from rasa.core.actions.action import action_for_name_or_text
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, USER_INTENT_RESTART
    from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused

    from lead_store.handovers import ANSWER_THEN_WAIT

    original = MessageProcessor._run_prediction_loop

    @functools.wraps(original)  # keeps Rasa's own loop as __wrapped__ for the test of its guard
    async def _run_prediction_loop(self, output_channel, tracker):  # type: ignore[no-untyped-def]
        latest = tracker.latest_message
        restart = latest is not None and latest.intent.get("name") == USER_INTENT_RESTART
        if tracker.is_paused() and not restart and WHILE_HANDED_OVER in self.domain.action_names_or_texts:
            action = action_for_name_or_text(WHILE_HANDED_OVER, self.domain, self.action_endpoint)
            events = await action.run(output_channel, self.nlg, tracker, self.domain)
            await self._send_bot_messages(events, tracker, output_channel)
            tracker.update_with_events(events, self.domain)
            last = tracker.events[-1] if tracker.events else None
            if tracker.is_paused() or (isinstance(last, ActionExecuted) and last.action_name == ACTION_LISTEN_NAME):
                return None  # still with the officer, or the action answered the turn itself
            answered = await original(self, output_channel, tracker)
            if any(
                isinstance(e, BotUttered) and (e.metadata or {}).get("handover_by") == ANSWER_THEN_WAIT for e in events
            ):
                tracker.update(ConversationPaused())  # answered out of hours: the officer's again
            return answered
        return await original(self, output_channel, tracker)

    MessageProcessor._run_prediction_loop = _run_prediction_loop


def _no_traceback_locals() -> None:
    try:
        import structlog

        structlog.processors.dict_tracebacks.format_exception.show_locals = False
    except Exception:  # pragma: no cover - another structlog version: keep its defaults
        logger.warning("could not turn off local variables in structured tracebacks")


# ------------------------------------------------------------------------------ payloads


def _patch_interpolator() -> None:
    from rasa.core.nlg import interpolator

    original = interpolator.interpolate_text

    def interpolate_text(response: Text, values: Dict[Text, Text]) -> Text:
        if isinstance(response, str) and response.startswith("/"):
            try:
                text = re.sub(r"{([^\n{}]+?)}", r"{0[\1]}", response).format(values)
                return response.format({}) if "0[" in text else text
            except (KeyError, IndexError, ValueError, AttributeError):
                return response  # an intent payload with entities, not a template
        return original(response, values)

    interpolator.interpolate_text = interpolate_text


def unprotected_api(argv: List[str]) -> bool:
    """``rasa run`` arguments that would expose the HTTP API to the network without a token."""
    if "run" not in argv or "--enable-api" not in argv or "actions" in argv:
        return False
    if any(a in argv for a in ("--auth-token", "-t", "--jwt-secret")) or any(
        a.startswith(("--auth-token=", "--jwt-secret=")) for a in argv
    ):
        return False
    interface = "0.0.0.0"
    for i, arg in enumerate(argv):
        if arg in ("--interface", "-i") and i + 1 < len(argv):
            interface = argv[i + 1]
        elif arg.startswith("--interface="):
            interface = arg.split("=", 1)[1]
    return interface not in ("127.0.0.1", "localhost", "::1")


def _keep_pause_across_sessions() -> None:
    """Patch 7: a new session of a paused conversation stays paused (before its action_listen)."""
    from rasa.core.actions.action import ActionSessionStart
    from rasa.shared.core.events import ActionExecuted, ConversationPaused

    original = ActionSessionStart.run

    async def run(self, output_channel, nlg, tracker, domain):
        events = await original(self, output_channel, nlg, tracker, domain)
        if tracker.is_paused():
            at = len(events) - 1 if events and isinstance(events[-1], ActionExecuted) else len(events)
            events.insert(at, ConversationPaused())
        return events

    ActionSessionStart.run = run


# --------------------------------------------------------------------- speed: graph and events


Plan = List[Tuple[str, Tuple[str, ...]]]


def graph_plan(schema: Any, targets: List[Text]) -> Plan:
    """Patch 9: the nodes ``targets`` need, in dependency order, each with the names it needs."""
    order: Plan = []
    done: set = set()

    def visit(name: str) -> None:
        if name in done or name not in schema.nodes:  # placeholders are inputs
            return
        done.add(name)
        needs = tuple(schema.nodes[name].needs.values())
        for need in needs:
            visit(need)
        order.append((name, needs))

    for target in targets:
        visit(target)
    return order


def _run_graph(
    self: Any, inputs: "Dict[Text, Any] | None" = None, targets: "List[Text] | None" = None
) -> Dict[Text, Any]:
    """``DaskGraphRunner.run`` without the schema walk and without dask (see patch 9)."""
    from rasa.engine.exceptions import GraphRunError

    run_targets = targets if targets else self._graph_schema.target_names
    # Kept on the runner, which lives as long as its schema (a model loaded later gets its own).
    plans: Dict[Tuple[str, ...], Plan] = self.__dict__.setdefault("_kc_plans", {})
    key = tuple(run_targets)
    if key not in plans:
        plans[key] = graph_plan(self._graph_schema, run_targets)
    plan = plans[key]
    results: Dict[str, Any] = {}
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in self._graph_schema.nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure that none of the input names "
                f"passed to the `run` method are the same as node names in the graph schema."
            )
        results[name] = (name, value)  # what DaskGraphRunner._add_inputs_to_graph puts in the graph
    try:
        for name, needs in plan:
            # dask passes a key that is not in the graph through as the literal string
            results[name] = self._instantiated_nodes[name](*[results.get(need, need) for need in needs])
        return dict(results[target] for target in run_targets)
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


_original_graph_run = None  # DaskGraphRunner.run before patch 9 (tests compare the two)


def _patch_graph_runner() -> None:
    global _original_graph_run
    from rasa.engine.runner.dask import DaskGraphRunner

    _original_graph_run = DaskGraphRunner.run
    DaskGraphRunner.run = _run_graph


_original_resolve_by_type = None  # Event.resolve_by_type before patch 10


def _remember_event_types() -> None:
    """Patch 10: ``Event.resolve_by_type`` remembers the class found for each type name."""
    from rasa.shared.core.events import Event

    global _original_resolve_by_type
    original = _original_resolve_by_type = Event.resolve_by_type
    found: Dict[Text, Any] = {}

    def resolve_by_type(type_name: Text, default: Any = None) -> Any:
        if type_name not in found:
            try:
                cls = original(type_name)  # no default: a miss raises and is not remembered
            except ValueError:
                return original(type_name, default)
            if cls is None:  # "topic": Rasa answers None for it
                return None
            found[type_name] = cls
        return found[type_name]

    Event.resolve_by_type = staticmethod(resolve_by_type)


def check_version(version: str = rasa.__version__) -> None:
    if version != WRITTEN_FOR:
        raise SystemExit(
            f"bot/rasa_patches.py was written for Rasa {WRITTEN_FOR}, this is Rasa {version}: "
            "re-check each patch (tests/test_rasa_patches.py) and update WRITTEN_FOR."
        )


_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    check_version()
    if unprotected_api(sys.argv):
        raise SystemExit(
            "Refusing to start: --enable-api on a public interface without --auth-token or "
            "--jwt-secret would let anyone read conversations (names, phone numbers). "
            "See SECURITY.md."
        )
    log_privacy.install()
    _no_traceback_locals()
    RemoteAction._validate_action_result = _validate_action_result
    RemoteAction.run = _run_remote_action
    _patch_processor()
    _patch_interpolator()
    _keep_pause_across_sessions()
    _patch_paused_turns()
    _patch_graph_runner()
    _remember_event_types()
    _applied = True


__all__ = ["APOLOGY", "action_timeout", "apply"]

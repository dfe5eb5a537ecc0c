"""bot/rasa_patches.py: each patch against the Rasa code it wraps (fails when Rasa changes)."""
import asyncio
import inspect

from rasa.core.processor import MessageProcessor


def test_processor_entry_points_have_the_signatures_the_patch_wraps():
    assert list(inspect.signature(MessageProcessor.handle_message).parameters) == ["self", "message"]
    assert list(inspect.signature(MessageProcessor._handle_message_with_tracker).parameters) == [
        "self", "message", "tracker"]
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
    rasa_patches._patch_processor()   # wraps the stub, as it wraps Rasa's method

    async def burst():
        return await asyncio.gather(*(MessageProcessor.handle_message(None, SimpleNamespace(sender_id=f"s{i}"))
                                      for i in range(20)))

    results = asyncio.run(burst())
    assert peak == 3
    assert sorted(r[0] for r in results) == sorted(f"s{i}" for i in range(20)) and len(done) == 20

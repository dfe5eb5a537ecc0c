"""Unit tests of the hardening pieces (no servers): lead outbox, log redaction, rate limiter,
JSON depth guard, phone numbers not read as money, names that look like "stop"."""

from __future__ import annotations

import json
import stat
import threading

import pytest
from sqlalchemy import create_engine, func, select

from lead_store.consent import CONSENT_VERSION
from lead_store.leads import Lead, LeadInput, ensure_schema


def lead(conversation: str, phone: str = "0912 345 678", name: str = "Nguyễn Văn An") -> LeadInput:
    return LeadInput(
        name=name,
        phone=phone,
        channel="rest",
        conversation_id=conversation,
        consent_version=CONSENT_VERSION,
        consent_at="2026-01-02T03:04:05+00:00",
        province="dong_nai",
    )


def count(engine) -> int:
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        return s.execute(select(func.count()).select_from(Lead)).scalar()


# ------------------------------------------------------------------------------- outbox
def test_outbox_is_private_durable_and_replayed_once(tmp_path):
    from lead_store.outbox import Outbox

    engine = create_engine(f"sqlite:///{tmp_path / 'leads.db'}", future=True)
    ensure_schema(engine)
    box = Outbox(tmp_path / "var" / "outbox.jsonl")
    box.append(lead("c-1"))
    box.append(lead("c-2", "0987 654 321"))
    box.append(lead("c-1"))  # the same person again in the same conversation
    assert stat.S_IMODE(box.path.stat().st_mode) == 0o600 and box.pending() == 3
    entry = json.loads(box.path.read_text("utf-8").splitlines()[0])
    assert entry["lead"]["consent_version"] == CONSENT_VERSION and entry["lead"]["consent_at"]
    result = box.flush(engine)
    assert (result.stored, result.remaining, result.rejected) == (3, 0, 0)
    assert count(engine) == 2 and not box.path.exists()
    assert box.flush(engine).stored == 0 and count(engine) == 2


def test_outbox_replay_after_a_crash_between_commit_and_removal_duplicates_nothing(tmp_path):
    from lead_store.outbox import Outbox

    engine = create_engine(f"sqlite:///{tmp_path / 'leads.db'}", future=True)
    ensure_schema(engine)
    box = Outbox(tmp_path / "outbox.jsonl")
    box.append(lead("crash-1"))
    saved = box.path.read_bytes()
    box.flush(engine)
    box.path.write_bytes(saved)  # the entry is back, as if the process died before rewriting
    box.flush(engine)
    assert count(engine) == 1 and not box.path.exists()


def test_outbox_keeps_entries_when_the_database_is_down_and_rejects_invalid_ones(tmp_path):
    from lead_store.outbox import Outbox

    down = create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none", future=True)
    box = Outbox(tmp_path / "outbox.jsonl")
    box.append(lead("down-1"))
    result = box.flush(down)
    assert result.remaining == 1 and result.stored == 0 and "unreachable" in result.error
    with box.path.open("a", encoding="utf-8") as fh:
        fh.write("not json\n")
        fh.write(
            json.dumps(
                {
                    "v": 1,
                    "id": "bad",
                    "lead": {**json.loads(box.path.read_text().splitlines()[0])["lead"], "consent_version": "nope"},
                }
            )
            + "\n"
        )
    engine = create_engine(f"sqlite:///{tmp_path / 'leads.db'}", future=True)
    result = box.flush(engine)
    assert (result.stored, result.rejected, result.remaining) == (1, 2, 0)
    assert stat.S_IMODE(box.rejected_path.stat().st_mode) == 0o600
    assert len(box.rejected_path.read_text().splitlines()) == 2


def test_outbox_appends_during_a_flush_are_kept(tmp_path):
    from lead_store import outbox as outbox_mod
    from lead_store.outbox import Outbox

    engine = create_engine(f"sqlite:///{tmp_path / 'leads.db'}", future=True)
    ensure_schema(engine)
    box = Outbox(tmp_path / "outbox.jsonl")
    box.append(lead("first"))
    original = outbox_mod.save_lead

    def slow_save(target, data):
        threading.Thread(target=lambda: Outbox(box.path).append(lead("meanwhile", "0987 111 222"))).start()
        import time

        time.sleep(0.3)
        return original(target, data)

    outbox_mod.save_lead = slow_save
    try:
        box.flush(engine)
    finally:
        outbox_mod.save_lead = original
    assert box.pending() == 1  # the lead queued during the flush is still there
    box.flush(engine)
    assert count(engine) == 2 and box.pending() == 0


# -------------------------------------------------------------------------- log redaction
def test_log_redaction_covers_every_written_form():
    import logging

    from bot import log_privacy

    log_privacy.remember("conv-x", "Trần Thị Bích Hoà")
    for text in (
        "0912 345 678",
        "+84 912 345 678",
        "84912345678",
        "0912.345.678",
        "(024) 3825 1234",
        "０９１２３４５６７８",
    ):
        assert "[phone]" in log_privacy.redact(f"số {text}."), text
    for text in ("0.9912345678", "2026-11-24 22:52:29", "0x7f5504549870", "id 8451234567890123456"):
        assert log_privacy.redact(text) == text, text
    line = json.dumps(
        {"slot_values": "contact_name: Trần Thị Bích Hòa", "text": "TRẦN THỊ BÍCH HOÀ", "folded": "tran thi bich hoa"}
    )
    out = log_privacy.redact(line, conversation="conv-x")
    assert "Tr\\u1ea7n" not in out and "tran" not in out.lower() and out.count("[personal]") == 3
    assert log_privacy.redact(line, conversation="other") == line  # other conversations untouched

    log_privacy.install()
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    logger = logging.getLogger("kc.test.redaction")
    logger.addHandler(Keep())
    logger.propagate = False
    with log_privacy.conversation("conv-x"):
        logger.warning("name %s phone %s", "Trần Thị Bích Hoà", "0912345678")
        try:
            raise ValueError("Trần Thị Bích Hoà 0912345678")
        except ValueError:
            logger.exception("failed")
    assert records and all("Bích" not in r and "912345678" not in r for r in records), records


# ---------------------------------------------------------------------------- rate limiter
def test_rate_limiter_bucket_and_polite_notice_once():
    from bot.channels.ratelimit import RateLimiter

    now = [0.0]
    limiter = RateLimiter(burst=3, per_minute=60, notice_seconds=10, max_senders=2, clock=lambda: now[0])
    assert [limiter.check("a").allowed for _ in range(3)] == [True] * 3
    first, second = limiter.check("a"), limiter.check("a")
    assert not first.allowed and first.notify and 0 < first.retry_after <= 1
    assert not second.allowed and not second.notify  # told once per window
    assert limiter.check("b").allowed  # other senders are not affected
    now[0] += 1.0
    assert limiter.check("a").allowed  # one token back per second
    limiter.check("c")
    assert len(limiter._buckets) == 2  # bounded memory


# -------------------------------------------------------------------------- input guards
def test_json_guard_refuses_deep_nesting_without_recursion_error():
    from bot.channels.guard import parse_json, screen

    assert parse_json(b'{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 20 + b"1" + b"}" * 20, b"\xff\xfe", b"{"):
        with pytest.raises(ValueError):
            parse_json(body)
    for blank in ("\x00", "\u200b\ufeff", "\u0301", "  \n"):
        assert screen(blank) is not None  # nothing the NLU could read: answered by the channel


def test_phone_numbers_are_not_money():
    from vntext.fold import fold
    from vntext.money import find_money

    for phone in ("0912345678", "0912.345.678", "84912345678"):
        assert list(find_money(fold(phone))) == [], phone
    assert [m.value for m in find_money(fold("800000000"))] == [800_000_000]
    assert [m.value for m in find_money(fold("1.200.000.000đ"))] == [1_200_000_000]


@pytest.mark.parametrize(
    "text,stop",
    [
        ("dừng lại", True),
        ("thôi", True),
        ("huy bo", True),
        ("stop", True),
        ("Trần Thị Dung", False),
        ("Nguyen Thi Dung", False),
        ("Nguyễn Quang Huy", False),
        ("Đỗ Văn Thới", False),
    ],
)
def test_names_are_not_taken_for_stop_requests(text, stop):
    from actions.leads import explicit_stop

    assert explicit_stop(text) is stop


def test_a_name_the_leads_store_would_refuse_is_asked_again():
    from rasa_sdk.executor import CollectingDispatcher

    from actions.leads import ValidateLeadForm
    from lead_store.leads import LeadValidationError, validate_lead

    dispatcher = CollectingDispatcher()
    for bad in ("Nguyễn\x01An", "12345"):  # refused by the store: so never accepted by the form
        assert ValidateLeadForm().validate_contact_name(bad, dispatcher, None, {}) == {"contact_name": None}
        with pytest.raises(LeadValidationError):
            validate_lead(lead("x", name=bad))
    assert ValidateLeadForm().validate_contact_name("An\u200bNa", dispatcher, None, {}) == {"contact_name": None}
    assert ValidateLeadForm().validate_contact_name(" Trần  Thị Dung ", dispatcher, None, {}) == {
        "contact_name": "Trần Thị Dung"
    }


@pytest.mark.parametrize(
    "name", ["A", "An\u200bNa", "Nguyễn\x01An", "Nguyễn\x7fAn", "12345", "x" * 121, "Trần Thị Dung", "Lê  Hoa", "Võ"]
)
def test_the_form_and_the_store_check_a_name_the_same_way(name):
    """One check (vntext.names.name_problem): the form accepts exactly what the store stores."""
    from rasa_sdk.executor import CollectingDispatcher

    from actions.leads import ValidateLeadForm
    from lead_store.leads import LeadValidationError, validate_lead

    accepted = ValidateLeadForm().validate_contact_name(name, CollectingDispatcher(), None, {})["contact_name"]
    try:
        stored = validate_lead(lead("x", name=name))["name"]
    except LeadValidationError:
        stored = None
    assert accepted == stored

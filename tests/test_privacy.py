"""The person's data rights in the chat (issue 12, item 6), in process: erasure of this
conversation's leads (SQLite and PostgreSQL), requests about another number (recorded, hashed,
nothing revealed), refusal at any step of the lead form, privacy questions at any step, the
province before any lead, corrections before submission."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

import actions.leads as lead_actions
import actions.privacy as privacy_actions
from actions.leads import (
    NAME_CHANGED,
    PHONE_CHANGED,
    PHONE_INVALID,
    ActionStopFlow,
    ActionSubmitLead,
    ValidateLeadForm,
    asks_privacy,
    refuses,
)
from actions.privacy import (
    CONFIRM_OWN,
    ERASED,
    KEPT,
    NOTHING_STORED,
    REQUEST_RECORDED,
    ActionAnswerPrivacy,
    ActionAskErase,
    ActionEraseCancel,
    ActionEraseData,
)
from lead_store.consent import CONSENT_VERSION, PRIVACY_TEXT, REFUSED_KEPT_TEXT, REFUSED_TEXT
from policy_kb.db import get_engine
from lead_store.erasure import (
    ErasureRequest,
    ensure_erasure_schema,
    erasure_requests,
    mark_erasure_processed,
    matching_leads,
    phone_hash,
    phone_matches,
)
from lead_store.leads import Lead, LeadInput, ensure_schema, erase_handled_leads, mark_contacted, save_lead
from tests.conftest import make_tracker, pg_schema

ROOT_DIALOGUES = __import__("pathlib").Path(__file__).parent / "dialogues" / "privacy.yml"
DOMAIN = {"forms": {"lead_form": {"required_slots": ["consent", "contact_name", "contact_phone"]}}, "slots": {}}
PHONE_A, PHONE_A2, PHONE_B, PHONE_NONE = "0912 345 678", "0868 123 456", "0987 654 321", "0353 456 789"
PERSONAL = ("contact_name", "contact_phone", "consent", "consent_at")


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def postgresql_url():
    with pg_schema("kc_privacy") as (_, url):
        yield url
        get_engine(url).dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, monkeypatch):
    """The database the actions use (and a fresh outbox), emptied before each test."""
    url = (
        f"sqlite:///{tmp_path / 'leads.db'}" if request.param == "sqlite" else request.getfixturevalue("postgresql_url")
    )
    engine = get_engine(url)
    ensure_schema(engine)
    ensure_erasure_schema(engine)
    with engine.begin() as conn:
        conn.execute(Lead.__table__.delete())
        conn.execute(ErasureRequest.__table__.delete())
    for module in (lead_actions, privacy_actions):
        monkeypatch.setattr(module, "get_engine", lambda url_=None: engine)
    monkeypatch.setenv("LEAD_OUTBOX", str(tmp_path / "outbox.jsonl"))
    monkeypatch.setattr(lead_actions, "_outbox", None)
    monkeypatch.setattr(lead_actions, "_flusher", None)
    return engine


def lead(conversation: str, phone: str, channel: str = "rest", name: str = "Nguyễn Thị Hoa") -> LeadInput:
    return LeadInput(
        name=name,
        phone=phone,
        channel=channel,
        conversation_id=conversation,
        consent_version=CONSENT_VERSION,
        consent_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5),
        province="dong_nai",
    )


def leads_of(engine, conversation: str):
    with Session(engine, future=True) as session:
        return list(session.execute(select(Lead).where(Lead.conversation_id == conversation)).scalars())


def tracker(
    text: str = "",
    intent: str | None = None,
    sender: str = "sender-a",
    slots=None,
    loop: str | None = None,
    requested: str | None = None,
    before=None,
    candidates=None,
    entities=None,
) -> Tracker:
    """A tracker as the action server receives it: slot events before the latest message
    (``before``), the message, then the form's slot candidates (``candidates``)."""
    events = [{"event": "slot", "name": k, "value": v} for k, v in (before or {}).items()]
    events += [
        {"event": "action", "name": "action_listen"},
        {
            "event": "user",
            "text": text,
            "input_channel": "rest",
            "parse_data": {"intent": {"name": intent, "confidence": 1.0}, "entities": entities or []},
        },
    ]
    events += [{"event": "slot", "name": k, "value": v} for k, v in (candidates or {}).items()]
    values = {**(before or {}), **(slots or {}), **(candidates or {})}
    if loop:
        values["requested_slot"] = requested
    t = make_tracker(text, intent, entities=entities, slots=values, sender=sender)
    t.events = events
    t.active_loop = {"name": loop} if loop else {}
    return t


def run(action, t: Tracker, domain=None):
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, t, domain if domain is not None else DOMAIN)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return result, [m.get("text") for m in dispatcher.messages], dispatcher.messages


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def erase(sender: str, text: str, intent: str = "erase_data"):
    """The person asks, then presses "Xóa": the confirmation prompt and the final reply."""
    asked, ask_texts, ask_messages = run(ActionAskErase(), tracker(text, intent, sender=sender))
    request = slot_events(asked).get("erase_request")
    done, texts, _ = run(
        ActionEraseData(), tracker("/affirm", "affirm", sender=sender, slots={"erase_request": request})
    )
    return ask_texts, ask_messages, done, texts


# ------------------------------------------------------------------------------ phrase checks


@pytest.mark.parametrize(
    "text",
    [
        "tôi không muốn cho số điện thoại đâu",
        "thôi khỏi, ko để lại số",
        "hổng cho số đâu",
        "không đồng ý",
        "toi khong muon cho so dien thoai dau",
        "thoi khoi ko de lai so",
        "hong cho so dau",
        "em chưa muốn để lại số ạ",
        "đừng lưu số của tôi",
        "hủy thông tin liên hệ của em",
        "tôi rút lại đồng ý",
        "ko cho sdt dau",
    ],
)
def test_refusals_in_any_wording(text):
    assert refuses(text, "ask_privacy" if "muốn cho" in text else None)


@pytest.mark.parametrize(
    "text",
    [
        "Nguyễn Văn An",
        "Khổng Thị Lan",
        "nguyen thi hong",
        "Dũng",
        "Huy",
        "0912345678",
        "đồng ý",
        "có",
        "Bình Phước",
        "không cho ai khác xem chứ?",
        "có bán thông tin không",
    ],
)
def test_names_answers_and_questions_are_not_refusals(text):
    assert not refuses(text, None)


@pytest.mark.parametrize(
    "text",
    [
        "số của tôi dùng để làm gì",
        "ai xem được thông tin của tôi",
        "lưu bao lâu",
        "có bán thông tin không",
        "so cua toi dung de lam gi",
        "ai xem duoc thong tin cua toi",
        "luu bao lau",
        "co ban thong tin khong",
        "thông tin có được bảo mật không",
    ],
)
def test_privacy_questions_are_recognised(text):
    assert asks_privacy(text)


@pytest.mark.parametrize("text", ["Nguyễn Văn An", "0912 345 678", "Bình Phước", "đồng ý", "tôi ở Hà Giang"])
def test_answers_are_not_privacy_questions(text):
    assert not asks_privacy(text)


# -------------------------------------------------------------------------------- erasure


def test_a_sender_erases_its_own_leads_and_only_those(db, caplog):
    a, b = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    save_lead(db, lead(a, PHONE_A))
    save_lead(db, lead(a, PHONE_A2))
    save_lead(db, lead(b, PHONE_B))
    save_lead(db, lead(a, PHONE_B, channel="zalo"))  # the same id on another channel is another person
    caplog.set_level(logging.DEBUG)

    ask_texts, ask_messages, done, texts = erase(a, "xóa thông tin của tôi")
    assert ask_texts == [CONFIRM_OWN]
    assert [b_["title"] for b_ in ask_messages[0]["buttons"]] == ["Xóa", "Không"]
    assert texts == [ERASED.format(n=2)]
    assert texts[0].startswith(
        "Dạ, em đã xóa 2 thông tin liên hệ (tên, số điện thoại) anh/chị để lại trong cuộc trò chuyện này."
    )
    assert all(slot_events(done)[s] is None for s in PERSONAL) and slot_events(done)["erase_request"] is None

    assert [l.channel for l in leads_of(db, a)] == ["zalo"]
    assert [l.phone_e164 for l in leads_of(db, b)] == ["+84987654321"]
    logged = caplog.text
    for secret in ("912345678", "868123456", "987654321", "Nguyễn Thị Hoa", "912 345 678"):
        assert secret not in logged

    # asked again: nothing is stored from this conversation any more, no confirmation needed
    _, texts, _ = run(ActionAskErase(), tracker("xoa thong tin cua toi", "erase_data", sender=a))
    assert texts == [NOTHING_STORED]


def test_nothing_stored_forgets_what_was_typed_and_stops_the_form(db):
    t = tracker(
        "xóa giúp tôi thông tin vừa để lại",
        "erase_data",
        loop="lead_form",
        requested="contact_phone",
        slots={"consent": "yes", "contact_name": "Lê Văn Tám", "province": "ha_noi"},
    )
    events, texts, _ = run(ActionAskErase(), t)
    assert texts[0].startswith(NOTHING_STORED) and "vừa nhập" in texts[0]
    assert ActiveLoop(None) in events
    assert all(slot_events(events)[s] is None for s in PERSONAL)


def test_declining_the_confirmation_erases_nothing(db):
    a = f"a-{uuid.uuid4().hex[:6]}"
    save_lead(db, lead(a, PHONE_A))
    asked, _, _ = run(ActionAskErase(), tracker("tôi muốn rút lại đồng ý", "erase_data", sender=a))
    request = slot_events(asked)["erase_request"]
    events, texts, _ = run(ActionEraseCancel(), tracker("không", "deny", sender=a, slots={"erase_request": request}))
    assert texts == [KEPT] and slot_events(events) == {"erase_request": None}
    assert len(leads_of(db, a)) == 1


def test_another_persons_number_is_never_erased_nor_revealed(db, caplog):
    a, b, c = (f"{p}-{uuid.uuid4().hex[:6]}" for p in "abc")
    b_id, _ = save_lead(db, lead(b, PHONE_B, name="Trần Văn Bình"))
    caplog.set_level(logging.DEBUG)

    ask_texts, _, done, with_lead = erase(a, "xóa số 0987654321 giúp tôi")
    assert "+8498****321" in ask_texts[0]
    assert [l.id for l in leads_of(db, b)] == [b_id]  # nothing removed
    assert with_lead == [REQUEST_RECORDED.format(phone="+8498****321")]
    assert all(slot_events(done)[s] is None for s in PERSONAL)

    # the same request when no lead has that number: the very same reply
    with db.begin() as conn:
        conn.execute(Lead.__table__.delete())
    _, _, _, without_lead = erase(c, "xoa so 0987 654 321")
    assert without_lead == with_lead
    # and for a number nobody ever left, the same wording
    _, _, _, unknown = erase(c, "xóa số 0353 456 789")
    assert unknown == [REQUEST_RECORDED.format(phone="+8435****789")]

    with Session(db, future=True) as session:
        rows = erasure_requests(session)
        assert [(r.conversation_id, r.channel) for r in rows] == [(a, "rest"), (c, "rest"), (c, "rest")]
        for row in rows:
            stored = " ".join(str(getattr(row, col.name)) for col in ErasureRequest.__table__.columns)
            for digits in ("987654321", "0987 654 321", "84987654321", "353456789", "****"):
                assert digits not in stored
        assert phone_matches(rows[0].phone_hash, PHONE_B) and phone_matches(rows[0].phone_hash, "+84987654321")
        assert not phone_matches(rows[0].phone_hash, PHONE_A)
        assert rows[0].phone_hash != rows[1].phone_hash  # salted: equal numbers do not look equal
    for secret in ("987654321", "987 654 321", "Trần Văn Bình"):
        assert secret not in caplog.text


def test_officers_find_the_leads_a_request_names(db):
    b = f"b-{uuid.uuid4().hex[:6]}"
    b_id, _ = save_lead(db, lead(b, PHONE_B))
    save_lead(db, lead(b, PHONE_A))
    erase("a-x", "xóa số 0987 654 321")
    with Session(db, future=True) as session:
        request = erasure_requests(session)[0]
        assert [l.id for l in matching_leads(session, request)] == [b_id]
    mark_erasure_processed(db, request.id, by="Cán bộ Lan", erased=1)
    with Session(db, future=True) as session:
        assert erasure_requests(session) == []
        assert erasure_requests(session, pending_only=False)[0].processed_by == "Cán bộ Lan"


def test_a_number_of_this_conversation_is_erased_at_once(db):
    a = f"a-{uuid.uuid4().hex[:6]}"
    save_lead(db, lead(a, PHONE_A))
    save_lead(db, lead(a, PHONE_A2))
    _, _, _, texts = erase(a, "xóa số 0912.345.678")
    assert texts == [ERASED.format(n=1)]
    assert [l.phone_e164 for l in leads_of(db, a)] == ["+84868123456"]
    with Session(db, future=True) as session:
        assert erasure_requests(session) == []


def test_retention_erases_handled_leads(db):
    a = f"a-{uuid.uuid4().hex[:6]}"
    handled, _ = save_lead(db, lead(a, PHONE_A))
    waiting, _ = save_lead(db, lead(a, PHONE_A2))
    mark_contacted(db, [handled], by="Cán bộ Lan", at=dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc))
    assert erase_handled_leads(db, dt.date(2026, 1, 1)) == 0
    assert erase_handled_leads(db, dt.date(2026, 2, 1)) == 1
    assert [l.id for l in leads_of(db, a)] == [waiting]


def test_phone_hash_is_salted_and_verifiable():
    one, two = phone_hash(PHONE_A), phone_hash("+84912345678")
    assert one != two and "912345678" not in one
    assert phone_matches(one, "0912.345.678") and phone_matches(two, PHONE_A)
    assert not phone_matches(one, PHONE_B) and not phone_matches("garbage", PHONE_A)


# ------------------------------------------------------------------------------ the lead form


def validate(t: Tracker):
    events, texts, _ = run(ValidateLeadForm(), t)
    return slot_events(events), texts


@pytest.mark.parametrize(
    "text, intent",
    [
        ("tôi không muốn cho số điện thoại đâu", "ask_privacy"),  # what the classifier called it
        ("thôi khỏi, ko để lại số", "deny"),
        ("hổng cho số đâu", "inform"),
        ("khong dong y dau", "nlu_fallback"),
    ],
)
def test_refusal_at_the_consent_step_ends_the_form(db, text, intent):
    slots, texts = validate(tracker(text, intent, loop="lead_form", requested="consent"))
    assert slots == {"consent": "no", "requested_slot": None} and texts == []
    events, texts, messages = run(ActionSubmitLead(), tracker(text, intent, slots={"consent": "no"}))
    assert texts == [REFUSED_TEXT] and messages[0]["buttons"]  # the main menu
    assert all(slot_events(events)[s] is None for s in PERSONAL)


@pytest.mark.parametrize(
    "text, intent",
    [
        ("tôi không muốn cho số điện thoại đâu", "ask_privacy"),
        ("thôi khỏi, ko để lại số", "deny"),
        ("hổng cho số đâu", "deny"),
        ("không", "deny"),
    ],
)
def test_refusal_at_the_phone_step_ends_the_form_and_forgets(db, text, intent):
    before = {
        "consent": "yes",
        "consent_at": "2026-01-01T00:00:00+00:00",
        "province": "dong_nai",
        "contact_name": "Nguyễn Thị Mai",
    }
    candidates = {} if intent in ("ask_privacy",) else {"contact_phone": text}  # the domain's from_text mapping
    slots, texts = validate(
        tracker(text, intent, loop="lead_form", requested="contact_phone", before=before, candidates=candidates)
    )
    assert slots["consent"] == "no" and slots["requested_slot"] is None
    assert slots.get("contact_phone") is None and PHONE_INVALID not in texts
    events, texts, _ = run(ActionSubmitLead(), tracker(text, intent, slots={**before, **slots}))
    assert texts == [REFUSED_TEXT]
    assert all(slot_events(events)[s] is None for s in PERSONAL)
    assert leads_of(db, "sender-a") == []


def test_refusal_after_an_earlier_lead_says_that_one_is_kept(db):
    save_lead(db, lead("sender-a", PHONE_A))
    _, texts, _ = run(ActionSubmitLead(), tracker("hổng cho số đâu", "deny", slots={"consent": "no"}))
    assert texts == [REFUSED_KEPT_TEXT]


def test_stopping_the_lead_form_is_a_refusal(db):
    t = tracker("dừng lại", "stop", loop="lead_form", requested="contact_name", slots={"consent": "yes"})
    events, texts, _ = run(ActionStopFlow(), t)
    assert texts == [REFUSED_TEXT] and ActiveLoop(None) in events
    assert all(slot_events(events)[s] is None for s in PERSONAL)


@pytest.mark.parametrize(
    "text, intent",
    [
        ("số của tôi dùng để làm gì", "ask_help"),
        ("so cua toi dung de lam gi", "nlu_fallback"),
        ("lưu bao lâu vậy", "inform"),
    ],
)
def test_privacy_question_at_the_phone_step_gets_the_privacy_answer(text, intent):
    t = tracker(
        text,
        intent,
        loop="lead_form",
        requested="contact_phone",
        candidates={"contact_phone": text},
        before={"consent": "yes", "province": "ha_noi", "contact_name": "Phạm Văn Đức"},
    )
    dispatcher = CollectingDispatcher()
    assert ValidateLeadForm().validate_contact_phone(text, dispatcher, t, DOMAIN) == {"contact_phone": None}
    assert [m["text"] for m in dispatcher.messages] == [PRIVACY_TEXT]
    slots, texts = validate(t)  # the whole validation: answered once, the phone asked again
    assert texts == [PRIVACY_TEXT] and slots == {"contact_phone": None, "requested_slot": "contact_phone"}


def test_privacy_intent_at_a_form_step_is_left_to_its_rule():
    # ask_privacy is in the mapping's not_intent: no candidate; nothing validated → the form rejects
    # the message, the rule answers it (action_answer_privacy), the form resumes
    for requested in ("consent", "province", "contact_name", "contact_phone"):
        slots, texts = validate(
            tracker(
                "ai xem được thông tin của tôi",
                "ask_privacy",
                loop="lead_form",
                requested=requested,
                before={"consent": "yes"} if requested != "consent" else {},
            )
        )
        assert set(slots) == {"requested_slot"} and texts == []
    _, texts, messages = run(ActionAnswerPrivacy(), tracker("ai xem được thông tin của tôi", "ask_privacy"))
    assert texts == [PRIVACY_TEXT] and messages[0]["buttons"]
    for phrase in (
        "họ tên, số điện thoại",
        "Trung tâm Khuyến công tỉnh",
        "Lưu bao lâu",
        "xóa thông tin của tôi",
        "không bán",
        "Nghị định 13/2023/NĐ-CP",
    ):
        assert phrase in PRIVACY_TEXT


def test_privacy_question_classified_as_agreement_is_not_consent():
    t = tracker(
        "có bán thông tin không", "affirm", loop="lead_form", requested="consent", candidates={"consent": "yes"}
    )
    slots, texts = validate(t)
    assert slots["consent"] is None and texts == [PRIVACY_TEXT] and slots["requested_slot"] == "consent"


def test_the_province_is_asked_last_when_missing():
    # after "đồng ý" the name comes first, as the consent text announces; the province before the lead
    slots, _ = validate(
        tracker(
            "đồng ý",
            "affirm",
            loop="lead_form",
            requested="consent",
            before={"province": None},
            candidates={"consent": "yes"},
        )
    )
    assert slots["consent"] == "yes" and slots["consent_at"] and slots["requested_slot"] == "contact_name"
    for province in (None, "unknown"):
        slots, _ = validate(
            tracker(
                "0912 345 678",
                "inform",
                loop="lead_form",
                requested="contact_phone",
                before={"consent": "yes", "contact_name": "Lê Văn Tám", "province": province},
                candidates={"contact_phone": "0912 345 678"},
            )
        )
        assert slots["contact_phone"] == "+84912345678" and slots["requested_slot"] == "province"
    slots, _ = validate(
        tracker(
            "0912 345 678",
            "inform",
            loop="lead_form",
            requested="contact_phone",
            before={"consent": "yes", "contact_name": "Lê Văn Tám", "province": "dong_nai"},
            candidates={"contact_phone": "0912 345 678"},
        )
    )
    assert slots["requested_slot"] is None


def test_the_province_answer_is_a_known_key():
    before = {
        "consent": "yes",
        "consent_at": "2026-01-01T00:00:00+00:00",
        "contact_name": "Lê Văn Tám",
        "contact_phone": "+84912345678",
    }
    # read by action_read_message: an already canonical key is accepted, and the form is done
    slots, texts = validate(
        tracker(
            "Bình Phước",
            "inform",
            loop="lead_form",
            requested="province",
            before=before,
            candidates={"province": "dong_nai"},
        )
    )
    assert slots["province"] == "dong_nai" and slots["requested_slot"] is None and texts == []
    slots, texts = validate(tracker("ở quê em", "inform", loop="lead_form", requested="province", before=before))
    assert slots == {"province": None, "requested_slot": "province"} and "chưa nhận ra tên tỉnh" in texts[0]


def test_no_lead_is_submitted_without_a_province(db, monkeypatch):
    monkeypatch.setattr(lead_actions, "store_lead", lambda lead: pytest.fail("stored without a province"))
    slots = {
        "consent": "yes",
        "consent_at": "2026-01-01T00:00:00+00:00",
        "contact_name": "Nguyễn Văn An",
        "contact_phone": "+84912345678",
    }
    for province in (None, "unknown", "atlantis"):
        events, texts, _ = run(
            ActionSubmitLead(), tracker("0912345678", "inform", slots={**slots, "province": province})
        )
        assert FollowupAction("lead_form") in events and SlotSet("province", None) in events
    assert leads_of(db, "sender-a") == []


def test_a_lead_with_its_province_is_submitted(db):
    slots = {
        "consent": "yes",
        "consent_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "province": "dong_nai",
        "contact_name": "Nguyễn Văn An",
        "contact_phone": "+84912345678",
    }
    _, texts, _ = run(ActionSubmitLead(), tracker("0912345678", "inform", slots=slots))
    assert "Trung tâm Khuyến công Đồng Nai" in texts[0]
    assert [l.province for l in leads_of(db, "sender-a")] == ["dong_nai"]


def test_the_phone_can_be_corrected_before_submission():
    before = {"consent": "yes", "province": "tuyen_quang", "contact_phone": "+84912345678"}
    text = "à nhầm, số đúng là 0987 654 321"
    slots, texts = validate(
        tracker(
            text, "inform", loop="lead_form", requested="contact_name", before=before, candidates={"contact_name": text}
        )
    )
    assert slots["contact_phone"] == "+84987654321" and slots["contact_name"] is None
    assert texts == [PHONE_CHANGED.format(phone="+8498****321")] and slots["requested_slot"] == "contact_name"
    text = "sửa lại số điện thoại thành 0987 654 321"
    slots, texts = validate(
        tracker(
            text, "inform", loop="lead_form", requested="contact_name", before=before, candidates={"contact_name": text}
        )
    )
    assert slots["contact_phone"] == "+84987654321" and texts == [PHONE_CHANGED.format(phone="+8498****321")]


def test_the_name_can_be_corrected_at_the_phone_step():
    before = {"consent": "yes", "province": "ha_noi", "contact_name": "Nguyễn Văn An"}
    text = "sửa tên thành Trần Văn Bình"
    slots, texts = validate(
        tracker(
            text,
            "inform",
            loop="lead_form",
            requested="contact_phone",
            before=before,
            candidates={"contact_phone": text},
        )
    )
    assert slots["contact_name"] == "Trần Văn Bình" and slots["contact_phone"] is None
    assert texts == [NAME_CHANGED.format(name="Trần Văn Bình")] and slots["requested_slot"] == "contact_phone"
    assert PHONE_INVALID not in texts


def test_consent_with_the_number_in_one_message():
    text = "đồng ý, số em 0912 345 678"
    slots, _ = validate(tracker(text, "leave_contact", loop="lead_form", requested="consent"))
    assert slots["consent"] == "yes" and slots["contact_phone"] == "+84912345678"
    assert slots["requested_slot"] == "contact_name"  # the number is not asked again


# ---------------------------------------------------------------------------------- dialogues


def test_privacy_dialogues_are_well_formed():
    dialogues = yaml.safe_load(ROOT_DIALOGUES.read_text("utf-8"))["dialogues"]
    assert len(dialogues) >= 6
    for d in dialogues:
        assert d["name"] and d["turns"] and all("user" in t for t in d["turns"])

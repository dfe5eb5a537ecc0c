"""Answers about *this* establishment, outside the guided flows.

People rarely start with "kiểm tra điều kiện": they write "htx em làm nước mắm ở Bình Định có được
hỗ trợ không" or, after an answer on machinery, "chi phí máy khoảng 500tr". Such messages carry
entities (business type, industry, province, commune; an activity and a cost). This module answers
with what those entities decide, from the same rules and knowledge base as the flows, and offers the
flow for the rest:

* ``quick_check``: the rules that what was said already decides (✓/✗ with sources), how many
  questions remain, a button to finish the check (the form then asks only those);
* the statement routes of actions/routes.py (a statement outside a flow, ``action_answer_inform``):
  cost + activity → the estimate; activity → its support level; establishment details → the
  quick check; a cost alone → the estimate form (which then asks only for the activity).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.eligibility import give_verdict, profile_of
from actions.listen import PROFILE_SLOTS, changed_this_turn
from actions.verdict_text import OUTCOME_MARK, PRE_CHECK, place_text, verdict_text
from actions.render import button, sources_line
from actions.slots import latest_entity
from bot.menu import menu_button
from vntext.statements import Context, read
from vntext.normalize import strip_diacritics
from vntext.trade import only_trades
from policy_kb.eligibility import Profile, assess
from policy_kb.provinces import old_name_used

#: after an estimate: what people do next
ESTIMATE_NEXT = [button("Để lại liên hệ", "leave_contact"), menu_button("check_eligibility"), menu_button("procedure")]

#: entities that describe the establishment (the eligibility form's slots of the same names)
PROFILE_ENTITIES = ("business_type", "industry", "province", "unit_type")


def names_establishment(tracker: Tracker) -> bool:
    """Does the latest message say something about the establishment or where it is?"""
    return any(latest_entity(tracker, name) for name in PROFILE_ENTITIES)


def describes_establishment(tracker: Tracker) -> bool:
    """Does the latest message say what the establishment is, makes, or exactly where it is ("htx",
    "làm bánh tráng", "ở phường … Hà Nội")? A province alone ("ở Hà Nội ai được hỗ trợ") is a
    general question about that place."""
    return any(latest_entity(tracker, name) for name in ("business_type", "industry", "unit_type"))


# "… bao nhiêu", "mấy phần trăm", "mức hỗ trợ": a question about an amount
_AMOUNT_WORDS = re.compile(r"\b(?:bao nhieu|bn|bnhieu|may phan tram|muc ho tro|duoc may)\b")


#: ``asks_amount`` reads the cost itself unless the caller has read it
_UNREAD = object()


def asks_amount(tracker: Tracker, said=_UNREAD) -> bool:
    """Does the latest message ask how much an activity it names gets ("… mua máy sấy 800 triệu
    thì được hỗ trợ bao nhiêu?")? Long messages full of details are often classed as a question
    about beneficiaries or local levels; the amount is what the person wants first."""
    if not latest_entity(tracker, "activity"):
        return False
    text = strip_diacritics(tracker.latest_message.get("text") or "")
    said = cost_said(tracker) if said is _UNREAD else said
    return said is not None or bool(_AMOUNT_WORDS.search(text))


def cost_said(tracker: Tracker) -> Optional[int]:
    """The cost this message says, read by role (vntext.statements): "máy sấy 800 triệu" is a
    cost; "doanh thu 15 tỷ", "vốn 2 tỷ" are not."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    reading = read(
        tracker.latest_message.get("text") or "", tracker.latest_message.get("entities") or [], Context(intent=intent)
    )
    value = reading.values.get("money")
    return int(value) if isinstance(value, (int, float)) else None


def said_now(tracker: Tracker) -> Profile:
    """The establishment as *this message* describes it, read the way every message is read
    (negation, scope: vntext.statements). Earlier answers are not mixed in: a person who first
    asked "doanh nghiệp lớn có được không" and then "khai thác cát thì sao" asks about sand
    mining, not about a large sand-mining enterprise. (The form, when the person goes on to it,
    does reuse everything said in the conversation, and shows it.)"""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    reading = read(
        tracker.latest_message.get("text") or "", tracker.latest_message.get("entities") or [], Context(intent=intent)
    )
    values = dict(reading.values)
    if only_trades(tracker.latest_message.get("text") or ""):
        # "thu mua rồi bán lại", "đại lý phân phối nước mắm": trade, whatever product it names
        values["industry"] = "trade_services"
    province = values.get("province") or ""
    return profile_of(values.get, old_name_used(reading.old_province_name, province))


def quick_check(
    dispatcher: CollectingDispatcher, tracker: Tracker, general: Optional[Dict[str, str]] = None
) -> List[Dict[Text, Any]]:
    """``general``: the button to the general answer (the topic the person asked about; by
    default the industries')."""
    general = dict(general or button("Ngành nghề được hỗ trợ", "ask_industries"))
    profile = said_now(tracker)
    # kept so the form and later answers still say "Bình Phước (nay thuộc Tỉnh Đồng Nai)"
    remembered = [SlotSet("old_province", profile.old_province_name)] if profile.old_province_name else []
    verdict = assess(profile)
    if verdict.verdict != "unknown":
        # decided by what was said (e.g. a shop: trade is not industrial production)
        buttons = (
            [button("Ước tính mức hỗ trợ", "estimate_support"), button("Để lại liên hệ", "leave_contact")]
            if verdict.verdict == "eligible"
            else [general, button("Hỏi đáp khác", "ask_help")]
        )
        dispatcher.utter_message(text=verdict_text(profile, verdict), buttons=buttons)
        return remembered  # not the "verdict" slot: that is the full check's, stored with a lead
    # what was said, judged: decided rules, and open ones about something said ("khai thác cát":
    # "? only in disadvantaged areas"), not the generic "cần biết loại hình …" of what was not said
    # (a rule's `about`: the profile fields its check judges, policy_kb/data/eligibility.yml)
    decided = [r for r in verdict.reasons if r.outcome != "unknown" or any(getattr(profile, name) for name in r.about)]
    lines = ["Dạ, theo những gì anh/chị nêu:" if decided else "Dạ, em đã ghi nhận."]
    place = place_text(profile)
    if place:
        lines.append(f"Địa bàn: {place}.")
    lines += [f"{OUTCOME_MARK[r.outcome]} {r.text}" for r in decided]
    lines.append(f"Để kiểm tra sơ bộ cơ sở có thuộc đối tượng không, em cần hỏi thêm {len(verdict.missing)} câu ạ.")
    lines.append(PRE_CHECK)
    if decided:
        lines.append(sources_line(decided))
    dispatcher.utter_message(
        text="\n".join(lines),
        buttons=[button("Kiểm tra tiếp", "check_eligibility"), general, menu_button("support_level")],
    )
    return remembered


def verdict_again(dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[List[Dict[Text, Any]]]:
    """After a verdict, a correction of what it rested on gives the verdict again (None: nothing
    it depends on changed in this message)."""
    if tracker.get_slot("verdict") and any(s in PROFILE_SLOTS for s in changed_this_turn(tracker)):
        return give_verdict(dispatcher, tracker)
    return None

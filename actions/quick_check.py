"""Answers about *this* establishment, outside the guided flows.

People rarely start with "kiểm tra điều kiện": they write "htx em làm nước mắm ở Bình Định có được
hỗ trợ không" or, after an answer on machinery, "chi phí máy khoảng 500tr". Such messages carry
entities (business type, industry, province, commune; an activity and a cost). This module answers
with what those entities decide, from the same rules and knowledge base as the flows, and offers the
flow for the rest:

* ``quick_check``: the rules that what was said already decides (✓/✗ with sources), how many
  questions remain, a button to finish the check (the form then asks only those);
* ``ActionAnswerInform`` (a statement outside a flow): cost + activity → the estimate; activity →
  its support level; establishment details → the quick check; a cost alone → the estimate form
  (which then asks only for the activity).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.eligibility import OUTCOME_MARK, PRE_CHECK, place_text, profile_from, verdict_text
from actions.estimate import ActionEstimateSupport
from actions.render import button, sources_line
from actions.slots import latest_entity, named_province
from actions.support_levels import AMBIGUOUS, ActionAnswerSupportLevel
from policy_kb.eligibility import assess

#: entities that describe the establishment (the eligibility form's slots of the same names)
PROFILE_ENTITIES = ("business_type", "industry", "province", "unit_type")


def names_establishment(tracker: Tracker) -> bool:
    """Does the latest message say something about the establishment or where it is?"""
    return any(latest_entity(tracker, name) for name in PROFILE_ENTITIES)


def describes_establishment(tracker: Tracker) -> bool:
    """Does the latest message say what the establishment is or makes ("htx", "làm bánh tráng")?
    A place alone ("ở Hà Nội ai được hỗ trợ") is a general question about that place."""
    return any(latest_entity(tracker, name) for name in ("business_type", "industry"))


def quick_check(dispatcher: CollectingDispatcher, tracker: Tracker,
                general: Tuple[str, str] = ("Ngành nghề được hỗ trợ", "ask_industries")) -> List[Dict[Text, Any]]:
    """``general``: the button to the general answer (the topic the person asked about)."""
    profile = profile_from(tracker)
    named = named_province(tracker)
    remembered: List[Dict[Text, Any]] = []
    if named and named.old_name and profile.province == named.unit.key:
        # kept so the form and later answers still say "Bình Phước (nay thuộc Tỉnh Đồng Nai)"
        profile = dataclasses.replace(profile, old_province_name=named.old_name)
        remembered.append(SlotSet("old_province", named.old_name))
    verdict = assess(profile)
    if verdict.verdict != "unknown":
        # decided by what was said (e.g. a shop: trade is not industrial production)
        buttons = ([button("Ước tính mức hỗ trợ", "estimate_support"), button("Để lại liên hệ", "leave_contact")]
                   if verdict.verdict == "eligible" else
                   [button(*general), button("Hỏi đáp khác", "ask_help")])
        dispatcher.utter_message(text=verdict_text(profile, verdict), buttons=buttons)
        return remembered + [SlotSet("verdict", verdict.verdict)]
    decided = [r for r in verdict.reasons if r.outcome != "unknown"]
    lines = ["Dạ, theo những gì anh/chị nêu:" if decided else "Dạ, em đã ghi nhận."]
    place = place_text(profile)
    if place:
        lines.append(f"Địa bàn: {place}.")
    lines += [f"{OUTCOME_MARK[r.outcome]} {r.text}" for r in decided]
    lines.append(f"Để kiểm tra sơ bộ cơ sở có thuộc đối tượng không, em cần hỏi thêm {len(verdict.missing)} câu ạ.")
    lines.append(PRE_CHECK)
    if decided:
        lines.append(sources_line(decided))
    dispatcher.utter_message(text="\n".join(lines), buttons=[
        button("Kiểm tra tiếp", "check_eligibility"), button(*general), button("Mức hỗ trợ", "ask_support_level")])
    return remembered


class ActionAnswerInform(Action):
    """A statement outside a flow ("chi phí máy khoảng 500tr", "htx em làm nước mắm")."""

    def name(self) -> Text:
        return "action_answer_inform"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict) -> List[Dict]:
        cost = latest_entity(tracker, "money")
        activity = self._activity(tracker)
        if cost and activity and activity not in AMBIGUOUS:
            return ActionEstimateSupport().run(dispatcher, tracker, domain)
        if latest_entity(tracker, "activity"):
            return ActionAnswerSupportLevel().run(dispatcher, tracker, domain)
        if names_establishment(tracker):
            return quick_check(dispatcher, tracker)
        if cost:
            # the cost is already in the money slot: the estimate form asks only for the activity
            return [FollowupAction("estimate_form")]
        dispatcher.utter_message(response="utter_help")
        return []

    @staticmethod
    def _activity(tracker: Tracker) -> Optional[str]:
        ent = latest_entity(tracker, "activity")
        return (ent or {}).get("value") or tracker.get_slot("activity")

"""The wording of a pre-eligibility verdict: headline, reasons with their marks, priorities,
caveats and sources. The decision itself is policy_kb.eligibility's; this module only words it,
and a verdict is never worded more strongly than the status of the rules it rests on:

* a verdict that rests on an UNVERIFIED reading (``Verdict.rests_on_unverified``) gets its own
  headline, which says so and whom to ask, never the headline of a verdict on verified text;
* UNVERIFIED priorities are not listed under "Thuộc diện ưu tiên", only as a hedged note;
* HISTORICAL rules of the current rule set are shown as earlier rules, naming their document;
  a verdict under the earlier rule set says so in its first line.
"""

from __future__ import annotations

from typing import List, Optional

from actions.answer_text import short_doc
from actions.render import sources_line
from actions.slots import NamedProvince
from policy_kb.eligibility import Profile, Reason
from policy_kb.provinces import Province, load_provinces, province_of_old_name

VERDICT_HEAD = {
    "eligible": "Dạ, theo thông tin anh/chị cung cấp, cơ sở có vẻ THUỘC đối tượng được hỗ trợ khuyến công.",
    "not_eligible": "Dạ, theo thông tin anh/chị cung cấp, cơ sở có vẻ CHƯA thuộc đối tượng được hỗ trợ khuyến công.",
    "unknown": "Dạ, với thông tin hiện có em chưa kết luận được cơ sở có thuộc đối tượng hay không.",
}
#: the verdict rests on an UNVERIFIED reading: {basis} names what kind, {centre} whom to ask
HEDGED_HEAD = {
    "eligible": "Dạ, theo {basis} chưa được xác minh, cơ sở có thể THUỘC đối tượng được hỗ trợ khuyến công; "
    "anh/chị nên hỏi {centre} để được xác nhận.",
    "not_eligible": "Dạ, theo {basis} chưa được xác minh, cơ sở có thể CHƯA thuộc đối tượng được hỗ trợ khuyến "
    "công; anh/chị nên hỏi {centre} để được xác nhận.",
    "unknown": "Dạ, với thông tin hiện có em chưa kết luận được cơ sở có thuộc đối tượng hay không; điểm còn mở "
    "dựa trên {basis} chưa được xác minh, anh/chị nên hỏi {centre}.",
}
OUTCOME_MARK = {"pass": "✓", "fail": "✗", "unknown": "?"}
PRE_CHECK = (
    "Đây chỉ là kiểm tra sơ bộ, không phải quyết định: Trung tâm Khuyến công / Sở Công Thương "
    "tỉnh sẽ xem xét hồ sơ và quyết định."
)
#: words that mark a text as not verified (the data's own wording; checked by the tests)
HEDGES = ("chưa được xác minh", "chưa xác minh", "chưa đối chiếu")


def place_text(profile: Profile) -> str:
    unit = load_provinces().get(profile.province or "")
    return NamedProvince(unit, profile.old_province_name).place if unit else ""


def _province(profile: Profile) -> Optional[Province]:
    unit = load_provinces().get(profile.province or "")
    if unit is None and profile.old_province_name:
        unit = province_of_old_name(profile.old_province_name)
    return unit


def _centre(profile: Profile) -> str:
    unit = _province(profile)
    return f"Trung tâm Khuyến công {unit.short_name}" if unit else "Trung tâm Khuyến công tỉnh"


def _basis(reasons: List[Reason]) -> str:
    """'cách hiểu văn bản' for a reading of the text, else 'nội dung văn bản' (e.g. thresholds
    quoted from secondary sources, the text itself not read)."""
    readings = [r for r in reasons if "interpretation" in (r.status_detail or "")]
    return "cách hiểu văn bản" if readings else "nội dung văn bản"


def headline(profile: Profile, verdict) -> str:
    if verdict.rests_on_unverified:
        head = HEDGED_HEAD[verdict.verdict].format(basis=_basis(verdict.unverified_basis), centre=_centre(profile))
    else:
        head = VERDICT_HEAD[verdict.verdict]
    if verdict.rule_set_status == "HISTORICAL":
        # the whole verdict is the earlier rule's: "Dạ, em xét theo quy định trước đây: NĐ 45/2012 …"
        label = verdict.rule_set_label or "Quy định trước đây"
        rest = head[len("Dạ, ") :] if head.startswith("Dạ, ") else head
        head = f"Dạ, em xét theo {label[:1].lower()}{label[1:]}.\n{rest[:1].upper()}{rest[1:]}"
    return head


def hedged(reason: Reason) -> str:
    """A reason's text, never stronger than its status (the data words it so; this is the guard)."""
    text = reason.text
    if reason.status == "UNVERIFIED" and not any(h in text.lower() for h in HEDGES):
        text = f"{text.rstrip('.')} (chưa được xác minh)."
    return text


def _earlier(reason: Reason, verdict) -> str:
    """A HISTORICAL reason of the current rule set, framed as the earlier rule of its document."""
    text = hedged(reason)
    if reason.status == "HISTORICAL" and verdict.rule_set_status != "HISTORICAL" and "trước đây" not in text:
        text = f"Theo {short_doc(reason.document)} trước đây: {text[:1].lower()}{text[1:]}"
    return text


def verdict_text(profile: Profile, verdict) -> str:
    lines = [headline(profile, verdict)]
    place = place_text(profile)
    if place:
        lines.append(f"Địa bàn: {place}.")
    lines += [f"{OUTCOME_MARK.get(r.outcome, '•')} {_earlier(r, verdict)}" for r in verdict.reasons]
    stated = verdict.stated_priorities
    if stated:
        lines.append("Thuộc diện ưu tiên:")
        lines += [f"• {_earlier(p, verdict)}" for p in stated]
    notes = list(verdict.caveats) + verdict.unverified_priorities
    if notes:
        lines.append("Lưu ý:")
        lines += [f"• {_earlier(n, verdict)}" for n in notes]
    lines.append(PRE_CHECK)
    cited = [r for r in verdict.reasons + stated + notes if r.document and r.article]
    if cited:
        lines.append(sources_line(cited))
    return "\n".join(lines)

"""The wording of a pre-eligibility verdict: headline, reasons with their marks, priorities,
caveats and sources. The decision itself is policy_kb.eligibility's; this module only words it,
and a verdict is never worded more strongly than the status of the rules it rests on."""
from __future__ import annotations

from actions.render import sources_line
from actions.slots import NamedProvince
from policy_kb.eligibility import Profile
from policy_kb.provinces import load_provinces

VERDICT_HEAD = {
    "eligible": "Dạ, theo thông tin anh/chị cung cấp, cơ sở có vẻ THUỘC đối tượng được hỗ trợ khuyến công.",
    "not_eligible": "Dạ, theo thông tin anh/chị cung cấp, cơ sở có vẻ CHƯA thuộc đối tượng được hỗ trợ khuyến công.",
    "unknown": "Dạ, với thông tin hiện có em chưa kết luận được cơ sở có thuộc đối tượng hay không.",
}
OUTCOME_MARK = {"pass": "✓", "fail": "✗", "unknown": "?"}
PRE_CHECK = ("Đây chỉ là kiểm tra sơ bộ, không phải quyết định: Trung tâm Khuyến công / Sở Công Thương "
             "tỉnh sẽ xem xét hồ sơ và quyết định.")


def place_text(profile: Profile) -> str:
    unit = load_provinces().get(profile.province or "")
    return NamedProvince(unit, profile.old_province_name).place if unit else ""


def verdict_text(profile: Profile, verdict) -> str:
    lines = [VERDICT_HEAD[verdict.verdict]]
    place = place_text(profile)
    if place:
        lines.append(f"Địa bàn: {place}.")
    lines += [f"{OUTCOME_MARK.get(r.outcome, '•')} {r.text}" for r in verdict.reasons]
    if verdict.priorities:
        lines.append("Thuộc diện ưu tiên:")
        lines += [f"• {p.text}" for p in verdict.priorities]
    lines.append(PRE_CHECK)
    cited = [r for r in verdict.reasons + verdict.priorities if r.document and r.article]
    if cited:
        lines.append(sources_line(cited))
    return "\n".join(lines)

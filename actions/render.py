"""Vietnamese copy for knowledge answers: short, polite, every fact with its legal basis.

Status rules (from ../shared/policy-reference.md): VERIFIED facts are stated; HISTORICAL ones
only under "Theo quy định trước đây"; UNVERIFIED ones only as a caveat, never as a fact.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional

from policy_kb.provinces import Province
from policy_kb.queries import FactView, LevelView, TopicAnswer

NEXT_STEP = ("Anh/chị nên liên hệ Trung tâm Khuyến công hoặc Sở Công Thương tỉnh nơi cơ sở "
             "sản xuất để được hướng dẫn cụ thể.")
#: when no current figure is given, "this is the maximum" would point at nothing
LOCAL_RULE = "Mỗi tỉnh tự quy định mức chi từ kinh phí khuyến công địa phương."
KB_DOWN = ("Dạ, hệ thống tra cứu đang tạm gián đoạn nên em chưa trả lời chính xác được. "
           "Anh/chị vui lòng thử lại sau ít phút ạ.")


def next_step(unit: Optional[Province] = None) -> str:
    """Whom to ask: the named province's centre when the person said where they are."""
    if unit is None:
        return NEXT_STEP
    return (f"Anh/chị nên liên hệ Trung tâm Khuyến công hoặc Sở Công Thương {unit.short_name} "
            f"để được hướng dẫn cụ thể.")


def province_note(unit: Province, place: str) -> str:
    """The first line of an answer about a named province (local levels, procedure, dossier,
    agencies). The knowledge base has no province's own levels or calendar, so this is advice on
    whom to ask, not a fact; the topic's facts below carry the sources."""
    kind = "thành phố" if unit.centrally_run else "tỉnh"
    return (f"Dạ, với cơ sở ở {place}, anh/chị hỏi Trung tâm Khuyến công hoặc Sở Công Thương "
            f"{unit.short_name} về mức hỗ trợ của {kind}, hồ sơ và lịch đăng ký năm nay ạ.")


def payload(intent: str, **entities: str) -> str:
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def button(title: str, intent: str, **entities: str) -> Dict[str, str]:
    return {"title": title, "payload": payload(intent, **entities)}


MAIN_MENU = [
    button("Ai được hỗ trợ?", "ask_beneficiaries"),
    button("Mức hỗ trợ", "ask_support_level"),
    button("Ngành nghề", "ask_industries"),
    button("Thủ tục, hồ sơ", "ask_procedure"),
]


def fmt_date(d: Optional[dt.date]) -> str:
    return d.strftime("%d/%m/%Y") if d else "?"


def fmt_vnd(amount: float) -> str:
    """1_500_000_000 → '1,5 tỷ đồng'; 300_000_000 → '300 triệu đồng' (Vietnamese decimals)."""
    amount = int(round(amount))
    if amount >= 1_000_000_000 and amount % 100_000_000 == 0:
        return f"{amount / 1_000_000_000:g}".replace(".", ",") + " tỷ đồng"
    if amount >= 1_000_000 and amount % 100_000 == 0:
        millions = amount / 1_000_000
        return (f"{millions:,.1f}".rstrip("0").rstrip(".").replace(",", "X").replace(".", ",")
                .replace("X", ".") + " triệu đồng")
    return f"{amount:,}".replace(",", ".") + " đồng"


def sources_line(items: Iterable) -> str:
    """'📄 Căn cứ: Nghị định 45/2012/NĐ-CP (Điều 3 khoản 1; Điều 3 khoản 2); …' grouped by document."""
    grouped: "OrderedDict[str, List[str]]" = OrderedDict()
    for it in items:
        arts = grouped.setdefault(it.document, [])
        # the knowledge data says "chưa xác định" where the article has not been read yet
        article = it.article.strip()
        if article.lower().startswith("chưa xác định") and "điều" not in article.lower():
            note = article[len("chưa xác định"):].strip()
            note = note[1:-1] if note.startswith("(") and note.endswith(")") else note
            article = "chưa xác định điều, khoản" + (f"; {note}" if note else "")
        if article not in arts:
            arts.append(article)
    parts = [f"{doc} ({'; '.join(arts)})" for doc, arts in grouped.items()]
    return "📄 Căn cứ: " + "; ".join(parts) + "."


_HISTORY_PREFIX = re.compile(r"^Theo (?:quy định trước đây|[^,]{0,40}trước đây)\s*(?:\(([^)]*)\))?\s*,?\s*")


def _as_history(text: str) -> str:
    """Bullet text under the "Theo quy định trước đây:" heading, without saying it twice."""
    m = _HISTORY_PREFIX.match(text)
    if not m:
        return text
    rest = text[m.end():]
    rest = rest[:1].upper() + rest[1:]
    return f"{m.group(1)}: {rest}" if m.group(1) else rest


def bullets(facts: Iterable[FactView], history: bool = False) -> str:
    return "\n".join(f"• {_as_history(f.text) if history else f.text}" for f in facts)


def topic_text(answer: TopicAnswer, shown: List[FactView], more: bool, intro: Optional[str] = None) -> str:
    """``intro``: an opening line (it carries the "Dạ"); the topic heading then follows as "Về …:"."""
    title = answer.title[0].lower() + answer.title[1:]
    lines = [f"{intro}\nVề {title}:" if intro else f"Dạ, về {title}:"]
    cited: List = list(shown)
    if shown:
        lines.append(bullets(shown))
    if answer.historical and not more:
        hist = answer.historical[: max(1, 5 - len(shown))]  # history fills what current facts leave
        lines.append("Theo quy định trước đây:\n" + bullets(hist, history=True))
        cited += hist
    if not shown and not answer.historical:
        lines.append("Em chưa có thông tin đã được xác minh về nội dung này.")
    if answer.unverified and not more:
        lines.append(f"Lưu ý: {answer.unverified[0].text}")
    lines.append(sources_line(cited) if cited else NEXT_STEP)
    return "\n".join(lines)


def estimate_text(level: LevelView, cost: int) -> str:
    """National-fund maximum for a cost: share × cost, capped."""
    if level.share is None and level.cap_vnd is None:
        return ""
    by_share = cost * level.share if level.share is not None else cost
    amount = min(by_share, level.cap_vnd) if level.cap_vnd else by_share
    parts = [f"Ước tính với chi phí {fmt_vnd(cost)}:"]
    if level.share is not None:
        parts.append(f"{level.share * 100:g}% × {fmt_vnd(cost)} = {fmt_vnd(by_share)}")
    if level.cap_vnd and by_share > level.cap_vnd:
        parts.append(f"vượt mức trần nên tối đa {fmt_vnd(level.cap_vnd)}")
    else:
        parts.append(f"tối đa khoảng {fmt_vnd(amount)}")
    return " ".join(parts[:1]) + " " + ", ".join(parts[1:]) + "."

"""Vietnamese copy for knowledge answers: short, polite, every fact with its legal basis.

Status rules (see docs/sources.md): VERIFIED facts are stated; HISTORICAL ones
only under "Theo quy định trước đây"; UNVERIFIED ones only as a caveat, never as a fact.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import OrderedDict
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Optional, Tuple

from bot.menu import menu_buttons
from policy_kb.centre import centre
from policy_kb.provinces import Province, load_provinces
from policy_kb.queries import FactView, LevelView, TopicAnswer

NEXT_STEP = (
    "Anh/chị nên liên hệ Trung tâm Khuyến công hoặc Sở Công Thương tỉnh nơi cơ sở sản xuất để được hướng dẫn cụ thể."
)
#: when no current figure is given, "this is the maximum" would point at nothing
LOCAL_RULE = "Mỗi tỉnh tự quy định mức chi từ kinh phí khuyến công địa phương."
KB_DOWN = (
    "Dạ, hệ thống tra cứu đang tạm gián đoạn nên em chưa trả lời chính xác được. "
    "Anh/chị vui lòng thử lại sau ít phút ạ."
)


def next_step(unit: Optional[Province] = None) -> str:
    """Whom to ask: the named province's centre when the person said where they are; this
    centre's own contact (configs/centre.yml) when that province is its province, or when the
    person has not said where they are and the centre has said which province it serves."""
    own = centre()
    if unit is not None and own.province == unit.key:
        return f"Anh/chị liên hệ {own.contact_line()} để được hướng dẫn cụ thể."
    if unit is None:
        if own.province:
            return f"{NEXT_STEP} Cơ sở ở {_short_name(own.province)}: {own.contact_line()}."
        return NEXT_STEP
    return f"Anh/chị nên liên hệ Trung tâm Khuyến công hoặc Sở Công Thương {unit.short_name} để được hướng dẫn cụ thể."


def _short_name(key: str) -> str:
    return load_provinces()[key].short_name


def province_note(unit: Province, place: str) -> str:
    """The first line of an answer about a named province (local levels, procedure, dossier,
    agencies). The knowledge base has no province's own levels or calendar, so this is advice on
    whom to ask, not a fact; the topic's facts below carry the sources."""
    kind = "thành phố" if unit.centrally_run else "tỉnh"
    own = centre()
    if own.province == unit.key:
        return (
            f"Dạ, với cơ sở ở {place}, anh/chị hỏi {own.contact_line()} về mức hỗ trợ của {kind}, "
            f"hồ sơ và lịch đăng ký năm nay ạ."
        )
    return (
        f"Dạ, với cơ sở ở {place}, anh/chị hỏi Trung tâm Khuyến công hoặc Sở Công Thương "
        f"{unit.short_name} về mức hỗ trợ của {kind}, hồ sơ và lịch đăng ký năm nay ạ."
    )


def payload(intent: str, **entities: str) -> str:
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def button(title: str, intent: str, **entities: str) -> Dict[str, str]:
    return {"title": title, "payload": payload(intent, **entities)}


#: under answers and after a flow ends (its first two or three under an answer); the buttons
#: themselves are the domain's (bot/menu.py), so they read the same as in the bot's responses
MAIN_MENU = menu_buttons("beneficiaries", "support_level", "industries", "procedure")


def fmt_date(d: Optional[dt.date]) -> str:
    return d.strftime("%d/%m/%Y") if d else "?"


def fmt_vnd(amount: float) -> str:
    """1_500_000_000 → '1,5 tỷ đồng'; 300_000_000 → '300 triệu đồng' (Vietnamese decimals)."""
    amount = int(round(amount))
    if amount >= 1_000_000_000 and amount % 100_000_000 == 0:
        return f"{amount / 1_000_000_000:g}".replace(".", ",") + " tỷ đồng"
    if amount >= 1_000_000 and amount % 100_000 == 0:
        millions = amount / 1_000_000
        return (
            f"{millions:,.1f}".rstrip("0").rstrip(".").replace(",", "X").replace(".", ",").replace("X", ".")
            + " triệu đồng"
        )
    return f"{amount:,}".replace(",", ".") + " đồng"


def sources_line(items: Iterable) -> str:
    """'📄 Căn cứ: Nghị định 45/2012/NĐ-CP (Điều 3 khoản 1; Điều 3 khoản 2); …' grouped by document."""
    grouped: "OrderedDict[str, List[str]]" = OrderedDict()
    for it in items:
        arts = grouped.setdefault(it.document, [])
        # the knowledge data says "chưa xác định" where the article has not been read yet
        article = it.article.strip()
        if article.lower().startswith("chưa xác định") and "điều" not in article.lower():
            note = article[len("chưa xác định") :].strip()
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
    rest = text[m.end() :]
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


#: TT 46/2012 Điều 4 conditions of an activity that the level itself does not say (the earlier rule,
#: kept as HISTORICAL facts in data/facts/activities.yml under the same activity key): text, fact id
ACTIVITY_CONDITIONS: Dict[str, Tuple[str, str]] = {
    "machinery": (
        "Theo TT 46/2012 trước đây (Điều 4 khoản 4), máy được hỗ trợ phải là máy mới, nâng được năng "
        "suất, chất lượng hoặc giảm ô nhiễm so với máy cơ sở đang dùng.",
        "activities.machinery_must_be_new",
    ),
    "fair_abroad": (
        "Theo TT 46/2012 trước đây (Điều 4 khoản 1 điểm b), mỗi cơ sở được hỗ trợ dự hội chợ, "
        "triển lãm ở nước ngoài không quá 2 lần/năm.",
        "activities.fair_abroad_twice_a_year",
    ),
    "demonstration_model": (
        "Theo TT 46/2012 trước đây (Điều 4 khoản 2 điểm a), mô hình của đề án quốc gia phải "
        "dùng công nghệ, sản phẩm chưa cơ sở nào trong huyện áp dụng; nay đã bỏ cấp huyện, "
        "cách xét chưa xác minh.",
        "activities.demo_model_new_in_district",
    ),
}


@lru_cache(maxsize=1)
def _relative_levels() -> Dict[Tuple[str, dt.date], Dict[str, Any]]:
    """``relative_to`` of the dated support-level values (data/support_levels/*.yml): a level set
    as a multiple of another ("1,5 lần mức hỗ trợ máy móc"), or a share of something other than the
    cost (loan interest). Read from the same files as the KB; the loader does not carry this field."""
    from policy_kb.loader import DATA_DIR, read_yaml

    out: Dict[Tuple[str, dt.date], Dict[str, Any]] = {}
    for path in sorted((DATA_DIR / "support_levels").glob("*.yml")):
        data = read_yaml(path) or {}
        for when, rec in (data.get("values") or {}).items():
            if isinstance(rec, dict) and isinstance(rec.get("relative_to"), dict):
                out[(data.get("activity"), when)] = rec["relative_to"]
    return out


def relative_to(level: LevelView) -> Optional[Dict[str, Any]]:
    """What a level is relative to, when not simply the cost: {'of': 'mức hỗ trợ máy móc thiết bị',
    'factor': 1.5, 'activity': 'machinery'} (a multiple of another level), or {'of': 'lãi suất …'}
    without a factor (the level's share is of that, not of the cost); None otherwise."""
    return _relative_levels().get((level.activity, level.effective_from))


def _pct(share: float) -> str:
    return f"{share * 100:g}".replace(".", ",") + "%"


def _factor(factor: float) -> str:
    return f"{factor:g}".replace(".", ",")


def estimate_text(level: LevelView, cost: int) -> str:
    """What the national fund may pay towards ``cost``, inventing nothing:

    * share × cost, capped, only where a share is known (the arithmetic stays visible);
    * a cap alone: the cap, and that the share is set when the đề án is approved (no 100 %);
    * a relative level ("1,5 lần mức …"): what it is relative to;
    * HISTORICAL: framed as the earlier rule of its document; UNVERIFIED: no figure at all;
    * the TT 46/2012 Điều 4 condition of the activity, as the earlier rule, when there is one.
    The caller adds that the province sets its own levels (answer_text.level_answer)."""
    head = f"Ước tính với chi phí {fmt_vnd(cost)}:"
    if level.status == "UNVERIFIED":
        return f"{head} mức hỗ trợ hiện hành em chưa xác minh được nên em không ước tính số tiền."
    rel = relative_to(level)
    times = f"bằng {_factor(rel['factor'])} lần {rel['of']}" if rel and rel.get("factor") else ""
    cap = f"{fmt_vnd(level.cap_vnd)}/{level.unit}" if level.cap_vnd else ""
    if level.share is not None and rel and not times:
        # a share of something else (the loan interest), not of the cost: no arithmetic on the cost
        body = (
            f"tỷ lệ {_pct(level.share)} tính trên {rel['of']}, không tính trên chi phí"
            + (f", không quá {cap}" if cap else "")
            + "; số tiền cụ thể được xác định khi đề án được phê duyệt."
        )
    elif level.share is not None:
        by_share = cost * level.share
        body = f"{_pct(level.share)} × {fmt_vnd(cost)} = {fmt_vnd(by_share)}"
        if level.cap_vnd and by_share > level.cap_vnd:
            body += f", vượt mức trần nên tối đa {fmt_vnd(level.cap_vnd)}."
        elif level.cap_vnd:
            body += f", tối đa khoảng {fmt_vnd(by_share)}."
        elif "không quá" in level.text:
            # caps the data carry only in words (one per kind of hội…): never an uncapped amount
            body += ", nhưng không vượt mức trần nêu trong quy định."
        else:
            body += f", tối đa khoảng {fmt_vnd(by_share)} nếu toàn bộ là khoản chi được hỗ trợ."
    elif level.cap_vnd is not None:
        cap += f" ({times})" if times else ""
        body = f"chỉ có mức trần {cap}, văn bản không nêu tỷ lệ; tỷ lệ hỗ trợ được xác định khi đề án được phê duyệt."
    elif times:
        body = f"mức này tối đa {times}, không tính theo chi phí; mức cụ thể được xác định khi đề án được phê duyệt."
    else:
        body = (
            "văn bản không nêu tỷ lệ hay mức trần để tính theo chi phí; mức cụ thể được xác định khi "
            "đề án được phê duyệt."
        )
    text = f"{head} {body}"
    if level.status == "HISTORICAL":
        from actions.answer_text import short_doc  # answer_text imports this module

        text = f"Theo {short_doc(level.document)} trước đây, {text[:1].lower()}{text[1:]}"
    condition = ACTIVITY_CONDITIONS.get(level.activity)
    return f"{text}\n{condition[0]}" if condition else text

"""An English question about khuyến công, read in Vietnamese words the answer engine knows.

People write in English on the widget of a centre's site ("How much support can I get to buy
machinery?"). The knowledge base is Vietnamese; this glossary turns the in-scope English words
into the Vietnamese terms of the records, so the same ranking answers (the reply is Vietnamese
with a one-line English lead-in). A message with no in-scope word gets ``None``: it is not a
question the knowledge base can answer. Standard library only.
"""

from __future__ import annotations

import re
from typing import Optional

#: English phrase (lowercase, regex) → Vietnamese words; longer phrases first
GLOSSARY = (
    (r"trade fairs?|fairs?|exhibitions?|expos?", "hội chợ triển lãm"),
    (r"abroad|overseas|foreign|international", "nước ngoài"),
    (r"domestic|in vietnam|local fairs?", "trong nước"),
    (r"production lines?|technology lines?", "dây chuyền công nghệ"),
    (r"machinery|machines?|equipment|devices?", "máy móc thiết bị"),
    (r"vocational training|training|train (?:my )?workers|teach", "đào tạo nghề"),
    (r"brand(?:ing|s)?|trademarks?", "xây dựng thương hiệu"),
    (r"demonstration models?|pilot models?|demo(?:nstration)?", "mô hình trình diễn"),
    (r"consult(?:ing|ancy|ant)?|advice", "tư vấn"),
    (r"typical (?:rural )?(?:industrial )?products?|outstanding products?|product contest", "sản phẩm tiêu biểu"),
    (r"pollution|waste ?water|environment(?:al)?", "xử lý ô nhiễm môi trường"),
    (r"eligib(?:le|ility)|who (?:can|is|are)|qualif(?:y|ies|ied)|beneficiar(?:y|ies)", "đối tượng được hỗ trợ"),
    (r"industr(?:y|ies)|sectors?|trades?", "ngành nghề"),
    (r"conditions?|requirements?", "điều kiện"),
    (r"documents? (?:needed|required)|dossiers?|paperwork|application (?:file|form)s?", "hồ sơ"),
    (r"procedures?|how (?:do|can) i apply|apply|application", "thủ tục đăng ký"),
    (r"decrees?", "nghị định"),
    (r"circulars?", "thông tư"),
    (r"loans?|borrow|credit", "vay vốn"),
    (r"interest", "lãi suất"),
    (r"objectives?|goals?|aims?|purpose", "mục tiêu"),
    (r"priorit(?:y|ies|ised|ized)", "ưu tiên"),
    (r"how much|how many percent|what percent(?:age)?|maximum|max|cap|amount", "bao nhiêu tối đa"),
    (r"industrial extension|khuyen cong|khuyến công", "khuyến công"),
    (r"handicrafts?|craft villages?", "làng nghề thủ công"),
    (r"cooperatives?", "hợp tác xã"),
    (r"household business(?:es)?", "hộ kinh doanh"),
    (r"small (?:and medium )?(?:enterprises?|companies|businesses)|smes?", "doanh nghiệp nhỏ và vừa"),
    (r"support levels?|levels? of support", "mức hỗ trợ"),
    (r"the same|differ(?:ent|s)?|vary|varies", "tỉnh quy định mức riêng"),
    (r"second[- ]hand(?: machines?| equipment)?|used machines?|old machines?", "máy cũ"),
    (r"legal basis|main (?:legal )?(?:document|decree|basis)|which decree", "văn bản gốc nghị định"),
    (r"submit|send (?:my|the|our) application", "nộp hồ sơ ở đâu"),
    (r"register(?:ing)?|registration|sign up", "đăng ký"),
    (r"department of industry and trade|doit", "Sở Công Thương"),
    (r"ministry of industry and trade|moit", "Bộ Công Thương"),
    (r"every province|each province|provinces?|provincial", "tỉnh"),
    (r"women|female", "phụ nữ làm chủ"),
    (r"ethnic minorit(?:y|ies)", "dân tộc thiểu số"),
    (r"food processing|processing", "chế biến thực phẩm nông sản"),
    (r"(?:master )?artisans?|craftsm[ae]n", "nghệ nhân"),
    (r"counterpart funding|co-?funding|own contribution|put in myself", "vốn đối ứng"),
    (r"selection|contest|competition", "bình chọn"),
    (r"how many levels|levels", "mấy cấp"),
    (r"costs? (?:are )?covered|which costs|what costs|expenses", "chi phí được hỗ trợ"),
    (r"national", "quốc gia"),
    (r"project", "đề án"),
    (r"support|subsid(?:y|ies|ise|ize)|grants?|funding|help", "hỗ trợ"),
    (r"where", "ở đâu"),
    (r"when|deadline", "khi nào"),
)
_COMPILED = tuple((re.compile(rf"\b(?:{p})\b"), vi) for p, vi in GLOSSARY)
#: words that alone do not make a question about khuyến công
_GENERIC = frozenset({"hỗ trợ", "ở đâu", "khi nào", "bao nhiêu tối đa", "khuyến công"})


#: common English words that are not Vietnamese syllables typed without marks
_ENGLISH_WORDS = frozenset(
    """i my we our you your is are am was be can could would should will do does did what how
which who whom whose why where when get got buy want need have has please tell about for with
from and or of if any some there their they this that these those much many support help
company business workshop factory small rural province apply it going to in on at the a an me
tomorrow today weather rain know like hi hello thanks thank""".split()
)


#: a Vietnamese syllable typed without marks: onset, vowels, coda ("nghieng", "khuyen", "cong");
#: English words such as "businesses", "priority", "owned" are not
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?"
    r"(?:uye|uoi|uya|ieu|yeu|oai|oay|uay|uou|oeo|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|oo|ua|ue|ui|uo|uu|uy|ye|"
    r"a|e|i|o|u|y)"
    r"(?:ng|nh|ch|[cmnpt]|i|y|o|u)?$"
)


def looks_english(text: str) -> bool:
    """ASCII text whose words are mostly English, counting the glossary's phrases as English:
    "How much support can I get to buy machinery?" (Vietnamese typed without marks is ASCII
    too, but its words are not English: "co ho tro may moc khong")."""
    if not text or re.search(r"[^\x00-\x7f]", text):
        return False
    lowered = text.lower()[:2000]
    words = re.findall(r"[a-z']+", lowered)
    if len(words) < 3:
        return False
    for pattern, _ in _COMPILED:
        lowered = pattern.sub(" ", lowered)
    left = re.findall(r"[a-z']+", lowered)
    english = (len(words) - len(left)) + sum(w in _ENGLISH_WORDS or not _SYLLABLE.match(w) for w in left)
    return english / len(words) >= 0.6


def to_vietnamese(text: str) -> Optional[str]:
    """The Vietnamese terms of the in-scope English phrases of ``text``, in order; None when it
    has none beyond generic ones ("help", "where")."""
    lowered = (text or "").lower()[:2000]
    found = []
    for pattern, vi in _COMPILED:
        m = pattern.search(lowered)
        if m:
            found.append((m.start(), vi))
            lowered = lowered[: m.start()] + " " * (m.end() - m.start()) + lowered[m.end() :]
    terms = [vi for _, vi in sorted(found)]
    if not any(t not in _GENERIC for t in terms):
        return None
    return " ".join(terms)

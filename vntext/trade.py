"""Does a message describe an establishment that only trades or serves, and makes nothing?

"Em thu mua trái cây của bà con rồi bán lại cho thương lái", "mình lấy hàng Quảng Châu về bán",
"đại lý cấp 1 phân phối nước mắm": trade and services are outside khuyến công (NĐ 45/2012 Điều 5
names the industries; trade is not one), and such a person should hear that plainly, not get ✓
"hộ kinh doanh trực tiếp sản xuất". A message that also says it makes, processes or packs
something ("thu mua rồi sấy khô đóng gói") is not trade only: the processing part may be
covered. Folded text, standard library only.
"""

from __future__ import annotations

import re

from vntext.fold import fold
from vntext.normalize import normalize_text

#: buying to sell, distributing, retail, services
_TRADE = re.compile(
    r"\b(?:thu mua|mua (?:ve|lai|cua)?\s*(?:\w+ ){0,6}?(?:roi )?ban lai|ban lai|buon ban|ban buon|ban le|"
    r"lay hang|nhap hang|ve ban|tiem ban|ban hang|dai ly|phan phoi|bo moi|tap hoa|cua hang|shop|"
    r"kinh doanh (?:thuong mai|dich vu)|chi (?:ban|buon ban|kinh doanh|lam dich vu)|"
    r"quan an|nha hang|quan ca phe|homestay|khach san|nha nghi|van tai|cho thue|sua (?:dien thoai|xe)|spa|"
    r"giat la|cat toc|gom (?:\w+ ){0,3}?ve ban)\b"
)
#: making, processing, packing: a production activity, which khuyến công may cover
_MAKES = re.compile(
    r"\b(?:san xuat|che bien|gia cong|lam ra|tu lam|det|may mac|xuong|nha may|ren|dan lat|dan (?:ro|gio|thung)|"
    r"nung|say kho|say|phoi kho|lam kho|ep|rang xay|xay xat|dong goi|dong chai|dong hop|lap rap|che tao|"
    r"dieu khac|cham khac|cham bac|theu|uom to|lam muoi|lo (?:gom|gach|say))\b"
)
#: "không chế biến", "không sản xuất gì": the production words are denied
_DENIED = re.compile(r"\b(?:khong|ko|k|chua)\s+(?:co\s+)?(?:tu\s+)?(?:san xuat|che bien|gia cong|lam ra)\b")


def only_trades(text: str) -> bool:
    """True when ``text`` says the establishment buys and sells (or serves) and does not make,
    process or pack anything itself."""
    folded = fold(normalize_text(text or "")[:2000])
    if not _TRADE.search(folded):
        return False
    denied = [m.span() for m in _DENIED.finditer(folded)]
    # every production word is inside a denial ("không chế biến"): still trade only
    return all(any(start <= m.start() < end for start, end in denied) for m in _MAKES.finditer(folded))

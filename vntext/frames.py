"""Question frames: what a question asks about (the *thing*), which *attribute* of it, and for
which *time*.

"NĐ 235 có hiệu lực từ ngày nào, ai ký?" → thing ``document`` (235), attributes
``effective, signer``, time unspecified. "Trước năm 2018 máy móc được tối đa bao nhiêu?" → thing
``activity``, attribute ``amount``, time ``past`` before 2018. "còn máy cũ thì sao?" → elliptical:
it needs the conversation to be understood.

The answer routes (actions/routes.py) use the frame to pick the part of a record that was asked
and the value in force at the time asked. Pure text code: no Rasa, no knowledge base; the records
carry the same attribute names as data (``attributes:`` of a fact, the fields of a document).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

#: the attributes a question can ask for, in the words of the knowledge data
ATTRIBUTES = (
    "issued",  # ngày ban hành, ký ngày nào
    "effective",  # hiệu lực từ khi nào
    "state",  # còn hiệu lực không, hết hiệu lực chưa
    "signer",  # ai ký
    "replaces",  # thay thế văn bản nào
    "amends",  # sửa đổi văn bản nào
    "changes",  # thay đổi gì, có gì mới, khác gì so với
    "article",  # điều nào, khoản nào, quy định ở đâu trong văn bản
    "approver",  # ai / cơ quan nào phê duyệt, quyết định
    "agency",  # cơ quan nào quản lý, thực hiện, chủ trì
    "amount",  # bao nhiêu tiền, tối đa bao nhiêu, mức
    "share",  # bao nhiêu phần trăm
    "advance",  # tạm ứng
    "count",  # bao nhiêu người, mấy bộ, mấy ảnh
    "frequency",  # mấy lần một năm
    "place",  # nộp ở đâu
    "deadline",  # hạn, khi nào, trước ngày nào
    "duration",  # bao lâu, mấy ngày
    "conditions",  # điều kiện gì
    "documents_needed",  # hồ sơ gồm gì, cần giấy tờ gì
    "beneficiaries",  # ai được, đối tượng nào
    "definition",  # là gì
    "list",  # những gì, gồm những gì (an overview)
)

#: what a question is about, coarse: the routes match it against the conversation and the records
THINGS = (
    "document",
    "activity",
    "agency",
    "programme",
    "selection",  # bình chọn sản phẩm tiêu biểu
    "dossier",
    "procedure",
    "beneficiary",
    "industry",
    "objective",
    "priority",
    "funding",
)

#: when the question is about: None = not said (the rule in force now)
TIMES = ("now", "past", "original", "both")


@dataclass(frozen=True)
class Frame:
    thing: Optional[str] = None  # one of THINGS, or None
    documents: Tuple[str, ...] = ()  # document numbers named: "235/2025", or "235" without a year
    attributes: Tuple[str, ...] = ()  # each attribute asked, in the order asked (ATTRIBUTES)
    time: Optional[str] = None  # one of TIMES, or None when the question does not say
    year: Optional[int] = None  # "trước năm 2018" → 2018, "hồi 2014" → 2014
    elliptical: bool = False  # a follow-up that needs the conversation ("còn máy cũ thì sao", "ai ký?")
    overview: bool = False  # asks for the whole list ("hỗ trợ những hoạt động gì", "mục tiêu là gì")

    @property
    def attribute(self) -> Optional[str]:
        """The first attribute asked, if any."""
        return self.attributes[0] if self.attributes else None


def read_frame(text: str) -> Frame:
    """The frame of ``text`` (a question as people type it: with or without diacritics,
    shorthand, Northern or Southern wording)."""
    return Frame()

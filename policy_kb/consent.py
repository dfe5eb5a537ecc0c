"""The consent notice shown before the assistant asks for a name and phone number.

Nghị định 13/2023/NĐ-CP and Luật Bảo vệ dữ liệu cá nhân 2025 require the data subject to be told,
before collection, who collects which data and for what purpose, and to agree explicitly. Each
stored lead records ``CONSENT_VERSION`` and the time of agreement, so the exact wording a person
agreed to can always be found again.

Changing ``CONSENT_TEXT`` in any way (other than a typo that does not change its meaning) needs a
new ``CONSENT_VERSION``; keep old versions in ``KNOWN_CONSENT_VERSIONS`` (with their text in
``CONSENT_TEXTS``) so leads recorded under them stay valid and explainable.
"""
from __future__ import annotations

from typing import Dict

CONSENT_VERSION = "2026-11-v1"

CONSENT_TEXT = (
    "Trung tâm Khuyến công tỉnh (qua trợ lý này) xin ghi lại họ tên, số điện thoại của anh/chị "
    "và các câu trả lời vừa rồi (tỉnh, loại hình, ngành nghề, hoạt động, chi phí dự kiến) để liên "
    "hệ tư vấn hỗ trợ khuyến công. Dữ liệu chỉ dùng cho mục đích này, theo Nghị định "
    "13/2023/NĐ-CP và Luật Bảo vệ dữ liệu cá nhân 2025. Anh/chị có thể từ chối, trợ lý vẫn trả lời "
    "bình thường, và có thể yêu cầu xóa dữ liệu bất cứ lúc nào. Anh/chị có đồng ý không ạ?"
)

REFUSED_TEXT = (
    "Dạ, không sao ạ. Trợ lý không lưu họ tên hay số điện thoại nào của anh/chị. "
    "Anh/chị vẫn có thể tiếp tục hỏi về chính sách khuyến công bất cứ lúc nào."
)

#: Every consent wording a stored lead may refer to, by version.
CONSENT_TEXTS: Dict[str, str] = {CONSENT_VERSION: CONSENT_TEXT}
KNOWN_CONSENT_VERSIONS = frozenset(CONSENT_TEXTS)

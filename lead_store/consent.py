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

#: the conversation slots that hold personal data (never logged in clear, erased on request, shown
#: only to officers); one home for the bot's log filter and the lead form
PERSONAL_DATA_SLOTS = ("contact_name", "contact_phone")
#: the slots that record the person's consent, reset with the personal data
CONSENT_SLOTS = ("consent", "consent_at")

CONSENT_VERSION = "2026-11-v1"

CONSENT_TEXT = (
    "Trung tâm Khuyến công tỉnh (qua trợ lý này) xin ghi lại họ tên, số điện thoại của anh/chị "
    "và các câu trả lời vừa rồi (tỉnh, loại hình, ngành nghề, hoạt động, chi phí dự kiến) để liên "
    "hệ tư vấn hỗ trợ khuyến công. Dữ liệu chỉ dùng cho mục đích này, theo Nghị định "
    "13/2023/NĐ-CP và Luật Bảo vệ dữ liệu cá nhân 2025. Anh/chị có thể từ chối, trợ lý vẫn trả lời "
    "bình thường, và có thể yêu cầu xóa dữ liệu bất cứ lúc nào. Anh/chị có đồng ý không ạ?"
)

#: Said when the person refuses (at the consent question or any later step of the lead form, in
#: any wording) or stops the lead form: nothing of this form is kept.
REFUSED_TEXT = (
    "Dạ, không sao ạ, em đã dừng phần để lại liên hệ. Trợ lý không lưu họ tên hay số điện thoại nào "
    "của anh/chị. Anh/chị vẫn có thể tiếp tục hỏi về chính sách khuyến công bất cứ lúc nào."
)

#: The same when this conversation already left a lead earlier (that one is still kept).
REFUSED_KEPT_TEXT = (
    "Dạ, không sao ạ, em đã dừng phần để lại liên hệ và không lưu gì thêm. Thông tin anh/chị để lại "
    "trước đó trong cuộc trò chuyện này vẫn được giữ; muốn xóa, anh/chị nhắn “xóa thông tin của tôi”. "
    "Anh/chị vẫn có thể tiếp tục hỏi về chính sách khuyến công bất cứ lúc nào."
)

#: How long a lead is kept. Nothing in the project sets a period, so it is this: until the centre
#: has handled it (``lead_store.leads.erase_handled_leads`` erases leads marked contacted) or the
#: person asks to erase it (in the chat: the leads of that conversation at once; any other number
#: through a request the centre checks, ``lead_store.erasure``).
RETENTION = "đến khi Trung tâm xử lý xong việc liên hệ tư vấn, hoặc đến khi anh/chị yêu cầu xóa"

#: The answer to "số của tôi dùng để làm gì / ai xem được / lưu bao lâu / có bán không", at any
#: point of the conversation (also in the middle of the lead form, which then resumes). It must
#: say what CONSENT_TEXT says, and nothing the code does not do.
PRIVACY_TEXT = (
    "Dạ, về thông tin cá nhân anh/chị để lại qua trợ lý:\n"
    "• Lưu gì: họ tên, số điện thoại và các câu trả lời khi kiểm tra điều kiện (tỉnh, loại hình, "
    "ngành nghề, hoạt động, chi phí dự kiến), chỉ khi anh/chị đồng ý để lại liên hệ.\n"
    "• Để làm gì: để Trung tâm Khuyến công tỉnh liên hệ tư vấn hỗ trợ khuyến công; không dùng vào việc "
    "khác, không bán hay chia sẻ cho bên nào khác.\n"
    "• Ai xem được: cán bộ được giao của Trung tâm Khuyến công tỉnh (và người quản trị kỹ thuật của hệ "
    "thống); trợ lý không cho ai khác xem.\n"
    f"• Lưu bao lâu: {RETENTION}.\n"
    "• Muốn xóa: anh/chị nhắn “xóa thông tin của tôi”, em xóa ngay thông tin anh/chị để lại trong cuộc "
    "trò chuyện này. Anh/chị cũng có thể từ chối để lại liên hệ, trợ lý vẫn trả lời bình thường.\n"
    "Căn cứ: Nghị định 13/2023/NĐ-CP và Luật Bảo vệ dữ liệu cá nhân 2025."
)

#: Every consent wording a stored lead may refer to, by version.
CONSENT_TEXTS: Dict[str, str] = {CONSENT_VERSION: CONSENT_TEXT}
KNOWN_CONSENT_VERSIONS = frozenset(CONSENT_TEXTS)

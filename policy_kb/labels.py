"""Vietnamese names of the profile's fields and values, for people (the bot's replies, the console).

One home: the reader's notes ("em đã sửa lại loại hình: …"), the verdicts and the officers'
console all name a business type, a trade or a place type with these words.
"""

from __future__ import annotations

FIELD_LABEL = {
    "business_type": "loại hình",
    "industry": "ngành nghề",
    "province": "tỉnh, thành phố",
    "unit_type": "nơi sản xuất",
    "craft_village": "làng nghề được công nhận",
    "disadvantaged": "địa bàn khó khăn",
    "employees": "số lao động",
    "revenue_vnd": "doanh thu năm",
    "capital_vnd": "tổng nguồn vốn",
    "money": "chi phí dự kiến",
    "women_owned": "chủ là phụ nữ",
    "ethnic_minority_owned": "chủ là người dân tộc thiểu số",
    "exports": "có thị trường xuất khẩu",
    "local_materials": "dùng nguyên liệu tại chỗ",
    "fired_clay_brick": "gạch đất sét nung",
}
VALUE_LABEL = {
    "household_business": "hộ kinh doanh",
    "cooperative": "hợp tác xã",
    "cooperative_group": "tổ hợp tác",
    "cooperative_union": "liên hiệp hợp tác xã",
    "sme": "doanh nghiệp nhỏ và vừa",
    "large_enterprise": "doanh nghiệp lớn",
    "enterprise": "doanh nghiệp",
    "individual": "cá nhân",
    "shop": "cửa hàng, buôn bán",
    "food_processing": "chế biến nông sản, thực phẩm",
    "consumer_goods": "hàng tiêu dùng",
    "agro_chemicals": "hóa chất phục vụ nông nghiệp",
    "building_materials": "vật liệu xây dựng",
    "mechanical": "cơ khí",
    "handicraft": "thủ công mỹ nghệ",
    "mining": "khai thác, chế biến khoáng sản",
    "cleaner_production": "sản xuất sạch hơn",
    "wood_processing": "chế biến gỗ",
    "trade_services": "thương mại, dịch vụ",
    "xa": "xã",
    "phuong": "phường",
    "dac_khu": "đặc khu",
    "yes": "có",
    "no": "không",
    "unknown": "không rõ",
}


def label(value: object) -> str:
    """The Vietnamese name of a value key ("food_processing" → "chế biến nông sản, thực phẩm")."""
    return VALUE_LABEL.get(str(value), str(value)) if value not in (None, "") else ""

"""vntext.trade: a shop, an agent or a buyer-reseller only trades; a maker, processor or packer
does not (whatever else it sells). Written as cases of each kind, with and without diacritics."""

import pytest

from vntext.trade import only_trades

TRADES = [
    "Dạ em thu mua trái cây của bà con rồi bán lại cho thương lái",
    "chi mua ca kho cua ngu dan roi di ban lai cho cho",
    "tôi chỉ thu mua rồi bán lại, không chế biến",
    "Em là đại lý cấp 1 phân phối nước mắm Phú Quốc cho các tỉnh",
    "Mình có tiệm bán quần áo may sẵn, hàng lấy từ Quảng Châu về bán",
    "nha minh mo tiem tap hoa o xa",
    "anh có cái homestay 8 phòng ở Sa Pa",
    "chị chỉ buôn bán phân bón, không sản xuất gì",
    "cty em kinh doanh dịch vụ vận tải hàng hóa",
]
MAKERS = [
    "chị làm nước mắm ở xã Cát Hải, hộ kinh doanh",
    "thu mua cá rồi làm khô đóng gói bán",
    "xưởng gỗ, bán hàng cho đại lý",
    "htx em sấy khô long nhãn rồi bán cho siêu thị",
    "nha em det tho cam ban cho khach du lich",
    "xưởng may túi vải, bán cho cửa hàng",
    "cơ sở chế biến hạt điều, có cửa hàng giới thiệu sản phẩm",
    "chú làm lò gốm, bán lại cho mấy đại lý",
    "",
]


@pytest.mark.parametrize("text", TRADES)
def test_trading_or_serving_only(text):
    assert only_trades(text)


@pytest.mark.parametrize("text", MAKERS)
def test_making_processing_or_packing_is_not_trade_only(text):
    assert not only_trades(text)


def test_common_words_that_fold_like_production_words_do_not_count():
    # "ngư dân" folds to "ngu dan" (đan: weave), "rằng" to "rang", "khác" to "khac"
    assert only_trades("em mua cá của ngư dân rồi bán lại, nghe nói rằng khác tỉnh cũng vậy")

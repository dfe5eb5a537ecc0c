"""Every pre-2025 province name (and the current names) map to the current unit through the
NLU's own lookup tables, with and without diacritics; ward/commune detection."""

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from policy_kb.provinces import load_provinces
from tests.conftest import ROOT
from vntext.gazetteer import Gazetteer
from vntext.normalize import normalize_text, strip_diacritics
from vntext.places import find_places

GAZ = Gazetteer.from_lookup_tables(load_data(str(ROOT / "nlu_data" / "lookups")).lookup_tables)
NAMES = [
    (unit.key, name) for unit in load_provinces().values() for name in sorted({*unit.merged_from, unit.short_name})
]


def provinces_in(text):
    return [m.value for m in GAZ.find(normalize_text(text)) if m.entity == "province"]


@pytest.mark.parametrize("key,name", NAMES, ids=[n for _, n in NAMES])
def test_every_old_and_current_name_maps_to_its_unit(key, name):
    assert provinces_in(f"cơ sở của tôi ở {name} có được hỗ trợ không") == [key]
    assert provinces_in(strip_diacritics(f"co so o {name} co duoc khong")) == [key]


@pytest.mark.parametrize(
    "text,key",
    [
        ("HCM", "ho_chi_minh"),
        ("tp hcm", "ho_chi_minh"),
        ("Sài Gòn", "ho_chi_minh"),
        ("BR-VT", "ho_chi_minh"),
        ("TP. Hồ Chí Minh", "ho_chi_minh"),
        ("Bà Rịa - Vũng Tàu", "ho_chi_minh"),
        ("Thừa Thiên Huế", "hue"),
        ("Đắk Nông", "lam_dong"),
        ("dak nong", "lam_dong"),
        ("Hoà Bình", "phu_tho"),
        ("Hòa Bình", "phu_tho"),
    ],
)
def test_abbreviations_and_spellings(text, key):
    assert provinces_in(f"ở {text} thì sao") == [key]


def test_six_centrally_run_cities():
    assert sorted(k for k, u in load_provinces().items() if u.centrally_run) == [
        "can_tho",
        "da_nang",
        "ha_noi",
        "hai_phong",
        "ho_chi_minh",
        "hue",
    ]


@pytest.mark.parametrize(
    "text,unit,name",
    [
        ("hộ kinh doanh ở xã Tân Lập, tỉnh Hà Giang", "xa", "Tân Lập"),
        ("cơ sở ở phường Đông Thọ", "phuong", "Đông Thọ"),
        ("o xa Tan Lap huyen Vi Xuyen", "xa", "Tan Lap"),
        ("tại p. Bến Nghé", "phuong", "Bến Nghé"),
        ("ở thị trấn Yên Phong", "xa", "Yên Phong"),  # thị trấn became communes in 2025
        ("đặc khu Phú Quốc", "dac_khu", "Phú Quốc"),
    ],
)
def test_commune_ward_special_zone(text, unit, name):
    found = list(find_places(normalize_text(text)))
    assert [(p.unit_type, p.name) for p in found] == [(unit, name)]


@pytest.mark.parametrize("text", ["nhà em ở xa lắm", "kinh phí địa phương", "phương án sản xuất", "xa xa quá"])
def test_ordinary_words_are_not_places(text):
    assert list(find_places(normalize_text(text))) == []

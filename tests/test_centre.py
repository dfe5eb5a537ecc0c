"""The centre's settings file: validation with clear errors, office hours, and what users are told."""

import datetime as dt
import subprocess
import sys

import pytest

from policy_kb.centre import VN_TZ, CentreSettingsError, load_centre, parse_centre
from tests.conftest import ROOT

OPEN = {"office_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "periods": ["07:30-11:30", "13:30-17:00"]}}


def vn(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=VN_TZ)


def test_the_shipped_file_is_valid():
    centre = load_centre(ROOT / "configs" / "centre.yml")
    assert centre.name and centre.office_hours.periods


@pytest.mark.parametrize(
    "raw, field",
    [
        ({"hotline": "12345"}, "hotline"),
        ({"province": "atlantis"}, "province"),
        ({"office_hours": {"days": ["funday"]}}, "office_hours.days"),
        ({"office_hours": {"periods": ["17:00-07:30"]}}, "ends before it starts"),
        ({"office_hours": {"periods": ["7h30-11h"]}}, "office_hours.periods"),
        ({"office_hours": {"periods": ["07:30-12:00", "11:00-17:00"]}}, "overlap"),
        ({"holidays": ["30/4"]}, "holidays"),
        ({"reply_within_minutes": 0}, "reply_within_minutes"),
        ({"waiting_notice_minutes": 0}, "waiting_notice_minutes"),
        ({"waiting_notice_minutes": "5 phút"}, "waiting_notice_minutes"),
        ({"hotlien": "0912345678"}, "unknown field"),
        (["not", "a", "mapping"], "mapping"),
    ],
)
def test_mistakes_name_the_field(raw, field):
    with pytest.raises(CentreSettingsError, match=field):
        parse_centre(raw, "centre.yml")


def test_a_broken_file_stops_the_action_server_at_start(tmp_path):
    bad = tmp_path / "centre.yml"
    bad.write_text("name: X\nhotline: '0000'\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", "import actions"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"CENTRE_SETTINGS": str(bad), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert proc.returncode != 0 and "hotline" in proc.stderr and str(bad) in proc.stderr


def test_office_hours_and_holidays():
    centre = parse_centre({**OPEN, "holidays": ["2026-09-02"]})
    assert centre.is_open(vn(2026, 12, 1, 8, 0))  # Tuesday morning
    assert not centre.is_open(vn(2026, 12, 1, 12, 0))  # lunch break
    assert not centre.is_open(vn(2026, 12, 5, 9, 0))  # Saturday
    assert not centre.is_open(vn(2026, 9, 2, 9, 0))  # holiday (a Wednesday)
    assert centre.is_open(dt.datetime(2026, 12, 1, 1, 0))  # naive = UTC: 8:00 in Vietnam
    assert centre.next_opening(vn(2026, 12, 1, 12, 0)) == vn(2026, 12, 1, 13, 30)
    assert centre.next_opening(vn(2026, 12, 4, 18, 0)) == vn(2026, 12, 7, 7, 30)  # Friday evening → Monday
    assert centre.next_opening(vn(2026, 12, 1, 9, 0)) == vn(2026, 12, 1, 9, 0)  # already open
    assert centre.hours_text() == "Thứ 2 – Thứ 6: 7:30–11:30, 13:30–17:00"


def test_reply_expectation_is_honest_about_when():
    centre = parse_centre({**OPEN, "name": "Trung tâm Khuyến công Nghệ An", "hotline": "0238 3844 123"})
    inside = centre.reply_expectation(vn(2026, 12, 1, 9, 0))
    assert "30 phút" in inside and "ngoài giờ" not in inside and "0238 3844 123" in inside
    evening = centre.reply_expectation(vn(2026, 12, 1, 19, 0))
    assert "ngoài giờ làm việc" in evening and "7:30 ngày mai" in evening
    weekend = centre.reply_expectation(vn(2026, 12, 4, 18, 0))
    assert "7:30 Thứ 2 07/12" in weekend


def test_whom_to_ask_names_this_centre_for_its_own_province(monkeypatch, tmp_path):
    from actions import render
    from policy_kb import centre as centre_module
    from policy_kb.provinces import load_provinces

    own = tmp_path / "centre.yml"
    own.write_text(
        "name: Trung tâm Khuyến công Nghệ An\nprovince: nghe_an\nhotline: '0238 3844 123'\n", encoding="utf-8"
    )
    monkeypatch.setenv("CENTRE_SETTINGS", str(own))
    centre_module._cached.cache_clear()
    provinces = load_provinces()
    assert "0238 3844 123" in render.next_step(provinces["nghe_an"])
    assert "Trung tâm Khuyến công Nghệ An" in render.province_note(provinces["nghe_an"], "Nghệ An")
    other = render.next_step(provinces["ha_tinh"])
    assert "Hà Tĩnh" in other and "0238" not in other  # another province: its own centre
    assert "Nghệ An" in render.next_step(None)
    monkeypatch.delenv("CENTRE_SETTINGS")
    centre_module._cached.cache_clear()
    assert render.next_step(None) == render.NEXT_STEP  # the shipped file names no province

"""The centre that runs the bot: name, hotline, address, office hours (``configs/centre.yml``).

One reviewed file, read once per process and validated on load: a missing file, an unknown
field, a province key that is not in ``policy_kb/data/provinces.yml``, a hotline that is not a
Vietnamese number or a malformed office-hours period raises :class:`CentreSettingsError` with a
message naming the file and the field, so a mistake stops the bot at start, not in a reply.

Office hours are in Vietnam time (UTC+7, no daylight saving), the hours users and officers
think in; callers may pass aware datetimes in any zone or naive UTC.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, FrozenSet, Optional, Tuple

import yaml

from policy_kb.provinces import load_provinces
from vntext.phone import national_format, normalize_phone

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = PROJECT_ROOT / "configs" / "centre.yml"
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
DEFAULT_NAME = "Trung tâm Khuyến công"

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Vietnamese day names, Monday first ("Thứ 2" … "Chủ nhật").
DAY_NAMES = ("Thứ 2", "Thứ 3", "Thứ 4", "Thứ 5", "Thứ 6", "Thứ 7", "Chủ nhật")
FIELDS = {
    "name",
    "province",
    "hotline",
    "address",
    "email",
    "website",
    "office_hours",
    "holidays",
    "reply_within_minutes",
    "waiting_notice_minutes",
}


class CentreSettingsError(ValueError):
    """The centre settings file is missing or wrong; the message names the file and the field."""


Period = Tuple[dt.time, dt.time]


@dataclass(frozen=True)
class OfficeHours:
    days: FrozenSet[int]  # 0 = Monday
    periods: Tuple[Period, ...]  # sorted, non-overlapping
    holidays: FrozenSet[dt.date] = frozenset()

    def is_open(self, when: dt.datetime) -> bool:
        local = to_vietnam(when)
        if local.weekday() not in self.days or local.date() in self.holidays:
            return False
        return any(start <= local.time() < end for start, end in self.periods)

    def next_opening(self, when: dt.datetime) -> dt.datetime:
        """The first moment at or after ``when`` (Vietnam time) the centre is open."""
        local = to_vietnam(when)
        for offset in range(0, 370):  # a year of holidays at most
            day = local.date() + dt.timedelta(days=offset)
            if day.weekday() not in self.days or day in self.holidays:
                continue
            for start, end in self.periods:
                opening = dt.datetime.combine(day, start, VN_TZ)
                closing = dt.datetime.combine(day, end, VN_TZ)
                if local < closing:
                    return max(opening, local)
        raise CentreSettingsError("office_hours: the centre is never open")

    def text(self) -> str:
        """'Thứ 2 – Thứ 6: 7:30–11:30, 13:30–17:00'."""
        days = sorted(self.days)
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            day_text = f"{DAY_NAMES[days[0]]} – {DAY_NAMES[days[-1]]}"
        else:
            day_text = ", ".join(DAY_NAMES[d] for d in days)
        return f"{day_text}: " + ", ".join(f"{_hm(s)}–{_hm(e)}" for s, e in self.periods)


@dataclass(frozen=True)
class Centre:
    name: str
    province: Optional[str]  # KB province key
    hotline: Optional[str]  # E.164
    address: str = ""
    email: str = ""
    website: str = ""
    office_hours: OfficeHours = field(default_factory=lambda: _hours({}, "<defaults>"))
    reply_within_minutes: int = 30
    #: while a person waits for an officer, the "cán bộ đã nhận" notice is repeated at most this
    #: often (minutes): never silence, never a notice for every message
    waiting_notice_minutes: float = 5.0

    @property
    def hotline_text(self) -> str:
        """The hotline as people dial it ('0238 3844 123'), or ''."""
        return (national_format(self.hotline) or "") if self.hotline else ""

    def is_open(self, when: dt.datetime) -> bool:
        return self.office_hours.is_open(when)

    def next_opening(self, when: dt.datetime) -> dt.datetime:
        return self.office_hours.next_opening(when)

    def hours_text(self) -> str:
        return self.office_hours.text()

    def serves(self, province_key: Optional[str]) -> bool:
        """Is ``province_key`` this centre's province (or is the province unknown)?"""
        return not province_key or province_key == self.province

    def contact_line(self) -> str:
        """'Trung tâm Khuyến công …, điện thoại 0238 3844 123 (Thứ 2 – Thứ 6: …)'."""
        parts = [self.name]
        if self.hotline_text:
            parts.append(f"điện thoại {self.hotline_text}")
        if self.address:
            parts.append(f"địa chỉ {self.address}")
        return ", ".join(parts) + f" (giờ làm việc {self.hours_text()})"

    def next_opening_text(self, when: dt.datetime) -> str:
        """When the office next opens, as said to a user: 'từ 7:30 ngày mai', 'từ 13:30 hôm nay'."""
        opening = self.next_opening(when)
        local = to_vietnam(when)
        day = (
            "hôm nay"
            if opening.date() == local.date()
            else "ngày mai"
            if opening.date() == local.date() + dt.timedelta(days=1)
            else f"{DAY_NAMES[opening.weekday()]} {opening:%d/%m}"
        )
        return f"từ {_hm(opening.time())} {day}"

    def reply_expectation(self, when: dt.datetime) -> str:
        """What a user is told when a person takes over: honest about when the reply comes."""
        if self.is_open(when):
            text = (
                f"Cán bộ {self.name} sẽ trả lời anh/chị ngay tại đây, thường trong khoảng "
                f"{self.reply_within_minutes} phút ạ."
            )
        else:
            text = (
                f"Hiện đang ngoài giờ làm việc ({self.hours_text()}). Cán bộ {self.name} sẽ trả lời "
                f"anh/chị vào giờ làm việc, sớm nhất {self.next_opening_text(when)} ạ."
            )
        if self.hotline_text:
            text += f" Việc gấp anh/chị gọi {self.hotline_text}."
        return text


def to_vietnam(when: dt.datetime) -> dt.datetime:
    """``when`` in Vietnam time; a naive datetime is taken as UTC (how the project stores times)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(VN_TZ)


def _hm(t: dt.time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def _fail(path: str, what: str) -> CentreSettingsError:
    return CentreSettingsError(f"{path}: {what}")


def _text(raw: Dict[str, Any], key: str, path: str, limit: int = 300) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise _fail(path, f"'{key}' must be text of at most {limit} characters")
    return value.strip()


def _time(text: str, path: str) -> dt.time:
    try:
        hours, minutes = text.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise _fail(path, f"office_hours.periods: '{text}' is not HH:MM") from None


def _hours(raw: Dict[str, Any], path: str, holidays: FrozenSet[dt.date] = frozenset()) -> OfficeHours:
    if not isinstance(raw, dict):
        raise _fail(path, "office_hours must be a mapping with 'days' and 'periods'")
    days_raw = raw.get("days", list(DAY_KEYS[:5]))
    if not isinstance(days_raw, list) or not days_raw:
        raise _fail(path, "office_hours.days must be a non-empty list such as [mon, tue, wed, thu, fri]")
    days = set()
    for day in days_raw:
        if str(day).lower() not in DAY_KEYS:
            raise _fail(path, f"office_hours.days: '{day}' is not one of {', '.join(DAY_KEYS)}")
        days.add(DAY_KEYS.index(str(day).lower()))
    periods_raw = raw.get("periods", ["07:30-11:30", "13:30-17:00"])
    if not isinstance(periods_raw, list) or not periods_raw:
        raise _fail(path, 'office_hours.periods must be a non-empty list such as ["07:30-11:30"]')
    periods = []
    for period in periods_raw:
        if not isinstance(period, str) or period.count("-") != 1:
            raise _fail(path, f"office_hours.periods: '{period}' is not HH:MM-HH:MM")
        start, end = (_time(part, path) for part in period.split("-"))
        if start >= end:
            raise _fail(path, f"office_hours.periods: '{period}' ends before it starts")
        periods.append((start, end))
    periods.sort()
    for (_, end), (start, _) in zip(periods, periods[1:]):
        if start < end:
            raise _fail(path, "office_hours.periods overlap")
    return OfficeHours(frozenset(days), tuple(periods), holidays)


def parse_centre(raw: Any, path: str = "<centre settings>") -> Centre:
    """Validate one parsed settings mapping (see ``configs/centre.yml``)."""
    if not isinstance(raw, dict):
        raise _fail(path, "expected a mapping of settings (name, province, hotline, …)")
    unknown = set(raw) - FIELDS
    if unknown:
        raise _fail(path, f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(FIELDS))}")
    name = _text(raw, "name", path, 200) or DEFAULT_NAME
    province = _text(raw, "province", path, 64) or None
    if province and province not in load_provinces():
        raise _fail(path, f"province '{province}' is not a key of policy_kb/data/provinces.yml")
    hotline_raw = raw.get("hotline")
    hotline = None
    if hotline_raw not in (None, ""):
        hotline = normalize_phone(str(hotline_raw))
        if hotline is None:
            raise _fail(path, 'hotline is not a Vietnamese phone number (e.g. "0238 3844 123")')
    holidays = set()
    for day in raw.get("holidays") or []:
        try:
            holidays.add(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)))
        except ValueError:
            raise _fail(path, f"holidays: '{day}' is not a date YYYY-MM-DD") from None
    minutes = raw.get("reply_within_minutes", 30)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 24 * 60:
        raise _fail(path, "reply_within_minutes must be a whole number of minutes (1–1440)")
    notice = raw.get("waiting_notice_minutes", 5)
    if not isinstance(notice, (int, float)) or isinstance(notice, bool) or not 0 < notice <= 24 * 60:
        raise _fail(path, "waiting_notice_minutes must be a number of minutes (more than 0, at most 1440)")
    return Centre(
        name=name,
        province=province,
        hotline=hotline,
        address=_text(raw, "address", path),
        email=_text(raw, "email", path, 120),
        website=_text(raw, "website", path, 200),
        office_hours=_hours(raw.get("office_hours") or {}, path, frozenset(holidays)),
        reply_within_minutes=minutes,
        waiting_notice_minutes=float(notice),
    )


def settings_path() -> Path:
    return Path(os.environ.get("CENTRE_SETTINGS") or DEFAULT_FILE)


def load_centre(path: Optional[Path] = None) -> Centre:
    path = Path(path) if path else settings_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(str(path), "file not found (copy configs/centre.yml and fill it in)") from None
    except yaml.YAMLError as exc:
        raise _fail(str(path), f"not valid YAML ({exc.__class__.__name__})") from None
    return parse_centre(raw if raw is not None else {}, str(path))


@lru_cache(maxsize=4)
def _cached(path: str) -> Centre:
    return load_centre(Path(path))


def centre() -> Centre:
    """The centre's settings, read once per process (per settings path)."""
    return _cached(str(settings_path()))

"""Vietnamese phone numbers: validate, normalise to E.164, and mask for logs.

Uses Google's libphonenumber metadata (``phonenumbers``), so the list of mobile prefixes
(03x, 05x, 07x, 08x, 09x since the 2018 renumbering) and of landline area codes (024 Hà Nội,
028 TP.HCM, 0236 Đà Nẵng, ...) stays current when the package is upgraded.

Accepted: a Vietnamese mobile or fixed-line number written with a leading ``0``, ``+84``,
``84`` or ``0084``, optionally grouped with spaces, dots, hyphens or brackets, e.g.
``0912 345 678``, ``0912.345.678``, ``+84 912 345 678``, ``84912345678``, ``024 3825 1234``,
``0236.3822.123``. Full-width digits (typed with some Vietnamese IMEs) are accepted.

Refused: anything with letters (``0912 345 67a``, ``0912345678 ext 1``), too short or too long,
numbers of other countries, and service numbers that are not a person's or business's line
(toll-free 1800, premium-rate 1900, emergency 113/114/115).

A phone number must never be written to a log in clear: use :func:`mask_phone`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

REGION = "VN"
_ALLOWED = re.compile(r"^\+?\(?[0-9][0-9 .\-()/]*$")
_MAX_INPUT = 32  # longest sane way of writing a VN number with separators
_CONTACT_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _parse(text: object) -> Optional[phonenumbers.PhoneNumber]:
    if not isinstance(text, str):
        return None
    # NFKC turns full-width digits and "＋" into ASCII; NBSP and other spaces into " ".
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned or len(cleaned) > _MAX_INPUT or not _ALLOWED.match(cleaned):
        return None
    digits = re.sub(r"\D", "", cleaned)
    if not 8 <= len(digits) <= 15:
        return None
    try:
        number = phonenumbers.parse(cleaned, REGION)
    except NumberParseException:
        return None
    if phonenumbers.region_code_for_number(number) != REGION:
        return None
    if not phonenumbers.is_valid_number_for_region(number, REGION):
        return None
    return number


def normalize_phone(text: object) -> Optional[str]:
    """The E.164 form (``+84912345678``) of a Vietnamese mobile or landline number, else None."""
    number = _parse(text)
    if number is None or phonenumbers.number_type(number) not in _CONTACT_TYPES:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def is_mobile(e164: object) -> bool:
    """True for a valid Vietnamese mobile number (in any accepted form)."""
    number = _parse(e164)
    return number is not None and phonenumbers.number_type(number) in _MOBILE_TYPES


def national_format(e164: object) -> Optional[str]:
    """``0912 345 678`` / ``024 3825 1234``: the form officers dial (None if not a VN number)."""
    number = _parse(e164)
    if number is None:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)


def mask_phone(e164: object) -> str:
    """``+84912345678`` -> ``+8491****678``: the only form of a phone number allowed in a log.

    Keeps the country code, the first two national digits (operator or area, not personal) and
    the last three digits; anything that is not a Vietnamese number gives ``****``.
    """
    number = _parse(e164)
    if number is None:
        return "****"
    digits = phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
    return f"+{digits[:4]}****{digits[-3:]}"

"""Constants and cell parsers of the SF 211 reader (see :mod:`importers.formats.airs_sf211`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from importers.formats._export_csv import Row
from importers.formats._textutil import clean_text
from importers.formats._textutil import unique
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CategoryIn
from importers.records import PhoneIn
from importers.records import ScheduleIn

COUNTRY = "US"
LANGUAGE = "en"
YES = {"yes", "true", "y", "1"}
# Placeholders that mean "nothing recorded".
EMPTY_VALUES = {"none or unknown", "na", "n/a"}

# (number column, name column, description column, private column, type, label)
PHONE_COLUMNS = [
    (f"Phone{n}Number", f"Phone{n}Name", f"Phone{n}Description", f"Phone{n}IsPrivate", None, None)
    for n in range(1, 6)
] + [
    (f"Phone{kind}", None, f"Phone{kind}Description", f"Phone{kind}IsPrivate", phone_type, label)
    for kind, phone_type, label in (
        ("Fax", "fax", None),
        ("TTY", "tty", None),
        ("TollFree", "voice", "toll-free"),
        ("NumberHotline", "voice", "hotline"),
        ("NumberBusinessLine", "voice", "business line"),
        ("NumberOutOfArea", "voice", "out of area"),
        ("NumberAfterHours", "voice", "after hours"),
    )
]
DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
TIME = r"(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?"
SLOT_RE = re.compile(rf"^({'|'.join(DAYS)})\w*\s+{TIME}\s*-\s*{TIME}$", re.IGNORECASE)


def _value(row: Row, column: str) -> str | None:
    """Cleaned text, with placeholders such as "None or unknown" read as empty."""
    text = clean_text(row.get(column))
    if text is None or text.lower() in EMPTY_VALUES:
        return None
    return text


def _yes(row: Row, column: str) -> bool:
    return (clean_text(row.get(column)) or "").lower() in YES


def _is_active(row: Row) -> bool:
    return (clean_text(row.get("AgencyStatus")) or "active").lower() != "inactive"


def _alternate_name(row: Row) -> str | None:
    """``AlternateName`` is a ``;``-terminated list ("AIRRC;"): the trailing ``;`` goes."""
    text = clean_text(row.get("AlternateName"))
    return (text.rstrip("; ").strip() or None) if text else None


def _split(value: str | None, separator: str) -> list[str]:
    return unique([p for p in (clean_text(part) for part in (value or "").split(separator)) if p])


def _address(row: Row, prefix: str, address_type: str) -> AddressIn | None:
    street = clean_text(row.get(f"{prefix}Address1"))
    address_2 = clean_text(row.get(f"{prefix}Address2"))
    postcode = clean_text(row.get(f"{prefix}PostalCode"))
    if not any((street, address_2, postcode)):
        # City/state/country alone are filled in on almost every row: not an address.
        return None
    return AddressIn(
        address_type=address_type,
        street=street,
        address_2=address_2,
        postcode=postcode,
        city=clean_text(row.get(f"{prefix}City")),
        state_province=clean_text(row.get(f"{prefix}StateProvince")),
        region=clean_text(row.get(f"{prefix}County")),
        country=COUNTRY,
    )


def _one_line(address: AddressIn) -> str:
    place = " ".join(p for p in (address.state_province, address.postcode) if p)
    parts = (address.street, address.address_2, address.city, place)
    return ", ".join(p for p in parts if p)


def _phones(row: Row) -> list[PhoneIn]:
    phones = []
    for number_col, name_col, description_col, private_col, phone_type, label in PHONE_COLUMNS:
        number = _value(row, number_col)
        if number is None or _yes(row, private_col):
            continue
        if name_col:
            label = clean_text(row.get(name_col))
        description = clean_text(row.get(description_col))
        phones.append(
            PhoneIn(
                number=number,
                type=phone_type,
                description="; ".join(p for p in (label, description) if p) or None,
                country=COUNTRY,
            )
        )
    return phones


def _schedules(row: Row) -> list[ScheduleIn]:
    """Weekly slots from ``Hours`` when every time has am/pm; the texts as free text."""
    out = []
    for entry in _split(row.get("Hours"), ";"):
        match = SLOT_RE.match(entry)
        if match is None:
            continue
        day, h1, m1, ap1, h2, m2, ap2 = match.groups()
        opens_at, closes_at = _clock(h1, m1, ap1), _clock(h2, m2, ap2)
        if opens_at and closes_at:
            out.append(
                ScheduleIn(weekday=DAYS[day[:3].lower()], opens_at=opens_at, closes_at=closes_at)
            )
    for column in ("HoursOfOperation", "Hours"):
        text = clean_text(row.get(column))
        if text is not None:
            out.append(ScheduleIn(description=text))
    return out


def _clock(hour: str, minute: str | None, meridiem: str) -> str | None:
    h, m = int(hour), int(minute or 0)
    if not (1 <= h <= 12 and 0 <= m < 60):
        return None
    h = h % 12 + (12 if meridiem.lower() == "p" else 0)
    return f"{h:02d}:{m:02d}"


def _languages(row: Row) -> list[str]:
    """``LanguagesOffered`` split on commas outside parentheses, unless it holds hours."""
    text = _value(row, "LanguagesOffered")
    if text is None or text.lower() == "none":
        return []
    parts = [clean_text(p) for p in re.split(r"[,;](?![^(]*\))", text)]
    parts = [p for p in parts if p]
    if any(re.search(r"\d", p) for p in parts):
        # "Spanish, Monday-Friday, 10:30-5": splitting would make days into languages.
        return [text]
    return unique(parts)


def _taxonomy(row: Row, ref: str, batch: Batch) -> tuple[list[CategoryIn], list[CategoryIn]]:
    """AIRS codes (``A; B * Y``) -> categories (labels from ``TaxonomyTerm``) and targets."""
    entries = _split(row.get("TaxonomyCodes"), ";")
    labels = _split(row.get("TaxonomyTerm"), ";")
    if labels and len(labels) != len(entries):
        batch.warn(ref, "TaxonomyTerm does not line up with TaxonomyCodes; codes only")
        labels = []
    categories: list[CategoryIn] = []
    targets: list[CategoryIn] = []
    for index, entry in enumerate(entries):
        codes = [c for c in (clean_text(part) for part in entry.split("*")) if c]
        if not codes:
            continue
        label = labels[index] if labels else None
        category = CategoryIn(scheme="airs", code=codes[0], label=label)
        if category not in categories:
            categories.append(category)
        for code in codes[1:]:
            target = CategoryIn(scheme="airs", code=code)
            if target not in targets:
                targets.append(target)
    return categories, targets


def _date(row: Row, column: str, ref: str, batch: Batch) -> dt.date | None:
    """``M/D/YY`` (the export's format) or ``M/D/YYYY``."""
    text = clean_text(row.get(column))
    if text is None:
        return None
    for pattern in ("%m/%d/%y", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    batch.warn(ref, f"not a M/D/YY date: {text!r}", column)
    return None


def _as_datetime(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time()) if day is not None else None


#: Columns naming or reaching staff members; never kept, not even in the raw payload.
PERSONAL_COLUMNS = frozenset(
    {"LastVerificationApprovedBy", "SeniorWorkerPhoneNumber", "LastVerifiedByPhoneNumber"}
)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in PERSONAL_COLUMNS}

"""Constants, Airtable cells and linked tables (phones, addresses, schedules, terms) of the
Whatcom Airtable reader (see :mod:`importers.formats.whatcom_airtable`)."""

from __future__ import annotations

import csv
import datetime as dt
import re

from importers.formats._export_csv import Row
from importers.formats._export_csv import Table
from importers.formats._textutil import WEEKDAYS  # noqa: F401 (re-exported)
from importers.formats._textutil import clean_text
from importers.formats._textutil import unique
from importers.records import AddressIn
from importers.records import Batch
from importers.records import PhoneIn
from importers.records import ScheduleIn

COUNTRY = "US"
LANGUAGE = "en"

ORG_FILE = "what_organization.csv"
LOCATION_FILE = "what_location.csv"
SERVICE_FILE = "what_service.csv"
PHONE_FILE = "what_phone.csv"
ADDRESS_FILE = "what_physical_addresse.csv"
SCHEDULE_FILE = "what_schedule.csv"
TAXONOMY_FILE = "what_taxonomy_term.csv"


def _ids(value: str | None) -> list[str]:
    """Record ids from an Airtable id cell (``recA, recB``)."""
    return unique([part for part in (clean_text(p) for p in (value or "").split(",")) if part])


def _names(value: str | None) -> list[str]:
    """Record names from an Airtable link cell; names holding commas are CSV-quoted."""
    if not value or not value.strip():
        return []
    try:
        parts = next(csv.reader([value.replace("\r", "").replace("\n", " ")]))
    except (csv.Error, StopIteration):
        parts = value.split(",")
    return [text for text in (clean_text(p) for p in parts) if text]


# --- linked tables -------------------------------------------------------------------------


class Links:
    """Items of a linked table (phones, addresses, schedules) by the id they link to."""

    def __init__(self) -> None:
        self.by_org: dict[str, list] = {}
        self.by_location: dict[str, list] = {}
        self.by_service: dict[str, list] = {}
        self.by_id: dict[str, list] = {}

    def add(self, row: Row, items: list) -> bool:
        """File ``items`` under every record ``row`` links to; False when it links to none."""
        linked = False
        for column, target in (
            ("organization_id", self.by_org),
            ("location_id", self.by_location),
            ("service_id", self.by_service),
        ):
            for record_id in _ids(row.get(column)):
                target.setdefault(record_id, []).extend(items)
                linked = True
        record_id = clean_text(row.get("id"))
        if record_id is not None:
            self.by_id.setdefault(record_id, []).extend(items)
        return linked


def _phones(table: Table, batch: Batch) -> Links:
    links = Links()
    for ref, row in table:
        number = clean_text(row.get("number"))
        if number is None:
            batch.reject(ref, "phone without a number", "number")
            continue
        description = clean_text(row.get("description"))
        language = clean_text(row.get("language"))
        if language is not None:
            # PhoneIn has no language; keep it readable next to the description.
            description = "; ".join(filter(None, [description, f"languages: {language}"]))
        phone = PhoneIn(
            number=number,
            extension=clean_text(row.get("extension")),
            type=clean_text(row.get("type")),
            description=description,
            country=COUNTRY,
        )
        if not links.add(row, [phone]):
            batch.reject(ref, "phone not linked to any organization, location or service")
    return links


def _addresses(table: Table, batch: Batch) -> Links:
    links = Links()
    for ref, row in table:
        address = AddressIn(
            address_type="physical",
            street=clean_text(row.get("address_1")),
            address_2=clean_text(row.get("x-address_2")),
            postcode=clean_text(row.get("postal_code")),
            city=clean_text(row.get("city")),
            state_province=clean_text(row.get("state")),
            region=clean_text(row.get("region")),
            country=COUNTRY,
            attention=clean_text(row.get("attention")),
        )
        if not any((address.street, address.address_2, address.city, address.postcode)):
            batch.reject(ref, "empty address")
            continue
        if not links.add(row, [address]):
            batch.reject(ref, "address not linked to any location", "location_id")
    return links


def _schedules(table: Table, batch: Batch) -> Links:
    links = Links()
    for ref, row in table:
        items = _schedule(row, ref, batch)
        if not items:
            batch.reject(ref, "schedule without days, times or description")
            continue
        if not links.add(row, items):
            batch.reject(ref, "schedule not linked to any location or service")
    return links


def _schedule(row: Row, ref: str, batch: Batch) -> list[ScheduleIn]:
    """One schedule row -> one slot per weekday in ``byday``."""
    notes = [clean_text(row.get("description")), clean_text(row.get("interval"))]
    valid_from = _date(row, "valid_from")
    valid_to = _date(row, "valid_to")
    for column, parsed in (("valid_from", valid_from), ("valid_to", valid_to)):
        text = clean_text(row.get(column))
        if text is not None and parsed is None:
            # Free text such as "January": not a date, still worth showing.
            notes.append(f"{column.replace('_', ' ')}: {text}")
    description = " ".join(note for note in notes if note) or None
    opens_at = _time(row, "opens_at", ref, batch)
    closes_at = _time(row, "closes_at", ref, batch)
    days = []
    for day in (clean_text(p) for p in (row.get("byday") or "").split(",")):
        if day is None:
            continue
        weekday = WEEKDAYS.get(day.lower())
        if weekday is None:
            batch.warn(ref, f"unknown day {day!r}", "byday")
        else:
            days.append(weekday)
    if not days:
        if description is None and opens_at is None:
            return []
        return [ScheduleIn(description=description, opens_at=opens_at, closes_at=closes_at)]
    return [
        ScheduleIn(
            weekday=day,
            opens_at=opens_at,
            closes_at=closes_at,
            valid_from=valid_from,
            valid_to=valid_to,
            description=description,
        )
        for day in unique(days)
    ]


def _terms(table: Table, batch: Batch) -> dict[str, tuple[str, str]]:
    """``{term id: (term, taxonomy)}``."""
    out: dict[str, tuple[str, str]] = {}
    for ref, row in table:
        record_id = clean_text(row.get("id"))
        term = clean_text(row.get("term"))
        if record_id is None or term is None:
            batch.reject(ref, "taxonomy term without id or term")
            continue
        out.setdefault(record_id, (term, (clean_text(row.get("taxonomy")) or "").lower()))
    return out


# --- values --------------------------------------------------------------------------------


def _time(row: Row, column: str, ref: str, batch: Batch) -> str | None:
    """``10:00 AM`` / ``7:45 pm`` / ``13:30`` -> ``HH:MM``; unreadable times are reported."""
    text = clean_text(row.get(column))
    if text is None:
        return None
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?", text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        meridiem = (match.group(3) or "").lower().replace(".", "")
        if meridiem and 1 <= hour <= 12:
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        if 0 <= hour <= 24 and 0 <= minute < 60 and (match.group(2) or meridiem):
            return f"{hour:02d}:{minute:02d}"
    batch.warn(ref, f"unreadable time {text!r}", column)
    return None


def _date(row: Row, column: str) -> dt.date | None:
    """``YYYY-MM-DD`` or ``M/D/YYYY``; anything else is ``None`` (the caller keeps the text)."""
    text = clean_text(row.get(column))
    if text is None:
        return None
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None

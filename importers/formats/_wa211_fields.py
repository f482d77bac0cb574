"""Constants and cell parsers of the WA 211 reader (see :mod:`importers.formats.airs_wa211`)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from importers.formats._export_csv import Row
from importers.formats._textutil import WEEKDAYS  # noqa: F401 (re-exported)
from importers.formats._textutil import clean_text
from importers.formats._textutil import unique
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CategoryIn
from importers.records import ScheduleIn
from importers.records import ServiceAreaIn

COUNTRY = "US"
LANGUAGE = "en"

AGENCY_FILE = "wa211_agency.csv"
SITE_FILE = "wa211_site.csv"
PROGRAM_FILE = "wa211_program.csv"
SERVICE_FILE = "wa211_service.csv"

# iCarol status options (the template row lists them all). Organisations only know
# active/inactive; services also "temporarily closed".
ACTIVE_STATUSES = {"active", "new", "outreach", "temporary"}
PAUSED_STATUSES = {"covid-19 closure", "on hold", "suspended"}
ENDED_STATUSES = {"inactive", "closed", "delete", "cancelled", "rejected"}


def _address(row: Row, prefix: str, address_type: str) -> AddressIn | None:
    def part(name: str) -> str | None:
        return clean_text(row.get(prefix + name))

    street = part("address_1")
    address_2 = part("address_2")
    city = part("city")
    postcode = part("zip")
    if not any((street, address_2, city, postcode)):
        return None
    return AddressIn(
        address_type=address_type,
        street=street,
        address_2=address_2,
        postcode=postcode,
        city=city,
        state_province=part("state"),
        region=part("county"),
        country=COUNTRY,
    )


def _json_cell(row: Row, column: str, ref: str, batch: Batch) -> Any:
    """Parse a JSON cell; broken JSON is reported and read as empty."""
    text = clean_text(row.get(column))
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        batch.warn(ref, f"not valid JSON: {text[:80]!r}", column)
        return None


def _option_list(row: Row, column: str, ref: str, batch: Batch) -> list[str]:
    """Read an iCarol option cell (``["Active"]``) as a list of labels."""
    value = _json_cell(row, column, ref, batch)
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    return [text for text in (clean_text(item) for item in value) if text is not None]


def _status_word(row: Row, column: str, ref: str, batch: Batch) -> str | None:
    options = _option_list(row, column, ref, batch)
    return options[0].lower() if options else None


def _org_status(row: Row, column: str, ref: str, batch: Batch) -> str:
    word = _status_word(row, column, ref, batch)
    if word is None or word in ACTIVE_STATUSES or word in PAUSED_STATUSES:
        return "active"
    if word in ENDED_STATUSES:
        return "inactive"
    batch.warn(ref, f"unknown status {word!r}; read as active", column)
    return "active"


def _service_status(row: Row, column: str, ref: str, batch: Batch) -> str:
    word = _status_word(row, column, ref, batch)
    if word is None or word in ACTIVE_STATUSES:
        return "active"
    if word in PAUSED_STATUSES:
        return "temporarily closed"
    if word in ENDED_STATUSES:
        return "inactive"
    batch.warn(ref, f"unknown status {word!r}; read as active", column)
    return "active"


def _linked_ids(row: Row, column: str, key: str, ref: str, batch: Batch) -> list[str]:
    """Ids from a link cell: ``[{"Site_Id":164}]`` or ``[164]``."""
    value = _json_cell(row, column, ref, batch)
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]
    ids = []
    for item in value:
        if isinstance(item, dict):
            item = item.get(key)
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            batch.warn(ref, f"unreadable link {item!r}", column)
            continue
        text = clean_text(item)
        if text is not None:
            ids.append(text)
    return unique(ids)


def _id_names(row: Row, column: str, key: str) -> dict[str, str]:
    """``{id: name}`` from an export-only ``*_Both`` cell, for readable warnings."""
    try:
        value = json.loads(row.get(column) or "[]")
    except ValueError:
        return {}
    out = {}
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and item.get(key) is not None:
            out[str(item[key])] = clean_text(item.get("Name")) or ""
    return out


def _hours(row: Row, ref: str, batch: Batch) -> list[ScheduleIn]:
    """Weekly slots from ``{"open": {"Monday": [[[8,0],[17,0]]], ...}, "closed": []}``."""
    column = "ServiceHoursofoperation_ModuleHoursofoperation"
    value = _json_cell(row, column, ref, batch)
    if value is None:
        return []
    opening = value.get("open") if isinstance(value, dict) else None
    if not isinstance(opening, dict):
        batch.warn(ref, "hours without an 'open' object", column)
        return []
    out = []
    for day, slots in opening.items():
        weekday = WEEKDAYS.get(str(day).lower())
        if weekday is None or not isinstance(slots, list):
            batch.warn(ref, f"unreadable hours for {day!r}", column)
            continue
        for slot in slots:
            try:
                (open_h, open_m), (close_h, close_m) = slot
                opens_at = _hhmm(open_h, open_m)
                closes_at = _hhmm(close_h, close_m)
            except (TypeError, ValueError):
                batch.warn(ref, f"unreadable time slot {slot!r} on {day}", column)
                continue
            out.append(ScheduleIn(weekday=weekday, opens_at=opens_at, closes_at=closes_at))
    return out


def _hhmm(hour: Any, minute: Any) -> str:
    if isinstance(hour, bool) or isinstance(minute, bool):
        raise ValueError("not a time")
    hour, minute = int(hour), int(minute)
    if not (0 <= hour <= 24 and 0 <= minute < 60) or (hour == 24 and minute):
        raise ValueError("out of range")
    return f"{hour:02d}:{minute:02d}"


def _taxonomy(row: Row, ref: str, batch: Batch) -> list[CategoryIn]:
    column = "ServiceTaxonomy_ModuleServicepost"
    value = _json_cell(row, column, ref, batch)
    codes = []
    for item in value if isinstance(value, list) else []:
        code = clean_text(item.get("taxonomy_code")) if isinstance(item, dict) else None
        if code is None:
            batch.warn(ref, f"unreadable taxonomy entry {item!r}", column)
            continue
        codes.append(code)
    return [CategoryIn(scheme="airs", code=code) for code in unique(codes)]


def _target_groups(row: Row, ref: str, batch: Batch) -> list[CategoryIn]:
    out = []
    for column, scheme in (
        ("ServiceOption_FocusPopulations", "wa211-focus-population"),
        ("ServiceOption_AgeGroups", "wa211-age-group"),
        ("ServiceOption_DisabilitiesHealthConditions", "wa211-health-condition"),
    ):
        for label in unique(_option_list(row, column, ref, batch)):
            out.append(CategoryIn(scheme=scheme, label=label))
    return out


def _service_areas(row: Row, ref: str, batch: Batch) -> list[ServiceAreaIn]:
    """Geotags (``{"scope":"county","county":"Whatcom","state":"WA"}``) -> service areas."""
    column = "ServiceGeotagus_ServiceGeotagus"
    value = _json_cell(row, column, ref, batch)
    out: list[ServiceAreaIn] = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        scope = clean_text(item.get("scope")) or ""
        state = clean_text(item.get("state"))
        county = clean_text(item.get("county"))
        city = clean_text(item.get("city"))
        postcode = clean_text(item.get("zip"))
        # Same texts as the HSDS readers give WithinReach's identical geotags, so that
        # areas of one service listed by both publishers compare equal.
        if scope == "country":
            area = ServiceAreaIn(kind="country", code=clean_text(item.get("country")))
        elif scope == "state" and state:
            area = ServiceAreaIn(kind="text", name=state)
        elif scope in ("zip", "city_zip", "zip_city", "county_zip", "zip_county") and postcode:
            area = ServiceAreaIn(kind="postcode", code=postcode, name=city)
        elif scope in ("city", "city_county", "county_city") and city:
            area = ServiceAreaIn(kind="text", name=_joined(city, state))
        elif scope == "county" and county:
            area = ServiceAreaIn(kind="text", name=_joined(f"{county} County", state))
        else:
            batch.warn(ref, f"unreadable geotag {item!r}", column)
            continue
        if area not in out:
            out.append(area)
    return out


def _joined(name: str, state: str | None) -> str:
    return f"{name}, {state}" if state else name


def _date(row: Row, column: str, ref: str, batch: Batch) -> dt.date | None:
    text = clean_text(row.get(column))
    if text is None:
        return None
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", text)
    try:
        if match is None:
            raise ValueError(text)
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        batch.warn(ref, f"not a YYYY/MM/DD date: {text!r}", column)
        return None


def _as_datetime(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time()) if day is not None else None

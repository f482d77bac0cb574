"""Reader for LinkSF (SF Brigade, 2014): ``linksf.json`` facilities or ``locations.csv``.

Format name ``linksf``. ``location`` is either file, or a folder holding them; in a folder
the JSON is preferred because only it has services, hours and ids.

- JSON: an array of Parse "Facility" objects. Each becomes a :class:`LocationIn`
  (``objectId``; ``location`` GeoPoint; ``phone`` is free text and kept as written) and each
  of its ``services`` a :class:`ServiceIn` at that location (``category`` ->
  ``CategoryIn("linksf", ...)``; the facility's ``gender``/``age`` codes -> target groups;
  ``openHours`` ``{"1": [[900, 1700]]}`` -> weekly slots, day ``0`` = Sunday, times HHMM).
  The export repeats some facilities verbatim: later copies are rejected as duplicates.
- CSV: one row per facility (name, address, lat/long, phone, notes, 0/1 category flags),
  old-Mac CR-only line endings, Mac Roman bytes (whose text was already UTF-8 misread as
  Windows-1252, "Womanâ€™s": such cells are repaired and reported). Rows have no id: the id
  is a hash of name and address, so repeated rows are rejected as duplicates. The flags are
  kept in ``raw`` only (there are no services to attach them to). The CSV has no city: it is
  set to San Francisco, the only city LinkSF covers (state CA in both variants).

LinkSF has no organisations: locations and services carry ``organization_ref=None``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._export_csv import parse_table
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.formats._textutil import stable_hash
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CategoryIn
from importers.records import LocationIn
from importers.records import MalformedSource
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceIn

FORMAT = "linksf"
COUNTRY = "US"
LANGUAGE = "en"
STATE = "CA"
JSON_FILE = "linksf.json"
CSV_FILE = "locations.csv"
CSV_COLUMNS = ("name", "address", "lat", "long")
CATEGORY_FLAGS = ("food", "housing", "hygiene", "medical", "technology")

# Codes of the LinkSF app's filters.
GENDERS = {"F": "female", "M": "male"}
AGES = {"C": "children", "Y": "youth", "A": "adults", "S": "seniors"}


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read LinkSF facilities (JSON preferred, CSV accepted) into a :class:`Batch`."""
    path = Path(location)
    if path.is_dir():
        if (path / JSON_FILE).is_file():
            path = path / JSON_FILE
        elif (path / CSV_FILE).is_file():
            path = path / CSV_FILE
        else:
            raise MalformedSource(f"{location}: neither {JSON_FILE} nor {CSV_FILE} found")
    if not path.is_file():
        raise MalformedSource(f"{location}: file not found")
    batch = Batch(default_country=COUNTRY)
    if path.suffix.lower() == ".json":
        _read_json(path, batch)
    else:
        _read_csv(path, batch)
    return batch


# --- JSON ----------------------------------------------------------------------------------


def _read_json(path: Path, batch: Batch) -> None:
    try:
        items = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedSource(f"{path.name}: not valid UTF-8 JSON ({exc})") from exc
    if not isinstance(items, list):
        raise MalformedSource(f"{path.name}: expected a JSON array of facilities")
    locations: set[str] = set()
    services: set[str] = set()
    for number, item in enumerate(items, start=1):
        ref = f"{path.name} item {number}"
        if not isinstance(item, dict):
            batch.reject(ref, "not a JSON object")
            continue
        loc = _facility(item, ref, batch)
        if loc is None:
            continue
        if loc.external_id in locations:
            batch.reject(ref, f"duplicate id {loc.external_id}", "objectId")
            continue
        locations.add(loc.external_id)
        batch.locations.append(loc)
        raw_services = item.get("services") or []
        if not isinstance(raw_services, list):
            batch.warn(ref, "services is not a list; ignored", "services")
            raw_services = []
        for index, raw in enumerate(raw_services, start=1):
            service_ref = f"{ref} service {index}"
            if not isinstance(raw, dict):
                batch.reject(service_ref, "not a JSON object")
                continue
            svc = _service(raw, item, loc.external_id, service_ref, batch)
            if svc is None:
                continue
            if svc.external_id in services:
                batch.reject(service_ref, f"duplicate id {svc.external_id}", "objectId")
                continue
            services.add(svc.external_id)
            batch.services.append(svc)


def _facility(item: dict[str, Any], ref: str, batch: Batch) -> LocationIn | None:
    record_id = clean_text(item.get("objectId"))
    if record_id is None:
        batch.reject(ref, "missing objectId", "objectId")
        return None
    point = item.get("location") if isinstance(item.get("location"), dict) else {}
    latitude, longitude = _coordinates(point.get("latitude"), point.get("longitude"), ref, batch)
    street = clean_text(item.get("address"))
    city = clean_text(item.get("city"))
    phone = clean_text(item.get("phone"))
    description = "\n\n".join(
        text
        for text in (clean_text(item.get("description")), clean_text(item.get("notes")))
        if text
    )
    return LocationIn(
        external_id=record_id,
        organization_ref=None,
        name=clean_text(item.get("name")),
        description=description,
        latitude=latitude,
        longitude=longitude,
        addresses=[_address(street, city)] if street or city else [],
        phones=[PhoneIn(number=phone, country=COUNTRY)] if phone else [],
        url=clean_text(item.get("website")),
        language=LANGUAGE,
        raw=item,
        ref=ref,
    )


def _service(
    raw: dict[str, Any], facility: dict[str, Any], location_id: str, ref: str, batch: Batch
) -> ServiceIn | None:
    record_id = clean_text(raw.get("objectId"))
    if record_id is None:
        batch.reject(ref, "missing objectId", "objectId")
        return None
    category = clean_text(raw.get("category"))
    description = _paragraphs(raw.get("description"), raw.get("notes"))
    return ServiceIn(
        external_id=record_id,
        organization_ref=None,
        name=clean_text(raw.get("name")),
        location_refs=[location_id],
        description=description,
        schedules=_open_hours(raw.get("openHours"), ref, batch),
        categories=[CategoryIn(scheme="linksf", code=category, label=category)] if category else [],
        target_groups=_target_groups(facility, ref, batch),
        last_modified=_timestamp(raw.get("updatedAt"), ref, batch),
        language=LANGUAGE,
        raw=raw,
        ref=ref,
    )


def _open_hours(value: Any, ref: str, batch: Batch) -> list[ScheduleIn]:
    """``{"0": [[0, 700], [1500, 2359]], ...}`` (day 0 = Sunday, times HHMM) -> slots."""
    if not value:
        return []
    if not isinstance(value, dict):
        batch.warn(ref, "openHours is not an object; ignored", "openHours")
        return []
    out = []
    for day, slots in sorted(value.items()):
        try:
            weekday = int(day)
            if not 0 <= weekday <= 6:
                raise ValueError(day)
        except ValueError:
            batch.warn(ref, f"unknown day {day!r}", "openHours")
            continue
        for slot in slots if isinstance(slots, list) else [slots]:
            try:
                opens, closes = slot
                opens_at, closes_at = _hhmm(opens), _hhmm(closes)
            except (TypeError, ValueError):
                batch.warn(ref, f"unreadable time slot {slot!r} on day {day}", "openHours")
                continue
            out.append(ScheduleIn(weekday=weekday or 7, opens_at=opens_at, closes_at=closes_at))
    return out


def _hhmm(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not an HHMM number")
    hour, minute = divmod(value, 100)
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        raise ValueError("out of range")
    return f"{hour:02d}:{minute:02d}"


def _target_groups(facility: dict[str, Any], ref: str, batch: Batch) -> list[CategoryIn]:
    out = []
    gender = clean_text(facility.get("gender"))
    if gender is not None:
        if gender not in GENDERS:
            batch.warn(ref, f"unknown gender code {gender!r}", "gender")
        out.append(CategoryIn(scheme="linksf-gender", code=gender, label=GENDERS.get(gender)))
    ages = facility.get("age") or []
    for code in ages if isinstance(ages, list) else [ages]:
        code = clean_text(code)
        if code is None:
            continue
        if code not in AGES:
            batch.warn(ref, f"unknown age code {code!r}", "age")
        out.append(CategoryIn(scheme="linksf-age", code=code, label=AGES.get(code)))
    return out


def _timestamp(value: Any, ref: str, batch: Batch) -> dt.datetime | None:
    text = clean_text(value)
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        batch.warn(ref, f"not an ISO timestamp: {text!r}", "updatedAt")
        return None


# --- CSV -----------------------------------------------------------------------------------


def _read_csv(path: Path, batch: Batch) -> None:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # CR-only line endings betray a classic-Mac export: its encoding is Mac Roman.
        encoding = "mac_roman" if b"\r" in data and b"\n" not in data else "cp1252"
        text = data.decode(encoding, errors="replace")
        batch.warn(path.name, f"file is not UTF-8; read as {encoding}")
    seen: set[str] = set()
    for ref, row in parse_table(text, path.name, CSV_COLUMNS, batch):
        for column, value in row.items():
            repaired = _unmangle(value)
            if repaired != value:
                batch.warn(ref, "UTF-8 text stored as Windows-1252 (â€™): repaired", column)
                row[column] = repaired
        loc = _csv_location(row, ref, batch)
        if loc is None:
            continue
        if loc.external_id in seen:
            batch.reject(ref, "duplicate row (same name and address as an earlier row)")
            continue
        seen.add(loc.external_id)
        batch.locations.append(loc)


def _unmangle(text: str) -> str:
    """Undo UTF-8 read as Windows-1252 ("Womanâ€™s" -> "Woman’s") when that is exactly it."""
    if "â€" not in text and "Ã" not in text:
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text


def _csv_location(row: dict[str, str], ref: str, batch: Batch) -> LocationIn | None:
    name = clean_text(row.get("name"))
    street = clean_text(row.get("address"))
    if name is None and street is None:
        batch.reject(ref, "row without name and address", "name")
        return None
    latitude, longitude = _coordinates(row.get("lat"), row.get("long"), ref, batch)
    phone = clean_text(row.get("phone"))
    return LocationIn(
        external_id=stable_hash(name, street),
        organization_ref=None,
        name=name,
        description=clean_text(row.get("notes")),
        latitude=latitude,
        longitude=longitude,
        # The CSV has no city column: every LinkSF facility is in San Francisco.
        addresses=[_address(street, "San Francisco")] if street else [],
        phones=[PhoneIn(number=phone, country=COUNTRY)] if phone else [],
        language=LANGUAGE,
        raw=dict(row),
        ref=ref,
    )


# --- shared --------------------------------------------------------------------------------


def _paragraphs(*values: Any) -> str | None:
    """Join the non-empty texts (description, notes) as paragraphs."""
    return "\n\n".join(text for text in (clean_text(v) for v in values) if text) or None


def _address(street: str | None, city: str | None) -> AddressIn:
    return AddressIn(street=street, city=city, state_province=STATE, country=COUNTRY)


def _coordinates(
    latitude: Any, longitude: Any, ref: str, batch: Batch
) -> tuple[float | None, float | None]:
    try:
        lat = parse_coordinate(latitude, -90, 90)
        lng = parse_coordinate(longitude, -180, 180)
    except ValueError as exc:
        batch.warn(ref, f"coordinates ignored: {exc}", "location")
        return None, None
    if lat is None or lng is None:
        return None, None
    return lat, lng

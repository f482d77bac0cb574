"""Reader for the Whatcom County Airtable export (HSDS-like ``what_*.csv`` tables).

Format name ``whatcom-airtable``. ``location`` is the folder with ``what_organization.csv``,
``what_location.csv`` and ``what_service.csv`` (required) and, when present,
``what_phone.csv``, ``what_physical_addresse.csv``, ``what_schedule.csv`` and
``what_taxonomy_term.csv``. A path to one of those files means its folder.

Airtable link cells come in pairs: a column of record *names* (CSV-quoted inside the cell
when a name holds a comma: ``"DSHS, Island County ",Answers Counseling``) and a column of
record *ids* (``recAbc, recDef``). Links are followed by id. The organisation table has
no id column, so an organisation's id is learnt from the (name, id) pairs of the tables
that link to it; an organisation nobody links to gets ``name:<its name>``.

Mapping: phones, addresses and schedules are separate tables linked to organisations,
locations and services and are attached to every record they link to (rows linked to
nothing are rejected). Taxonomy terms of taxonomy "Service Category" become categories,
"Service Eligibility" terms target groups (scheme ``open-eligibility``, the term as label:
the export has no codes). An organisation's "Service Area" becomes a text service area
of its services. Schedules (``10:00 AM``, ``Monday,Wednesday``) become one slot per day;
the free-text columns misused for recurrence ("First Friday of each month.") go to the
description.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._csvutil import decode_bytes
from importers.formats._csvutil import sniff_delimiter
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.formats._textutil import unique
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CapacityIn
from importers.records import CategoryIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import MalformedSource
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceAreaIn
from importers.records import ServiceIn

FORMAT = "whatcom-airtable"
COUNTRY = "US"
LANGUAGE = "en"

ORG_FILE = "what_organization.csv"
LOCATION_FILE = "what_location.csv"
SERVICE_FILE = "what_service.csv"
PHONE_FILE = "what_phone.csv"
ADDRESS_FILE = "what_physical_addresse.csv"
SCHEDULE_FILE = "what_schedule.csv"
TAXONOMY_FILE = "what_taxonomy_term.csv"

REQUIRED_COLUMNS = {
    ORG_FILE: ("name",),
    LOCATION_FILE: ("id", "name"),
    SERVICE_FILE: ("id", "name"),
}
OPTIONAL_COLUMNS = {
    PHONE_FILE: ("id", "number"),
    ADDRESS_FILE: ("id", "address_1"),
    SCHEDULE_FILE: ("id",),
    TAXONOMY_FILE: ("id", "term"),
}

WEEKDAYS = {
    "monday": 1,
    "tuesday": 2,
    "wednesday": 3,
    "thursday": 4,
    "friday": 5,
    "saturday": 6,
    "sunday": 7,
}
SERVICE_STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
FREE_FEES = {"free", "free.", "none", "none.", "no fee", "no fees"}
ELIGIBILITY_TAXONOMY = "service eligibility"

Row = dict[str, str]
Table = list[tuple[str, Row]]


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read a Whatcom Airtable export folder into a :class:`Batch`."""
    folder = Path(location)
    if folder.is_file():
        folder = folder.parent
    if not folder.is_dir():
        raise MalformedSource(f"{location}: not a folder with the what_*.csv files")
    batch = Batch(default_country=COUNTRY)
    tables: dict[str, Table] = {}
    for name, required in REQUIRED_COLUMNS.items():
        tables[name] = _read_table(folder / name, required, batch)
    for name, required in OPTIONAL_COLUMNS.items():
        path = folder / name
        tables[name] = _read_table(path, required, batch) if path.is_file() else []

    org_ids = _organization_ids(tables)
    phones = _phones(tables[PHONE_FILE], batch)
    addresses = _addresses(tables[ADDRESS_FILE], batch)
    schedules = _schedules(tables[SCHEDULE_FILE], batch)
    terms = _terms(tables[TAXONOMY_FILE], batch)

    areas: dict[str, str] = {}
    known_orgs: set[str] = set()
    for ref, row in tables[ORG_FILE]:
        org = _organization(row, ref, org_ids, phones, batch)
        if org is None:
            continue
        if org.external_id in known_orgs:
            batch.reject(ref, f"duplicate id {org.external_id}", "name")
            continue
        known_orgs.add(org.external_id)
        batch.organizations.append(org)
        area = clean_text(row.get("Service Area"))
        if area is not None:
            areas[org.external_id] = area

    seen: set[str] = set()
    for ref, row in tables[LOCATION_FILE]:
        loc = _location(row, ref, known_orgs, phones, addresses, schedules, batch)
        if loc is None:
            continue
        if loc.external_id in seen:
            batch.reject(ref, f"duplicate id {loc.external_id}", "id")
            continue
        seen.add(loc.external_id)
        batch.locations.append(loc)

    known_locations = {loc.external_id for loc in batch.locations}
    seen = set()
    for ref, row in tables[SERVICE_FILE]:
        svc = _service(row, ref, known_orgs, known_locations, phones, schedules, terms, batch)
        if svc is None:
            continue
        if svc.external_id in seen:
            batch.reject(ref, f"duplicate id {svc.external_id}", "id")
            continue
        seen.add(svc.external_id)
        if svc.organization_ref in areas:
            svc.service_areas.append(ServiceAreaIn(kind="text", name=areas[svc.organization_ref]))
        batch.services.append(svc)
    return batch


# --- reading -------------------------------------------------------------------------------


def _read_table(path: Path, required: tuple[str, ...], batch: Batch) -> Table:
    """Read one export file; a missing or unusable file raises MalformedSource."""
    if not path.is_file():
        raise MalformedSource(f"{path.name}: required file missing in {path.parent}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = decode_bytes(data, name=path.name)
        batch.warn(path.name, "file is not UTF-8; decoded as a legacy encoding")
    return _parse_table(text, path.name, required, batch)


def _parse_table(
    text: str, name: str, required: tuple[str, ...], batch: Batch
) -> list[tuple[str, Row]]:
    """Rows of CSV ``text`` as ``(ref, {column: value})``, header names as written.

    ``_csvutil`` picks the delimiter; the rows are read here because the header case and
    the field counts matter (short rows are rejected, not padded). Unusable text raises
    :class:`MalformedSource`.
    """
    text = text.removeprefix("\ufeff")
    delimiter = sniff_delimiter(text)
    try:
        # The lenient reader silently swallows the rest of a file cut inside a quoted cell;
        # strict mode is only used to notice that.
        for _record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise MalformedSource(f"{name}: unterminated quoted cell (file truncated?)") from exc
    header: list[str] | None = None
    out: list[tuple[str, Row]] = []
    number = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            if header is None:
                if any(cell.strip() for cell in cells):
                    header = [cell.strip() for cell in cells]
                continue
            number += 1
            if not any(cell.strip() for cell in cells):
                continue
            ref = f"{name} row {number}"
            if len(cells) < len(header) or any(cell.strip() for cell in cells[len(header) :]):
                batch.reject(ref, f"has {len(cells)} fields, the header has {len(header)}")
                continue
            out.append((ref, dict(zip(header, cells, strict=False))))
    except csv.Error as exc:
        raise MalformedSource(f"{name}: not a readable CSV file ({exc})") from exc
    if header is None:
        raise MalformedSource(f"{name}: empty file")
    missing = [column for column in required if column not in header]
    if missing:
        raise MalformedSource(f"{name}: missing column(s) {', '.join(missing)}")
    return out


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


def _organization_ids(tables: dict[str, Table]) -> dict[str, str]:
    """``{organisation name: record id}`` learnt from the tables that link to organisations."""
    out: dict[str, str] = {}
    for filename, name_column in (
        (LOCATION_FILE, "organization"),
        (SERVICE_FILE, "organizations"),
        (PHONE_FILE, "organizations"),
    ):
        for _ref, row in tables[filename]:
            names = _names(row.get(name_column))
            ids = _ids(row.get("organization_id"))
            if len(names) == len(ids):
                for name, record_id in zip(names, ids, strict=True):
                    out.setdefault(name, record_id)
    return out


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


# --- records -------------------------------------------------------------------------------


def _organization(
    row: Row, ref: str, org_ids: dict[str, str], phones: Links, batch: Batch
) -> OrganizationIn | None:
    name = clean_text(row.get("name"))
    if name is None:
        batch.reject(ref, "organization without a name", "name")
        return None
    record_id = org_ids.get(name) or f"name:{name}"
    org_phones = list(phones.by_org.get(record_id, []))
    if not org_phones:
        org_phones = [PhoneIn(number=n, country=COUNTRY) for n in _names(row.get("phones"))]
    assured = None
    if (clean_text(row.get("x-status")) or "").lower() == "vetted":
        assured = _airtable_date(row, "x-status_last_modified", ref, batch)
    return OrganizationIn(
        external_id=record_id,
        name=name,
        alternate_name=clean_text(row.get("alternate_name")),
        description=clean_text(row.get("description")),
        email=clean_text(row.get("email")),
        website=clean_text(row.get("url")),
        legal_status=clean_text(row.get("legal_status")),
        phones=org_phones,
        language=LANGUAGE,
        assured_date=assured,
        raw=dict(row),
        ref=ref,
    )


def _first_org(row: Row, column: str, ref: str, known: set[str], batch: Batch) -> str | None:
    ids = _ids(row.get("organization_id"))
    if len(ids) > 1:
        batch.warn(ref, f"linked to {len(ids)} organizations; the first is kept", column)
    for record_id in ids[:1]:
        if record_id in known:
            return record_id
        batch.warn(ref, f"organization {record_id} is not in {ORG_FILE}", "organization_id")
    return None


def _location(
    row: Row,
    ref: str,
    known_orgs: set[str],
    phones: Links,
    addresses: Links,
    schedules: Links,
    batch: Batch,
) -> LocationIn | None:
    record_id = clean_text(row.get("id"))
    if record_id is None:
        batch.reject(ref, "missing id", "id")
        return None
    loc_addresses = list(addresses.by_location.get(record_id, []))
    address_text = clean_text(row.get("address"))
    if not loc_addresses and address_text is not None:
        loc_addresses = [AddressIn(street=address_text, country=COUNTRY)]
    latitude = longitude = None
    try:
        latitude = parse_coordinate(row.get("latitude"), -90, 90)
        longitude = parse_coordinate(row.get("longitude"), -180, 180)
    except ValueError as exc:
        batch.warn(ref, f"coordinates ignored: {exc}", "latitude")
        latitude = longitude = None
    return LocationIn(
        external_id=record_id,
        organization_ref=_first_org(row, "organization", ref, known_orgs, batch),
        name=clean_text(row.get("name")),
        alternate_name=clean_text(row.get("alternate_name")),
        description=clean_text(row.get("description")),
        latitude=latitude,
        longitude=longitude,
        addresses=loc_addresses,
        phones=list(phones.by_location.get(record_id, [])),
        schedules=_linked_schedules(record_id, row, schedules.by_location, schedules),
        transportation=clean_text(row.get("transportation")),
        language=LANGUAGE,
        raw=dict(row),
        ref=ref,
    )


def _service(
    row: Row,
    ref: str,
    known_orgs: set[str],
    known_locations: set[str],
    phones: Links,
    schedules: Links,
    terms: dict[str, tuple[str, str]],
    batch: Batch,
) -> ServiceIn | None:
    record_id = clean_text(row.get("id"))
    if record_id is None:
        batch.reject(ref, "missing id", "id")
        return None
    name = clean_text(row.get("name"))
    if name is None:
        batch.reject(ref, "service without a name", "name")
        return None
    location_refs = []
    for location_id in _ids(row.get("location_id")):
        if location_id in known_locations:
            location_refs.append(location_id)
        else:
            batch.warn(ref, f"location {location_id} is not in {LOCATION_FILE}", "location_id")

    categories: list[CategoryIn] = []
    target_groups: list[CategoryIn] = []
    if terms:
        for term_id in _ids(row.get("taxonomy_term_id")):
            if term_id not in terms:
                batch.warn(ref, f"taxonomy term {term_id} is not in {TAXONOMY_FILE}")
                continue
            term, taxonomy = terms[term_id]
            target = target_groups if taxonomy == ELIGIBILITY_TAXONOMY else categories
            category = CategoryIn(scheme="open-eligibility", label=term)
            if category not in target:
                target.append(category)
    else:
        categories = [
            CategoryIn(scheme="open-eligibility", label=term)
            for term in unique(_names(row.get("taxonomy")))
        ]

    status = (clean_text(row.get("status")) or "active").lower()
    if status not in SERVICE_STATUSES:
        batch.warn(ref, f"unknown status {status!r}; read as active", "status")
        status = "active"
    fees = clean_text(row.get("fees"))
    intake = clean_text(row.get("application_process"))
    wait_time = clean_text(row.get("wait_time"))
    interpretation = clean_text(row.get("interpretation_services"))
    return ServiceIn(
        external_id=record_id,
        organization_ref=_first_org(row, "organizations", ref, known_orgs, batch),
        name=name,
        location_refs=location_refs,
        alternate_name=clean_text(row.get("alternate_name")),
        description=clean_text(row.get("description")),
        url=clean_text(row.get("url")),
        email=clean_text(row.get("email")),
        status=status,
        phones=list(phones.by_service.get(record_id, [])),
        schedules=_linked_schedules(record_id, row, schedules.by_service, schedules),
        languages=[interpretation] if interpretation else [],
        fees_description=fees,
        is_free=True if fees is not None and fees.lower() in FREE_FEES else None,
        categories=categories,
        target_groups=target_groups,
        intake=IntakeIn(instructions=intake) if intake else None,
        capacity=CapacityIn(note=wait_time) if wait_time else None,
        accreditations=clean_text(row.get("accreditations")),
        licenses=clean_text(row.get("licenses")),
        language=LANGUAGE,
        raw=dict(row),
        ref=ref,
    )


def _linked_schedules(
    record_id: str, row: Row, by_record: dict[str, list], schedules: Links
) -> list[ScheduleIn]:
    """Schedules linked from the schedule side plus those the record's own cell names."""
    items = list(by_record.get(record_id, []))
    for schedule_id in _ids(row.get("schedule")):
        for item in schedules.by_id.get(schedule_id, []):
            if item not in items:
                items.append(item)
    return items


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


def _airtable_date(row: Row, column: str, ref: str, batch: Batch) -> dt.date | None:
    """``5/25/2022 7:53am`` -> the date."""
    text = clean_text(row.get(column))
    if text is None:
        return None
    match = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})\b", text)
    try:
        if match is None:
            raise ValueError(text)
        month, day, year = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    except ValueError:
        batch.warn(ref, f"not a M/D/YYYY date: {text!r}", column)
        return None

"""Reader for the SF 211 AIRS export (``sf_only.csv``: one row per agency, site or program).

Format name ``airs-sf211``. ``location`` is the CSV file, or a folder holding
``sf_only.csv``. ``TaxonomyLevelName`` says what a row is:

- ``Agency`` -> :class:`OrganizationIn` (``FEIN`` -> ``IdentifierIn("FEIN")``). An agency
  with no site rows also becomes a location (same id) so its address is not lost.
- ``Site`` -> :class:`LocationIn` of the agency in ``ParentAgencyNum``. A site whose
  ``PhysicalAddressIsPrivate`` is yes/true is *confidential* (the address stays in the
  record, the model hides it; a public mailing address becomes the ``front_door``).
  Inactive sites are left out (a location has no status) and reported.
- ``Program`` -> :class:`ServiceIn`; ``TaxonomyCodes`` (``LH-2600; TJ-3000.1500 * YB-8000``)
  -> ``CategoryIn("airs", code, label)`` with the labels of ``TaxonomyTerm`` when they line
  up, the ``* Y..`` target codes -> target groups.
- ``ProgramAtSite`` -> adds the site ``ConnectsToSiteNum`` to the program
  ``ConnectsToProgramNum``; when that program is not in the file the row becomes a service
  of its own, which needs a name (the three such rows in the 2013 export have none and are
  rejected).

Column meanings follow ``mapping.csv`` of the source (AIRS -> Ohana). Private phones
(``*IsPrivate`` TRUE) and the senior worker's phone are not imported. The file is read as
UTF-8; bytes that are not UTF-8 are decoded as Windows-1252 per field and reported with
the row, instead of failing the run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._csvutil import sniff_delimiter
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.formats._textutil import unique
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CapacityIn
from importers.records import CategoryIn
from importers.records import IdentifierIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import MalformedSource
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceAreaIn
from importers.records import ServiceIn

FORMAT = "airs-sf211"
COUNTRY = "US"
LANGUAGE = "en"
DEFAULT_FILE = "sf_only.csv"
REQUIRED_COLUMNS = ("ResourceAgencyNum", "PublicName", "TaxonomyLevelName", "ParentAgencyNum")

LEVELS = {"agency", "site", "program", "programatsite"}
YES = {"yes", "true", "y", "1"}
FREE_FEES = {"none", "no fee", "no fees", "free"}
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
ELIGIBILITY_FLAGS = ("Adult", "Child", "Family", "Female", "Male", "Teen")
DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
TIME = r"(\d{1,2})(?::(\d{2}))?\s*([ap])\.?m\.?"
SLOT_RE = re.compile(rf"^({'|'.join(DAYS)})\w*\s+{TIME}\s*-\s*{TIME}$", re.IGNORECASE)

Row = dict[str, str]


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read the SF 211 AIRS export into a :class:`Batch`."""
    path = Path(location)
    if path.is_dir():
        path = path / DEFAULT_FILE
    batch = Batch(default_country=COUNTRY)
    rows = _read_rows(path, batch)

    agencies: list[tuple[str, Row]] = []
    sites: list[tuple[str, Row]] = []
    programs: list[tuple[str, Row]] = []
    program_sites: list[tuple[str, Row]] = []
    seen: set[str] = set()
    for ref, row in rows:
        record_id = clean_text(row.get("ResourceAgencyNum"))
        if record_id is None:
            batch.reject(ref, "missing ResourceAgencyNum", "ResourceAgencyNum")
            continue
        if record_id in seen:
            batch.reject(ref, f"duplicate id {record_id}", "ResourceAgencyNum")
            continue
        seen.add(record_id)
        level = (clean_text(row.get("TaxonomyLevelName")) or "").lower()
        if level not in LEVELS:
            batch.reject(ref, f"unknown TaxonomyLevelName {level!r}", "TaxonomyLevelName")
            continue
        {"agency": agencies, "site": sites, "program": programs, "programatsite": program_sites}[
            level
        ].append((ref, row))

    for ref, row in agencies:
        org = _organization(row, ref, batch)
        if org is not None:
            batch.organizations.append(org)
    org_ids = {org.external_id for org in batch.organizations}

    for ref, row in sites:
        loc = _location(row, ref, org_ids, batch)
        if loc is not None:
            batch.locations.append(loc)
    parents = {loc.organization_ref for loc in batch.locations}
    parents |= {clean_text(row.get("ParentAgencyNum")) for _ref, row in sites}
    for ref, row in agencies:
        agency_id = clean_text(row.get("ResourceAgencyNum"))
        if agency_id in parents or agency_id not in org_ids or not _is_active(row):
            continue
        if clean_text(row.get("PhysicalAddress1")) or clean_text(row.get("Latitude")):
            loc = _location(row, ref, org_ids, batch, own_agency=True)
            if loc is not None:
                batch.locations.append(loc)
    site_ids = {loc.external_id for loc in batch.locations}

    services: dict[str, ServiceIn] = {}
    for ref, row in programs:
        svc = _service(row, ref, org_ids, batch)
        if svc is not None:
            services[svc.external_id] = svc
    for ref, row in program_sites:
        _program_at_site(row, ref, org_ids, site_ids, services, batch)
    batch.services.extend(services.values())
    return batch


# --- reading -------------------------------------------------------------------------------


def _read_rows(path: Path, batch: Batch) -> list[tuple[str, Row]]:
    """Parse the CSV; invalid UTF-8 is decoded per field as Windows-1252 and reported."""
    if not path.is_file():
        raise MalformedSource(f"{path.name}: file not found ({path})")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
        broken = False
    except UnicodeDecodeError:
        # surrogateescape keeps every undecodable byte as one lone surrogate, repaired below
        # field by field, so one bad byte costs a warning, not the whole file.
        text = data.decode("utf-8", errors="surrogateescape")
        broken = True
    rows = _parse_table(text, path.name, REQUIRED_COLUMNS, batch)
    if broken:
        for ref, row in rows:
            _repair(row, ref, batch)
    return rows


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


_SURROGATES = re.compile("[\udc80-\udcff]+")


def _repair(row: Row, ref: str, batch: Batch) -> None:
    """Decode the bytes UTF-8 rejected as Windows-1252 and report each repaired field."""
    for column, cell in row.items():
        if _SURROGATES.search(cell):
            row[column] = _SURROGATES.sub(
                lambda m: m.group().encode("utf-8", "surrogateescape").decode("cp1252", "replace"),
                cell,
            )
            batch.warn(ref, "invalid UTF-8 bytes, decoded as Windows-1252", column)


# --- records -------------------------------------------------------------------------------


def _organization(row: Row, ref: str, batch: Batch) -> OrganizationIn | None:
    name = clean_text(row.get("PublicName")) or clean_text(row.get("OfficialName"))
    if name is None:
        batch.reject(ref, "agency without a name", "PublicName")
        return None
    fein = clean_text(row.get("FEIN"))
    return OrganizationIn(
        external_id=clean_text(row["ResourceAgencyNum"]) or "",
        name=name,
        alternate_name=_alternate_name(row),
        description=clean_text(row.get("AgencyDescription")),
        email=clean_text(row.get("EmailAddressMain")),
        website=clean_text(row.get("WebsiteAddress")),
        legal_status=_value(row, "LegalStatus"),
        identifiers=[IdentifierIn(scheme="FEIN", value=fein)] if fein else [],
        phones=_phones(row),
        language=LANGUAGE,
        status="active" if _is_active(row) else "inactive",
        last_modified=_as_datetime(_date(row, "UpdatedOn", ref, batch)),
        assured_date=_date(row, "LastVerifiedOn", ref, batch),
        raw=_public(row),
        ref=ref,
    )


def _location(
    row: Row, ref: str, org_ids: set[str], batch: Batch, own_agency: bool = False
) -> LocationIn | None:
    record_id = clean_text(row["ResourceAgencyNum"]) or ""
    if own_agency:
        parent = record_id
    else:
        if not _is_active(row):
            # LocationIn has no status: a closed site must not reach the map.
            batch.reject(ref, "inactive site: left out", "AgencyStatus")
            return None
        parent = clean_text(row.get("ParentAgencyNum"))
        if parent not in org_ids:
            name = clean_text(row.get("ParentAgency"))
            label = f" ({name})" if name else ""
            batch.warn(ref, f"parent agency {parent}{label} is not in the file", "ParentAgencyNum")
            parent = None
    confidential = _yes(row, "PhysicalAddressIsPrivate")
    addresses = []
    physical = _address(row, "Physical", "physical")
    if physical is not None:
        addresses.append(physical)
    mailing = None if _yes(row, "MailingAddressIsPrivate") else _address(row, "Mailing", "postal")
    if mailing is not None:
        addresses.append(mailing)
    latitude = longitude = None
    try:
        latitude = parse_coordinate(row.get("Latitude"), -90, 90)
        longitude = parse_coordinate(row.get("Longitude"), -180, 180)
    except ValueError as exc:
        batch.warn(ref, f"coordinates ignored: {exc}", "Latitude")
        latitude = longitude = None
    if latitude == 0 and longitude == 0:
        latitude = longitude = None
    transport = [
        text
        for text in (
            clean_text(row.get("BusServiceAccess")),
            clean_text(row.get("PublicAccessTransportation")),
        )
        if text
    ]
    return LocationIn(
        external_id=record_id,
        organization_ref=parent,
        name=clean_text(row.get("PublicName")),
        alternate_name=_alternate_name(row),
        description=clean_text(row.get("PhysicalLocationDescription")),
        latitude=latitude,
        longitude=longitude,
        addresses=addresses,
        phones=_phones(row),
        schedules=_schedules(row),
        languages=_languages(row),
        accessibility=_split(row.get("DisabilitiesAccess"), ";"),
        transportation="\n".join(transport) or None,
        url=clean_text(row.get("WebsiteAddress")),
        confidential=confidential,
        front_door=_one_line(mailing) if confidential and mailing is not None else None,
        language=LANGUAGE,
        raw=_public(row),
        ref=ref,
    )


def _service(row: Row, ref: str, org_ids: set[str], batch: Batch) -> ServiceIn | None:
    name = clean_text(row.get("PublicName"))
    if name is None:
        batch.reject(ref, "program without a name", "PublicName")
        return None
    parent = clean_text(row.get("ParentAgencyNum"))
    if parent not in org_ids:
        batch.warn(ref, f"parent agency {parent} is not in the file", "ParentAgencyNum")
        parent = None
    categories, targets = _taxonomy(row, ref, batch)
    for flag in ELIGIBILITY_FLAGS:
        if _yes(row, f"Eligibility{flag}"):
            targets.append(CategoryIn(scheme="sf211-eligibility", code=flag.lower(), label=flag))
    fees = clean_text(row.get("FeeStructureSource"))
    documents = clean_text(row.get("DocumentsRequired"))
    intake = clean_text(row.get("ApplicationProcess"))
    wait = [text for text in (_value(row, "AvailabilityPeriod"), _value(row, "NormalWaitTime"))]
    wait_note = "; ".join(text for text in wait if text) or None
    areas = [ServiceAreaIn(kind="text", name=a) for a in _split(row.get("Coverage"), ";")]
    areas += [ServiceAreaIn(kind="text", name=a) for a in _split(row.get("CoverageArea"), ",")]
    unique_areas: list[ServiceAreaIn] = []
    for area in areas:
        if area not in unique_areas:
            unique_areas.append(area)
    return ServiceIn(
        external_id=clean_text(row["ResourceAgencyNum"]) or "",
        organization_ref=parent,
        name=name,
        alternate_name=_alternate_name(row),
        description=clean_text(row.get("AgencyDescription")),
        url=clean_text(row.get("WebsiteAddress")),
        email=clean_text(row.get("EmailAddressMain")),
        status="active" if _is_active(row) else "inactive",
        phones=_phones(row),
        schedules=_schedules(row),
        languages=_languages(row),
        fees_description=fees,
        is_free=True if fees is not None and fees.lower() in FREE_FEES else None,
        required_documents=[documents] if documents else [],
        eligibility_description=clean_text(row.get("Eligibility")),
        target_groups=targets,
        categories=categories,
        service_areas=unique_areas,
        intake=IntakeIn(instructions=intake) if intake else None,
        capacity=CapacityIn(note=wait_note) if wait_note else None,
        licenses=clean_text(row.get("LicenseAccreditation")),
        assured_date=_date(row, "LastVerifiedOn", ref, batch),
        last_modified=_as_datetime(_date(row, "UpdatedOn", ref, batch)),
        language=LANGUAGE,
        raw=_public(row),
        ref=ref,
    )


def _program_at_site(
    row: Row,
    ref: str,
    org_ids: set[str],
    site_ids: set[str],
    services: dict[str, ServiceIn],
    batch: Batch,
) -> None:
    """Link a program to a site, or read the row as a service when its program is absent."""
    site_id = clean_text(row.get("ConnectsToSiteNum"))
    program_id = clean_text(row.get("ConnectsToProgramNum"))
    if site_id is not None and site_id not in site_ids:
        batch.warn(ref, f"site {site_id} is not in the file (or inactive)", "ConnectsToSiteNum")
        site_id = None
    if program_id in services:
        if site_id is not None and site_id not in services[program_id].location_refs:
            services[program_id].location_refs.append(site_id)
        return
    if clean_text(row.get("PublicName")) is None:
        batch.reject(
            ref,
            f"program-at-site without a name; its program {program_id} is not in the file",
            "ConnectsToProgramNum",
        )
        return
    svc = _service(row, ref, org_ids, batch)
    if svc is not None:
        svc.location_refs = [site_id] if site_id else []
        services[svc.external_id] = svc


# --- field helpers -------------------------------------------------------------------------


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

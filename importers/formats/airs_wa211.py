"""Reader for the WA 211 (iCarol/AIRS-style) export: agency, site, program and service CSVs.

Format name ``airs-wa211``. ``location`` is the folder holding ``wa211_agency.csv``,
``wa211_site.csv``, ``wa211_program.csv`` and ``wa211_service.csv`` (or any one of those
files; its folder is used). All four files are required.

Mapping:

- agency -> :class:`OrganizationIn` (``AgencySystem_Fein`` -> ``IdentifierIn("FEIN")``,
  ``AgencyOption_ProviderType`` -> ``legal_status``);
- site -> :class:`LocationIn` (site address + mailing address, main/toll-free/other phones,
  the hours text as a free-text schedule);
- service -> :class:`ServiceIn`. A service names its program and sites in JSON cells
  (``ServiceProgram_ServiceProgram`` = ``[{"Program_Id":147}]``,
  ``ServiceSite_ServiceSite`` = ``[{"Site_Id":164}]``; plain ``[147]`` is accepted too).
  Fees, documents required, eligibility and intake come from the linked program.
  ``ServiceTaxonomy_ModuleServicepost`` AIRS codes -> ``CategoryIn("airs", code)``; focus
  populations, age groups and health conditions -> target groups; geotags -> service areas;
  the hours JSON -> weekly slots (plus the hours text as a free-text schedule).
- a program no service points to still becomes a service (``program-<Program_Id>``) so its
  description is not lost; it has no sites.

Every file starts with a template ("type hint") row right after the header (``*REQUIRED*
text``, ``YYYY/MM/DD``, ``Agency ID`` ...): the first data row is skipped silently when it
looks like that; such a row anywhere else is rejected. Site links to sites missing from
``wa211_site.csv`` are dropped with a warning (the export holds only the Whatcom-area sites,
while services of statewide agencies point to sites elsewhere). Sites with an ended status
(Inactive, Closed, Delete ...) are left out and reported, as a location has no status.
Service statuses: Active/New/Outreach/Temporary -> active; COVID-19 Closure/On Hold/
Suspended -> temporarily closed; the ended ones -> inactive (organisations: active or
inactive only). Services WA 211 hides from its website are kept and reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._csvutil import decode_bytes
from importers.formats._csvutil import sniff_delimiter
from importers.formats._textutil import clean_text
from importers.formats._textutil import unique
from importers.records import AddressIn
from importers.records import Batch
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

FORMAT = "airs-wa211"
COUNTRY = "US"
LANGUAGE = "en"

AGENCY_FILE = "wa211_agency.csv"
SITE_FILE = "wa211_site.csv"
PROGRAM_FILE = "wa211_program.csv"
SERVICE_FILE = "wa211_service.csv"

REQUIRED_COLUMNS = {
    AGENCY_FILE: ("Agency_Id", "AgencySystem_Name"),
    SITE_FILE: ("Agency_Id", "Site_Id", "SiteSystem_Name"),
    PROGRAM_FILE: ("Agency_Id", "Program_Id", "ProgramSystem_Name"),
    SERVICE_FILE: ("Agency_Id", "Service_Id", "ServiceSystem_Name"),
}

# iCarol status options (the template row lists them all). Organisations only know
# active/inactive; services also "temporarily closed".
ACTIVE_STATUSES = {"active", "new", "outreach", "temporary"}
PAUSED_STATUSES = {"covid-19 closure", "on hold", "suspended"}
ENDED_STATUSES = {"inactive", "closed", "delete", "cancelled", "rejected"}

WEEKDAYS = {
    "monday": 1,
    "tuesday": 2,
    "wednesday": 3,
    "thursday": 4,
    "friday": 5,
    "saturday": 6,
    "sunday": 7,
}

# Values that only occur in the template row of the export.
TEMPLATE_MARKERS = ("*REQUIRED*", "YYYY/MM/DD", "EXPORT ONLY")
VISIBILITY = "ServiceOption_WebsiteVisibility"
FREE_FEES = {"none", "none.", "free", "free.", "no fee", "no fee.", "no fees", "no fees."}


Row = dict[str, str]


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read a WA 211 export folder into a :class:`Batch`."""
    folder = Path(location)
    if folder.is_file():
        folder = folder.parent
    if not folder.is_dir():
        raise MalformedSource(f"{location}: not a folder with the WA 211 CSV files")
    batch = Batch(default_country=COUNTRY)
    tables = {
        name: _read_table(folder / name, required, batch)
        for name, required in REQUIRED_COLUMNS.items()
    }
    agencies = _records(tables[AGENCY_FILE], "Agency_Id", batch)
    sites = _records(tables[SITE_FILE], "Site_Id", batch)
    programs = _records(tables[PROGRAM_FILE], "Program_Id", batch)
    services = _records(tables[SERVICE_FILE], "Service_Id", batch)

    for ref, row in agencies.values():
        org = _organization(row, ref, batch)
        if org is not None:
            batch.organizations.append(org)
    org_ids = {org.external_id for org in batch.organizations}

    for ref, row in sites.values():
        loc = _location(row, ref, org_ids, batch)
        if loc is not None:
            batch.locations.append(loc)
    site_ids = {loc.external_id for loc in batch.locations}

    used_programs: set[str] = set()
    for ref, row in services.values():
        svc = _service(row, ref, org_ids, site_ids, programs, used_programs, batch)
        if svc is not None:
            batch.services.append(svc)

    for program_id, (ref, row) in programs.items():
        if program_id in used_programs:
            continue
        svc = _program_service(row, ref, org_ids, batch)
        if svc is not None:
            batch.services.append(svc)
    return batch


# --- reading -------------------------------------------------------------------------------


def _read_table(path: Path, required: tuple[str, ...], batch: Batch) -> list[tuple[str, Row]]:
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


def _records(
    rows: list[tuple[str, Row]], id_column: str, batch: Batch
) -> dict[str, tuple[str, Row]]:
    """``{id: (ref, row)}``: the template row, rows without id and duplicates are left out."""
    out: dict[str, tuple[str, Row]] = {}
    for index, (ref, row) in enumerate(rows):
        if _is_template(row, id_column):
            if index:
                batch.reject(ref, "template (type hint) row in the middle of the data")
            continue
        record_id = clean_text(row.get(id_column))
        if record_id is None:
            batch.reject(ref, f"missing {id_column}", id_column)
            continue
        if record_id in out:
            batch.reject(ref, f"duplicate id {record_id}", id_column)
            continue
        out[record_id] = (ref, row)
    return out


def _is_template(row: Row, id_column: str) -> bool:
    """Is this the export's type-hint row ("*REQUIRED* text", "YYYY/MM/DD", "Agency ID")?"""
    record_id = (row.get(id_column) or "").strip()
    if record_id.lower() == id_column.replace("_", " ").lower():
        return True
    return any(marker in (value or "") for value in row.values() for marker in TEMPLATE_MARKERS)


# --- records -------------------------------------------------------------------------------


def _organization(row: Row, ref: str, batch: Batch) -> OrganizationIn | None:
    agency_id = clean_text(row["Agency_Id"]) or ""
    name = clean_text(row.get("AgencySystem_Name"))
    if name is None:
        batch.reject(ref, "agency without a name", "AgencySystem_Name")
        return None
    identifiers = []
    fein = clean_text(row.get("AgencySystem_Fein"))
    if fein is not None:
        identifiers.append(IdentifierIn(scheme="FEIN", value=fein))
    updated = _date(row, "AgencySystem_DateOfLastCompleteUpdate", ref, batch)
    provider_types = _option_list(row, "AgencyOption_ProviderType", ref, batch)
    return OrganizationIn(
        external_id=agency_id,
        name=name,
        description=clean_text(row.get("AgencySystem_Description")),
        website=clean_text(row.get("AgencySystem_Websiteurl")),
        legal_status=", ".join(provider_types) or None,
        identifiers=identifiers,
        language=LANGUAGE,
        status=_org_status(row, "AgencyOption_Status", ref, batch),
        last_modified=_as_datetime(updated),
        assured_date=updated,
        raw=dict(row),
        ref=ref,
    )


def _location(row: Row, ref: str, org_ids: set[str], batch: Batch) -> LocationIn | None:
    site_id = clean_text(row["Site_Id"]) or ""
    agency_id = clean_text(row.get("Agency_Id"))
    if agency_id is not None and agency_id not in org_ids:
        batch.warn(ref, f"agency {agency_id} is not in {AGENCY_FILE}", "Agency_Id")
        agency_id = None
    status = _status_word(row, "SiteOption_Status", ref, batch)
    if status in ENDED_STATUSES:
        # LocationIn has no status: a closed site must not reach the map.
        batch.reject(ref, f"site status {status!r}: left out", "SiteOption_Status")
        return None
    addresses = []
    for prefix, address_type in (
        ("SiteAddressus_SiteAddressus_", "physical"),
        ("SiteAddressus_MailingAddress_", "postal"),
    ):
        address = _address(row, prefix, address_type)
        if address is not None:
            addresses.append(address)
    phones = []
    main = clean_text(row.get("SiteSystem_PhoneMain"))
    if main is not None:
        phones.append(
            PhoneIn(
                number=main,
                extension=clean_text(row.get("SiteCustom_Phone1Ext")),
                type="voice",
                description=clean_text(row.get("SiteCustom_Phone1Description")),
                country=COUNTRY,
            )
        )
    toll_free = clean_text(row.get("SiteCustom_PhoneTollFree"))
    if toll_free is not None:
        phones.append(PhoneIn(number=toll_free, description="toll-free", country=COUNTRY))
    other = clean_text(row.get("SiteCustom_OtherPhone"))
    if other is not None:
        # Free text such as "360-647-7310: Fax, 360-647-7299: TDD/TTY": kept as written.
        phones.append(PhoneIn(number=other, description="other", country=COUNTRY))
    hours = clean_text(row.get("SiteSystem_HoursOfOperation"))
    return LocationIn(
        external_id=site_id,
        organization_ref=agency_id,
        name=clean_text(row.get("SiteSystem_Name")),
        addresses=addresses,
        phones=phones,
        schedules=[ScheduleIn(description=hours)] if hours else [],
        language=LANGUAGE,
        raw=dict(row),
        ref=ref,
    )


def _service(
    row: Row,
    ref: str,
    org_ids: set[str],
    site_ids: set[str],
    programs: dict[str, tuple[str, Row]],
    used_programs: set[str],
    batch: Batch,
) -> ServiceIn | None:
    service_id = clean_text(row["Service_Id"]) or ""
    name = clean_text(row.get("ServiceSystem_Name"))
    if name is None:
        batch.reject(ref, "service without a name", "ServiceSystem_Name")
        return None
    agency_id = clean_text(row.get("Agency_Id"))
    if agency_id is not None and agency_id not in org_ids:
        batch.warn(ref, f"agency {agency_id} is not in {AGENCY_FILE}", "Agency_Id")
        agency_id = None

    site_refs = []
    both = _id_names(row, "ServiceSite_ServiceSite_Both", "Site_Id")
    for site_id in _linked_ids(row, "ServiceSite_ServiceSite", "Site_Id", ref, batch):
        if site_id in site_ids:
            site_refs.append(site_id)
        else:
            label = f" ({both[site_id]})" if site_id in both else ""
            batch.warn(
                ref,
                f"site {site_id}{label} is not in {SITE_FILE}: link dropped",
                "ServiceSite_ServiceSite",
            )

    program: Row = {}
    program_ids = _linked_ids(row, "ServiceProgram_ServiceProgram", "Program_Id", ref, batch)
    for program_id in program_ids:
        if program_id not in programs:
            batch.warn(
                ref,
                f"program {program_id} is not in {PROGRAM_FILE}",
                "ServiceProgram_ServiceProgram",
            )
        elif not program:
            program = programs[program_id][1]
            used_programs.add(program_id)
        else:
            used_programs.add(program_id)
            batch.warn(
                ref,
                f"linked to more than one program; {program_id} ignored",
                "ServiceProgram_ServiceProgram",
            )

    status = _service_status(row, "ServiceOption_Status", ref, batch)
    if "hide service" in (w.lower() for w in _option_list(row, VISIBILITY, ref, batch)):
        # Kept (the record is real) but the steward should know WA 211 hides it.
        batch.warn(ref, "hidden on the WA 211 website (Hide Service)", VISIBILITY)
    if status == "active" and program:
        # A closed program closes the services it runs.
        program_status = _service_status(program, "ProgramOption_Status", ref, batch)
        if program_status != "active":
            status = program_status

    phones = []
    main = clean_text(row.get("ServiceSystem_PhoneMain"))
    if main is not None:
        phones.append(
            PhoneIn(
                number=main,
                extension=clean_text(row.get("ServiceCustom_Phone1Ext")),
                type="voice",
                description=clean_text(row.get("ServiceCustom_Phone1Description")),
                country=COUNTRY,
            )
        )
    schedules = _hours(row, ref, batch)
    hours_text = clean_text(row.get("ServiceSystem_HoursOfOperation"))
    if hours_text is not None:
        schedules.append(ScheduleIn(description=hours_text))

    updated = _date(row, "ServiceSystem_DateOfLastCompleteUpdate", ref, batch)
    service = ServiceIn(
        external_id=service_id,
        organization_ref=agency_id,
        name=name,
        location_refs=unique(site_refs),
        alternate_name=clean_text(row.get("ServiceCustom_ServiceAka")),
        description=clean_text(row.get("ServiceSystem_Description")),
        url=clean_text(row.get("ServiceSystem_Websiteurl")),
        email=clean_text(row.get("ServiceSystem_EmailAddress")),
        status=status,
        phones=phones,
        schedules=schedules,
        categories=_taxonomy(row, ref, batch),
        target_groups=_target_groups(row, ref, batch),
        service_areas=_service_areas(row, ref, batch),
        last_modified=_as_datetime(updated),
        assured_date=updated,
        language=LANGUAGE,
        raw={"service": dict(row), "program": dict(program) if program else None},
        ref=ref,
    )
    if program:
        _apply_program(service, program)
    return service


def _program_service(row: Row, ref: str, org_ids: set[str], batch: Batch) -> ServiceIn | None:
    """A program without any service row: still a service, without sites."""
    name = clean_text(row.get("ProgramSystem_Name"))
    if name is None:
        batch.reject(ref, "program without a name", "ProgramSystem_Name")
        return None
    agency_id = clean_text(row.get("Agency_Id"))
    if agency_id is not None and agency_id not in org_ids:
        batch.warn(ref, f"agency {agency_id} is not in {AGENCY_FILE}", "Agency_Id")
        agency_id = None
    updated = _date(row, "ProgramSystem_LastUpdatereviewDate", ref, batch)
    service = ServiceIn(
        external_id=f"program-{clean_text(row['Program_Id'])}",
        organization_ref=agency_id,
        name=name,
        description=clean_text(row.get("ProgramSystem_Description")),
        status=_service_status(row, "ProgramOption_Status", ref, batch),
        last_modified=_as_datetime(updated),
        assured_date=updated,
        language=LANGUAGE,
        raw={"service": None, "program": dict(row)},
        ref=ref,
    )
    _apply_program(service, row)
    return service


def _apply_program(service: ServiceIn, program: Row) -> None:
    """Copy the program-level texts (fees, documents, eligibility, intake) onto a service."""
    fees = clean_text(program.get("ProgramSystem_TypeOfFees"))
    service.fees_description = fees
    if fees is not None and fees.lower() in FREE_FEES:
        service.is_free = True
    documents = clean_text(program.get("ProgramSystem_DocumentsRequired"))
    if documents is not None:
        service.required_documents = [documents]
    service.eligibility_description = clean_text(program.get("ProgramSystem_Eligibility"))
    intake = clean_text(program.get("ProgramSystem_ApplicationintakeProcess"))
    if intake is not None:
        service.intake = IntakeIn(instructions=intake)
    if service.description is None:
        service.description = clean_text(program.get("ProgramSystem_Description"))


# --- field helpers -------------------------------------------------------------------------


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

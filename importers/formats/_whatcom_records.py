"""Record builders of the Whatcom Airtable reader: organisation, location, service rows."""

from __future__ import annotations

import datetime as dt
import re

from importers.formats._export_csv import Row
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.formats._textutil import unique
from importers.formats._whatcom_links import COUNTRY
from importers.formats._whatcom_links import LANGUAGE
from importers.formats._whatcom_links import LOCATION_FILE
from importers.formats._whatcom_links import ORG_FILE
from importers.formats._whatcom_links import TAXONOMY_FILE
from importers.formats._whatcom_links import Links
from importers.formats._whatcom_links import _ids
from importers.formats._whatcom_links import _names
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CapacityIn
from importers.records import CategoryIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceIn

SERVICE_STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
FREE_FEES = {"free", "free.", "none", "none.", "no fee", "no fees"}
ELIGIBILITY_TAXONOMY = "service eligibility"


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

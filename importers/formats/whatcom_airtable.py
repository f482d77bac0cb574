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

Layout: the files are read by :mod:`~importers.formats._export_csv`, the linked tables
gathered in :mod:`~importers.formats._whatcom_links` and the records built in
:mod:`~importers.formats._whatcom_records`.
"""

from __future__ import annotations

from pathlib import Path

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._export_csv import Row
from importers.formats._export_csv import Table
from importers.formats._export_csv import read_table
from importers.formats._textutil import clean_text
from importers.formats._whatcom_links import ADDRESS_FILE
from importers.formats._whatcom_links import COUNTRY
from importers.formats._whatcom_links import LANGUAGE
from importers.formats._whatcom_links import LOCATION_FILE
from importers.formats._whatcom_links import ORG_FILE
from importers.formats._whatcom_links import PHONE_FILE
from importers.formats._whatcom_links import SCHEDULE_FILE
from importers.formats._whatcom_links import SERVICE_FILE
from importers.formats._whatcom_links import TAXONOMY_FILE
from importers.formats._whatcom_links import WEEKDAYS
from importers.formats._whatcom_links import Links
from importers.formats._whatcom_links import _addresses
from importers.formats._whatcom_links import _ids
from importers.formats._whatcom_links import _names
from importers.formats._whatcom_links import _phones
from importers.formats._whatcom_links import _schedules
from importers.formats._whatcom_links import _terms
from importers.formats._whatcom_records import ELIGIBILITY_TAXONOMY
from importers.formats._whatcom_records import FREE_FEES
from importers.formats._whatcom_records import SERVICE_STATUSES
from importers.formats._whatcom_records import _location
from importers.formats._whatcom_records import _organization
from importers.formats._whatcom_records import _service
from importers.records import Batch
from importers.records import MalformedSource
from importers.records import ServiceAreaIn

# Names defined here before the split into _whatcom_*.py stay importable from this module.
__all__ = [
    "ADDRESS_FILE",
    "COUNTRY",
    "ELIGIBILITY_TAXONOMY",
    "FORMAT",
    "FREE_FEES",
    "LANGUAGE",
    "LOCATION_FILE",
    "Links",
    "OPTIONAL_COLUMNS",
    "ORG_FILE",
    "PHONE_FILE",
    "REQUIRED_COLUMNS",
    "Row",
    "SCHEDULE_FILE",
    "SERVICE_FILE",
    "SERVICE_STATUSES",
    "TAXONOMY_FILE",
    "Table",
    "WEEKDAYS",
    "read",
]

FORMAT = "whatcom-airtable"

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
        tables[name] = read_table(folder / name, required, batch)
    for name, required in OPTIONAL_COLUMNS.items():
        path = folder / name
        tables[name] = read_table(path, required, batch) if path.is_file() else []

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

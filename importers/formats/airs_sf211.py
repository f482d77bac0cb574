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

Layout: the CSV is parsed by :mod:`~importers.formats._export_csv`, the records built in
:mod:`~importers.formats._sf211_records` from the cell parsers of
:mod:`~importers.formats._sf211_fields`.
"""

from __future__ import annotations

import re
from pathlib import Path

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._export_csv import Row
from importers.formats._export_csv import parse_table
from importers.formats._sf211_fields import COUNTRY
from importers.formats._sf211_fields import DAYS
from importers.formats._sf211_fields import EMPTY_VALUES
from importers.formats._sf211_fields import LANGUAGE
from importers.formats._sf211_fields import PERSONAL_COLUMNS
from importers.formats._sf211_fields import PHONE_COLUMNS
from importers.formats._sf211_fields import SLOT_RE
from importers.formats._sf211_fields import TIME
from importers.formats._sf211_fields import YES
from importers.formats._sf211_fields import _is_active
from importers.formats._sf211_records import ELIGIBILITY_FLAGS
from importers.formats._sf211_records import FREE_FEES
from importers.formats._sf211_records import _location
from importers.formats._sf211_records import _organization
from importers.formats._sf211_records import _program_at_site
from importers.formats._sf211_records import _service
from importers.formats._textutil import clean_text
from importers.records import Batch
from importers.records import MalformedSource
from importers.records import ServiceIn

# Names defined here before the split into _sf211_*.py stay importable from this module
# (the tests check PERSONAL_COLUMNS through it).
__all__ = [
    "COUNTRY",
    "DAYS",
    "DEFAULT_FILE",
    "ELIGIBILITY_FLAGS",
    "EMPTY_VALUES",
    "FORMAT",
    "FREE_FEES",
    "LANGUAGE",
    "LEVELS",
    "PERSONAL_COLUMNS",
    "PHONE_COLUMNS",
    "REQUIRED_COLUMNS",
    "Row",
    "SLOT_RE",
    "TIME",
    "YES",
    "read",
]

FORMAT = "airs-sf211"
DEFAULT_FILE = "sf_only.csv"
REQUIRED_COLUMNS = ("ResourceAgencyNum", "PublicName", "TaxonomyLevelName", "ParentAgencyNum")
LEVELS = {"agency", "site", "program", "programatsite"}


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
    rows = parse_table(text, path.name, REQUIRED_COLUMNS, batch)
    if broken:
        for ref, row in rows:
            _repair(row, ref, batch)
    return rows


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

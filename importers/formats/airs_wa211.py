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

Layout: the files are read by :mod:`~importers.formats._export_csv`, the records built in
:mod:`~importers.formats._wa211_records` from the cell parsers of
:mod:`~importers.formats._wa211_fields`.
"""

from __future__ import annotations

from pathlib import Path

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._export_csv import Row
from importers.formats._export_csv import read_table
from importers.formats._textutil import clean_text
from importers.formats._wa211_fields import ACTIVE_STATUSES
from importers.formats._wa211_fields import AGENCY_FILE
from importers.formats._wa211_fields import COUNTRY
from importers.formats._wa211_fields import ENDED_STATUSES
from importers.formats._wa211_fields import LANGUAGE
from importers.formats._wa211_fields import PAUSED_STATUSES
from importers.formats._wa211_fields import PROGRAM_FILE
from importers.formats._wa211_fields import SERVICE_FILE
from importers.formats._wa211_fields import SITE_FILE
from importers.formats._wa211_fields import WEEKDAYS
from importers.formats._wa211_records import FREE_FEES
from importers.formats._wa211_records import VISIBILITY
from importers.formats._wa211_records import _location
from importers.formats._wa211_records import _organization
from importers.formats._wa211_records import _program_service
from importers.formats._wa211_records import _service
from importers.records import Batch
from importers.records import MalformedSource

# Names defined here before the split into _wa211_*.py stay importable from this module.
__all__ = [
    "ACTIVE_STATUSES",
    "AGENCY_FILE",
    "COUNTRY",
    "ENDED_STATUSES",
    "FORMAT",
    "FREE_FEES",
    "LANGUAGE",
    "PAUSED_STATUSES",
    "PROGRAM_FILE",
    "REQUIRED_COLUMNS",
    "Row",
    "SERVICE_FILE",
    "SITE_FILE",
    "TEMPLATE_MARKERS",
    "VISIBILITY",
    "WEEKDAYS",
    "read",
]

FORMAT = "airs-wa211"

REQUIRED_COLUMNS = {
    AGENCY_FILE: ("Agency_Id", "AgencySystem_Name"),
    SITE_FILE: ("Agency_Id", "Site_Id", "SiteSystem_Name"),
    PROGRAM_FILE: ("Agency_Id", "Program_Id", "ProgramSystem_Name"),
    SERVICE_FILE: ("Agency_Id", "Service_Id", "ServiceSystem_Name"),
}

# Values that only occur in the template row of the export.
TEMPLATE_MARKERS = ("*REQUIRED*", "YYYY/MM/DD", "EXPORT ONLY")


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
        name: read_table(folder / name, required, batch)
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

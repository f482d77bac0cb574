"""HSDS tables: their names, known columns, and finding/reading them in a folder.

The HSDS readers hand :func:`importers.formats._hsds_build.build_batch` a dict of
:class:`Table` by canonical table name. CSV rows are dicts as produced by
:func:`importers.formats._csvutil.read_csv_rows` (row number under ``ROW_KEY``); rows built
from JSON instead carry their JSON path under :data:`REF_KEY` and the original object under
:data:`RAW_KEY`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from importers.formats._csvutil import ROW_KEY
from importers.formats._csvutil import read_csv_rows
from importers.records import Batch
from importers.records import MalformedSource

REF_KEY = "__ref__"
RAW_KEY = "__raw__"

# canonical table -> accepted table/file names (HSDS 1.1, 2.0-dev, 3.0 and 3.1 spellings;
# "physical_addresse" is how the WithinReach export truncated "physical_addresses").
TABLE_ALIASES: dict[str, tuple[str, ...]] = {
    "organizations": ("organization", "organizations"),
    "programs": ("program", "programs"),
    "services": ("service", "services"),
    "service_at_location": (
        "service_at_location",
        "service_at_locations",
        "services_at_location",
        "services_at_locations",
    ),
    "locations": ("location", "locations"),
    "phones": ("phone", "phones"),
    "contacts": ("contact", "contacts"),
    "addresses": ("address", "addresses"),
    "physical_addresses": ("physical_address", "physical_addresses", "physical_addresse"),
    "postal_addresses": ("postal_address", "postal_addresses", "postal_addresse"),
    "schedules": ("schedule", "schedules"),
    "regular_schedules": ("regular_schedule", "regular_schedules"),
    "holiday_schedules": ("holiday_schedule", "holiday_schedules"),
    "funding": ("funding", "fundings"),
    "eligibility": ("eligibility", "eligibilities"),
    "service_areas": ("service_area", "service_areas"),
    "required_documents": ("required_document", "required_documents"),
    "payments_accepted": ("payment_accepted", "payments_accepted"),
    "languages": ("language", "languages"),
    "accessibility": ("accessibility", "accessibilities"),
    "accessibility_for_disabilities": (
        "accessibility_for_disabilities",
        "accessibility_for_disability",
    ),
    "attributes": ("attribute", "attributes"),
    "service_attributes": ("service_attribute", "service_attributes"),
    "other_attributes": ("other_attribute", "other_attributes"),
    "taxonomy_terms": ("taxonomy_term", "taxonomy_terms"),
    "taxonomies": ("taxonomies",),
    "taxonomy": ("taxonomy",),  # HSDS 1.x: a table of terms
    "service_taxonomy": ("service_taxonomy", "services_taxonomy", "service_taxonomies"),
    "organization_identifiers": ("organization_identifier", "organization_identifiers"),
    "cost_options": ("cost_option", "cost_options"),
    "capacities": ("capacity", "capacities", "service_capacity", "service_capacities"),
    "units": ("unit", "units"),
    "metadata": ("metadata",),
    "meta_table_descriptions": ("meta_table_description", "meta_table_descriptions"),
}
_ALIAS_TO_TABLE = {alias: table for table, aliases in TABLE_ALIASES.items() for alias in aliases}

# File name to name in messages when a required table is missing.
REQUIRED_FILES = {"organizations": "organizations.csv", "services": "services.csv"}

# Columns the HSDS versions define (1.1, 2.0-dev, 3.0, 3.1) plus the extension columns this
# module maps; anything else is reported once per file as "unknown field".
KNOWN_COLUMNS: dict[str, set[str]] = {
    "accessibility": set("description details id location_id url".split()),
    "accessibility_for_disabilities": set("accessibility details id location_id".split()),
    "addresses": set(
        "address_1 address_2 address_type attention city country id location_id postal_code "
        "region state_province".split()
    ),
    "attributes": set("id link_entity link_id link_type taxonomy_term_id value".split()),
    "capacities": set(
        "available description id maximum service_id unit_id unit_name updated".split()
    ),
    "contacts": set(
        "department email id location_id name organization_id service_at_location_id service_id "
        "title".split()
    ),
    "cost_options": set(
        "amount amount_description currency id option service_id valid_from valid_to".split()
    ),
    "eligibility": set("eligibility id service_id".split()),
    "funding": set("id organization_id service_id source".split()),
    "holiday_schedules": set(
        "closed closes_at end_date id location_id opens_at service_at_location_id service_id "
        "start_date".split()
    ),
    "languages": set("code id language location_id name note phone_id service_id".split()),
    "locations": set(
        "alternate_name description external_identifier external_identifier_type id latitude "
        "location_type longitude name organization_id transportation url".split()
    ),
    "meta_table_descriptions": set("character_set id language name".split()),
    "metadata": set(
        "field_name id last_action_date last_action_type previous_value replacement_value "
        "resource_id resource_type updated_by".split()
    ),
    "organization_identifiers": set(
        "id identifier identifier_scheme identifier_type organization_id".split()
    ),
    "organizations": set(
        "alternate_name description email id legal_status logo name parent_organization_id "
        "tax_id tax_status uri url website x_last_complete_update_at x_option_status "
        "year_incorporated".split()
    ),
    "other_attributes": set("id link_id link_type taxonomy_term_id".split()),
    "payments_accepted": set("id payment service_id".split()),
    "phones": set(
        "contact_id department description extension id language location_id number "
        "organization_id service_at_location_id service_id type".split()
    ),
    "physical_addresses": set(
        "address_1 address_2 address_3 address_4 attention city country id location_id "
        "postal_code region state_province".split()
    ),
    "programs": set("alternate_name description id name organization_id".split()),
    "regular_schedules": set(
        "closes_at id location_id opens_at service_at_location_id service_id weekday".split()
    ),
    "required_documents": set("document id service_id uri".split()),
    "schedules": set(
        "attending_type byday bymonthday byweekno byyearday closes_at count description dtstart "
        "freq id interval location_id notes opens_at schedule_link service_at_location_id "
        "service_id timezone until valid_from valid_to wkst".split()
    ),
    "service_areas": set(
        "description extent extent_type id name service_area service_id uri".split()
    ),
    "service_at_location": set("description id location_id service_id".split()),
    "service_attributes": set("id service_id taxonomy_term_id x_term".split()),
    "service_taxonomy": set("id service_id taxonomy_detail taxonomy_id".split()),
    "services": set(
        "accreditations alert alternate_name application_process assured_date assurer_email "
        "description eligibility_description email fees fees_description id "
        "interpretation_services last_modified licenses maximum_age minimum_age name "
        "organization_id program_id status taxonomy_ids url wait_time x_age_range x_keywords "
        "x_last_complete_update_at x_need x_option_status x_target_populations".split()
    ),
    "taxonomies": set("description id name uri version".split()),
    "taxonomy": set("id name parent_id parent_name vocabulary".split()),
    "taxonomy_terms": set(
        "code description id language name parent_id taxonomy taxonomy_id term term_uri "
        "x_parent".split()
    ),
    "units": set("id identifier name scheme uri".split()),
}
KNOWN_COLUMNS["postal_addresses"] = KNOWN_COLUMNS["physical_addresses"]
# The x_socialmap extension (an object, JSON text or dotted "x_socialmap.<key>" columns).
for _table in ("organizations", "services", "locations"):
    KNOWN_COLUMNS[_table].add("x_socialmap")

ENTITY_TABLES = ("organizations", "services", "locations", "service_at_location")


@dataclass
class Table:
    """One HSDS table: its file name (used in issue refs) and rows."""

    name: str
    rows: list[dict[str, Any]]
    columns: list[str] = field(default_factory=list)

    def ref(self, row: dict[str, Any]) -> str:
        return row.get(REF_KEY) or f"{self.name} row {row.get(ROW_KEY, '?')}"


def canonical_table(name: str) -> str | None:
    """Canonical table for a table or file name ("services_at_location.csv" -> ...)."""
    stem = name.strip().lower()
    if stem.endswith(".csv"):
        stem = stem[:-4]
    return _ALIAS_TO_TABLE.get(stem.replace("-", "_").replace(" ", "_"))


def table_for_file(stem: str) -> str | None:
    """Canonical table for a file stem, also after dropping prefixes ("within_phone")."""
    parts = stem.lower().replace("-", "_").split("_")
    for start in range(len(parts)):
        table = canonical_table("_".join(parts[start:]))
        if table is not None:
            return table
    return None


def load_folder(location: str, batch: Batch, *, format_name: str) -> dict[str, Table]:
    """Find and read the HSDS tables of a folder (or of the folder of a given file).

    ``datapackage.json`` resources are used when their ``path`` exists (also tried next to
    the datapackage and under ``data/``); other ``*.csv`` files in the folder and in ``data/``
    are matched by name. Each file is read exactly once.
    """
    path = Path(location)
    if not path.exists():
        raise MalformedSource(f"{location}: no such file or folder")
    folder = path if path.is_dir() else path.parent
    found: dict[str, tuple[Path, str | None, str | None]] = {}
    missing_resources: dict[str, str] = {}

    package = folder / "datapackage.json"
    if package.is_file():
        for table, file_path, encoding, delimiter, declared in _package_resources(
            package, folder, batch
        ):
            if file_path is None:
                missing_resources.setdefault(table, declared)
            elif table not in found:
                found[table] = (file_path, encoding, delimiter)

    candidates = sorted(folder.glob("*.csv")) + sorted((folder / "data").glob("*.csv"))
    known_paths = {entry[0].resolve() for entry in found.values()}
    for file_path in candidates:
        if file_path.resolve() in known_paths:
            continue
        table = table_for_file(file_path.stem)
        if table is None:
            batch.warn(file_path.name, f"not an HSDS table file; ignored ({format_name})")
        elif table not in found:
            found[table] = (file_path, None, None)
        else:
            batch.warn(
                file_path.name,
                f"second file for table {table} (using {found[table][0].name}); ignored",
            )
    for table, declared in missing_resources.items():
        if table not in found:
            batch.warn("datapackage.json", f"resource {table!r}: file {declared!r} not found")

    for table, file_name in REQUIRED_FILES.items():
        if table not in found:
            raise MalformedSource(
                f"{folder.name or folder}: {file_name} not found "
                f"(an HSDS {format_name} folder needs {file_name})"
            )
    tables: dict[str, Table] = {}
    for table, (file_path, encoding, delimiter) in found.items():
        columns, rows = read_csv_rows(file_path, encoding=encoding, delimiter=delimiter)
        tables[table] = Table(file_path.name, rows, columns)
    return tables


def _package_resources(package: Path, folder: Path, batch: Batch):
    """Yield ``(table, path or None, encoding, delimiter, declared path)`` per resource."""
    try:
        data = json.loads(package.read_bytes())
    except (OSError, ValueError) as exc:
        batch.warn("datapackage.json", f"unreadable, file names used instead ({exc})")
        return
    resources = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(resources, list):
        return
    for resource in resources:
        if not isinstance(resource, dict):
            continue
        declared = resource.get("path")
        if isinstance(declared, list):
            declared = declared[0] if declared else None
        if not isinstance(declared, str):
            declared = None
        table = None
        if declared:
            table = canonical_table(Path(declared).stem)
        if table is None and isinstance(resource.get("name"), str):
            table = canonical_table(resource["name"])
        if table is None:
            continue
        file_path = None
        if declared:
            base = Path(declared).name
            for option in (folder / declared, folder / base, folder / "data" / base):
                if option.is_file() and _inside(option, folder):
                    file_path = option
                    break
        dialect = resource.get("dialect") if isinstance(resource.get("dialect"), dict) else {}
        delimiter = dialect.get("delimiter") if isinstance(dialect.get("delimiter"), str) else None
        encoding = resource.get("encoding") if isinstance(resource.get("encoding"), str) else None
        yield table, file_path, encoding, delimiter, declared or resource.get("name")


def _inside(path: Path, folder: Path) -> bool:
    # A datapackage must not make us read files outside the folder ("../../etc/passwd").
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True

"""Generic CSV/XLSX reader driven by a declarative TOML column mapping.

Format name ``csv``. ``location`` is the data file (``.csv``/``.txt``/``.tsv`` text in any
common encoding and delimiter, or ``.xlsx``); ``options.mapping`` is the mapping file. The
mapping format is documented in ``docs/import-mapping.md``; in short::

    [file]            # how to read the file: encoding, delimiter, header_row, sheet, ids
    [organization]    # our field = "Column" | {column=..., separator=...} | {value=...}
    [location]
    [service]
    [values.<field>]  # "cell text" = our value (case-insensitive), per field

One row gives one organisation, one location (when it has location data) and one service.
Rows whose ``[organization] id`` (or ``[location] id``) column holds the same value share
one organisation (location): the first such row supplies its fields.

CSV decoding and delimiter sniffing come from :mod:`importers.formats._csvutil`; header names
are matched case-insensitively (they are lower-cased there).

Layout: the mapping is loaded and checked in :mod:`~importers.formats._tabular_mapping`, the
CSV/XLSX file read in :mod:`~importers.formats._tabular_file`, cell values typed in
:mod:`~importers.formats._tabular_rows`; this module builds the records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._csvutil import EXTRA_KEY
from importers.formats._csvutil import ROW_KEY
from importers.formats._tabular_file import _check_columns
from importers.formats._tabular_file import read_table
from importers.formats._tabular_mapping import FILE_KEYS
from importers.formats._tabular_mapping import HOURS_FIELDS
from importers.formats._tabular_mapping import LOCATION_FIELDS
from importers.formats._tabular_mapping import ORGANIZATION_FIELDS
from importers.formats._tabular_mapping import SECTIONS
from importers.formats._tabular_mapping import SERVICE_FIELDS
from importers.formats._tabular_mapping import SPEC_KEYS
from importers.formats._tabular_mapping import TRANSLATABLE
from importers.formats._tabular_mapping import TRANSLATION_RE
from importers.formats._tabular_mapping import WEEKDAYS
from importers.formats._tabular_mapping import FieldSpec
from importers.formats._tabular_mapping import FileSettings
from importers.formats._tabular_mapping import Mapping
from importers.formats._tabular_mapping import load_mapping
from importers.formats._tabular_rows import AGE_SUFFIX_RE
from importers.formats._tabular_rows import BUILTIN_VALUES
from importers.formats._tabular_rows import CAPACITY_STATUSES
from importers.formats._tabular_rows import CLOSED_WORDS
from importers.formats._tabular_rows import FALSE_WORDS
from importers.formats._tabular_rows import RANGE_RE
from importers.formats._tabular_rows import SERVICE_STATUSES
from importers.formats._tabular_rows import TRUE_WORDS
from importers.formats._tabular_rows import RowError
from importers.formats._tabular_rows import _row_id
from importers.formats._tabular_rows import _RowContext
from importers.formats._textutil import unique
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CapacityIn
from importers.records import IdentifierIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import MalformedSource
from importers.records import OrganizationIn
from importers.records import ScheduleIn
from importers.records import ServiceIn

# Names defined here before the split into _tabular_*.py stay importable from this module.
__all__ = [
    "AGE_SUFFIX_RE",
    "BUILTIN_VALUES",
    "CAPACITY_STATUSES",
    "CLOSED_WORDS",
    "FALSE_WORDS",
    "FILE_KEYS",
    "FORMAT",
    "FieldSpec",
    "FileSettings",
    "HOURS_FIELDS",
    "LOCATION_DATA",
    "LOCATION_FIELDS",
    "Mapping",
    "ORGANIZATION_FIELDS",
    "RANGE_RE",
    "RowError",
    "SECTIONS",
    "SERVICE_FIELDS",
    "SERVICE_STATUSES",
    "SPEC_KEYS",
    "TRANSLATABLE",
    "TRANSLATION_RE",
    "TRUE_WORDS",
    "WEEKDAYS",
    "load_mapping",
    "read",
    "read_table",
]

FORMAT = "csv"
LOCATION_DATA = (
    "street", "house_number", "postcode", "city", "latitude", "longitude", "address_2", "box",
)  # fmt: skip


def _translations(ctx: _RowContext, fields: dict[str, FieldSpec]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for spec in fields.values():
        if spec.translation:
            text = ctx.value(spec)
            if text:
                key, language = spec.translation
                out.setdefault(language, {})[key] = text
    return out


def _schedules(ctx: _RowContext, fields: dict[str, FieldSpec]) -> list[ScheduleIn]:
    schedules: list[ScheduleIn] = []
    for name in HOURS_FIELDS:
        schedules += ctx.value(fields.get(name)) or []
    hours = ctx.value(fields.get("hours"))
    if hours:
        schedules.append(ScheduleIn(description=hours))
    return schedules


def _organization(ctx: _RowContext, org_id: str) -> OrganizationIn:
    fields = ctx.mapping.sections["organization"]
    get = lambda name: ctx.value(fields.get(name))  # noqa: E731
    kbo = get("kbo")
    return OrganizationIn(
        external_id=org_id,
        name=get("name"),
        alternate_name=get("alternate_name"),
        description=get("description"),
        email=get("email"),
        website=get("website"),
        legal_status=get("legal_status"),
        identifiers=[IdentifierIn(scheme="KBO", value=kbo)] if kbo else [],
        phones=get("phone") or [],
        language=ctx.mapping.file.language,
        translations=_translations(ctx, fields),
        last_modified=get("last_modified"),
        raw=_raw(ctx.row),
        ref=ctx.ref,
    )


def _location(ctx: _RowContext, loc_id: str, org_id: str | None) -> LocationIn | None:
    fields = ctx.mapping.sections["location"]
    get = lambda name: ctx.value(fields.get(name))  # noqa: E731
    values = {name: get(name) for name in LOCATION_DATA}
    if all(value is None for value in values.values()):
        return None  # no address and no coordinates: the row has no location
    address = AddressIn(
        street=values["street"],
        house_number=values["house_number"],
        box=values["box"],
        address_2=values["address_2"],
        postcode=values["postcode"],
        city=values["city"],
        country=get("country") or ctx.mapping.file.default_country,
    )
    return LocationIn(
        external_id=loc_id,
        organization_ref=org_id,
        name=get("name"),
        alternate_name=get("alternate_name"),
        description=get("description"),
        latitude=values["latitude"],
        longitude=values["longitude"],
        addresses=[address],
        phones=get("phone") or [],
        schedules=_schedules(ctx, fields),
        languages=get("languages") or [],
        accessibility=get("accessibility") or [],
        transportation=get("transportation"),
        url=get("url"),
        language=ctx.mapping.file.language,
        translations=_translations(ctx, fields),
        raw=_raw(ctx.row),
        ref=ctx.ref,
    )


def _service(
    ctx: _RowContext, service_id: str, org_id: str | None, loc_id: str | None
) -> ServiceIn:
    fields = ctx.mapping.sections["service"]
    get = lambda name: ctx.value(fields.get(name))  # noqa: E731
    translations = _translations(ctx, fields)
    intake_tr = {
        language: {"instructions": texts.pop("instructions")}
        for language, texts in translations.items()
        if "instructions" in texts
    }
    translations = {language: texts for language, texts in translations.items() if texts}
    methods, instructions, referrals = (
        get("intake_methods"),
        get("intake_instructions"),
        get("accepts_referrals"),
    )
    intake = None
    if methods or instructions or referrals is not None:
        intake = IntakeIn(
            methods=methods or [],
            instructions=instructions,
            accepts_referrals=referrals,
            translations=intake_tr,
        )
    status, weeks, note = get("capacity_status"), get("waiting_weeks"), get("capacity_note")
    capacity = None
    if status or weeks is not None or note:
        capacity = CapacityIn(status=status or "unknown", waiting_weeks=weeks, note=note)
    return ServiceIn(
        external_id=service_id,
        organization_ref=org_id,
        name=get("name"),
        location_refs=[loc_id] if loc_id else [],
        alternate_name=get("alternate_name"),
        description=get("description"),
        url=get("url"),
        email=get("email"),
        status=get("status") or "active",
        phones=get("phone") or [],
        schedules=_schedules(ctx, fields),
        languages=get("languages") or [],
        fees_description=get("fees"),
        is_free=get("is_free"),
        required_documents=get("required_documents") or [],
        minimum_age=get("minimum_age"),
        maximum_age=get("maximum_age"),
        eligibility_description=get("eligibility"),
        target_groups=get("target_groups") or [],
        categories=get("needs") or [],
        service_areas=get("service_areas") or [],
        intake=intake,
        capacity=capacity,
        last_modified=get("last_modified"),
        language=ctx.mapping.file.language,
        translations=translations,
        raw=_raw(ctx.row),
        ref=ctx.ref,
    )


def _raw(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != ROW_KEY}


def _section_id(ctx: _RowContext, section: str, row_id: str) -> str | None:
    """The section's own id column when mapped (rows sharing it share the record)."""
    spec = ctx.mapping.sections.get(section, {}).get("id")
    if spec is None:
        return row_id
    return ctx.value(spec)


def _default_id_columns(mapping: Mapping) -> list[str]:
    columns: list[str] = []
    for section, name in (
        ("organization", "name"),
        ("service", "name"),
        ("location", "street"),
        ("location", "house_number"),
        ("location", "postcode"),
    ):
        spec = mapping.sections.get(section, {}).get(name)
        if spec:
            columns += spec.columns
    return unique(columns)


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read a CSV/XLSX file with the column mapping named by ``options.mapping``."""
    if not options.mapping:
        raise MalformedSource("csv: a mapping file is required (options.mapping)")
    mapping = load_mapping(options.mapping)
    path = Path(location)
    batch = Batch(default_country=mapping.file.default_country)
    header, rows = read_table(path, mapping.file, batch)
    _check_columns(mapping, header, path.name)
    default_columns = _default_id_columns(mapping) or header

    orgs: dict[str, OrganizationIn] = {}
    locations: dict[str, LocationIn] = {}
    service_ids: set[str] = set()
    sections = mapping.sections
    for row in rows:
        ref = f"{path.name} row {row[ROW_KEY]}"
        ctx = _RowContext(row, ref, mapping, batch)
        row_id = _row_id(ctx, mapping.file, default_columns)
        if row_id is None:
            column = mapping.file.id_column or ", ".join(mapping.file.id_from) or "id"
            batch.reject(ref, "missing id", column)
            continue
        org_id = _section_id(ctx, "organization", row_id) if "organization" in sections else None
        loc_id = _section_id(ctx, "location", row_id) if "location" in sections else None
        for section, section_id in (("organization", org_id), ("location", loc_id)):
            if section in sections and section_id is None:
                ctx.errors.append(RowError(sections[section]["id"], f"{section} id: missing"))
        if "service" in sections and row_id in service_ids:
            batch.reject(ref, f"duplicate id {row_id}", mapping.file.id_column)
            continue
        if "service" not in sections and org_id in orgs and "id" not in sections["organization"]:
            batch.reject(ref, f"duplicate id {row_id}", mapping.file.id_column)
            continue

        org = _organization(ctx, org_id) if org_id and org_id not in orgs else None
        location = None
        if loc_id and loc_id not in locations and "location" in sections:
            location = _location(ctx, loc_id, org_id)
        service = _service(ctx, row_id, org_id, loc_id) if "service" in sections else None
        if org is not None and org.name is None:
            ctx.errors.append(RowError(sections["organization"]["name"], "name: missing"))
        if service is not None and service.name is None:
            ctx.errors.append(RowError(sections["service"]["name"], "name: missing"))
        if ctx.errors:
            for error in ctx.errors:
                batch.reject(ref, error.reason, error.spec.label)
            continue

        if org is not None:
            orgs[org.external_id] = org
            batch.organizations.append(org)
        if location is not None:
            locations[location.external_id] = location
            batch.locations.append(location)
        if service is not None:
            if loc_id and loc_id not in locations:
                service.location_refs = []  # the row has no location data
            service_ids.add(service.external_id)
            batch.services.append(service)
        if EXTRA_KEY in row:
            batch.warn(ref, "cells beyond the last header column ignored (kept in raw)")
    return batch

"""Mapping files of the ``csv`` reader: load and check the TOML column mapping.

See :mod:`importers.formats.tabular` and ``docs/import-mapping.md`` for the format.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from importers.records import MalformedSource

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOURS_FIELDS = tuple(f"hours_{day}" for day in WEEKDAYS)
TRANSLATABLE = {
    "name": "name",
    "alternate_name": "alternate_name",
    "description": "description",
    "eligibility": "eligibility_description",
    "intake_instructions": "instructions",
}
TRANSLATION_RE = re.compile(rf"^({'|'.join(TRANSLATABLE)})_([a-z]{{2}})$")

# Field -> kind, per section. Kinds decide parsing and what a bad value does.
ORGANIZATION_FIELDS = {
    "id": "id", "name": "text", "alternate_name": "text", "description": "text",
    "email": "text", "website": "text", "phone": "phones", "kbo": "kbo",
    "legal_status": "text", "last_modified": "date",
}  # fmt: skip
LOCATION_FIELDS = {
    "id": "id", "name": "text", "alternate_name": "text", "description": "text",
    "street": "text", "house_number": "text", "box": "text", "address_2": "text",
    "postcode": "text", "city": "text", "country": "text", "latitude": "latitude",
    "longitude": "longitude", "phone": "phones", "url": "text", "languages": "list",
    "accessibility": "list", "transportation": "text", "hours": "text",
    **{name: "weekday_hours" for name in HOURS_FIELDS},
}  # fmt: skip
SERVICE_FIELDS = {
    "id": "id", "name": "text", "alternate_name": "text", "description": "text",
    "url": "text", "email": "text", "phone": "phones", "status": "status",
    "languages": "list", "fees": "text", "is_free": "bool", "minimum_age": "number",
    "maximum_age": "number", "eligibility": "text", "needs": "categories",
    "target_groups": "categories", "required_documents": "list",
    "service_areas": "areas", "intake_methods": "list", "intake_instructions": "text",
    "accepts_referrals": "bool", "capacity_status": "capacity", "waiting_weeks": "number",
    "capacity_note": "text", "hours": "text", "last_modified": "date",
    **{name: "weekday_hours" for name in HOURS_FIELDS},
}  # fmt: skip
SECTIONS = {
    "organization": ORGANIZATION_FIELDS,
    "location": LOCATION_FIELDS,
    "service": SERVICE_FIELDS,
}
FILE_KEYS = {
    "encoding", "delimiter", "header_row", "skip_rows_after_header", "sheet",
    "default_country", "language", "id_column", "id_from", "list_separator",
}  # fmt: skip
SPEC_KEYS = {"column", "columns", "join", "value", "separator", "scheme", "kind"}
_MISSING = object()


@dataclass
class FieldSpec:
    """One mapped field: where its value comes from and how to split/label it."""

    section: str
    name: str
    kind: str
    columns: list[str] = field(default_factory=list)  # as written in the mapping
    constant: Any = _MISSING
    join: str = " "
    separator: str | None = None
    scheme: str | None = None
    area_kind: str = "text"
    translation: tuple[str, str] | None = None  # (target key, language) for name_fr etc.

    @property
    def label(self) -> str:
        """What issue ``field`` shows: the source column, else our field name."""
        return self.columns[0] if self.columns else f"{self.section}.{self.name}"


@dataclass
class FileSettings:
    encoding: str = "auto"
    delimiter: str = "auto"
    header_row: int = 1
    skip_rows_after_header: int = 0
    sheet: str | None = None
    default_country: str = "BE"
    language: str = "nl"
    id_column: str | None = None
    id_from: list[str] = field(default_factory=list)
    list_separator: str = ";"


@dataclass
class Mapping:
    file: FileSettings
    sections: dict[str, dict[str, FieldSpec]]
    values: dict[str, dict[str, Any]]
    source: str


def _mapping_error(source: str, message: str) -> MalformedSource:
    return MalformedSource(f"mapping {source}: {message}")


def _as_int(value: Any, key: str, source: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _mapping_error(source, f"[file] {key} must be an integer >= {minimum}")
    return value


def _file_settings(table: dict[str, Any], source: str) -> FileSettings:
    unknown = sorted(set(table) - FILE_KEYS)
    if unknown:
        raise _mapping_error(source, f"unknown key(s) in [file]: {', '.join(unknown)}")
    settings = FileSettings()
    for key in ("encoding", "delimiter", "sheet", "default_country", "language", "id_column"):
        if key in table:
            if not isinstance(table[key], str):
                raise _mapping_error(source, f"[file] {key} must be a string")
            setattr(settings, key, table[key])
    if "list_separator" in table:
        if not isinstance(table["list_separator"], str) or not table["list_separator"]:
            raise _mapping_error(source, "[file] list_separator must be a non-empty string")
        settings.list_separator = table["list_separator"]
    if "header_row" in table:
        settings.header_row = _as_int(table["header_row"], "header_row", source, 1)
    if "skip_rows_after_header" in table:
        settings.skip_rows_after_header = _as_int(
            table["skip_rows_after_header"], "skip_rows_after_header", source, 0
        )
    if "id_from" in table:
        id_from = table["id_from"]
        if not isinstance(id_from, list) or not all(isinstance(c, str) for c in id_from):
            raise _mapping_error(source, "[file] id_from must be a list of column names")
        settings.id_from = id_from
    delimiter = settings.delimiter
    if delimiter.lower() in {"tab", "\\t"}:
        settings.delimiter = "\t"
    elif delimiter != "auto" and len(delimiter) != 1:
        raise _mapping_error(source, "[file] delimiter must be 'auto' or one character")
    return settings


def _field_spec(section: str, name: str, value: Any, source: str) -> FieldSpec:
    fields = SECTIONS[section]
    translation = None
    match = TRANSLATION_RE.match(name)
    if name in fields:
        kind = fields[name]
    elif match and (
        section == "service" or match.group(1) in {"name", "alternate_name", "description"}
    ):
        kind = "text"
        translation = (TRANSLATABLE[match.group(1)], match.group(2))
    else:
        raise _mapping_error(source, f"unknown field {name!r} in [{section}]")
    spec = FieldSpec(section=section, name=name, kind=kind, translation=translation)
    if isinstance(value, str):
        spec.columns = [value]
    elif isinstance(value, (bool, int, float)):
        spec.constant = value
    elif isinstance(value, dict):
        unknown = sorted(set(value) - SPEC_KEYS)
        if unknown:
            raise _mapping_error(
                source, f"[{section}] {name}: unknown option(s) {', '.join(unknown)}"
            )
        sources = sum(key in value for key in ("column", "columns", "value"))
        if sources != 1:
            raise _mapping_error(
                source, f"[{section}] {name}: give exactly one of column, columns, value"
            )
        if "column" in value:
            if not isinstance(value["column"], str):
                raise _mapping_error(source, f"[{section}] {name}: column must be a string")
            spec.columns = [value["column"]]
        elif "columns" in value:
            columns = value["columns"]
            if (
                not isinstance(columns, list)
                or not columns
                or not all(isinstance(c, str) for c in columns)
            ):
                raise _mapping_error(source, f"[{section}] {name}: columns must list names")
            spec.columns = columns
        else:
            spec.constant = value["value"]
        for option in ("join", "separator", "scheme", "kind"):
            if option in value and not isinstance(value[option], str):
                raise _mapping_error(source, f"[{section}] {name}: {option} must be a string")
        spec.join = value.get("join", " ")
        spec.separator = value.get("separator")
        spec.scheme = value.get("scheme")
        spec.area_kind = value.get("kind", "text")
    else:
        raise _mapping_error(source, f"[{section}] {name}: expected a column name or a table")
    if kind == "id" and spec.constant is not _MISSING:
        raise _mapping_error(source, f"[{section}] id must name column(s), not a constant")
    return spec


def load_mapping(path: str | Path) -> Mapping:
    """Parse and check a mapping file (unknown sections/fields are errors: typos are costly)."""
    path = Path(path)
    source = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise MalformedSource(f"mapping {path}: cannot read ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _mapping_error(source, f"not valid TOML ({exc})") from exc
    unknown = sorted(set(data) - {"file", "values", *SECTIONS})
    if unknown:
        raise _mapping_error(source, f"unknown section(s): {', '.join(unknown)}")
    settings = _file_settings(data.get("file", {}), source)
    sections: dict[str, dict[str, FieldSpec]] = {}
    for section in SECTIONS:
        if section in data:
            table = data[section]
            if not isinstance(table, dict):
                raise _mapping_error(source, f"[{section}] must be a table")
            sections[section] = {
                name: _field_spec(section, name, value, source) for name, value in table.items()
            }
    for section in ("organization", "service"):
        if section in sections and "name" not in sections[section]:
            raise _mapping_error(source, f"[{section}] needs a name")
    if not {"organization", "service"} & set(sections):
        raise _mapping_error(source, "map at least an [organization] or a [service]")
    values: dict[str, dict[str, Any]] = {}
    for field_name, table in (data.get("values") or {}).items():
        if not isinstance(table, dict):
            raise _mapping_error(source, f"[values.{field_name}] must be a table")
        if not any(field_name in fields for fields in SECTIONS.values()):
            raise _mapping_error(source, f"[values.{field_name}]: no such field")
        values[field_name] = {str(key).strip().lower(): value for key, value in table.items()}
    return Mapping(settings, sections, values, source)

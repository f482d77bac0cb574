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
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tomllib
import warnings
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._csvutil import EXTRA_KEY
from importers.formats._csvutil import ROW_KEY
from importers.formats._csvutil import decode_bytes
from importers.formats._csvutil import parse_csv_text
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.formats._textutil import parse_day_month_year
from importers.formats._textutil import parse_float
from importers.formats._textutil import stable_hash
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

FORMAT = "csv"

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
LOCATION_DATA = (
    "street", "house_number", "postcode", "city", "latitude", "longitude", "address_2", "box",
)  # fmt: skip

CAPACITY_STATUSES = {"available", "waitlist", "full", "unknown"}
SERVICE_STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
# Words data stewards actually type, on top of [values.<field>] maps in the mapping.
BUILTIN_VALUES: dict[str, dict[str, Any]] = {
    "capacity_status": {
        "beschikbaar": "available", "vrij": "available", "plaats": "available",
        "disponible": "available", "wachtlijst": "waitlist", "liste d'attente": "waitlist",
        "volzet": "full", "vol": "full", "complet": "full", "onbekend": "unknown",
        "inconnu": "unknown",
    },
    "status": {
        "actief": "active", "inactief": "inactive", "stopgezet": "defunct",
        "tijdelijk gesloten": "temporarily closed",
    },
}  # fmt: skip
TRUE_WORDS = {"true", "yes", "y", "ja", "j", "oui", "1", "x", "waar", "vrai"}
FALSE_WORDS = {"false", "no", "n", "nee", "neen", "non", "0", "onwaar", "faux"}
CLOSED_WORDS = {"gesloten", "closed", "fermé", "ferme", "-", "nee", "neen", "non"}
RANGE_RE = re.compile(
    r"(\d{1,2})(?:[:.hu](\d{2}))?\s*(?:u|h|uur)?\s*[-–—]\s*(\d{1,2})(?:[:.hu](\d{2}))?\s*(?:u|h|uur)?",
    re.IGNORECASE,
)
AGE_SUFFIX_RE = re.compile(r"\s*(jaar|jr|j|ans|an|years|year|y)\.?$", re.IGNORECASE)
_MISSING = object()


# --------------------------------------------------------------------------- mapping


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


# --------------------------------------------------------------------------- reading


def _header_key(name: str) -> str:
    """The key ``_csvutil`` gives a header cell (lower-cased, stripped)."""
    return name.replace("\ufeff", "").strip().strip('"').strip().lower()


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # postcodes typed as numbers: 9000.0 -> "9000"
    return str(value)


def _xlsx_text(path: Path, settings: FileSettings, batch: Batch) -> str:
    """The chosen sheet from its header row on, written as CSV text for ``_csvutil``."""
    import openpyxl

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken/non-xlsx file
            raise MalformedSource(f"{path.name}: not a readable XLSX file ({exc})") from exc
        try:
            if settings.sheet:
                if settings.sheet not in book.sheetnames:
                    raise MalformedSource(
                        f"{path.name}: no sheet {settings.sheet!r} "
                        f"(sheets: {', '.join(book.sheetnames)})"
                    )
                sheet = book[settings.sheet]
            else:
                sheet = book.worksheets[0]
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number >= settings.header_row:
                    writer.writerow([_xlsx_cell(value) for value in row])
        finally:
            book.close()
    for warning in caught:
        batch.warn(path.name, f"xlsx: {warning.message}")
    return out.getvalue()


def _csv_text(path: Path, settings: FileSettings) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MalformedSource(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    encoding = None if settings.encoding.lower() == "auto" else settings.encoding
    text = decode_bytes(data, name=path.name, encoding=encoding)
    if settings.header_row > 1:
        # Title rows above the header: drop them line by line (\r, \n and \r\n all count).
        lines = io.StringIO(text, newline="").readlines()
        text = "".join(lines[settings.header_row - 1 :])
    return text


def read_table(path: Path, settings: FileSettings, batch: Batch) -> tuple[list[str], list[dict]]:
    """Header keys and data rows (``_csvutil`` shape) of a CSV or XLSX file."""
    if path.suffix.lower() == ".xls":
        raise MalformedSource(f"{path.name}: old .xls files are not supported; save as .xlsx")
    is_xlsx = path.suffix.lower() in {".xlsx", ".xlsm"}
    if not is_xlsx and path.is_file():
        with path.open("rb") as handle:
            is_xlsx = handle.read(4) == b"PK\x03\x04"
    if is_xlsx:
        header, rows = parse_csv_text(
            _xlsx_text(path, settings, batch), name=path.name, delimiter=","
        )
    else:
        delimiter = None if settings.delimiter == "auto" else settings.delimiter
        header, rows = parse_csv_text(
            _csv_text(path, settings), name=path.name, delimiter=delimiter
        )
    if not header:
        raise MalformedSource(
            f"{path.name}: no header row found (header_row = {settings.header_row})"
        )
    return header, rows[settings.skip_rows_after_header :]


def _check_columns(mapping: Mapping, header: list[str], file_name: str) -> None:
    wanted = [mapping.file.id_column] if mapping.file.id_column else []
    wanted += mapping.file.id_from
    for fields in mapping.sections.values():
        for spec in fields.values():
            wanted += spec.columns
    missing = unique([column for column in wanted if _header_key(column) not in header])
    if missing:
        hint = ""
        if len(header) == 1:
            hint = (
                " Only one column was found: is this a CSV file with , ; TAB or | between columns?"
            )
        raise MalformedSource(
            f"{file_name}: column(s) {', '.join(repr(c) for c in missing)} named in mapping "
            f"{mapping.source} not found (columns: {', '.join(header)}).{hint}"
        )


# --------------------------------------------------------------------------- rows


class RowError(Exception):
    """A value that makes the row unusable."""

    def __init__(self, spec: FieldSpec, reason: str) -> None:
        super().__init__(reason)
        self.spec = spec
        self.reason = reason


@dataclass
class _RowContext:
    row: dict[str, Any]
    ref: str
    mapping: Mapping
    batch: Batch
    errors: list[RowError] = field(default_factory=list)

    def raw_value(self, spec: FieldSpec) -> Any:
        if spec.constant is not _MISSING:
            return spec.constant
        parts = [clean_text(self.row.get(_header_key(column))) for column in spec.columns]
        present = [part for part in parts if part]
        return spec.join.join(present) if present else None

    def mapped(self, spec: FieldSpec, value: Any) -> Any:
        """Apply ``[values.<field>]`` and the built-in word lists to one value."""
        if not isinstance(value, str):
            return value
        key = value.strip().lower()
        table = self.mapping.values.get(spec.name, {})
        if key in table:
            return table[key]
        return BUILTIN_VALUES.get(spec.name, {}).get(key, value)

    def items(self, spec: FieldSpec) -> list[Any]:
        value = self.raw_value(spec)
        if value is None:
            return []
        if isinstance(value, str):
            separator = spec.separator or self.mapping.file.list_separator
            parts = [clean_text(part) for part in value.split(separator)]
            values = [self.mapped(spec, part) for part in parts if part]
        else:
            values = [self.mapped(spec, value)]
        out = []
        for item in values:
            text = clean_text(item) if not isinstance(item, str) else item
            if text and text not in out:
                out.append(text)
        return out

    def value(self, spec: FieldSpec | None) -> Any:
        """The typed value of one field; bad values are collected in ``errors``."""
        if spec is None:
            return None
        try:
            return self._typed(spec)
        except RowError as exc:
            self.errors.append(exc)
        return None

    def _typed(self, spec: FieldSpec) -> Any:
        kind = spec.kind
        if kind in {"list", "categories", "areas"}:
            items = self.items(spec)
            if kind == "categories":
                scheme = spec.scheme or "label"
                return [
                    CategoryIn(scheme="label", label=item)
                    if scheme == "label"
                    else CategoryIn(scheme=scheme, code=item)
                    for item in items
                ]
            if kind == "areas":
                return [
                    ServiceAreaIn(kind=spec.area_kind, code=item)
                    if spec.area_kind in {"postcode", "country", "region", "province"}
                    else ServiceAreaIn(kind=spec.area_kind, name=item)
                    for item in items
                ]
            return items
        if kind == "phones":
            if spec.separator:
                return [PhoneIn(number=item) for item in self.items(spec)]
            number = clean_text(self.mapped(spec, self.raw_value(spec)))
            return [PhoneIn(number=number)] if number else []
        value = self.mapped(spec, self.raw_value(spec))
        if isinstance(value, str):
            value = clean_text(value)
        if value is None:
            return None
        if kind in {"text", "id", "kbo"}:
            return clean_text(value)
        if kind == "number":
            text = AGE_SUFFIX_RE.sub("", value) if isinstance(value, str) else value
            try:
                number = parse_float(text)
            except ValueError:
                raise RowError(spec, f"{spec.name}: not a number: {value!r}") from None
            if number is not None and number < 0:
                raise RowError(spec, f"{spec.name}: negative: {value!r}")
            return number
        if kind in {"latitude", "longitude"}:
            limit = 90 if kind == "latitude" else 180
            try:
                return parse_coordinate(value, -limit, limit)
            except ValueError as exc:
                # Coordinates can be geocoded again: warn, keep the row.
                self.batch.warn(self.ref, f"{kind} ignored ({exc})", spec.label)
                return None
        if kind == "bool":
            if isinstance(value, bool):
                return value
            word = str(value).strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise RowError(spec, f"{spec.name}: not yes/no: {value!r}")
        if kind in {"capacity", "status"}:
            allowed = CAPACITY_STATUSES if kind == "capacity" else SERVICE_STATUSES
            word = str(value).strip().lower()
            if word not in allowed:
                raise RowError(
                    spec,
                    f"{spec.name}: {value!r} is not one of {', '.join(sorted(allowed))}"
                    f" (map it under [values.{spec.name}])",
                )
            return word
        if kind == "date":
            return self._date(spec, value)
        if kind == "weekday_hours":
            return self._weekday_hours(spec, str(value))
        raise AssertionError(f"unhandled kind {kind}")

    def _date(self, spec: FieldSpec, value: Any) -> dt.datetime | None:
        text = str(value)
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
        try:
            day = parse_day_month_year(text)
        except ValueError:
            self.batch.warn(self.ref, f"{spec.name} ignored: not a date: {text!r}", spec.label)
            return None
        return dt.datetime.combine(day, dt.time()) if day else None

    def _weekday_hours(self, spec: FieldSpec, text: str) -> list[ScheduleIn]:
        weekday = WEEKDAYS.index(spec.name.removeprefix("hours_")) + 1
        if text.strip().lower() in CLOSED_WORDS:
            return []
        slots = []
        rest = text
        for match in RANGE_RE.finditer(text):
            open_h, open_m, close_h, close_m = match.groups()
            opens = f"{int(open_h):02d}:{open_m or '00'}"
            closes = f"{int(close_h):02d}:{close_m or '00'}"
            if not _valid_time(opens) or not _valid_time(closes):
                slots = []
                break
            slots.append(ScheduleIn(weekday=weekday, opens_at=opens, closes_at=closes))
            rest = rest.replace(match.group(0), "", 1)
        if slots and not re.sub(r"[\s,;/&+]|\ben\b|\bet\b|\band\b", "", rest):
            return slots
        self.batch.warn(self.ref, f"{spec.name}: hours kept as text: {text!r}", spec.label)
        return [ScheduleIn(weekday=weekday, description=text)]


def _valid_time(value: str) -> bool:
    hours, minutes = (int(part) for part in value.split(":"))
    return 0 <= hours <= 24 and 0 <= minutes < 60 and not (hours == 24 and minutes)


def _row_id(ctx: _RowContext, settings: FileSettings, default_columns: list[str]) -> str | None:
    if settings.id_column:
        return clean_text(ctx.row.get(_header_key(settings.id_column)))
    columns = settings.id_from or default_columns
    parts = [clean_text(ctx.row.get(_header_key(column))) for column in columns]
    if not any(parts):
        return None
    return f"row-{stable_hash(*parts, length=16)}"


# --------------------------------------------------------------------------- records


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

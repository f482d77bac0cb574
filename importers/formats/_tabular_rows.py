"""Row values for the ``csv`` reader: typed field values, bad values as :class:`RowError`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from importers.formats._tabular_file import _header_key
from importers.formats._tabular_mapping import _MISSING
from importers.formats._tabular_mapping import WEEKDAYS
from importers.formats._tabular_mapping import FieldSpec
from importers.formats._tabular_mapping import FileSettings
from importers.formats._tabular_mapping import Mapping
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.formats._textutil import parse_day_month_year
from importers.formats._textutil import parse_float
from importers.formats._textutil import stable_hash
from importers.records import Batch
from importers.records import CategoryIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceAreaIn

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

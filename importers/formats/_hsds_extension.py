"""Read the ``x_socialmap`` extension of HSDS organizations, services and locations.

The extension (documented in ``socialmap/data/demo/README.md``) carries Belgian details
HSDS 3.0 has no field for:

- service: ``is_free``, ``intake`` (-> :class:`IntakeIn`), ``capacity`` (-> :class:`CapacityIn`),
  ``closures`` (-> :class:`ClosureIn`), ``service_areas`` (``[{kind, code, name}]`` ->
  :class:`ServiceAreaIn`, replacing the areas read from the HSDS ``service_areas``) and
  ``translations``;
- location: ``confidential``, ``front_door``, ``front_door_translations`` (merged into the
  location's ``translations`` as ``{"fr": {"front_door": ...}}``) and ``translations``;
- organization: ``translations``.

In JSON it is an object under ``x_socialmap``. Tabular sources give it as an
``x_socialmap`` column holding that object as JSON text, and/or as dotted columns
(``x_socialmap.is_free``, ``x_socialmap.capacity.status``; lists as JSON or comma
separated). Values are typed (yes/no, numbers, dates) but otherwise kept as written; a bad
value is reported and left out, an unknown key once per record kind and key.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from importers.formats._hsds_fields import parse_bool
from importers.formats._hsds_fields import parse_date
from importers.formats._hsds_fields import parse_datetime
from importers.formats._hsds_fields import parse_time
from importers.formats._hsds_fields import split_list
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_float
from importers.records import CapacityIn
from importers.records import ClosureIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import ServiceAreaIn
from importers.records import ServiceIn

EXTENSION_KEY = "x_socialmap"
_PREFIX = EXTENSION_KEY + "."

# Documented keys per record kind, and inside the nested objects.
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "service": frozenset("is_free intake capacity closures service_areas translations".split()),
    "location": frozenset("confidential front_door front_door_translations translations".split()),
    "organization": frozenset({"translations"}),
}
INTAKE_KEYS = frozenset(
    "methods instructions required_information accepts_referrals translations".split()
)
CAPACITY_KEYS = frozenset("status waiting_weeks note updated_at".split())
CLOSURE_KEYS = frozenset("start end reason opens_at closes_at".split())
AREA_KEYS = frozenset("kind code name".split())
AREA_KINDS = frozenset("municipality postcode province region country text".split())
# Text fields a translation may give, per kind (others are reported, not imported).
TRANSLATED_FIELDS: dict[str, frozenset[str]] = {
    "service": frozenset(
        "name alternate_name description eligibility_description fees_description".split()
    ),
    "location": frozenset("name alternate_name description transportation front_door".split()),
    "organization": frozenset("name alternate_name description".split()),
    "intake": frozenset("instructions required_information".split()),
}
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$", re.IGNORECASE)

Warn = Callable[[str, str, str | None], None]


def is_extension_column(column: str) -> bool:
    """True for the ``x_socialmap`` column and dotted ``x_socialmap.<key>`` columns."""
    return column == EXTENSION_KEY or (column.startswith(_PREFIX) and len(column) > len(_PREFIX))


class ExtensionReader:
    """Reads the ``x_socialmap`` objects of one batch onto its records."""

    def __init__(self, warn: Warn) -> None:
        self._warn = warn
        self._warned: set[tuple[str, str]] = set()

    # ----------------------------------------------------------------- input

    def extension(self, row: dict[str, Any], ref: str, kind: str) -> dict[str, Any]:
        """The row's extension object (empty when it has none), unknown keys reported."""
        data: dict[str, Any] = {}
        value = row.get(EXTENSION_KEY)
        if isinstance(value, str):
            value = None if clean_text(value) is None else value  # an empty CSV cell
        if value is not None:
            try:
                data.update(as_object(value))
            except ValueError as exc:
                self._warn(ref, f"{EXTENSION_KEY}: {exc}; ignored", EXTENSION_KEY)
        for column, cell in row.items():
            if isinstance(column, str) and column.startswith(_PREFIX) and cell not in (None, ""):
                _set_path(data, column[len(_PREFIX) :].split("."), cell)
        for key in data:
            if key not in KNOWN_KEYS[kind]:
                self.unknown(kind, key, ref)
        return data

    def unknown(self, kind: str, path: str, ref: str) -> None:
        """Report an unknown extension key once per record kind and key."""
        if (kind, path) not in self._warned:
            self._warned.add((kind, path))
            name = f"{EXTENSION_KEY}.{path}"
            self._warn(ref, f"unknown field {name} (not imported)", name)

    def get(self, data: dict[str, Any], key: str, parse, ref: str, path: str):
        """``parse(data[key])``; a ``ValueError`` is reported and gives ``None``."""
        value = data.get(key)
        if value is None:
            return None
        try:
            return parse(value)
        except (ValueError, TypeError) as exc:
            name = f"{EXTENSION_KEY}.{path}"
            self._warn(ref, f"{name}: {exc}", name)
            return None

    def part(self, data: dict[str, Any], key: str, ref: str, kind: str, known: frozenset[str]):
        """A nested object of the extension (unknown keys reported); ``None`` if absent."""
        value = self.get(data, key, as_object, ref, key)
        if value is None:
            return None
        for name in value:
            if name not in known:
                self.unknown(kind, f"{key}.{name}", ref)
        return value

    def translations(
        self,
        data: dict[str, Any],
        key: str,
        ref: str,
        kind: str,
        fields: frozenset[str],
        path: str | None = None,
    ) -> dict[str, dict[str, str]]:
        """``{lang: {field: text}}`` from ``data[key]``; other shapes/fields are reported.

        ``path`` names ``data[key]`` inside the extension in messages (default ``key``).
        """
        path = path or key
        where = f"{EXTENSION_KEY}.{path}"
        value = self.get(data, key, as_object, ref, path)
        out: dict[str, dict[str, str]] = {}
        for language, texts in (value or {}).items():
            if not _LANGUAGE_RE.match(str(language)):
                self._warn(ref, f"{where}: {language!r} is not a language code", where)
                continue
            if isinstance(texts, str) and len(fields) == 1:
                texts = {next(iter(fields)): texts}  # {"fr": "..."} for a single-field object
            if not isinstance(texts, dict):
                self._warn(ref, f"{where}.{language}: not an object", where)
                continue
            for text_field, text_value in texts.items():
                if text_field not in fields:
                    self.unknown(kind, f"{path}.*.{text_field}", ref)
                    continue
                if isinstance(text_value, (bool, dict, list)):
                    self._warn(ref, f"{where}.{language}.{text_field}: not a text", where)
                    continue
                cleaned = clean_text(text_value)
                if cleaned is not None:
                    out.setdefault(str(language).lower(), {})[text_field] = cleaned
        return out

    # ----------------------------------------------------------------- records

    def organization(self, org: OrganizationIn, data: dict[str, Any], ref: str) -> None:
        texts = self.translations(
            data, "translations", ref, "organization", TRANSLATED_FIELDS["organization"]
        )
        _merge_translations(org.translations, texts)

    def location(self, loc: LocationIn, data: dict[str, Any], ref: str) -> None:
        confidential = self.get(data, "confidential", as_bool, ref, "confidential")
        if confidential is not None:
            loc.confidential = confidential
        front_door = self.get(data, "front_door", as_text, ref, "front_door")
        if front_door is not None:
            loc.front_door = front_door
        texts = self.translations(
            data, "translations", ref, "location", TRANSLATED_FIELDS["location"]
        )
        _merge_translations(loc.translations, texts)
        door = self.translations(
            data, "front_door_translations", ref, "location", frozenset({"front_door"})
        )
        _merge_translations(loc.translations, door)

    def service(self, svc: ServiceIn, data: dict[str, Any], ref: str) -> list[ServiceAreaIn]:
        """Set the service's extension fields; return its structured service areas.

        The areas are returned rather than set because they replace the areas of the HSDS
        ``service_areas`` table, which is attached to the services later.
        """
        is_free = self.get(data, "is_free", as_bool, ref, "is_free")
        if is_free is not None:
            svc.is_free = is_free
        intake = self._intake(data, ref, svc.intake)
        if intake is not None:
            svc.intake = intake
        capacity = self._capacity(data, ref, svc.capacity)
        if capacity is not None:
            svc.capacity = capacity
        for closure in self._closures(data, ref):
            if closure not in svc.closures:
                svc.closures.append(closure)
        texts = self.translations(
            data, "translations", ref, "service", TRANSLATED_FIELDS["service"]
        )
        _merge_translations(svc.translations, texts)
        return self._areas(data, ref)

    def _intake(self, data: dict[str, Any], ref: str, hsds: IntakeIn | None) -> IntakeIn | None:
        part = self.part(data, "intake", ref, "service", INTAKE_KEYS)
        if part is None:
            return None
        methods = self.get(part, "methods", as_text_list, ref, "intake.methods") or []
        instructions = self.get(part, "instructions", as_text, ref, "intake.instructions")
        return IntakeIn(
            methods=list(dict.fromkeys(methods)),
            # HSDS application_process stands in when the extension gives no instructions.
            instructions=instructions or (hsds.instructions if hsds else None),
            required_information=self.get(
                part, "required_information", as_text, ref, "intake.required_information"
            ),
            accepts_referrals=self.get(
                part, "accepts_referrals", as_bool, ref, "intake.accepts_referrals"
            ),
            translations=self.translations(
                part,
                "translations",
                ref,
                "service",
                TRANSLATED_FIELDS["intake"],
                path="intake.translations",
            ),
        )

    def _capacity(
        self, data: dict[str, Any], ref: str, hsds: CapacityIn | None
    ) -> CapacityIn | None:
        part = self.part(data, "capacity", ref, "service", CAPACITY_KEYS)
        if part is None:
            return None
        status = self.get(part, "status", as_text, ref, "capacity.status")
        weeks = self.get(part, "waiting_weeks", as_float, ref, "capacity.waiting_weeks")
        note = self.get(part, "note", as_text, ref, "capacity.note")
        # What the extension leaves out comes from the HSDS wait_time, when given.
        return CapacityIn(
            status=status or (hsds.status if hsds else "unknown"),
            waiting_weeks=weeks if weeks is not None else (hsds.waiting_weeks if hsds else None),
            note=note or (hsds.note if hsds else None),
            updated_at=self.get(part, "updated_at", as_datetime, ref, "capacity.updated_at"),
        )

    def _closures(self, data: dict[str, Any], ref: str) -> list[ClosureIn]:
        closures = []
        for index, item in enumerate(self.get(data, "closures", as_objects, ref, "closures") or []):
            path = f"closures[{index}]"
            for key in item:
                if key not in CLOSURE_KEYS:
                    self.unknown("service", f"closures.{key}", ref)
            start = self.get(item, "start", as_date, ref, f"{path}.start")
            if start is None:
                where = f"{EXTENSION_KEY}.{path}"
                self._warn(ref, f"{where}: no (valid) start; ignored", f"{EXTENSION_KEY}.closures")
                continue
            closures.append(
                ClosureIn(
                    start=start,
                    end=self.get(item, "end", as_date, ref, f"{path}.end"),
                    reason=self.get(item, "reason", as_text, ref, f"{path}.reason"),
                    opens_at=self.get(item, "opens_at", as_time, ref, f"{path}.opens_at"),
                    closes_at=self.get(item, "closes_at", as_time, ref, f"{path}.closes_at"),
                )
            )
        return closures

    def _areas(self, data: dict[str, Any], ref: str) -> list[ServiceAreaIn]:
        areas: list[ServiceAreaIn] = []
        items = self.get(data, "service_areas", as_objects, ref, "service_areas") or []
        for index, item in enumerate(items):
            path = f"{EXTENSION_KEY}.service_areas[{index}]"
            field_name = f"{EXTENSION_KEY}.service_areas"
            for key in item:
                if key not in AREA_KEYS:
                    self.unknown("service", f"service_areas.{key}", ref)
            kind = (_text_or_none(item.get("kind")) or "").lower()
            code, name = _text_or_none(item.get("code")), _text_or_none(item.get("name"))
            if kind not in AREA_KINDS:
                self._warn(ref, f"{path}: unknown kind {kind or None!r}; kept as text", field_name)
                kind, code, name = "text", None, name or code
            if code is None and name is None:
                self._warn(ref, f"{path}: neither code nor name; ignored", field_name)
                continue
            area = ServiceAreaIn(kind=kind, code=code, name=name)
            if area not in areas:
                areas.append(area)
        return areas


# --------------------------------------------------------------------------- values
# Extension values are typed in JSON and text in CSV cells; each parser takes both and
# raises ValueError (reported by ExtensionReader.get) for anything else.


def as_text(value: Any) -> str | None:
    if isinstance(value, (dict, list)):
        raise ValueError("not a text")
    return clean_text(value)


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return parse_bool(clean_text(value))
    raise ValueError(f"not a yes/no value: {value!r}")


def as_float(value: Any) -> float | None:
    if isinstance(value, (dict, list)):
        raise ValueError("not a number")
    return parse_float(value)


def as_date(value: Any) -> dt.date | None:
    return parse_date(_require_text(value))


def as_datetime(value: Any) -> dt.datetime | None:
    return parse_datetime(_require_text(value))


def as_time(value: Any) -> str | None:
    return parse_time(_require_text(value))


def as_text_list(value: Any) -> list[str]:
    """A JSON list of texts, or a cell with a JSON list or comma-separated items."""
    if isinstance(value, str):
        cleaned = clean_text(value) or ""
        if not cleaned.startswith("["):
            return split_list(cleaned)
        value = _json(cleaned)
    if not isinstance(value, list):
        raise ValueError("not a list")
    return [text for text in map(as_text, value) if text is not None]


def as_object(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = _json(value)
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def as_objects(value: Any) -> list[dict[str, Any]]:
    """A list of objects (one object counts as a list of one), also as JSON text."""
    if isinstance(value, str):
        value = _json(value)
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError("not a list of objects")
    return value


def _text_or_none(value: Any) -> str | None:
    """Cleaned text of a scalar; ``None`` for objects/lists (not a text at all)."""
    return None if isinstance(value, (dict, list)) else clean_text(value)


def _require_text(value: Any) -> str | None:
    if isinstance(value, (dict, list, bool)):
        raise ValueError(f"not a text value: {value!r}")
    return clean_text(value)


def _json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc.args[0] if exc.args else exc})") from exc
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def _set_path(data: dict[str, Any], keys: list[str], value: Any) -> None:
    """Set ``data[k1][k2]... = value`` for a dotted column (an existing non-object wins)."""
    for key in keys[:-1]:
        child = data.setdefault(key, {})
        if not isinstance(child, dict):
            return
        data = child
    data.setdefault(keys[-1], value)


def _merge_translations(
    target: dict[str, dict[str, str]], texts: dict[str, dict[str, str]]
) -> None:
    for language, fields in texts.items():
        target.setdefault(language, {}).update(fields)

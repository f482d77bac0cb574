"""Reader for Open Referral HSDS 3.0 JSON (API responses and exports).

Format name ``hsds-json``. ``location`` is a ``.json`` file, a folder of ``*.json`` files
(read in name order, not recursively) or an ``http(s)`` URL of one JSON document. A
document may be

- one object: an organization, service, service_at_location or location (recognised by
  its fields; ``options.extra["hsds_kind"]`` forces one), as returned by ``/services/{id}``;
- an array of such objects, or a paginated list ``{"total_items": .., "contents": [...]}``;
- the tabular form ``{"organizations.csv": [...], "services.csv": [...], ...}``;
- taxonomy terms/taxonomies (used to name attribute categories) or ``base.json``
  metadata, which add no records.

Nested objects are followed: ``organization.services``/``locations``, ``service.organization``,
``service.service_at_locations[].location``, ``service_at_location.service``/``location``.
The same organization/service/location met several times (nested in other objects, on
several pages, in several files) becomes one record: the most complete copy is kept, and a
warning names the fields where copies disagree. Relations come from every copy. Within one
array/page, a second top-level object with an id already listed is rejected as a duplicate.

The objects are flattened into HSDS tables and joined by
:mod:`importers.formats._hsds_build`, so the field mapping (schedules -> weekly slots,
service areas, KBO identifiers, attributes -> categories, 3.1 ``capacities`` ...) is the
one of the CSV readers. Issue refs are JSON paths: ``"service_full.json
$.service_at_locations[0].location"``. Fields outside the HSDS 3.0/3.1 schema are reported
once per object kind and field (``unknown field X``); keys starting with ``_`` are
annotations (``"_notice"``) and are not reported.

The ``x_socialmap`` extension object of services, locations and organizations (intake,
capacity, closures, structured service areas, translations, confidential locations ...) is
read by :mod:`importers.formats._hsds_extension`; attributes whose taxonomy is
``socialmap`` become needs and ``socialmap-target-group`` target groups (scheme
``socialmap``). The bundled demo ``socialmap/data/demo/elz-kust/services.json`` uses both.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._csvutil import decode_bytes
from importers.formats._hsds_build import build_batch
from importers.formats._hsds_extension import EXTENSION_KEY
from importers.formats._hsds_extension import is_extension_column
from importers.formats._hsds_fields import text
from importers.formats._hsds_tables import KNOWN_COLUMNS
from importers.formats._hsds_tables import RAW_KEY
from importers.formats._hsds_tables import REF_KEY
from importers.formats._hsds_tables import Table
from importers.formats._hsds_tables import canonical_table
from importers.records import Batch
from importers.records import MalformedSource

FORMAT = "hsds-json"

KINDS = ("organization", "service", "location", "service_at_location")
ENTITY_TABLE = {
    "organization": "organizations",
    "service": "services",
    "location": "locations",
    "service_at_location": "service_at_location",
}
TABLE_KIND = {table: kind for kind, table in ENTITY_TABLE.items()}
# Keys holding other entities: not part of an object's own content.
ENTITY_KEYS = frozenset(
    {"services", "locations", "organization", "service_at_locations", "service", "location"}
)
# Nested lists that become child tables: kind -> {key: (table, foreign key)}.
CHILDREN: dict[str, dict[str, tuple[str, str]]] = {
    "organization": {
        "phones": ("phones", "organization_id"),
        "organization_identifiers": ("organization_identifiers", "organization_id"),
    },
    "service": {
        "phones": ("phones", "service_id"),
        "schedules": ("schedules", "service_id"),
        "service_areas": ("service_areas", "service_id"),
        "languages": ("languages", "service_id"),
        "cost_options": ("cost_options", "service_id"),
        "required_documents": ("required_documents", "service_id"),
        "attributes": ("attributes", "link_id"),
        "capacities": ("capacities", "service_id"),
    },
    "location": {
        "addresses": ("addresses", "location_id"),
        "phones": ("phones", "location_id"),
        "schedules": ("schedules", "location_id"),
        "languages": ("languages", "location_id"),
        "accessibility": ("accessibility", "location_id"),
    },
    "service_at_location": {
        "phones": ("phones", "service_at_location_id"),
        "schedules": ("schedules", "service_at_location_id"),
    },
}
# A plain string in a child list stands for this field ("languages": ["nl", "fr"]).
MAIN_FIELD = {
    "phones": "number",
    "languages": "name",
    "required_documents": "document",
    "service_areas": "name",
    "accessibility": "description",
}
# HSDS 3.0 object fields (schema/*.json) plus 3.1 service capacities.
KNOWN_KEYS: dict[str, set[str]] = {
    "organization": set(
        "alternate_name attributes contacts description email funding id legal_status locations "
        "logo metadata name organization_identifiers parent_organization_id phones programs "
        "services tax_id tax_status uri website year_incorporated".split()
    ),
    "service": set(
        "accreditations alert alternate_name application_process assured_date assurer_email "
        "attributes capacities contacts cost_options description eligibility_description email "
        "fees fees_description funding id interpretation_services languages last_modified "
        "licenses maximum_age metadata minimum_age name organization organization_id phones "
        "program program_id required_documents schedules service_areas service_at_locations "
        "status url wait_time".split()
    ),
    "location": set(
        "accessibility addresses alternate_name attributes contacts description "
        "external_identifier external_identifier_type id languages latitude location_type "
        "longitude metadata name organization_id phones schedules transportation url".split()
    ),
    "service_at_location": set(
        "attributes contacts description id location location_id metadata phones schedules "
        "service service_id".split()
    ),
}
for _kind, _table in ENTITY_TABLE.items():
    KNOWN_KEYS[_kind] |= KNOWN_COLUMNS[_table]  # 1.x spellings and mapped x_ extensions
PAGE_KEYS = frozenset(
    "total_items total_pages page_number size first_page last_page empty contents".split()
)
ORGANIZATION_ONLY = frozenset(
    "services locations organization_identifiers website tax_status tax_id year_incorporated "
    "legal_status logo uri parent_organization_id programs".split()
)
LOCATION_ONLY = frozenset(
    "location_type latitude longitude addresses accessibility transportation "
    "external_identifier external_identifier_type".split()
)
SERVICE_ONLY = frozenset(
    "organization organization_id service_at_locations status eligibility_description "
    "fees_description fees minimum_age maximum_age application_process program program_id "
    "cost_options service_areas required_documents wait_time interpretation_services "
    "assured_date assurer_email accreditations licenses alert capacities url".split()
)
TAXONOMY_KEYS = frozenset("id name description uri version metadata".split())
TERM_ONLY = frozenset("code term_uri taxonomy taxonomy_detail taxonomy_id parent_id".split())


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read HSDS 3.0 JSON (file, folder of files or URL) into a :class:`Batch`."""
    batch = Batch()
    forced = options.extra.get("hsds_kind")
    if forced is not None and forced not in KINDS:
        raise MalformedSource(f"options.extra['hsds_kind'] must be one of {', '.join(KINDS)}")
    flattener = _Flattener(batch, forced)
    documents = _documents(location, options)
    single = len(documents) == 1
    recognised = 0
    for name, data in documents:
        document = _parse(name, data, batch)
        if flattener.walk_document(document, name, strict=single):
            recognised += 1
    if not recognised:
        raise MalformedSource(f"{location}: no HSDS organization/service/location objects found")
    tables = flattener.tables()
    return build_batch(tables, batch, options, strict_child_ids=False, warn_unknown_columns=False)


def _documents(location: str, options: ReadOptions) -> list[tuple[str, bytes]]:
    if location.startswith(("http://", "https://")):
        if options.offline:
            raise MalformedSource(f"{location}: a URL cannot be read offline")
        import requests

        try:
            response = requests.get(location, timeout=60)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise MalformedSource(f"{location}: download failed ({exc})") from exc
        name = location.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or location
        return [(name, response.content)]
    path = Path(location)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.json") if p.is_file())
        if not files:
            raise MalformedSource(f"{location}: no *.json files in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise MalformedSource(f"{location}: no such file or folder")
    documents = []
    for file_path in files:
        try:
            documents.append((file_path.name, file_path.read_bytes()))
        except OSError as exc:
            raise MalformedSource(f"{file_path.name}: cannot read file ({exc})") from exc
    return documents


def _parse(name: str, data: bytes, batch: Batch) -> Any:
    """Parse JSON bytes (UTF-8/16/32, BOM allowed; other encodings decoded with a warning)."""
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        decoded = decode_bytes(data, name=name)
        batch.warn(name, "file is not UTF-8; decoded as a legacy encoding (check accents)")
        try:
            return json.loads(decoded)
        except json.JSONDecodeError as exc:
            raise MalformedSource(_json_error(name, exc)) from exc
    except json.JSONDecodeError as exc:
        raise MalformedSource(_json_error(name, exc)) from exc
    except RecursionError as exc:
        raise MalformedSource(f"{name}: JSON nested too deeply") from exc


def _json_error(name: str, exc: json.JSONDecodeError) -> str:
    return f"{name}: invalid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"


def detect_kind(obj: dict[str, Any]) -> str | None:
    """Which HSDS object ``obj`` is, from its fields (``None`` when it is none of them)."""
    keys = set(obj)
    if isinstance(obj.get("service"), dict) or isinstance(obj.get("location"), dict):
        return "service_at_location"
    if {"service_id", "location_id"} <= keys and "name" not in keys:
        return "service_at_location"
    if keys & LOCATION_ONLY:
        return "location"
    if "version" in keys and keys <= TAXONOMY_KEYS:
        return "taxonomy"
    if keys & ORGANIZATION_ONLY and not keys & (SERVICE_ONLY - {"url"}):
        return "organization"
    if keys & SERVICE_ONLY:
        return "service"
    if keys & TERM_ONLY and "name" in keys:
        return "taxonomy_term"
    if "openapi_url" in keys or ("version" in keys and "profile" in keys):
        return "base"
    return None


@dataclass
class _Copy:
    obj: dict[str, Any]
    ref: str
    context: dict[str, str]  # parent ids implied by where the copy was nested


class _Flattener:
    """Collects every object copy, then emits one table row per entity (best copy)."""

    def __init__(self, batch: Batch, forced_kind: str | None) -> None:
        self.batch = batch
        self.forced_kind = forced_kind
        self.copies: dict[tuple[str, str], list[_Copy]] = {}
        self.child_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.lookups: dict[str, dict[str, dict[str, Any]]] = {
            "taxonomy_terms": {},
            "taxonomies": {},
        }
        self.warned_keys: set[tuple[str, str]] = set()
        self.synthetic = 0

    # ----------------------------------------------------------------- collecting

    def walk_document(self, data: Any, name: str, *, strict: bool) -> bool:
        """Collect the objects of one document; ``False`` when it holds nothing HSDS.

        An unrecognisable single document is an error (``strict``); in a folder, other JSON
        files are just reported.
        """
        if isinstance(data, dict) and "contents" in data:
            for key in data:
                if key not in PAGE_KEYS:
                    self.warn_key("page", key, name)
            contents = data["contents"]
            if not isinstance(contents, list):
                return self._unrecognised(name, "contents is not a list", strict)
            items = [(item, f"$.contents[{i}]") for i, item in enumerate(contents)]
        elif isinstance(data, dict) and data and all(str(k).endswith(".csv") for k in data):
            self._walk_tabular(data, name)
            return True
        elif isinstance(data, dict):
            items = [(data, "$")]
        elif isinstance(data, list):
            items = [(item, f"$[{i}]") for i, item in enumerate(data)]
        else:
            return self._unrecognised(name, "not a JSON object or array", strict)
        recognised = not items  # an empty list/page is a valid, empty answer
        top_ids: dict[str, set[str]] = defaultdict(set)
        for item, path in items:
            ref = f"{name} {path}"
            if not isinstance(item, dict):
                self.batch.reject(ref, "not a JSON object")
                continue
            kind = self.forced_kind or detect_kind(item)
            if kind in ("taxonomy_term", "taxonomy", "base"):
                self._lookup(kind, item)
                recognised = True
                continue
            if kind is None:
                self.batch.warn(ref, "not an HSDS organization/service/location object; skipped")
                continue
            recognised = True
            item_id = text(item, "id")
            if item_id is not None:
                if item_id in top_ids[kind]:
                    self.batch.reject(ref, f"duplicate id {item_id}", "id")
                    continue
                top_ids[kind].add(item_id)
            self.walk(kind, item, ref, {})
        if not recognised and strict:
            raise MalformedSource(f"{name}: no HSDS organization/service/location objects found")
        return recognised

    def _unrecognised(self, name: str, reason: str, strict: bool) -> bool:
        if strict:
            raise MalformedSource(f"{name}: {reason}")
        self.batch.warn(name, f"{reason}; file skipped")
        return False

    def _walk_tabular(self, data: dict[str, Any], name: str) -> None:
        """The tabular JSON form: one list of flat rows per table."""
        for key, rows in data.items():
            table = canonical_table(key)
            tref = f"{name} {key}"
            if table is None:
                self.batch.warn(tref, "not an HSDS table; ignored")
                continue
            if not isinstance(rows, list):
                self.batch.warn(tref, "not a list of rows; ignored")
                continue
            seen: set[str] = set()
            for number, row in enumerate(rows, start=1):
                ref = f"{tref} row {number}"
                if not isinstance(row, dict):
                    self.batch.reject(ref, "not a JSON object")
                    continue
                row_id = text(row, "id")
                if row_id is not None and row_id in seen:
                    self.batch.reject(ref, f"duplicate id {row_id}", "id")
                    continue
                if row_id is not None:
                    seen.add(row_id)
                if table in TABLE_KIND:
                    self.walk(TABLE_KIND[table], row, ref, {})
                elif table in ("taxonomy_terms", "taxonomy"):
                    self._lookup("taxonomy_term", row)
                elif table == "taxonomies":
                    self._lookup("taxonomy", row)
                else:
                    self.child_rows[table].append({**_scalars(row), REF_KEY: ref})

    def _lookup(self, kind: str, item: dict[str, Any]) -> None:
        if kind == "base":
            return
        item_id = text(item, "id")
        if item_id is None:
            return
        table = "taxonomy_terms" if kind == "taxonomy_term" else "taxonomies"
        self.lookups[table].setdefault(item_id, _scalars(item))
        detail = item.get("taxonomy_detail")
        if kind == "taxonomy_term" and isinstance(detail, dict) and text(detail, "id"):
            self.lookups["taxonomies"].setdefault(text(detail, "id"), _scalars(detail))
            self.lookups[table][item_id].setdefault("taxonomy_id", text(detail, "id"))

    def warn_key(self, kind: str, key: str, ref: str) -> None:
        if (kind, key) not in self.warned_keys:
            self.warned_keys.add((kind, key))
            self.batch.warn(ref, f"unknown field {key}", key)

    def walk(self, kind: str, obj: dict[str, Any], ref: str, context: dict[str, str]) -> None:
        """Record a copy of ``obj`` and follow the entities nested in it."""
        for key in obj:
            if not _known_key(kind, key):
                self.warn_key(kind, key, ref)
        obj_id = text(obj, "id")
        if kind == "service_at_location":
            service, location = obj.get("service"), obj.get("location")
            service_id = _ref_id(obj, "service") or context.get("service_id")
            location_id = _ref_id(obj, "location") or context.get("location_id")
            if isinstance(service, dict):
                self.walk("service", service, f"{ref}.service", {})
            if isinstance(location, dict):
                self.walk("location", location, f"{ref}.location", {})
            context = {
                key: value
                for key, value in (("service_id", service_id), ("location_id", location_id))
                if value
            }
            if obj_id is None and service_id and location_id:
                obj_id = f"{service_id}@{location_id}"  # links need no id of their own
        if obj_id is None:
            self.batch.reject(ref, f"{kind.replace('_', ' ')} without id", "id")
        else:
            self.copies.setdefault((kind, obj_id), []).append(_Copy(obj, ref, context))
        if kind == "organization":
            owner = _ctx("organization_id", obj_id)
            for i, item in self.items(obj, "services", ref):
                self.walk("service", item, f"{ref}.services[{i}]", owner)
            for i, item in self.items(obj, "locations", ref):
                self.walk("location", item, f"{ref}.locations[{i}]", owner)
        elif kind == "service":
            organization = obj.get("organization")
            if isinstance(organization, dict):
                self.walk("organization", organization, f"{ref}.organization", {})
            for i, item in self.items(obj, "service_at_locations", ref):
                self.walk(
                    "service_at_location",
                    item,
                    f"{ref}.service_at_locations[{i}]",
                    _ctx("service_id", obj_id),
                )

    def items(self, obj: dict[str, Any], key: str, ref: str):
        """``(index, object)`` pairs of a nested list; anything else is reported."""
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.batch.warn(f"{ref}.{key}", "not a list; ignored", key)
            return []
        pairs = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                pairs.append((index, item))
            else:
                self.batch.reject(f"{ref}.{key}[{index}]", "not a JSON object", key)
        return pairs

    # ----------------------------------------------------------------- emitting

    def tables(self) -> dict[str, Table]:
        """One row per entity (its most complete copy) plus the child rows."""
        entity_rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLE_KIND}
        for (kind, obj_id), copies in self.copies.items():
            best = max(copies, key=lambda copy: _score(copy.obj))  # first of equals wins
            if len(copies) > 1:
                self._report_conflicts(kind, obj_id, copies, best)
            row = _scalars(best.obj)
            if best.obj.get(EXTENSION_KEY) is not None:
                row[EXTENSION_KEY] = best.obj[EXTENSION_KEY]  # an object: read by the builder
            row["id"] = obj_id
            for key in _foreign_keys(kind):
                value = _ref_id(best.obj, key[:-3]) or _first(copies, key)
                if value:
                    row[key] = value
            row[REF_KEY] = best.ref
            row[RAW_KEY] = _raw(best.obj)
            entity_rows[ENTITY_TABLE[kind]].append(row)
            for key, (table, foreign_key) in CHILDREN[kind].items():
                self._children(best, key, table, foreign_key, obj_id)
        tables = {table: Table(table, rows) for table, rows in entity_rows.items()}
        for table, rows in self.child_rows.items():
            tables[table] = Table(table, rows)
        for table, lookup in self.lookups.items():
            if lookup:
                tables[table] = Table(table, list(lookup.values()))
        return tables

    def _children(self, copy: _Copy, key: str, table: str, foreign_key: str, parent: str) -> None:
        value = copy.obj.get(key)
        if value is None:
            return
        if not isinstance(value, list):
            self.batch.warn(f"{copy.ref}.{key}", "not a list; ignored", key)
            return
        for index, item in enumerate(value):
            ref = f"{copy.ref}.{key}[{index}]"
            if isinstance(item, str) and table in MAIN_FIELD:
                item = {MAIN_FIELD[table]: item}
            if not isinstance(item, dict):
                self.batch.warn(ref, "not a JSON object; ignored", key)
                continue
            row = {**_scalars(item), foreign_key: parent, REF_KEY: ref}
            if table == "attributes":
                row["link_entity"] = "service"
                term = item.get("taxonomy_term")
                if isinstance(term, dict):
                    term_id = text(term, "id") or text(item, "taxonomy_term_id")
                    if term_id is None:
                        self.synthetic += 1
                        term_id = f"__term-{self.synthetic}"
                    self._lookup("taxonomy_term", {**term, "id": term_id})
                    row["taxonomy_term_id"] = term_id
            elif table == "capacities":
                unit = item.get("unit")
                if isinstance(unit, dict):
                    row.setdefault("unit_name", text(unit, "name"))
                    row.setdefault("unit_id", text(unit, "id"))
            self.child_rows[table].append(row)

    def _report_conflicts(self, kind: str, obj_id: str, copies: list[_Copy], best: _Copy) -> None:
        differing = []
        keys = dict.fromkeys(key for copy in copies for key in copy.obj)
        for key in keys:
            if key in ENTITY_KEYS:
                continue
            values = {
                text(copy.obj, key)
                for copy in copies
                if not isinstance(copy.obj.get(key), (dict, list)) and text(copy.obj, key)
            }
            if len(values) > 1:
                differing.append(key)
        if differing:
            others = [copy.ref for copy in copies if copy is not best]
            listed = ", ".join(others[:3])
            if len(others) > 3:
                listed += f" and {len(others) - 3} more"
            self.batch.warn(
                best.ref,
                f"{kind.replace('_', ' ')} {obj_id} appears {len(copies)} times with different "
                f"{', '.join(differing)}; kept this (most complete) copy, not {listed}",
                differing[0],
            )


def _known_key(kind: str, key: Any) -> bool:
    """An HSDS field, a mapped extension, or an annotation such as ``_notice``."""
    key = str(key)
    if key in KNOWN_KEYS[kind] or key.startswith("_"):
        return True
    return EXTENSION_KEY in KNOWN_KEYS[kind] and is_extension_column(key)


def _ctx(key: str, value: str | None) -> dict[str, str]:
    return {key: value} if value else {}


def _foreign_keys(kind: str) -> tuple[str, ...]:
    if kind in ("service", "location"):
        return ("organization_id",)
    if kind == "service_at_location":
        return ("service_id", "location_id")
    return ()


def _ref_id(obj: dict[str, Any], entity: str) -> str | None:
    """``obj[entity + "_id"]``, else the id of the nested ``obj[entity]`` object."""
    value = text(obj, f"{entity}_id")
    if value is None and isinstance(obj.get(entity), dict):
        value = text(obj[entity], "id")
    return value


def _first(copies: list[_Copy], key: str) -> str | None:
    """A parent id from the nesting of any copy, else from any copy's own fields."""
    for copy in copies:
        if copy.context.get(key):
            return copy.context[key]
    for copy in copies:
        value = _ref_id(copy.obj, key[:-3])
        if value:
            return value
    return None


def _scalars(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        str(key): value
        for key, value in obj.items()
        if not isinstance(value, (dict, list)) and not str(key).startswith("__")
    }


def _score(value: Any, top: bool = True) -> int:
    """Number of non-empty leaf values (nested entities excluded): the copy's completeness."""
    if isinstance(value, dict):
        return sum(
            _score(item, False) for key, item in value.items() if not (top and key in ENTITY_KEYS)
        )
    if isinstance(value, list):
        return sum(_score(item, False) for item in value)
    return 0 if value is None or value == "" else 1


def _raw(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as published, with nested organizations/services/locations cut to ids."""
    raw: dict[str, Any] = {}
    for key, value in obj.items():
        if key in ("organization", "service", "location") and isinstance(value, dict):
            raw[key] = {"id": value.get("id")}
        elif key in ("services", "locations") and isinstance(value, list):
            raw[key] = [{"id": v.get("id")} if isinstance(v, dict) else v for v in value]
        elif key == "service_at_locations" and isinstance(value, list):
            raw[key] = [_raw(v) if isinstance(v, dict) else v for v in value]
        else:
            raw[key] = value
    return raw

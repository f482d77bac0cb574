"""Canonical entities as flat *documents*: one dict of fields per organization/location/service.

A document has scalar fields (columns of the entity's table) and collection fields (rows of
child tables: phones, addresses, schedules, needs ...). Survivorship, field history, revert and
bulk import writes all work on documents, so one mechanism covers every field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from socialmap import models as m
from socialmap.logic.bulk import insert_columns
from socialmap.logic.bulk import insert_rows
from socialmap.logic.bulk import new_ids
from socialmap.models.base import new_id
from socialmap.models.base import utcnow

Doc = dict[str, Any]


@dataclass(frozen=True)
class Collection:
    table: Table
    fk: str
    columns: tuple[str, ...]
    has_id: bool = True


@dataclass(frozen=True)
class EntitySpec:
    kind: str
    model: type
    scalars: tuple[str, ...]
    collections: dict[str, Collection] = field(default_factory=dict)

    @property
    def fields(self) -> tuple[str, ...]:
        return self.scalars + tuple(self.collections)


def _phones(fk: str) -> Collection:
    return Collection(m.Phone.__table__, fk, ("number", "extension", "type", "description"))


def _schedules(fk: str) -> Collection:
    cols = ("weekday", "opens_at", "closes_at", "valid_from", "valid_to", "description")
    return Collection(m.Schedule.__table__, fk, cols)


def _closures(fk: str) -> Collection:
    cols = ("start_date", "end_date", "reason", "opens_at", "closes_at")
    return Collection(m.Closure.__table__, fk, cols)


def _languages(fk: str) -> Collection:
    return Collection(m.Language.__table__, fk, ("code", "note"))


_TEXT = ("text_language", "translations")

ORGANIZATION = EntitySpec(
    "organization",
    m.Organization,
    (
        "name",
        "alternate_name",
        "description",
        "legal_form",
        "email",
        "website",
        "kbo_number",
        "assured_date",
        "assurer",
        "status",
        *_TEXT,
    ),
    {
        "identifiers": Collection(
            m.OrganizationIdentifier.__table__,
            "organization_id",
            ("scheme", "type", "identifier"),
        ),
        "phones": _phones("organization_id"),
    },
)

LOCATION = EntitySpec(
    "location",
    m.Location,
    (
        "organization_id",
        "name",
        "alternate_name",
        "description",
        "location_type",
        "latitude",
        "longitude",
        "geo_precision",
        "transportation",
        "url",
        "accessibility",
        "confidential",
        "front_door",
        "status",
        *_TEXT,
    ),
    {
        "addresses": Collection(
            m.Address.__table__,
            "location_id",
            (
                "address_type",
                "street",
                "house_number",
                "box",
                "address_2",
                "postcode",
                "city",
                "municipality_nis",
                "state_province",
                "region",
                "country",
                "attention",
            ),
        ),
        "phones": _phones("location_id"),
        "schedules": _schedules("location_id"),
        "closures": _closures("location_id"),
        "languages": _languages("location_id"),
    },
)

SERVICE = EntitySpec(
    "service",
    m.Service,
    (
        "organization_id",
        "name",
        "alternate_name",
        "description",
        "url",
        "email",
        "fees_description",
        "is_free",
        "minimum_age",
        "maximum_age",
        "eligibility_description",
        "accreditations",
        "licenses",
        "alert",
        "assured_date",
        "assurer",
        "status",
        *_TEXT,
    ),
    {
        "locations": Collection(m.ServiceAtLocation.__table__, "service_id", ("location_id",)),
        "phones": _phones("service_id"),
        "schedules": _schedules("service_id"),
        "closures": _closures("service_id"),
        "languages": _languages("service_id"),
        "service_areas": Collection(
            m.ServiceArea.__table__, "service_id", ("kind", "code", "name")
        ),
        "costs": Collection(
            m.CostOption.__table__,
            "service_id",
            ("option", "amount", "currency", "amount_description"),
        ),
        "required_documents": Collection(m.RequiredDocument.__table__, "service_id", ("document",)),
        "needs": Collection(m.service_need, "service_id", ("term_code",), has_id=False),
        "target_groups": Collection(
            m.service_target_group, "service_id", ("term_code",), has_id=False
        ),
        "intake": Collection(
            m.IntakeProcedure.__table__,
            "service_id",
            (
                "methods",
                "instructions",
                "required_information",
                "accepts_referrals",
                "translations",
            ),
            has_id=False,
        ),
        "capacity": Collection(
            m.ServiceCapacity.__table__,
            "service_id",
            ("status", "waiting_weeks", "note", "updated_at", "updated_by"),
            has_id=False,
        ),
    },
)

SPECS: dict[str, EntitySpec] = {s.kind: s for s in (ORGANIZATION, LOCATION, SERVICE)}


# -- values ------------------------------------------------------------------------------------


_SCALARS = (str, int, float, bool, type(None))


def jsonable(value: Any) -> Any:
    """A JSON-safe copy (dates as ISO strings) for history rows and hashes."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dt.date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _key_part(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int | float):
        return f"{float(value):.9g}"  # 5 and 5.0 (SQLite vs PostgreSQL) sort alike
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=_json_default)
    return str(value)


def canonical_items(items: Sequence[Mapping[str, Any]], columns: tuple[str, ...]) -> list[Doc]:
    """Collection items restricted to ``columns``, deduplicated, in a stable order."""
    if not items:
        return []
    if len(items) == 1:
        return [{c: items[0].get(c) for c in columns}]
    seen: dict[tuple[str, ...], Doc] = {}
    for item in items:
        row = {c: item.get(c) for c in columns}
        seen.setdefault(tuple(_key_part(v) for v in row.values()), row)
    return [seen[k] for k in sorted(seen)]


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def content_hash(payload: Any) -> str:
    """A digest of what a source said. ``repr`` is deterministic for the plain values and
    fixed-order dicts that documents are made of, and far cheaper than sorted JSON."""
    return hashlib.sha256(repr(payload).encode()).hexdigest()


# -- reading -----------------------------------------------------------------------------------

CHUNK = 500


def _chunks(ids: list[str], size: int = CHUNK) -> Iterable[list[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def load_documents(session: Session, spec: EntitySpec, ids: Iterable[str]) -> dict[str, Doc]:
    """Current documents of many entities, with ``_field_sources`` and ``_status`` keys."""
    wanted = sorted(set(ids))
    docs: dict[str, Doc] = {}
    table = spec.model.__table__
    cols = [table.c.id, table.c.field_sources, *(table.c[s] for s in spec.scalars)]
    scalars = spec.scalars
    # Rows are read by position: row._mapping builds a mapping object on every access.
    for chunk in _chunks(wanted):
        for row in session.execute(select(*cols).where(table.c.id.in_(chunk))):
            doc = dict(zip(scalars, row[2:], strict=True))
            doc["_field_sources"] = dict(row[1] or {})
            for name in spec.collections:
                doc[name] = []
            docs[row[0]] = doc
        for name, coll in spec.collections.items():
            fk = coll.table.c[coll.fk]
            columns = coll.columns
            q = select(fk, *(coll.table.c[c] for c in columns)).where(fk.in_(chunk))
            for row in session.execute(q):
                owner = docs.get(row[0])
                if owner is not None:
                    owner[name].append(dict(zip(columns, row[1:], strict=True)))
    for doc in docs.values():
        for name, coll in spec.collections.items():
            doc[name] = canonical_items(doc[name], coll.columns)
    return docs


# -- writing -----------------------------------------------------------------------------------


def _collection_rows(coll: Collection, owner_id: str, items: list[Doc]) -> list[Doc]:
    rows = []
    for item in items:
        row = {c: item.get(c) for c in coll.columns}
        row[coll.fk] = owner_id
        if coll.has_id:
            row["id"] = new_id()
        rows.append(row)
    return rows


_SCALAR_DEFAULTS = {"status": "active", "text_language": "nl"}


def insert_documents(
    session: Session, spec: EntitySpec, docs: Mapping[str, Doc], batch_size: int = 1000
) -> None:
    """Bulk-insert new entities (``docs`` maps new id -> document incl. ``_field_sources``).

    Built column by column: no per-row dicts for hundreds of thousands of rows."""
    if not docs:
        return
    now = utcnow()
    ids = list(docs)
    # One pass over the documents, reading all their fields at once (transposed below):
    # documents are scattered in memory, and a pass per field costs a cache miss per read.
    names = (*spec.scalars, "_field_sources", *spec.collections)
    values = list(zip(*[tuple(map(doc.get, names)) for doc in docs.values()], strict=True))
    scalars = len(spec.scalars)
    columns: dict[str, list[Any]] = {"id": ids}
    for name, column in zip(spec.scalars, values, strict=False):
        if name in _SCALAR_DEFAULTS:
            default = _SCALAR_DEFAULTS[name]
            columns[name] = [default if v is None else v for v in column]
        elif name == "translations":
            columns[name] = [{} if v is None else v for v in column]
        else:
            columns[name] = list(column)
    columns["field_sources"] = [v or {} for v in values[scalars]]
    columns["created_at"] = columns["last_modified"] = [now] * len(ids)
    insert_columns(session, spec.model.__table__, columns, batch_size)
    for coll, lists in zip(spec.collections.values(), values[scalars + 1 :], strict=True):
        owners: list[str] = []
        items: list[Doc] = []
        for eid, owned in zip(ids, lists, strict=True):
            if owned:
                owners.extend([eid] * len(owned))
                items.extend(owned)
        if not owners:
            continue
        child: dict[str, list[Any]] = {coll.fk: owners}
        if coll.has_id:
            child["id"] = new_ids(len(owners))  # ascending: appended to the key index
        child.update(_columns_of(items, coll.columns))
        insert_columns(session, coll.table, child, batch_size)


def _columns_of(items: list[Doc], columns: tuple[str, ...]) -> dict[str, list[Any]]:
    """Column lists of collection items (a missing key is None)."""
    if len(columns) == 1:
        return {columns[0]: [item.get(columns[0]) for item in items]}
    try:
        rows = list(map(itemgetter(*columns), items))  # canonical items have every column
    except KeyError:
        rows = [tuple(item.get(c) for c in columns) for item in items]
    return {c: list(column) for c, column in zip(columns, zip(*rows, strict=True), strict=True)}


def update_documents(
    session: Session, spec: EntitySpec, changes: Mapping[str, Doc], batch_size: int = 1000
) -> None:
    """Write changed fields: ``changes`` maps entity id -> {field: new value, ...}.

    ``_field_sources`` in a change replaces the stored map; collections are replaced whole.
    """
    if not changes:
        return
    now = utcnow()
    table = spec.model.__table__
    scalar_rows: list[Doc] = []
    replaced: dict[str, list[str]] = {name: [] for name in spec.collections}
    child: dict[str, list[Doc]] = {name: [] for name in spec.collections}
    for entity_id, change in changes.items():
        row: Doc = {"id": entity_id, "last_modified": now}
        for key, value in change.items():
            if key == "_field_sources":
                row["field_sources"] = value
            elif key in spec.collections:
                replaced[key].append(entity_id)
                child[key].extend(_collection_rows(spec.collections[key], entity_id, value or []))
            elif key in spec.scalars:
                row[key] = value
        scalar_rows.append(row)
    # Group rows by their key set so each executemany statement has uniform parameters.
    groups: dict[tuple[str, ...], list[Doc]] = {}
    for row in scalar_rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for keys, rows in groups.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in keys if k != "id"})
        )
        params = [{f"b_{k}": v for k, v in r.items()} for r in rows]
        for i in range(0, len(params), batch_size):
            session.connection().execute(stmt, params[i : i + batch_size])
    for name, coll in spec.collections.items():
        owners = replaced[name]
        for chunk in _chunks(owners):
            session.execute(delete(coll.table).where(coll.table.c[coll.fk].in_(chunk)))
        insert_rows(session, coll.table, child[name], batch_size)

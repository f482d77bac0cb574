"""Survivorship (which source's value a canonical field keeps), field history and revert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.logic.bulk import insert_rows
from socialmap.logic.documents import SPECS
from socialmap.logic.documents import Doc
from socialmap.logic.documents import canonical_items
from socialmap.logic.documents import is_empty
from socialmap.logic.documents import jsonable
from socialmap.logic.documents import load_documents
from socialmap.logic.documents import update_documents
from socialmap.models.base import utcnow

#: Key in ``field_sources`` for "every field not listed separately".
ALL_FIELDS = "*"

#: Priority of a change made by a person (provider staff, steward): imports never override it.
USER_PRIORITY = 1000


def survive(
    current: Doc, incoming: Doc, source: str, priority: int, at: dt.datetime
) -> tuple[Doc, dict[str, Any]]:
    """Decide per field whether ``incoming`` (from ``source``) replaces the current value.

    Rules, in order: a value equal to the current one changes nothing; an empty incoming value
    only clears a field that the same source gave; a non-empty value wins when the field is
    empty, when the same source gave it, or when ``priority`` >= the giver's priority (equal
    priority: the newer import wins). Returns (changes incl. ``_field_sources``, old values).
    """
    sources = dict(current.get("_field_sources") or {})
    everything = sources.get(ALL_FIELDS)
    changes: Doc = {}
    old: dict[str, Any] = {}
    stamp = [source, priority, at.isoformat()]
    for name, new in incoming.items():
        if name.startswith("_"):
            continue
        cur = current.get(name)
        if new == cur:
            continue
        given_by = sources.get(name, everything)
        same_source = given_by is not None and given_by[0] == source
        if is_empty(new):
            if not same_source:
                continue
            sources.pop(name, None)
        elif is_empty(cur) or given_by is None or same_source or priority >= given_by[1]:
            sources[name] = stamp
        else:
            continue
        changes[name] = new
        old[name] = cur
    if changes:
        changes["_field_sources"] = sources
    return changes, old


def field_source(sources: dict[str, Any], name: str) -> list[Any] | None:
    """``[source, priority, time]`` of the value a field has now (None: never set)."""
    return sources.get(name, sources.get(ALL_FIELDS))


def initial_sources(source: str, priority: int, at: dt.datetime) -> dict[str, Any]:
    """Provenance of a new entity: every field came from one source (``*``); fields changed
    later by other sources get their own entry."""
    return {ALL_FIELDS: [source, priority, at.isoformat()]}


def history_rows(
    kind: str,
    entity_id: str,
    changes: Mapping[str, Any],
    old: Mapping[str, Any],
    *,
    reason: str,
    at: dt.datetime,
    source_name: str | None = None,
    source_record_id: int | None = None,
    changed_by: str | None = None,
    import_run_id: int | None = None,
) -> list[Doc]:
    return [
        {
            "entity_type": kind,
            "entity_id": entity_id,
            "field": name,
            "old_value": jsonable(old.get(name)),
            "new_value": jsonable(value),
            "reason": reason,
            "source_name": source_name,
            "source_record_id": source_record_id,
            "changed_by": changed_by,
            "import_run_id": import_run_id,
            "at": at,
        }
        for name, value in changes.items()
        if not name.startswith("_")
    ]


def write_history(session: Session, rows: list[Doc], batch_size: int = 1000) -> None:
    insert_rows(session, m.FieldHistory.__table__, rows, batch_size)


def coerce(kind: str, name: str, value: Any) -> Any:
    """Turn a JSON value from the history back into the field's Python type."""
    spec = SPECS[kind]
    if value is None:
        return None
    if name in spec.collections:
        coll = spec.collections[name]
        items = [
            {c: _coerce_column(coll.table.c[c], item.get(c)) for c in coll.columns}
            for item in value
        ]
        return canonical_items(items, coll.columns)
    return _coerce_column(spec.model.__table__.c[name], value)


def _coerce_column(column: Any, value: Any) -> Any:
    if value is None:
        return None
    try:
        py = column.type.python_type
    except NotImplementedError:
        return value
    if py is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if py is dt.datetime and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def change_fields(
    session: Session,
    kind: str,
    entity_id: str,
    values: Mapping[str, Any],
    *,
    changed_by: str,
    reason: str = "edit",
) -> dict[str, Any]:
    """Set fields of one entity as a person, with history; returns the changes made.

    Callers (logic functions) check permissions and commit.
    :raise NotFound:
    """
    spec = SPECS[kind]
    docs = load_documents(session, spec, [entity_id])
    if entity_id not in docs:
        raise NotFound(f"{kind} {entity_id} not found")
    current = docs[entity_id]
    at = utcnow()
    incoming = {k: coerce(kind, k, jsonable(v)) for k, v in values.items() if k in spec.fields}
    changes, old = survive(current, incoming, f"user:{changed_by}", USER_PRIORITY, at)
    # A person may also empty a field that an import filled.
    for name, new in incoming.items():
        if is_empty(new) and not is_empty(current.get(name)) and name not in changes:
            changes[name] = new
            old[name] = current.get(name)
            changes.setdefault("_field_sources", dict(current.get("_field_sources") or {}))
            changes["_field_sources"].pop(name, None)
    if changes:
        update_documents(session, spec, {entity_id: changes})
        write_history(
            session,
            history_rows(
                kind, entity_id, changes, old, reason=reason, at=at, changed_by=changed_by
            ),
        )
    return {k: v for k, v in changes.items() if not k.startswith("_")}


def revert_change(session: Session, history_id: int, *, changed_by: str) -> dict[str, Any]:
    """Put a field back to the value it had before history row ``history_id`` (recorded as a
    new ``revert`` change). Does not commit.
    :raise NotFound:
    """
    row = session.get(m.FieldHistory, history_id)
    if row is None:
        raise NotFound(f"history entry {history_id} not found")
    return change_fields(
        session,
        row.entity_type,
        row.entity_id,
        {row.field: coerce(row.entity_type, row.field, row.old_value)},
        changed_by=changed_by,
        reason="revert",
    )

"""The state and join helpers shared by the HSDS record builder.

:class:`JoinBase` holds the tables, the records built so far (by external id) and the
helpers that parse a row's values with warnings, reject duplicate ids and resolve a child
row's foreign keys to its parent records.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from importers.formats import ReadOptions
from importers.formats._csvutil import EXTRA_KEY
from importers.formats._csvutil import ROW_KEY
from importers.formats._hsds_extension import EXTENSION_KEY
from importers.formats._hsds_extension import ExtensionReader
from importers.formats._hsds_extension import is_extension_column
from importers.formats._hsds_fields import COUNTRY_LANGUAGES
from importers.formats._hsds_fields import country_code
from importers.formats._hsds_fields import parse_date
from importers.formats._hsds_fields import text
from importers.formats._hsds_tables import KNOWN_COLUMNS
from importers.formats._hsds_tables import RAW_KEY
from importers.formats._hsds_tables import Table
from importers.records import Batch
from importers.records import CapacityIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import ServiceAreaIn
from importers.records import ServiceIn


class JoinBase:
    """Builder state plus the row/foreign-key helpers (no record mapping)."""

    def __init__(
        self,
        tables: dict[str, Table],
        batch: Batch,
        options: ReadOptions,
        strict_child_ids: bool,
        warn_unknown_columns: bool,
    ) -> None:
        self.tables = tables
        self.batch = batch
        self.options = options
        self.strict = strict_child_ids
        self.warn_unknown_columns = warn_unknown_columns
        self.orgs: dict[str, OrganizationIn] = {}
        self.locs: dict[str, LocationIn] = {}
        self.svcs: dict[str, ServiceIn] = {}
        self.sals: dict[str, tuple[str, str]] = {}  # service_at_location id -> (svc, loc)
        self.rejected: dict[str, set[str]] = {
            "organization": set(),
            "service": set(),
            "location": set(),
        }
        # children already attached, per record: avoids the same phone/schedule twice
        self.attached: dict[int, set[Any]] = {}
        self.terms: dict[str, dict[str, Any]] = {}
        self.taxonomies: dict[str, dict[str, Any]] = {}
        self.units: dict[str, dict[str, Any]] = {}
        self.extensions = ExtensionReader(self.warn)
        # x_socialmap service areas by service id; they replace the HSDS service_areas rows
        self.extension_areas: dict[str, list[ServiceAreaIn]] = {}
        self.capacity_rows: dict[str, list[CapacityIn]] = {}
        self.country = "BE"
        self.language = "nl"

    def rows(self, table: str):
        """Yield ``(table, row, ref)`` for every row of ``table`` (nothing if absent)."""
        tab = self.tables.get(table)
        if tab is None:
            return
        for row in tab.rows:
            yield tab, row, tab.ref(row)

    def _check_columns(self) -> None:
        for canonical, table in self.tables.items():
            known = KNOWN_COLUMNS.get(canonical, set())
            for column in table.columns:
                if column in known or (EXTENSION_KEY in known and is_extension_column(column)):
                    continue
                self.batch.warn(table.name, f"unknown field {column} (not imported)", column)
            extra_rows = [row[ROW_KEY] for row in table.rows if EXTRA_KEY in row]
            if extra_rows:
                self.batch.warn(
                    table.name,
                    f"{len(extra_rows)} row(s) have more cells than the header "
                    f"(first: row {extra_rows[0]}); extra cells ignored",
                )

    def _decide_country(self) -> None:
        counts: Counter[str] = Counter()
        for table in ("addresses", "physical_addresses", "postal_addresses"):
            for _tab, row, _ref in self.rows(table):
                code = country_code(text(row, "country"), text(row, "state_province"))
                if code:
                    counts[code] += 1
        forced = self.options.extra.get("default_country")
        if isinstance(forced, str) and forced:
            self.batch.default_country = forced.upper()
        elif counts:
            code, number = counts.most_common(1)[0]
            if number * 2 > sum(counts.values()) and len(code) == 2:
                self.batch.default_country = code
        self.country = self.batch.default_country
        language = self.options.extra.get("language")
        self.language = (
            language
            if isinstance(language, str) and language
            else COUNTRY_LANGUAGES.get(self.country, "nl")
        )

    def _load_lookups(self) -> None:
        for table in ("taxonomy_terms", "taxonomy"):
            for _tab, row, _ref in self.rows(table):
                term_id = text(row, "id")
                if term_id and term_id not in self.terms:
                    self.terms[term_id] = row
        for _tab, row, _ref in self.rows("taxonomies"):
            tax_id = text(row, "id")
            if tax_id and tax_id not in self.taxonomies:
                self.taxonomies[tax_id] = row
        for _tab, row, _ref in self.rows("units"):
            unit_id = text(row, "id")
            if unit_id and unit_id not in self.units:
                self.units[unit_id] = row

    # ----------------------------------------------------------------- helpers

    def warn(self, ref: str, reason: str, field_name: str | None = None) -> None:
        self.batch.warn(ref, reason, field_name)

    def raw(self, row: dict[str, Any]) -> dict[str, Any]:
        if RAW_KEY in row:
            return row[RAW_KEY]
        return {k: v for k, v in row.items() if not k.startswith("__")}

    def value(self, row, ref, key: str, parse, label: str | None = None):
        """Parse ``row[key]`` with ``parse``; warn and return ``None`` when it fails."""
        raw_value = text(row, key)
        if raw_value is None:
            return None
        try:
            return parse(raw_value)
        except ValueError as exc:
            self.warn(ref, f"{label or key}: {exc}", key)
            return None

    def date(self, row, ref, key: str) -> dt.date | None:
        month_first = self.country == "US"
        return self.value(row, ref, key, lambda v: parse_date(v, month_first=month_first))

    def new_id(self, kind: str, seen: set[str], row, ref: str) -> str | None:
        """The row's id, or ``None`` (rejected) when missing or already used."""
        record_id = text(row, "id")
        if record_id is None:
            self.batch.reject(ref, f"{kind} without id", "id")
            return None
        if record_id in seen:
            self.batch.reject(ref, f"duplicate id {record_id}", "id")
            return None
        seen.add(record_id)
        return record_id

    def parent_reason(self, kind: str, parent_id: str) -> str:
        if parent_id in self.rejected[kind]:
            return f"{kind} {parent_id} was rejected"
        return f"unknown {kind} {parent_id}"

    def attach_once(self, record: Any, key: Any) -> bool:
        """True the first time ``key`` is attached to ``record``."""
        seen = self.attached.setdefault(id(record), set())
        if key in seen:
            return False
        seen.add(key)
        return True

    def child_key(self, kind: str, row, value: Any) -> Any:
        child_id = text(row, "id")
        return (kind, child_id) if child_id else (kind, repr(value))

    def child_rows(self, table: str):
        """Rows of a child table; with ``strict`` ids, later rows with a used id are rejected."""
        seen: set[str] = set()
        for tab, row, ref in self.rows(table):
            child_id = text(row, "id")
            if self.strict and child_id:
                if child_id in seen:
                    self.batch.reject(ref, f"duplicate id {child_id}", "id")
                    continue
                seen.add(child_id)
            yield tab, row, ref

    def targets(
        self, row, ref: str, keys: tuple[str, ...], *, what: str
    ) -> list[ServiceIn | LocationIn | OrganizationIn]:
        """Records a child row belongs to, from its foreign keys; warns about unknown ones.

        ``service_at_location_id`` resolves to the service (our records have no per-location
        service details). A row linked to nothing known is reported once.
        """
        found: list[Any] = []
        any_key = False
        for key in keys:
            parent_id = text(row, key)
            if parent_id is None:
                continue
            any_key = True
            if key == "service_id":
                record = self.svcs.get(parent_id)
                kind = "service"
            elif key == "location_id":
                record = self.locs.get(parent_id)
                kind = "location"
            elif key == "organization_id":
                record = self.orgs.get(parent_id)
                kind = "organization"
            elif key == "service_at_location_id":
                link = self.sals.get(parent_id)
                record = self.svcs.get(link[0]) if link else None
                kind = "service_at_location"
            else:
                continue
            if record is None:
                reason = (
                    f"unknown service_at_location {parent_id}"
                    if kind == "service_at_location"
                    else self.parent_reason(kind, parent_id)
                )
                self.warn(ref, f"{what} not attached: {reason}", key)
            elif all(record is not other for other in found):
                found.append(record)
        if not any_key:
            self.warn(ref, f"{what} not linked to any {' or '.join(k[:-3] for k in keys)}")
        return found

"""Transform of the De Sociale Kaart reader: provider records -> batch records.

Shared by the live and the offline mode of :mod:`importers.formats.sociale_kaart`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from importers.formats._sk_client import Page
from importers.formats._sk_client import _dig
from importers.formats._sk_client import _page_info
from importers.formats._sk_client import page_items
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CategoryIn
from importers.records import IdentifierIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ServiceIn

# Keys this reader understands, per path inside a record ("[]" = every list item).
# Anything else is reported once per run as "unknown field <path>".
KNOWN_KEYS: dict[str, set[str]] = {
    "": {
        "id",
        "legalName",
        "type",
        "state",
        "verified",
        "addresses",
        "activities",
        "contactInfo",
        "links",
    },
    "id": {"id", "authenticSource"},
    "legalName": {"description"},
    "addresses[]": {"primary", "type", "street", "number", "municipality", "location", "links"},
    "addresses[].street": {"name"},
    "addresses[].street.name": {"description"},
    "addresses[].municipality": {"postalCode", "name"},
    "addresses[].municipality.name": {"description"},
    "addresses[].location": {"lat", "lon"},
    "activities[]": {"name"},
    "activities[].name": {"description"},
    "contactInfo": {"phones", "emails", "websites"},
    "contactInfo.phones[]": {"value", "primary"},
    "contactInfo.emails[]": {"value", "primary"},
    "contactInfo.websites[]": {"value", "primary"},
}
ACTIVE_STATES = {"active", "actief"}
VISIT_ADDRESS = "bezoekadres"
POSTAL_ADDRESS_RE = re.compile(r"post|corresp|factu", re.IGNORECASE)
RUBRIC_CODE_RE = re.compile(r"^\s*(\d{2}\.(?:\d{2}\.)*)(?=\s|$)")


@dataclass
class _Entry:
    record: dict[str, Any]
    ref: str
    rubrics: list[str] = field(default_factory=list)


def _desc(value: Any) -> str | None:
    """Text of a ``{"description": ...}`` object (or of a plain string)."""
    if isinstance(value, dict):
        return clean_text(value.get("description"))
    return clean_text(value) if isinstance(value, str) else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Run:
    """State of one read: the batch plus once-per-run warnings."""

    def __init__(self) -> None:
        self.batch = Batch(default_country="BE")
        self._warned: set[str] = set()

    def warn_once(self, key: str, ref: str, reason: str, field_name: str | None = None) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.batch.warn(ref, reason, field_name)

    def check_keys(self, obj: Any, path: str, ref: str) -> None:
        """Warn once per run about keys not in :data:`KNOWN_KEYS` (the learning signal)."""
        known = KNOWN_KEYS.get(path)
        if known is None or not isinstance(obj, dict):
            return
        for key, value in obj.items():
            child = f"{path}.{key}" if path else key
            if key not in known:
                self.warn_once(f"field:{child}", ref, f"unknown field {child}", child)
                continue
            if isinstance(value, dict):
                self.check_keys(value, child, ref)
            elif isinstance(value, list):
                for item in value:
                    self.check_keys(item, f"{child}[]", ref)


def collect(pages: list[Page], run: _Run) -> list[_Entry]:
    """Deduplicate records by ``id.id`` and check counts against ``page.totalElements``.

    A repeat within one query is the API's known paging overlap: rejected as a duplicate.
    The same provider under another rubric is expected: its rubric is added to the first copy.
    """
    entries: dict[str, _Entry] = {}
    queries: dict[str | None, dict[str, Any]] = {}
    for page in pages:
        query = queries.setdefault(page.query, {"ids": set(), "total": None, "truncated": False})
        total = _page_info(page.data).get("totalElements")
        if isinstance(total, int) and query["total"] is None:
            query["total"] = total
        query["truncated"] = query["truncated"] or page.truncated
        for index, record in enumerate(page_items(page.data, page.source), start=1):
            ref = f"health-offers {page.source} item {index}"
            if not isinstance(record, dict):
                run.batch.reject(ref, "record is not a JSON object")
                continue
            provider_id = clean_text(_dig(record, "id", "id"))
            if provider_id is None:
                run.batch.reject(ref, "missing id.id", "id.id")
                continue
            ref = f"{ref} (id={provider_id})"
            if provider_id in query["ids"]:
                run.batch.reject(ref, f"duplicate id {provider_id}", "id.id")
                continue
            query["ids"].add(provider_id)
            entry = entries.get(provider_id)
            if entry is None:
                entry = entries[provider_id] = _Entry(record, ref)
            if page.query and page.query not in entry.rubrics:
                entry.rubrics.append(page.query)
    for name, query in queries.items():
        label = f"rubric {name!r}" if name else "all pages"
        if query["truncated"]:
            run.batch.warn(
                f"health-offers {label}", "stopped early (max_pages): not all pages read"
            )
        elif query["total"] is not None and query["total"] != len(query["ids"]):
            run.batch.warn(
                f"health-offers {label}",
                f"{len(query['ids'])} unique records but page.totalElements is {query['total']}",
            )
    return list(entries.values())


def rubric_category(label: str) -> CategoryIn:
    """``"14.04.01. Woonzorgcentra (WZC)"`` -> code ``"14.04.01."``, the full label kept."""
    match = RUBRIC_CODE_RE.match(label)
    return CategoryIn(scheme="sk-rubric", code=match.group(1) if match else None, label=label)


def _contact_values(record: dict[str, Any], kind: str) -> list[str]:
    """Values of contactInfo.<kind>, primary ones first (source order otherwise)."""
    items = [item for item in _as_list(_dig(record, "contactInfo", kind)) if isinstance(item, dict)]
    items.sort(key=lambda item: item.get("primary") is not True)
    values = []
    for item in items:
        value = clean_text(item.get("value"))
        if value is not None and value not in values:
            values.append(value)
    return values


def _kbo_from_leaflet(leaflet: Any, run: _Run, ref: str) -> list[IdentifierIn]:
    identifiers = []
    for item in _as_list(leaflet.get("administrativeData") if isinstance(leaflet, dict) else None):
        if not isinstance(item, dict):
            continue
        kind = clean_text(item.get("type"))
        value = clean_text(item.get("value"))
        if kind == "CBE_ID" and value:
            identifiers.append(IdentifierIn(scheme="KBO", value=value))
        elif kind:
            run.warn_once(
                f"admin:{kind}", ref, f"administrativeData type {kind} not used (kept in raw)"
            )
    return identifiers


def _address_kind(raw_type: str | None, run: _Run, ref: str) -> str:
    if raw_type is None or raw_type.lower() == VISIT_ADDRESS:
        return "physical"
    if POSTAL_ADDRESS_RE.search(raw_type):
        return "postal"
    run.warn_once(f"addrtype:{raw_type}", ref, f"address type {raw_type!r} read as a visit address")
    return "physical"


def _locations(
    provider_id: str, name: str, record: dict[str, Any], run: _Run, ref: str
) -> list[LocationIn]:
    addresses = [
        (index, item)
        for index, item in enumerate(_as_list(record.get("addresses")), start=1)
        if isinstance(item, dict)
    ]
    # Primary first, then visit addresses, then the rest (NCCN's choice of "the" address).
    addresses.sort(
        key=lambda pair: (
            pair[1].get("primary") is not True,
            (clean_text(pair[1].get("type")) or VISIT_ADDRESS).lower() != VISIT_ADDRESS,
        )
    )
    locations = []
    for index, item in addresses:
        kind = _address_kind(clean_text(item.get("type")), run, ref)
        street = _desc(_dig(item, "street", "name"))
        postcode = clean_text(_dig(item, "municipality", "postalCode"))
        city = _desc(_dig(item, "municipality", "name"))
        latitude = longitude = None
        try:
            latitude = parse_coordinate(_dig(item, "location", "lat"), -90, 90)
            longitude = parse_coordinate(_dig(item, "location", "lon"), -180, 180)
        except ValueError as exc:
            run.batch.warn(ref, f"address {index}: coordinates ignored ({exc})", "location")
            latitude = longitude = None
        if street is None and postcode is None and city is None and latitude is None:
            run.batch.warn(ref, f"address {index} is empty: skipped", "addresses")
            continue
        address = AddressIn(
            address_type=kind,
            street=street,
            house_number=clean_text(item.get("number")),
            postcode=postcode,
            city=city,
            country="BE",
        )
        locations.append(
            LocationIn(
                external_id=f"{provider_id}#address-{index}",
                organization_ref=provider_id,
                name=name,
                location_type=kind,
                latitude=latitude,
                longitude=longitude,
                addresses=[address],
                raw=item,
                ref=f"{ref} address {index}",
            )
        )
    return locations


def transform(entries: list[_Entry], leaflets: dict[str, Any], run: _Run) -> None:
    """Turn deduplicated provider records (and their leaflets) into batch records."""
    for entry in entries:
        record, ref = entry.record, entry.ref
        provider_id = clean_text(_dig(record, "id", "id"))
        assert provider_id is not None  # collect() rejected records without one
        run.check_keys(record, "", ref)
        name = _desc(record.get("legalName"))
        if name is None:
            run.batch.reject(ref, "missing legalName.description", "legalName.description")
            continue
        state = clean_text(record.get("state"))
        status = "active"
        if state is not None and state.lower() not in ACTIVE_STATES:
            status = "inactive"
            run.warn_once(f"state:{state}", ref, f"state {state!r} read as inactive", "state")
        leaflet = leaflets.get(provider_id)
        identifiers = _kbo_from_leaflet(leaflet, run, ref) if leaflet is not None else []
        phones = [PhoneIn(number=value) for value in _contact_values(record, "phones")]
        emails = _contact_values(record, "emails")
        websites = _contact_values(record, "websites")
        org_raw = dict(record)
        if leaflet is not None:
            org_raw["leaflet"] = leaflet
        run.batch.organizations.append(
            OrganizationIn(
                external_id=provider_id,
                name=name,
                email=emails[0] if emails else None,
                website=websites[0] if websites else None,
                identifiers=identifiers,
                phones=phones,
                status=status,
                raw=org_raw,
                ref=ref,
            )
        )
        locations = _locations(provider_id, name, record, run, ref)
        run.batch.locations.extend(locations)
        labels = [_desc(item.get("name")) for item in _as_list(record.get("activities"))]
        labels = [label for label in labels if label] + entry.rubrics
        categories: list[CategoryIn] = []
        for label in labels:
            category = rubric_category(label)
            if category not in categories:
                categories.append(category)
        run.batch.services.append(
            ServiceIn(
                external_id=provider_id,
                organization_ref=provider_id,
                name=name,
                location_refs=[
                    loc.external_id for loc in locations if loc.location_type == "physical"
                ],
                url=websites[0] if websites else None,
                email=emails[0] if emails else None,
                status=status,
                phones=[PhoneIn(number=phone.number) for phone in phones],
                categories=categories,
                raw=record,
                ref=ref,
            )
        )

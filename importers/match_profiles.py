"""Matching profiles (:mod:`importers.matching`) of prepared records and of database rows.

Shared by the pipeline (which matches) and the normalising child process of
:mod:`importers.parallel`, which prepares the matching keys of new records ahead of time
(:class:`AheadKeys`).
"""

from __future__ import annotations

from typing import Any

from importers import matching
from importers.normalize import email_domain
from importers.normalize import url_domain
from importers.records import Batch
from importers.transform import Prepared
from socialmap.logic.documents import Doc

_NO_POINT = (None, None)


def batch_org_features(
    batch: Batch,
) -> tuple[dict[str, set[str]], dict[str, tuple[float, float]]]:
    """Postcodes and first coordinates of each organization's locations in this batch, by
    the organization's source id (organisations have no address of their own)."""
    postcodes: dict[str, set[str]] = {}
    coords: dict[str, tuple[float, float]] = {}
    for loc in batch.locations:
        ref = loc.organization_ref
        if not ref:
            continue
        for a in loc.addresses:
            if a.postcode:
                postcodes.setdefault(ref, set()).add(a.postcode.strip())
        if loc.latitude is not None and loc.longitude is not None:
            coords.setdefault(ref, (loc.latitude, loc.longitude))
    return postcodes, coords


def domains(email: str | None, website: str | None) -> frozenset[str]:
    out = set()
    if email and (d := email_domain(email)):
        out.add(d)
    if website and (d := url_domain(website)):
        out.add(d)
    return frozenset(out)


def _phones(d: Doc) -> frozenset[str]:
    phones = d.get("phones")
    return frozenset(p["number"] for p in phones) if phones else frozenset()


def org_profile(
    entity_id: str,
    d: Doc,
    postcodes: set[str] | None,
    coords: tuple[float, float] | None,
) -> matching.OrgProfile:
    email = d.get("email")
    lat, lon = coords or _NO_POINT
    return matching.OrgProfile(
        id=entity_id,
        name=d["name"],
        kbo=d.get("kbo_number"),
        phones=_phones(d),
        emails=frozenset([email]) if email else frozenset(),
        domains=domains(email, d.get("website")),
        postcodes=frozenset(postcodes or ()),
        lat=lat,
        lon=lon,
    )


def location_profile(entity_id: str, d: Doc, org_name: str | None) -> matching.LocationProfile:
    addresses = d["addresses"]
    a = next(
        (x for x in addresses if x["address_type"] == "physical"),
        addresses[0] if addresses else {},
    )
    return matching.LocationProfile(
        id=entity_id,
        organization_id=d.get("organization_id"),
        org_name=org_name,
        name=d.get("name"),
        street=a.get("street"),
        house_number=a.get("house_number"),
        box=a.get("box"),
        address_2=a.get("address_2"),
        postcode=a.get("postcode"),
        city=a.get("city"),
        lat=d.get("latitude"),
        lon=d.get("longitude"),
        phones=_phones(d),
    )


def service_profile(entity_id: str, d: Doc) -> matching.ServiceProfile:
    return matching.ServiceProfile(
        id=entity_id,
        organization_id=d.get("organization_id"),
        name=d["name"],
        location_ids=frozenset(x["location_id"] for x in d.get("locations") or []),
        phones=_phones(d),
        email=d.get("email"),
        url=d.get("url"),
    )


def profile_from_row(kind: str, r: dict[str, Any]) -> Any:
    """The profile of an entity already in the database (see ``Ingest.*_rows``)."""
    if kind == "organization":
        return matching.OrgProfile(
            id=r["id"],
            name=r["name"],
            kbo=r["kbo"],
            phones=frozenset(r["phones"]),
            emails=frozenset([r["email"]]) if r["email"] else frozenset(),
            domains=domains(r["email"], r["website"]),
            postcodes=frozenset(r["postcodes"]),
            lat=r["lat"],
            lon=r["lon"],
        )
    if kind == "location":
        return matching.LocationProfile(
            id=r["id"],
            organization_id=r["organization_id"],
            org_name=r["org_name"],
            name=r["name"],
            street=r["street"],
            house_number=r["house_number"],
            box=r["box"],
            address_2=r["address_2"],
            postcode=r["postcode"],
            city=r["city"],
            lat=r["latitude"],
            lon=r["longitude"],
            phones=frozenset(r["phones"]),
        )
    return matching.ServiceProfile(
        id=r["id"],
        organization_id=r["organization_id"],
        name=r["name"],
        location_ids=frozenset(r["location_ids"]),
        phones=frozenset(r["phones"]),
        email=r["email"],
        url=r["url"],
    )


class AheadKeys:
    """Matching keys of new records, computed before the pipeline matches them (in the
    normalising process of :mod:`importers.parallel`, which has a core to spare).

    A record's keys depend on its own document, the entity id it gets when it is new
    (``ids[kind][record.index]``) and, for sites and services, the canonical ids and name of
    what it refers to, which are only known once the records before it are merged. This
    assumes the common case, nothing referred to merged into an existing entity, and stores
    the assumption in ``keys_basis``; the pipeline uses the keys only when the basis equals
    what it actually has (:func:`basis_of`), and computes them itself otherwise. So the keys
    used are always exactly the keys of the profile the pipeline would build.
    """

    def __init__(self, batch: Batch, ids: dict[str, list[str]]) -> None:
        self.ids = ids
        self.postcodes, self.coords = batch_org_features(batch)
        self.orgs: dict[str, tuple[str, str]] = {}  # source id -> (entity id, name)
        self.locations: dict[str, str] = {}  # source id -> entity id

    def add(self, rec: Prepared, compute: bool = True) -> None:
        """Set ``rec.keys`` and ``rec.keys_basis`` if ``compute``; every record must be
        added, in pipeline order (organizations, locations, services)."""
        kind, d = rec.kind, rec.doc
        entity_id = self.ids[kind][rec.index]
        profile: Any
        if kind == "organization":
            ext = rec.external_id
            self.orgs[ext] = (entity_id, d["name"])
            if not compute:
                return
            profile = org_profile(entity_id, d, self.postcodes.get(ext), self.coords.get(ext))
            basis: tuple[Any, ...] = (entity_id,)
        elif kind == "location":
            org_id = org_name = None
            if rec.org_ref:
                if rec.org_ref not in self.orgs:
                    return  # the pipeline rejects it
                org_id, org_name = self.orgs[rec.org_ref]
            self.locations[rec.external_id] = entity_id
            if not compute:
                return
            profile = location_profile(entity_id, {**d, "organization_id": org_id}, org_name)
            basis = (entity_id, org_id, org_name)
        else:
            org = self.orgs.get(rec.org_ref) if rec.org_ref else None
            if org is None or not compute:
                return  # (without an organization the pipeline rejects it)
            sites = {self.locations[r] for r in rec.location_refs if r in self.locations}
            guess = {
                **d,
                "organization_id": org[0],
                "locations": [{"location_id": x} for x in sorted(sites)],
            }
            profile = service_profile(entity_id, guess)
            basis = (entity_id, org[0], frozenset(sites))
        rec.keys = matching.prepare_keys(kind, profile)
        rec.keys_basis = basis


def basis_of(kind: str, entity_id: str, d: Doc, org_name: str | None) -> tuple[Any, ...]:
    """What keys computed by :class:`AheadKeys` must have assumed to be usable for a record
    with document ``d`` (references resolved) that would become entity ``entity_id``."""
    if kind == "organization":
        return (entity_id,)
    if kind == "location":
        return (entity_id, d.get("organization_id"), org_name)
    return (
        entity_id,
        d.get("organization_id"),
        frozenset(x["location_id"] for x in d.get("locations") or []),
    )

"""The rows one HSDS response is built from, fetched per table with grouped ``IN`` queries.

A page of 50 fully nested services costs a fixed number of queries (one per child table, per
500 owners), never one query per nested row. Only active locations, services and
organizations (status ``active``, not merged away) are added where a bundle selects them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialmap import models as m

CHUNK = 500

_SERVICE_CHILDREN = (
    m.Phone,
    m.Schedule,
    m.Language,
    m.ServiceArea,
    m.CostOption,
    m.RequiredDocument,
    m.Contact,
    m.ServiceAtLocation,
)
_LOCATION_CHILDREN = (m.Address, m.Phone, m.Schedule, m.Language, m.Contact)
_ORGANIZATION_CHILDREN = (m.OrganizationIdentifier, m.Phone, m.Contact)


def chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), CHUNK):
        yield wanted[start : start + CHUNK]


def active(model: Any) -> tuple[Any, Any]:
    """SQL conditions: the record is exposed (active and not merged away)."""
    return model.status == "active", model.merged_into_id.is_(None)


def rows_by_id(session: Session, model: Any, ids: Iterable[str], *where: Any) -> list[Any]:
    out: list[Any] = []
    for chunk in chunks(ids):
        out += session.scalars(select(model).where(model.id.in_(chunk), *where))
    return out


@dataclass
class Bundle:
    """Entities by id, and ``children[(table, fk)][owner id]`` -> child rows."""

    session: Session
    lang: str
    services: dict[str, m.Service] = field(default_factory=dict)
    organizations: dict[str, m.Organization] = field(default_factory=dict)
    locations: dict[str, m.Location] = field(default_factory=dict)
    terms: dict[str, m.TaxonomyTerm] = field(default_factory=dict)
    children: dict[tuple[str, str], dict[str, list[Any]]] = field(default_factory=dict)
    #: service id -> [(kind, term code)]: its needs and target groups
    term_links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    _loaded: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def kids(self, model: Any, fk: str, owner: str) -> list[Any]:
        return self.children.get((model.__tablename__, fk), {}).get(owner, [])

    def load(self, model: Any, fk: str, owners: Iterable[str]) -> None:
        """Fetch the ``model`` rows of many owners (owners already fetched are skipped)."""
        key = (model.__tablename__, fk)
        grouped = self.children.setdefault(key, defaultdict(list))
        for chunk in chunks(self._todo(key, owners)):
            for row in self.session.scalars(select(model).where(getattr(model, fk).in_(chunk))):
                grouped[getattr(row, fk)].append(row)

    def load_terms(self, owners: Iterable[str]) -> None:
        """The needs and target groups of many services (``term_links``)."""
        if not self.terms:
            self.terms = {t.code: t for t in self.session.scalars(select(m.TaxonomyTerm))}
        todo = self._todo(("term_links", "service_id"), owners)
        for table, kind in ((m.service_need, "need"), (m.service_target_group, "target_group")):
            for chunk in chunks(todo):
                q = select(table.c.service_id, table.c.term_code)
                for service_id, code in self.session.execute(
                    q.where(table.c.service_id.in_(chunk))
                ):
                    self.term_links.setdefault(service_id, []).append((kind, code))

    def add_services(self, ids: Iterable[str], *, full: bool) -> None:
        """Services (as given: callers select active ones), their organizations and intake;
        ``full`` adds every nested list and the active locations they are given at."""
        wanted = list(dict.fromkeys(ids))
        missing = [i for i in wanted if i not in self.services]
        self.services.update((x.id, x) for x in rows_by_id(self.session, m.Service, missing))
        ids = [i for i in wanted if i in self.services]
        orgs = {self.services[i].organization_id for i in ids} - set(self.organizations)
        self.organizations.update((x.id, x) for x in rows_by_id(self.session, m.Organization, orgs))
        self.load(m.IntakeProcedure, "service_id", ids)
        if full:
            for model in _SERVICE_CHILDREN:
                self.load(model, "service_id", ids)
            self.load_terms(ids)
            links = self.children[(m.ServiceAtLocation.__tablename__, "service_id")]
            self.add_locations([x.location_id for i in ids for x in links.get(i, ())], full=True)

    def add_links(self, links: Iterable[m.ServiceAtLocation], *, full: bool) -> None:
        """What services at locations show: the service (one-to-one) and the location."""
        links = list(links)
        self.add_services([x.service_id for x in links], full=False)
        self.add_locations([x.location_id for x in links], full=full)

    def add_locations(self, ids: Iterable[str], *, full: bool) -> None:
        """Active locations only (others never reach ``locations``); ``full``: child rows."""
        ids = set(ids)
        found = rows_by_id(self.session, m.Location, ids - set(self.locations), *active(m.Location))
        self.locations.update((x.id, x) for x in found)
        if full:
            present = [i for i in ids if i in self.locations]
            for model in _LOCATION_CHILDREN:
                self.load(model, "location_id", present)

    def add_organization_details(self, org_ids: list[str], *, full_service: bool) -> None:
        """Identifiers, phones, contacts, active locations and active services."""
        for model in _ORGANIZATION_CHILDREN:
            self.load(model, "organization_id", org_ids)
        locations: list[str] = []
        services: list[str] = []
        for chunk in chunks(org_ids):
            for model, ids in ((m.Location, locations), (m.Service, services)):
                q = select(model.id).where(model.organization_id.in_(chunk), *active(model))
                ids += self.session.scalars(q)
        self.add_locations(locations, full=True)
        self.add_services(services, full=full_service)

    def _todo(self, key: tuple[str, str], owners: Iterable[str]) -> list[str]:
        done = self._loaded.setdefault(key, set())
        todo = sorted(set(owners) - done)
        done.update(todo)
        return todo

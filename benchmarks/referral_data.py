"""Data for the referral benchmark: a directory of generated services, the people who refer
and receive, and a history of background referrals.

* :func:`load_directory` generates ``n`` distinct listings with :mod:`listings` (no
  duplicates), gives their services what matching judges (intake that accepts referrals for
  about 45%, age ranges, spoken languages, capacity, a verification date; :func:`enrich`),
  and imports them through :func:`importers.pipeline.run_import` as source
  :data:`SOURCE`, so every row is written the way the app writes it.
* :func:`create_actors` makes referrers and providers through :mod:`socialmap.logic.accounts`
  (one referrer and one provider per benchmark client; the provider is staff of the
  organisations of that client's target services) and issues their API tokens.
* :func:`insert_background_referrals` bulk-inserts ``n`` referrals (person, request, task,
  consent and the event log of every status change) with SQLAlchemy Core ``executemany``
  in batches, with a realistic status mix. Each task's ``version`` equals its number of
  ``status`` events, as the referral logic keeps it.

All names are invented (fictional benchmark data).
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import sys
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from listings import POSTCODES  # noqa: E402
from listings import generate_batches  # noqa: E402
from search_data import AGE_RANGES  # noqa: E402
from search_data import CAPACITY_WEIGHTS  # noqa: E402
from search_data import OTHER_LANGUAGES  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from importers.pipeline import Settings  # noqa: E402
from importers.pipeline import run_import  # noqa: E402
from importers.records import Batch  # noqa: E402
from importers.records import CapacityIn  # noqa: E402
from importers.records import IntakeIn  # noqa: E402
from socialmap import models as m  # noqa: E402
from socialmap.models.base import new_id  # noqa: E402

#: The import source of the generated directory (``--reuse`` looks for it).
SOURCE = "referral-bench"
#: Share of services whose intake accepts referrals through socialmap.
REFERABLE_SHARE = 0.45
#: Final status of the background referrals -> weight.
STATUS_MIX: dict[str, int] = {
    "requested": 14,
    "accepted": 8,
    "in-progress": 14,
    "on-hold": 3,
    "completed": 42,
    "rejected": 9,
    "cancelled": 6,
    "failed": 4,
}
#: The transitions (action, side, coded reason) that lead from "requested" to each status.
PATHS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "requested": (),
    "accepted": (("accept", "target", None),),
    "in-progress": (("accept", "target", None), ("start", "target", None)),
    "on-hold": (("accept", "target", None), ("hold", "target", "could-not-contact")),
    "completed": (
        ("accept", "target", None),
        ("start", "target", None),
        ("complete", "target", None),
    ),
    "rejected": (("reject", "target", "no-capacity"),),
    "cancelled": (("cancel", "requester", "referred-elsewhere"),),
    "failed": (
        ("accept", "target", None),
        ("start", "target", None),
        ("fail", "target", "person-declined"),
    ),
}
TO_STATUS = {
    "accept": "accepted",
    "start": "in-progress",
    "hold": "on-hold",
    "complete": "completed",
    "reject": "rejected",
    "cancel": "cancelled",
    "fail": "failed",
}
BACKGROUND_PRACTICE = "Bench background practice {n}"
BATCH_SIZE = 5000
#: Postcodes of Flanders and Brussels among the generator's postcodes (where people live).
FLEMISH_POSTCODES: tuple[str, ...] = tuple(
    pc for pc, *_ in POSTCODES if int(pc) < 1300 or 1500 <= int(pc) < 4000 or int(pc) >= 8000
)
INITIALS = "ABCDEFGHIJKLMNOPRSTVWZ"


# ------------------------------------------------------------------ the directory


def enrich(batch: Batch, seed: int) -> None:
    """Give the generated services what matching judges (deterministic for ``seed``):
    intake (accepts referrals ~45%), age range (~25%), spoken languages, capacity and a
    verification date."""
    rng = random.Random(seed)
    today = dt.date(2026, 11, 1)
    capacities = tuple(CAPACITY_WEIGHTS)
    weights = tuple(CAPACITY_WEIGHTS.values())
    for service in batch.services:
        x = rng.random()
        if x < REFERABLE_SHARE:
            service.intake = IntakeIn(
                methods=["professional_referral", "phone"], accepts_referrals=True
            )
        elif x < REFERABLE_SHARE + 0.3:
            service.intake = IntakeIn(methods=["walk_in"], accepts_referrals=False)
        if rng.random() < 0.25:
            service.minimum_age, service.maximum_age = rng.choice(AGE_RANGES)
        spoken = [service.language]
        for other, share in (("fr" if service.language == "nl" else "nl", 0.2), ("en", 0.25)):
            if rng.random() < share:
                spoken.append(other)
        if rng.random() < 0.1:
            spoken.append(rng.choice(OTHER_LANGUAGES))
        service.languages = spoken
        status = rng.choices(capacities, weights=weights)[0]
        weeks = float(rng.randint(1, 12)) if status == "waitlist" and rng.random() < 0.7 else None
        service.capacity = CapacityIn(status=status, waiting_weeks=weeks)
        if rng.random() < 0.8:
            service.assured_date = today - dt.timedelta(days=rng.randrange(3 * 365))


def generated_directory(n: int, seed: int) -> Batch:
    """``n`` distinct generated listings (org + location + service each) as one batch."""
    a, b, _truth = generate_batches(n=n, dup_rate=0.0, seed=seed)
    batch = Batch(
        organizations=a.organizations + b.organizations,
        locations=a.locations + b.locations,
        services=a.services + b.services,
    )
    enrich(batch, seed)
    return batch


def load_directory(session: Session, n: int, seed: int) -> dict[str, Any]:
    """Generate and import ``n`` listings as source :data:`SOURCE`; counts and seconds."""
    import time

    from socialmap.logic.taxonomy import sync_taxonomies

    sync_taxonomies(session)
    session.commit()
    t = time.perf_counter()
    batch = generated_directory(n, seed)
    generated = time.perf_counter() - t
    t = time.perf_counter()
    outcome = run_import(
        session,
        source=SOURCE,
        fmt="generated",
        location="memory",
        batch=batch,
        settings=Settings(priority=50),
    )
    if not outcome.ok:
        raise RuntimeError(f"import failed: {outcome.error}")
    seconds = time.perf_counter() - t
    return {
        "listings": n,
        "generate_s": round(generated, 1),
        "import_s": round(seconds, 1),
        "listings_per_s": round(n / seconds),
        **directory_counts(session),
    }


def directory_counts(session: Session) -> dict[str, int]:
    s = m.Service.__table__.c
    active = (s.status == "active") & s.merged_into_id.is_(None)
    referable = (
        select(func.count())
        .select_from(m.Service.__table__.join(m.IntakeProcedure.__table__))
        .where(active, m.IntakeProcedure.__table__.c.accepts_referrals.is_(True))
    )
    return {
        "services": session.scalar(select(func.count()).where(active)) or 0,
        "referable_services": session.scalar(referable) or 0,
        "locations": session.scalar(select(func.count()).select_from(m.Location)) or 0,
    }


def has_directory(session: Session, n: int) -> bool:
    """Whether an earlier run left (about) ``n`` services of :data:`SOURCE` here."""
    source = session.scalar(select(m.Source.id).where(m.Source.name == SOURCE))
    if source is None:
        return False
    # Merging may fold a few generated listings together: within 5% is the same directory.
    return abs(directory_counts(session)["services"] - n) <= 0.05 * n


@dataclass(frozen=True)
class ReferableService:
    id: str
    organization_id: str
    need: str


def referable_services(session: Session) -> list[ReferableService]:
    """Active services whose intake accepts referrals, with one of their need codes, by id."""
    s, ip, sn = m.Service.__table__.c, m.IntakeProcedure.__table__.c, m.service_need.c
    rows = session.execute(
        select(s.id, s.organization_id, func.min(sn.term_code))
        .join(m.IntakeProcedure.__table__, ip.service_id == s.id)
        .join(m.service_need, sn.service_id == s.id)
        .where(s.status == "active", s.merged_into_id.is_(None), ip.accepts_referrals.is_(True))
        .group_by(s.id, s.organization_id)
        .order_by(s.id)
    ).all()
    return [ReferableService(sid, org, need) for sid, org, need in rows]


# ------------------------------------------------------------------ people


@dataclass
class ClientActors:
    """What one benchmark client works with: a referrer, a provider of the target
    organisations (tokens for both) and the services it refers to."""

    index: int
    referrer_id: str
    referrer_token: str
    provider_id: str
    provider_token: str
    services: list[ReferableService] = field(default_factory=list)


def create_actors(
    session: Session, clients: int, services_per_client: int, run_tag: str, seed: int
) -> list[ClientActors]:
    """One referrer and one provider per client, through the accounts logic. Each client
    gets ``services_per_client`` referable services of organisations no other client uses,
    so no two clients ever touch the same referral."""
    from socialmap.logic import accounts

    pool = referable_services(session)
    random.Random(seed).shuffle(pool)
    used_orgs: set[str] = set()
    out: list[ClientActors] = []
    for i in range(clients):
        chosen: list[ReferableService] = []
        for service in pool:
            if service.organization_id not in used_orgs:
                used_orgs.add(service.organization_id)
                chosen.append(service)
                if len(chosen) == services_per_client:
                    break
        if not chosen:
            raise RuntimeError("not enough referable services for the clients")
        referrer = accounts.create_user(
            f"referrer-{run_tag}-{i}@bench.example",
            "referrer",
            practice=f"Bench practice {run_tag}-{i}",
            name=f"Dr. Bench {i}",
        )
        provider = accounts.create_user(
            f"provider-{run_tag}-{i}@bench.example",
            "provider",
            organization_ids=sorted({s.organization_id for s in chosen}),
            name=f"Provider {i}",
        )
        out.append(
            ClientActors(
                index=i,
                referrer_id=referrer.id,
                referrer_token=accounts.issue_token(referrer, "benchmark"),
                provider_id=provider.id,
                provider_token=accounts.issue_token(provider, "benchmark"),
                services=chosen,
            )
        )
    return out


def background_referrers(session: Session, count: int) -> list[tuple[str, str]]:
    """(id, practice) of ``count`` referrers for background referrals (made when missing)."""
    from socialmap.logic import accounts

    out = []
    for i in range(count):
        email = f"background-referrer-{i}@bench.example"
        user = session.scalar(select(m.User).where(m.User.email == email))
        if user is None:
            user = accounts.create_user(
                email,
                "referrer",
                practice=BACKGROUND_PRACTICE.format(n=i % max(1, count // 4)),
                name=f"Background referrer {i}",
            )
        out.append((user.id, user.practice or ""))
    return out


def count_background(session: Session) -> int:
    """Tasks of requests by the background referrers."""
    r, u = m.ReferralRequest.__table__.c, m.User.__table__.c
    return (
        session.scalar(
            select(func.count())
            .select_from(m.ReferralTask.__table__.join(m.ReferralRequest.__table__))
            .join(m.User.__table__, u.id == r.referrer_id)
            .where(u.email.like("background-referrer-%"))
        )
        or 0
    )


# ------------------------------------------------------------------ background referrals


def _rows(
    n: int,
    services: list[ReferableService],
    referrers: list[tuple[str, str]],
    seed: int,
    now: dt.datetime,
) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Row dicts per table, ``BATCH_SIZE`` referrals at a time."""
    rng = random.Random(seed)
    statuses = tuple(STATUS_MIX)
    weights = tuple(STATUS_MIX.values())
    tables: dict[str, list[dict[str, Any]]] = _empty()
    for k in range(n):
        service = services[rng.randrange(len(services))]
        referrer_id, practice = referrers[rng.randrange(len(referrers))]
        created = now - dt.timedelta(seconds=rng.randrange(365 * 86400))
        status = rng.choices(statuses, weights=weights)[0]
        person_id, request_id, task_id = new_id(), new_id(), new_id()
        postcode = rng.choice(FLEMISH_POSTCODES)
        tables["person"].append(
            {
                "id": person_id,
                "name": f"{rng.choice(INITIALS)}.{rng.choice(INITIALS)}.",
                "birth_year": rng.randint(1930, 2010),
                "postcode": postcode,
                "language": rng.choices(("nl", "fr", "en"), weights=(85, 10, 5))[0],
                "contact_method": rng.choice(("phone", "through_referrer")),
                "phone": None,
                "email": None,
                "created_at": created,
                "erased_at": None,
            }
        )
        tables["referral_request"].append(
            {
                "id": request_id,
                "referrer_id": referrer_id,
                "practice": practice,
                "shared_with_practice": rng.random() < 0.3,
                "person_id": person_id,
                "needs": [service.need],
                "urgency": rng.choices(("routine", "urgent", "asap"), weights=(80, 15, 5))[0],
                "note": None,
                "municipality": _nis(postcode),
                "idempotency_key": None,
                "created_at": created,
            }
        )
        tables["consent"].append(
            {
                "id": new_id(),
                "task_id": task_id,
                "organization_id": service.organization_id,
                "scope": ["identity", "contact", "postcode", "language"],
                "method": rng.choice(("verbal", "signed")),
                "given_at": created,
                "recorded_by_id": referrer_id,
                "withdrawn_at": None,
                "withdrawn_by_id": None,
            }
        )
        events = tables["referral_event"]
        events.append(
            _event(task_id, "create", referrer_id, "requester", None, "requested", 1, created)
        )
        at = created
        received_at = None
        if status != "requested" or rng.random() < 0.4:
            at = min(at + dt.timedelta(hours=rng.uniform(1, 72)), now)
            received_at = at
            events.append(
                {**_event(task_id, None, None, "target", None, None, None, at), "kind": "received"}
            )
        current, version, reason = "requested", 1, None
        for action, side, reason_code in PATHS[status]:
            at = min(at + dt.timedelta(hours=rng.uniform(2, 240)), now)
            version += 1
            to = TO_STATUS[action]
            actor = referrer_id if side == "requester" else None
            event = _event(task_id, action, actor, side, current, to, version, at)
            event["reason_code"] = reason_code
            events.append(event)
            current, reason = to, reason_code or reason
        tables["referral_task"].append(
            {
                "id": task_id,
                "request_id": request_id,
                "service_id": service.id,
                "organization_id": service.organization_id,
                "status": current,
                "reason_code": reason,
                "reason_text": None,
                "outcome": None,
                "version": version,
                "created_at": created,
                "updated_at": at,
                "requested_at": created,
                "received_at": received_at,
                "reminded_at": None,
            }
        )
        if (k + 1) % BATCH_SIZE == 0:
            yield tables
            tables = _empty()
    if tables["person"]:
        yield tables


@functools.cache
def _nis(postcode: str) -> str | None:
    """The NIS code of a postcode's main place (kept on the request for statistics)."""
    from socialmap.gazetteer import get_gazetteer

    places = get_gazetteer().by_postcode(postcode)
    return places[0].nis if places else None


def _empty() -> dict[str, list[dict[str, Any]]]:
    return {
        t: [] for t in ("person", "referral_request", "referral_task", "consent", "referral_event")
    }


def _event(
    task_id: str,
    action: str | None,
    actor_id: str | None,
    side: str,
    from_status: str | None,
    to_status: str | None,
    version: int | None,
    at: dt.datetime,
) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "kind": "status",
        "action": action,
        "actor_id": actor_id,
        "actor_side": side,
        "from_status": from_status,
        "to_status": to_status,
        "reason_code": None,
        "note": None,
        "version": version,
        "at": at,
    }


def insert_background_referrals(
    session: Session,
    n: int,
    seed: int,
    *,
    referrers: int = 40,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Bulk-insert ``n`` referrals to referable services (one task each) with their consent
    and event log, by ``referrers`` background referrers; committed per batch."""
    import time

    services = referable_services(session)
    if not services:
        raise RuntimeError("no referable services to refer to")
    people = background_referrers(session, referrers)
    now = now or dt.datetime.now(dt.UTC)
    order = ("person", "referral_request", "referral_task", "consent", "referral_event")
    tables = {
        "person": m.Person.__table__,
        "referral_request": m.ReferralRequest.__table__,
        "referral_task": m.ReferralTask.__table__,
        "consent": m.Consent.__table__,
        "referral_event": m.ReferralEvent.__table__,
    }
    t = time.perf_counter()
    counts = dict.fromkeys(order, 0)
    status_counts: dict[str, int] = {}
    for batch in _rows(n, services, people, seed, now):
        for name in order:
            if batch[name]:
                session.execute(insert(tables[name]), batch[name])
                counts[name] += len(batch[name])
        for row in batch["referral_task"]:
            status_counts[row["status"]] = status_counts.get(row["status"], 0) + 1
        session.commit()
    seconds = time.perf_counter() - t
    rows = sum(counts.values())
    return {
        "referrals": n,
        "rows": counts,
        "statuses": dict(sorted(status_counts.items())),
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds) if seconds else None,
    }


def task_ids_of(session: Session, referrer_ids: Iterable[str]) -> set[str]:
    """Every task of the requests these referrers made."""
    t, r = m.ReferralTask.__table__.c, m.ReferralRequest.__table__.c
    ids = list(referrer_ids)
    return set(
        session.scalars(
            select(t.id)
            .join(m.ReferralRequest.__table__, r.id == t.request_id)
            .where(r.referrer_id.in_(ids))
        )
    )

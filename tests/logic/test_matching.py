"""Matching a referral request to services, explained per criterion, over a real index.

The data goes through the import pipeline and the embedded index is built from the
database, as in production. The person lives in Oostende (8400); the services around
them help with debts, each with one thing that sets it apart.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from auth_support import make_user
from marshmallow import ValidationError
from search_fixtures import BREDENE
from search_fixtures import NOW
from sqlalchemy import String
from sqlalchemy import bindparam
from sqlalchemy import cast
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import ARRAY

from importers.pipeline import run_import
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CapacityIn
from importers.records import CategoryIn
from importers.records import ClosureIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import ScheduleIn
from importers.records import ServiceAreaIn
from importers.records import ServiceIn
from socialmap import models as m
from socialmap.errors import NotFound
from socialmap.extensions import db
from socialmap.logic import matching
from socialmap.logic import regions
from socialmap.logic import search_index
from socialmap.logic.matching_facts import IdArray
from socialmap.logic.taxonomy import sync_taxonomies

OOSTENDE_CENTRE = (51.2300, 2.9200)  # about 0.7 km from the centre of 8400
OOSTENDE_SOUTH = (51.2150, 2.9300)
GISTEL = (51.1580, 2.9720)
DEBT = [CategoryIn("socialmap", "debt-counselling")]


def _service(key: str, org: str, name: str, loc: str, **kw) -> ServiceIn:
    kw.setdefault("categories", DEBT)
    kw.setdefault("intake", IntakeIn(methods=["phone"], accepts_referrals=True))
    kw.setdefault("capacity", CapacityIn("available"))
    kw.setdefault("assured_date", dt.date(2026, 5, 1))
    return ServiceIn(key, org, name, location_refs=[loc], raw={"id": key}, **kw)


def _location(key: str, org: str, point: tuple[float, float], postcode: str, **kw) -> LocationIn:
    return LocationIn(
        key,
        org,
        name=key,
        latitude=point[0],
        longitude=point[1],
        addresses=[AddressIn(street="Kerkstraat", house_number="1", postcode=postcode)],
        raw={"id": key},
        **kw,
    )


def referral_batch() -> Batch:
    b = Batch()
    b.organizations += [
        OrganizationIn(key, name, raw={"id": key})
        for key, name in [
            ("caw", "CAW Noord-West-Vlaanderen"),
            ("ocmw", "OCMW Oostende"),
            ("bredene", "OCMW Bredene"),
            ("jac", "JAC Oostende"),
            ("gistel", "Sociaal Huis Gistel"),
            ("clean", "Poetsdienst Kust"),
        ]
    ]
    b.locations += [
        _location(
            "loc-centre",
            "caw",
            OOSTENDE_CENTRE,
            "8400",
            schedules=[ScheduleIn(day, "09:00", "12:00") for day in range(1, 6)],
        ),
        _location(
            "loc-south",
            "ocmw",
            OOSTENDE_SOUTH,
            "8400",
            schedules=[ScheduleIn(2, "14:00", "16:00")],
            closures=[ClosureIn(dt.date(2026, 11, 24), reason="Teamdag")],
        ),
        _location("loc-jac", "jac", OOSTENDE_CENTRE, "8400"),
        _location("loc-bredene", "bredene", BREDENE, "8450"),
        _location("loc-gistel", "gistel", GISTEL, "8470"),
        _location("loc-clean", "clean", OOSTENDE_CENTRE, "8400"),
    ]
    b.services += [
        _service(
            "exact",
            "caw",
            "Schuldhulpverlening",
            "loc-centre",
            languages=["nl", "fr"],
            minimum_age=18,
            service_areas=[ServiceAreaIn("municipality", "35013")],
            assured_date=dt.date(2026, 10, 1),
        ),
        _service(
            "broader",
            "ocmw",
            "Geldzorgen",
            "loc-south",
            categories=[CategoryIn("socialmap", "debt-money")],
            capacity=CapacityIn("unknown"),
            assured_date=dt.date(2025, 6, 1),
        ),
        _service("budget", "gistel", "Budgetcoaching", "loc-gistel",
                 capacity=CapacityIn("waitlist", waiting_weeks=6)),
        _service("loket", "gistel", "Schuldenloket", "loc-gistel",
                 capacity=CapacityIn("waitlist", waiting_weeks=6)),
        _service("area", "bredene", "Schuldhulp Bredene", "loc-bredene",
                 service_areas=[ServiceAreaIn("municipality", "35002")]),
        _service("young", "jac", "Jongeren en geld", "loc-jac", maximum_age=25),
        _service("full", "ocmw", "Schuldbemiddeling", "loc-south", capacity=CapacityIn("full")),
        _service("noref", "caw", "Budgetinfo", "loc-centre",
                 intake=IntakeIn(methods=["walk_in"], accepts_referrals=False)),
        _service("clean", "clean", "Poetshulp", "loc-clean",
                 categories=[CategoryIn("socialmap", "home-help")]),
    ]  # fmt: skip
    return b


@pytest.fixture
def ids(session) -> dict[str, str]:
    """Service id by the key it was imported with, after importing and indexing."""
    sync_taxonomies(session)
    session.commit()
    out = run_import(session, source="t", fmt="t", location="m", batch=referral_batch())
    assert out.ok, out.error
    search_index.reindex(session)
    rows = session.execute(
        select(m.SourceRecord.external_id, m.SourceRecord.service_id).where(
            m.SourceRecord.entity_type == "service"
        )
    )
    found = dict(rows.all())
    assert len(found) == len(referral_batch().services)  # nothing merged away
    return found


def _match(**request):
    request.setdefault("needs", ["debt-counselling"])
    request.setdefault("place", "8400")
    return matching.match_services(request, now=NOW)


def _by_id(items, service_id):
    return next((i for i in items if i["service_id"] == service_id), None)


def _reasons(result, service_id):
    found = _by_id(result.excluded, service_id)
    return [r["criterion"] for r in found["reasons"]] if found else []


def test_the_ranking_is_explained_per_criterion(ids):
    result = _match(age=40, language="fr")
    names = [x["name"] for x in result.matches]
    assert names[0] == "Schuldhulpverlening" and names[-1] == "Geldzorgen"
    assert set(names[1:3]) == {"Budgetcoaching", "Schuldenloket"}  # exact need, but 8 km away
    top = result.matches[0]
    assert top["service_id"] == ids["exact"]
    assert top["organization"]["name"] == "CAW Noord-West-Vlaanderen"
    assert set(top["score_parts"]) == {"needs", "distance", "capacity", "freshness", "language"}
    assert math.isclose(sum(top["score_parts"].values()), top["score"], abs_tol=5e-4)
    assert 0 < top["score"] <= 1
    why = top["explanation"]
    assert why["needs"] == [
        {
            "need": "debt-counselling",
            "label": "Schuldhulpverlening",
            "coverage": "exact",
            "via": "debt-counselling",
            "via_label": "Schuldhulpverlening",
            "message": "Covered exactly.",
        }
    ]
    assert why["place"]["service_area"] == "covers"
    assert "serves your municipality" in why["place"]["message"]
    assert why["place"]["distance_km"] < 1.5 and why["place"]["within_radius"] is True
    assert why["eligibility"]["age"]["ok"] is True
    assert why["eligibility"]["age"]["range"] == "from 18"
    assert why["language"] == {"requested": "fr", "offered": ["fr", "nl"], "ok": True}
    assert why["hours"] == {"known": True, "open_now": True, "next_opening": None}
    assert why["capacity"]["status"] == "available" and why["capacity"]["ok"] is True
    assert why["referable"] == {"ok": True, "decided_by": "intake"}
    assert why["verified"]["assured_date"] == "2026-10-01"
    assert why["verified"]["months_ago"] == pytest.approx(1.7, abs=0.1)
    # What ranks a service lower shows in its own parts.
    last = _by_id(result.matches, ids["broader"])
    worse = {k for k, part in last["score_parts"].items() if part < top["score_parts"][k]}
    assert worse == {"needs", "distance", "capacity", "freshness", "language"}
    closed = last["explanation"]
    assert closed["hours"]["open_now"] is False
    # Tuesdays only, and closed this Tuesday.
    assert closed["hours"]["next_opening"] == "2026-12-01T14:00:00+01:00"
    assert closed["language"]["ok"] is False  # a soft criterion by default
    waiting = _by_id(result.matches, ids["budget"])["explanation"]["capacity"]
    assert (waiting["status"], waiting["waiting_weeks"]) == ("waitlist", 6)
    assert _by_id(result.matches + result.excluded, ids["clean"]) is None  # another need


def test_broader_and_narrower_terms_are_labelled(ids):
    asked_narrow = _match(needs=["debt-counselling"])
    broader = _by_id(asked_narrow.matches, ids["broader"])["explanation"]["needs"][0]
    assert (broader["coverage"], broader["via"]) == ("broader", "debt-money")
    assert broader["message"] == "Covered via the broader term 'Geld en schulden'."
    asked_wide = _match(needs=["debt-money"])
    exact_service = _by_id(asked_wide.matches, ids["exact"])["explanation"]["needs"][0]
    assert (exact_service["coverage"], exact_service["via"]) == ("narrower", "debt-counselling")
    assert "narrower term 'Schuldhulpverlening'" in exact_service["message"]
    parts = {x["service_id"]: x["score_parts"]["needs"] for x in asked_narrow.matches}
    assert parts[ids["exact"]] > parts[ids["broader"]]


def test_a_service_outside_its_area_is_excluded_with_the_reason(ids, app):
    result = _match()
    assert _by_id(result.matches, ids["area"]) is None
    excluded = _by_id(result.excluded, ids["area"])
    assert [r["criterion"] for r in excluded["reasons"]] == ["service_area"]
    assert "municipality:35002" in excluded["reasons"][0]["message"]
    assert excluded["distance_km"] == pytest.approx(4.5, abs=0.5)
    assert result.counts["excluded_service_area"] == 1
    app.config["MATCH_HARD_FILTERS"] = ["age", "capacity_full", "inactive", "referable"]
    soft = _by_id(_match().matches, ids["area"])
    assert soft["explanation"]["place"]["ok"] is False
    assert soft["score_parts"]["distance"] == 0


def test_age_out_of_range_is_excluded_or_penalised(ids, app):
    result = _match(age=40)
    assert _reasons(result, ids["young"]) == ["age"]
    reason = _by_id(result.excluded, ids["young"])["reasons"][0]
    assert "outside the service's range (up to 25)" in reason["message"]
    assert _by_id(_match(age=19).matches, ids["young"]) is not None
    app.config["MATCH_HARD_FILTERS"] = ["service_area", "capacity_full", "inactive", "referable"]
    soft = _match(age=40)
    young = _by_id(soft.matches, ids["young"])
    exact = _by_id(soft.matches, ids["exact"])
    assert young["explanation"]["eligibility"]["age"]["ok"] is False
    assert young["score_parts"]["age"] == 0 and exact["score_parts"]["age"] > 0
    assert young["score"] < exact["score"]
    assert _by_id(soft.excluded, ids["young"]) is None


def test_full_and_not_referable_services_are_excluded(ids):
    result = _match()
    assert _reasons(result, ids["full"]) == ["capacity_full"]
    assert _reasons(result, ids["noref"]) == ["referable"]
    assert _by_id(result.excluded, ids["noref"])["reasons"][0]["message"] == (
        "Does not accept referrals through socialmap."
    )
    assert result.counts["excluded"] == len(result.excluded) == 3  # area, full, noref


def test_a_stewards_decision_overrides_the_intake(ids, session):
    steward = make_user("steward")
    region = regions.create_region("ELZ Oostende", ["35013"])
    regions.add_steward(region, steward)
    regions.set_referable(steward, region.id, ids["exact"], False)
    regions.set_referable(steward, region.id, ids["noref"], True)
    result = _match()
    assert _reasons(result, ids["exact"]) == ["referable"]
    assert "steward" in _by_id(result.excluded, ids["exact"])["reasons"][0]["message"]
    now_referable = _by_id(result.matches, ids["noref"])
    assert now_referable["explanation"]["referable"] == {"ok": True, "decided_by": "steward"}


def test_a_service_deactivated_while_the_index_lags_is_excluded(ids, session):
    # A Core update: the index is not told, as when an index update failed.
    session.execute(
        update(m.Service).where(m.Service.id == ids["budget"]).values(status="inactive")
    )
    session.commit()
    result = _match()
    assert _reasons(result, ids["budget"]) == ["inactive"]


def test_same_input_same_output_and_a_deterministic_order(ids):
    first = _match(age=40, target_groups=["people-in-poverty"], urgency="urgent").as_dict()
    again = _match(age=40, target_groups=["people-in-poverty"], urgency="urgent").as_dict()
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    matches = first["matches"]
    keys = [(-x["score"], x["distance_km"], x["service_id"]) for x in matches]
    assert keys == sorted(keys)
    twins = [x for x in matches if x["name"] in ("Budgetcoaching", "Schuldenloket")]
    assert twins[0]["score"] == twins[1]["score"]  # same facts, same site: the id decides
    assert [t["service_id"] for t in twins] == sorted(t["service_id"] for t in twins)
    assert first["query"]["weights"]["capacity"] == 0.3  # doubled for an urgent request


def test_urgency_weighs_capacity_more(ids):
    def part(result, key, name="score"):
        found = _by_id(result.matches, ids[key])
        return found["score"] if name == "score" else found["score_parts"][name]

    routine, urgent = _match(), _match(urgency="asap")
    assert part(urgent, "exact", "capacity") > part(routine, "exact", "capacity")
    # The waiting list weighs more when it is urgent.
    gap = part(routine, "exact") - part(routine, "budget")
    assert part(urgent, "exact") - part(urgent, "budget") > gap


def test_too_small_a_first_page_is_topped_up(ids, monkeypatch):
    for name, size in [("CANDIDATES", 2), ("CANDIDATES_PER_MATCH", 0), ("NEARBY_CANDIDATES", 1)]:
        monkeypatch.setattr(matching, name, size)
    result = _match(age=40, limit=4)
    assert len(result.matches) == 4


def test_the_database_is_read_in_three_statements_at_most(ids, app):
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        shown = _match(age=40)
        with_matches, seen[:] = len(seen), []
        app.config["MATCH_HARD_FILTERS"] = [*app.config["MATCH_HARD_FILTERS"], "language"]
        nothing = _match(needs=["home-help"], language="ar")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # The services, their tags, and the opening hours of the matches shown (if any).
    assert shown.matches and with_matches == 3
    assert nothing.matches == [] and len(nothing.excluded) == 1 and len(seen) == 2


def test_any_id_reaches_postgresql_unchanged(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: on SQLite the ids go as an IN list")
    odd = ['a"b', "c\\d", "e,f", "{g}", " h ", "NULL", "é", ""]
    as_array = cast(bindparam("ids", type_=IdArray()), ARRAY(String))
    assert session.scalar(select(as_array), {"ids": odd}) == odd


def test_bad_requests_name_the_field(ids):
    with pytest.raises(ValidationError) as unknown_need:
        _match(needs=["debt-counselling", "no-such-need"])
    assert "no-such-need" in unknown_need.value.messages["needs"][0]
    with pytest.raises(ValidationError) as unknown_place:
        _match(place="Atlantis")
    assert "Atlantis" in unknown_place.value.messages["place"][0]
    with pytest.raises(ValidationError) as no_place:
        matching.match_services({"needs": ["debt-counselling"]})
    assert "place" in no_place.value.messages
    with pytest.raises(ValidationError) as bad:
        _match(urgency="yesterday", mobility="teleport", target_groups=["martians"])
    assert {"urgency", "mobility", "target_groups"} <= set(bad.value.messages)


def test_mobility_sets_the_radius(ids):
    walking = _match(mobility="walk")
    assert walking.query["radius_km"] == 2.0
    assert _by_id(walking.matches, ids["budget"]) is None  # Gistel is 8 km away
    assert _by_id(_match(mobility="car").matches, ids["budget"]) is not None
    assert _match(mobility="walk", max_distance_km=12).query["radius_km"] == 12


def test_the_note_is_neither_used_nor_echoed(ids):
    note = "Mevrouw Janssens, Kerkstraat 5, heeft schulden bij de deurwaarder"
    with_note = _match(note=note).as_dict()
    assert note not in json.dumps(with_note)
    assert with_note["matches"] == _match().as_dict()["matches"]


def test_capacity_check_tells_capacity_without_personal_data(ids, session):
    capacity = session.get(m.ServiceCapacity, ids["budget"])
    capacity.updated_by = "jan.peeters@gistel.example"
    capacity.note = "Jan Peeters belt terug"
    capacity.updated_at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    session.commit()
    found = matching.capacity_check("debt-counselling", "8400", now=NOW)
    assert found["place"] == "8400 Oostende"
    by_id = {e["service_id"]: e for e in found["services"]}
    budget = by_id[ids["budget"]]
    assert (budget["capacity"], budget["waiting_weeks"]) == ("waitlist", 6)
    assert budget["capacity_updated_at"] == "2026-11-20T09:00:00+00:00"
    assert budget["accepts_referrals"] is True
    assert by_id[ids["full"]]["capacity"] == "full"
    assert by_id[ids["noref"]]["accepts_referrals"] is False
    assert by_id[ids["broader"]]["need_coverage"] == "broader"
    assert ids["clean"] not in by_id
    text = json.dumps(found)
    assert "Peeters" not in text and "jan.peeters" not in text
    allowed = {
        "service_id", "location_id", "name", "organization", "distance_km", "need_coverage",
        "status", "capacity", "waiting_weeks", "capacity_updated_at", "accepts_referrals",
    }  # fmt: skip
    assert all(set(e) == allowed for e in found["services"])
    one = matching.capacity_check("debt-counselling", service_id=ids["full"], now=NOW)
    assert [(e["service_id"], e["capacity"]) for e in one["services"]] == [(ids["full"], "full")]


def test_capacity_check_refuses_bad_input(ids):
    with pytest.raises(ValidationError) as unknown:
        matching.capacity_check("no-such-need", "Atlantis")
    assert set(unknown.value.messages) == {"need", "place"}
    with pytest.raises(ValidationError):
        matching.capacity_check("debt-counselling")
    with pytest.raises(NotFound):
        matching.capacity_check("debt-counselling", service_id="no-such-service")

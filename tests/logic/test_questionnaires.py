"""The needs questionnaire: the default, a region's own for a place in it, and editing it."""

from __future__ import annotations

import copy

import pytest
from auth_support import make_user
from marshmallow import ValidationError

from socialmap import models as m
from socialmap import taxonomy
from socialmap.errors import NotFound
from socialmap.errors import PermissionDenied
from socialmap.extensions import db
from socialmap.logic import questionnaires as q
from socialmap.logic import regions

OOSTENDE, GISTEL = "35013", "35005"


def _own() -> list[dict]:
    return [
        {
            "title": {"nl": "Geld", "fr": "Argent", "en": "Money"},
            "questions": [
                {
                    "text": {"nl": "Schulden?", "fr": "Des dettes ?", "en": "Debts?"},
                    "needs": ["debt-counselling"],
                }
            ],
        }
    ]


def test_the_default_covers_every_domain_in_three_languages_with_known_needs() -> None:
    needs = taxonomy.needs()
    assert len(q.DEFAULT) >= 8
    for domain in q.DEFAULT:
        assert all(domain["title"][lang].strip() for lang in ("nl", "fr", "en"))
        assert domain["questions"]
        for question in domain["questions"]:
            assert all(question["text"][lang].strip() for lang in ("nl", "fr", "en"))
            assert question["needs"] and all(code in needs for code in question["needs"])
    assert q.validate_domains(q.DEFAULT) == q.DEFAULT  # it passes its own validation


def test_a_place_in_a_region_gets_the_regions_questionnaire(app) -> None:  # type: ignore[no-untyped-def]
    region = regions.create_region("ELZ Oostende", [OOSTENDE])
    steward = make_user("steward", region_ids=[region.id])
    q.save(steward, region.id, _own())

    for place in ("8400", "Oostende", "8400 Oostende"):
        found = q.for_postcode(place)
        assert (found.region_id, found.is_default) == (region.id, False), place
        assert found.domains[0]["questions"][0]["text"]["nl"] == "Schulden?"
        assert found.domains[0]["code"] == "money"  # made from the English title
    elsewhere = q.for_postcode("8470")  # Gistel: no region
    assert elsewhere.is_default and elsewhere.region_id is None
    assert elsewhere.domains == q.DEFAULT
    assert q.for_postcode("9999 Nergens").is_default  # unknown place: the default, no error


def test_a_region_without_its_own_uses_the_default_and_unknown_regions_are_not_found(app) -> None:  # type: ignore[no-untyped-def]
    region = regions.create_region("ELZ Gistel", [GISTEL])
    found = q.for_postcode("8470")
    assert (found.region_name, found.is_default) == ("ELZ Gistel", True)
    assert found.domains == q.DEFAULT
    found.domains[0]["questions"].clear()  # a copy: the default itself is untouched
    assert q.DEFAULT[0]["questions"]
    assert q.for_region(region.id).is_default
    with pytest.raises(NotFound):
        q.for_region("no-such-region")


def test_only_stewards_of_the_region_and_admins_may_save_or_reset(app) -> None:  # type: ignore[no-untyped-def]
    mine = regions.create_region("ELZ Oostende", [OOSTENDE])
    other = regions.create_region("ELZ Gistel", [GISTEL])
    steward = make_user("steward", region_ids=[mine.id])
    for actor, region in ((steward, other), (make_user("referrer"), mine)):
        with pytest.raises(PermissionDenied):
            q.save(actor, region.id, _own())
        with pytest.raises(PermissionDenied):
            q.reset(actor, region.id)
    assert db.session.get(m.Questionnaire, other.id) is None
    q.save(make_user("admin"), other.id, _own())
    saved = db.session.get(m.Questionnaire, other.id)
    assert saved is not None and saved.updated_by.startswith("admin-")
    assert q.reset(steward, mine.id).is_default


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda d: d[0]["title"].update(fr="  "), ("title", "fr"), q.TEXT_REQUIRED),
        (
            lambda d: d[0]["questions"][0]["text"].pop("en"),
            ("questions", 0, "text", "en"),
            q.TEXT_REQUIRED,
        ),
        (
            lambda d: d[0]["questions"][0].update(needs=["no-such-need"]),
            ("questions", 0, "needs"),
            q.UNKNOWN_NEED,
        ),
        (
            lambda d: d[0]["questions"][0].update(needs=[]),
            ("questions", 0, "needs"),
            q.NEEDS_REQUIRED,
        ),
        (lambda d: d[0].update(questions=[]), ("questions",), q.QUESTIONS_REQUIRED),
        (lambda d: d[0]["title"].update(nl="x" * 301), ("title", "nl"), q.TEXT_TOO_LONG),
    ],
)
def test_invalid_questionnaires_are_refused_naming_the_field(app, change, path, message) -> None:  # type: ignore[no-untyped-def]
    region = regions.create_region("ELZ Oostende", [OOSTENDE])
    steward = make_user("steward", region_ids=[region.id])
    domains = _own()
    change(domains)
    with pytest.raises(ValidationError) as caught:
        q.save(steward, region.id, domains)
    node = caught.value.messages["domains"][0]
    for key in path:
        node = node[key]
    assert message in node
    assert db.session.get(m.Questionnaire, region.id) is None  # nothing half-written


def test_an_empty_questionnaire_and_duplicate_codes_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    region = regions.create_region("ELZ Oostende", [OOSTENDE])
    steward = make_user("steward", region_ids=[region.id])
    with pytest.raises(ValidationError) as caught:
        q.save(steward, region.id, [])
    assert caught.value.messages == {"domains": [q.DOMAINS_REQUIRED]}
    twice = _own() + _own()
    twice[0]["code"] = twice[1]["code"] = "money"
    with pytest.raises(ValidationError) as caught:
        q.save(steward, region.id, twice)
    assert caught.value.messages == {"domains": {1: {"code": [q.DUPLICATE_CODE]}}}
    # Without codes, equal titles get distinct codes.
    saved = q.save(steward, region.id, _own() + _own())
    assert [d["code"] for d in saved.domains] == ["money", "money-2"]


def test_answers_point_at_their_needs_once_in_questionnaire_order() -> None:
    domains = copy.deepcopy(q.DEFAULT)
    money = next(d for d in domains if d["code"] == "money")
    social = next(d for d in domains if d["code"] == "social-network")
    answers = [q.answer_key(social, 0), q.answer_key(money, 0), "money:99", "nonsense"]
    found = q.needs_for_answers(domains, answers)
    assert found == ["debt-counselling", "social-contact"]


def test_too_many_needs_give_way_to_their_parents() -> None:
    codes = [
        "debt-counselling",
        "budget-management",
        "income-support",
        "energy-water",
        "social-activities",
        "visiting-buddy",
        "housing-support",
    ]
    assert q.condense_needs(codes, 10) == codes  # they fit: unchanged
    # The most numerous siblings first, and only as far as needed.
    assert q.condense_needs(codes, 4) == [
        "debt-money",
        "social-activities",
        "visiting-buddy",
        "housing-support",
    ]
    assert q.condense_needs(codes, 3) == ["debt-money", "social-contact", "housing-support"]
    assert q.condense_needs(["housing", "work", "food"], 2) == ["housing", "work", "food"]

"""Steward pages: import runs, merge review, correction suggestions and freshness, scoped to
the steward's regions; forms need their CSRF token; other roles get 403."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from auth_support import make_user
from flask.testing import FlaskClient
from referral_support import World
from referral_support import build_world
from sqlalchemy import select
from web_support import post_form
from web_support import sign_in

from importers.pipeline import Settings
from importers.pipeline import run_import
from importers.records import Batch
from importers.records import OrganizationIn
from importers.records import ServiceIn
from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic import corrections
from socialmap.logic import regions
from socialmap.logic.business_days import local_date
from socialmap.models.base import utcnow

PAGES = [
    "/beheer",
    "/beheer/imports",
    "/beheer/samenvoegen",
    "/beheer/correcties",
    "/beheer/actualiteit",
]


@dataclass
class Coast:
    world: World
    steward: m.User  # region Oostende: debt, budget (org 1)
    other_steward: m.User  # region Gistel: meeting (org 2)
    run: m.ImportRun  # the second import: a look-alike organisation and two rejected rows


def _english(user: m.User) -> m.User:
    user.language = "en"  # the pages speak the user's language; English = the msgids
    db.session.commit()
    return user


@pytest.fixture
def coast(session) -> Coast:  # type: ignore[no-untyped-def]
    world = build_world(session)
    other = Batch()
    other.organizations.append(OrganizationIn("o", "Dienstencentrum de Zeewind"))
    other.services.append(ServiceIn("bad", "o", None, ref="diensten.csv rij 4"))
    other.services.append(ServiceIn("orphan", "org-404", "Zwevend", ref="diensten.csv rij 5"))
    out = run_import(
        session,
        source="gemeente-gistel",
        fmt="test",
        location="/srv/imports/gistel.csv",
        batch=other,
        settings=Settings(auto_merge=1.0, review=0.3),  # every plausible pair to review
    )
    assert out.ok and out.counts["review"] == 1 and out.counts["rejected"] == 2
    oostende = regions.create_region("Kust Oostende", ["35013"])
    gistel = regions.create_region("Kust Gistel", ["35005"])
    return Coast(
        world,
        _english(make_user("steward", region_ids=[oostende.id])),
        _english(make_user("steward", region_ids=[gistel.id])),
        db.session.get(m.ImportRun, out.run_id),
    )


def _text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/aanmelden?next=" in response.location


@pytest.mark.parametrize("role", ["provider", "referrer"])
def test_providers_and_referrers_get_403(client: FlaskClient, coast: Coast, role: str) -> None:
    user = coast.world.provider if role == "provider" else coast.world.gp
    sign_in(client, user)
    for path in [*PAGES, f"/beheer/imports/{coast.run.id}", "/beheer/samenvoegen/1"]:
        assert client.get(path).status_code == 403, path
    response = post_form(
        client,
        "/beheer/actualiteit/vragen",
        {"service_id": coast.world.debt.id},
        token_from="/meldingen",
    )
    assert response.status_code == 403
    assert db.session.scalar(select(m.VerificationRequest)) is None


def test_dashboard_counts_what_waits(client: FlaskClient, coast: Coast) -> None:
    w = coast.world
    corrections.submit(w.debt.id, {"field": "phone", "message": "Nummer is veranderd."})
    corrections.submit(w.meeting.id, {"field": "hours", "message": "Nu ook op vrijdag."})
    sign_in(client, coast.steward)
    page = _text(client.get("/beheer"))
    assert "1 open correction suggestions" in page  # not the one in Gistel
    assert "1 look-alike pairs to review" in page
    assert "gemeente-gistel" in page and "gistel.csv" in page and "/srv/imports" not in page
    assert 'href="/beheer/vragenlijst"' in client.get("/beheer").get_data(as_text=True)


def test_import_runs_and_their_rejected_rows(client: FlaskClient, coast: Coast) -> None:
    sign_in(client, coast.steward)
    runs = client.get("/beheer/imports").get_data(as_text=True)
    assert runs.index("gemeente-gistel") < runs.index(">t<")  # newest first
    assert f'href="/beheer/imports/{coast.run.id}"' in runs

    page = _text(client.get(f"/beheer/imports/{coast.run.id}?kind=rejected"))
    assert "diensten.csv rij 4" in page and "diensten.csv rij 5" in page
    assert "unknown organization org-404" in page
    warnings = _text(client.get(f"/beheer/imports/{coast.run.id}?kind=warning"))
    assert "diensten.csv rij 4" not in warnings
    assert client.get("/beheer/imports/9999").status_code == 404


def _candidate() -> m.MergeCandidate:
    return db.session.scalar(select(m.MergeCandidate))


def test_merge_review_shows_both_records_and_merges(client: FlaskClient, coast: Coast) -> None:
    cand = _candidate()
    sign_in(client, coast.steward)
    queue = _text(client.get("/beheer/samenvoegen"))
    assert "Dienstencentrum de Zeewind or Dienstencentrum de Zeewind Organisation" in queue

    html = client.get(f"/beheer/samenvoegen/{cand.id}").get_data(as_text=True)
    page = _text(client.get(f"/beheer/samenvoegen/{cand.id}"))
    assert "Are these the same organisation?" in page
    assert "Imported record" in page and "Existing record" in page
    assert "059 99 55 66" in page  # the existing record's phone, as people write it
    assert "gemeente-gistel: o" in page and "t: org-2" in page  # sources
    assert "Name similarity" in page and re.search(r"<meter [^>]*value=\"1\.0\"", html)
    assert "style=" not in html

    response = post_form(client, f"/beheer/samenvoegen/{cand.id}", {"decision": "merge"})
    assert response.status_code == 302 and response.location.endswith("/beheer/samenvoegen")
    assert "The records were merged." in _text(client.get(response.location))
    db.session.expire_all()
    cand = db.session.get(m.MergeCandidate, cand.id)
    assert cand.status == "merged" and cand.decided_by == coast.steward.email
    absorbed = db.session.get(m.Organization, cand.entity_id)
    assert absorbed.status == "merged" and absorbed.merged_into_id == cand.candidate_id
    assert "Nothing to review" in _text(client.get("/beheer/samenvoegen"))

    again = post_form(
        client,
        f"/beheer/samenvoegen/{cand.id}",
        {"decision": "keep_apart"},
        token_from="/beheer/samenvoegen",
    )
    assert "already decided" in _text(client.get(again.location))


def test_keep_apart_through_the_page(client: FlaskClient, coast: Coast) -> None:
    cand = _candidate()
    sign_in(client, coast.other_steward)
    post_form(client, f"/beheer/samenvoegen/{cand.id}", {"decision": "keep_apart"})
    db.session.expire_all()
    assert db.session.get(m.MergeCandidate, cand.id).status == "kept_apart"
    assert db.session.get(m.Organization, cand.entity_id).status == "active"


def test_resolving_without_csrf_token_is_refused(client: FlaskClient, coast: Coast) -> None:
    cand = _candidate()
    sign_in(client, coast.steward)
    response = client.post(f"/beheer/samenvoegen/{cand.id}", data={"decision": "merge"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(m.MergeCandidate, cand.id).status == "pending"


def _suggest(service: m.Service) -> m.CorrectionSuggestion:
    data = {"field": "phone", "message": "Het nummer is veranderd.", "contact": "an@example.org"}
    return corrections.submit(service.id, data)


def test_corrections_are_scoped_to_my_region(client: FlaskClient, coast: Coast) -> None:
    mine = _suggest(coast.world.debt)
    sign_in(client, coast.other_steward)
    assert "Schuldhulpverlening" not in _text(client.get("/beheer/correcties"))
    assert client.get(f"/beheer/correcties/{mine.id}").status_code == 403
    response = post_form(
        client,
        f"/beheer/correcties/{mine.id}",
        {"decision": "dismissed", "note": "Niet mijn regio."},
        token_from="/beheer/correcties",
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(m.CorrectionSuggestion, mine.id).status == "open"


def test_dismissing_needs_a_note_and_erases_the_contact(client: FlaskClient, coast: Coast) -> None:
    suggestion = _suggest(coast.world.debt)
    sign_in(client, coast.steward)
    listing = _text(client.get("/beheer/correcties"))
    assert "Schuldhulpverlening" in listing and "Phone number" in listing
    path = f"/beheer/correcties/{suggestion.id}"
    assert "an@example.org" in _text(client.get(path))

    response = post_form(client, path, {"decision": "dismissed", "note": ""})
    assert response.status_code == 422 and "Write a note" in _text(response)

    response = post_form(client, path, {"decision": "dismissed", "note": "Nummer klopt nog."})
    assert response.status_code == 302
    assert "an@example.org" not in response.headers.get("Set-Cookie", "")
    db.session.expire_all()
    done = db.session.get(m.CorrectionSuggestion, suggestion.id)
    assert done.status == "dismissed" and done.contact is None
    assert done.decided_by == coast.steward.email and done.decision_note == "Nummer klopt nog."


def test_applying_with_an_edit_changes_the_listing(client: FlaskClient, coast: Coast) -> None:
    suggestion = _suggest(coast.world.debt)
    sign_in(client, coast.steward)
    path = f"/beheer/correcties/{suggestion.id}"
    response = post_form(
        client,
        path,
        {
            "decision": "applied",
            "note": "E-mailadres aangevuld.",
            "name": "Schuldhulpverlening",
            "email": "schulden@budgetpunt.example",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Service, coast.world.debt.id).email == "schulden@budgetpunt.example"
    assert db.session.get(m.CorrectionSuggestion, suggestion.id).status == "applied"


def _assured(service: m.Service, day: dt.date | None) -> None:
    service.assured_date = day
    db.session.commit()


def test_stale_list_respects_the_threshold_and_region(client: FlaskClient, coast: Coast) -> None:
    w = coast.world
    today = local_date(utcnow())
    _assured(w.debt, today - dt.timedelta(days=400))  # stale
    _assured(w.budget, today - dt.timedelta(days=300))  # fresh (under 12 months)
    _assured(w.meeting, None)  # never verified, but in Gistel
    sign_in(client, coast.steward)
    page = _text(client.get("/beheer/actualiteit"))
    assert "Schuldhulpverlening" in page
    assert "Budgetbeheer" not in page and "Ontmoetingsnamiddag" not in page
    assert "Listings to verify: 1" in page


def test_asking_to_confirm_notifies_the_providers(client: FlaskClient, coast: Coast) -> None:
    w = coast.world
    _assured(w.debt, None)
    _assured(w.budget, local_date(utcnow()))
    sign_in(client, coast.steward)
    response = post_form(
        client,
        "/beheer/actualiteit/vragen",
        {"service_id": w.debt.id},
        token_from="/beheer/actualiteit",
    )
    assert response.status_code == 302
    assert "Confirmation asked from 1 provider account(s)." in _text(client.get(response.location))
    notes = db.session.scalars(select(m.Notification)).all()
    assert [n.user_id for n in notes] == [w.provider.id]
    assert notes[0].link.endswith(f"/aanbod/{w.debt.id}")
    assert db.session.scalar(select(m.VerificationRequest)).service_id == w.debt.id
    assert "not yet" not in _text(client.get("/beheer/actualiteit"))


def test_asking_without_provider_account_says_so(client: FlaskClient, coast: Coast) -> None:
    w = coast.world
    _assured(w.meeting, None)
    w.other_provider.active = False
    db.session.commit()
    sign_in(client, coast.other_steward)
    page = _text(client.get("/beheer/actualiteit"))
    assert "No provider account" in page
    response = post_form(
        client,
        "/beheer/actualiteit/vragen",
        {"service_id": w.meeting.id},
        token_from="/beheer/actualiteit",
    )
    assert "no provider account, so nobody was asked" in _text(client.get(response.location))
    assert db.session.scalar(select(m.VerificationRequest)) is None
    assert db.session.scalar(select(m.Notification)) is None


def test_steward_marks_a_listing_verified(client: FlaskClient, coast: Coast) -> None:
    w = coast.world
    _assured(w.debt, None)
    sign_in(client, coast.steward)
    response = post_form(
        client,
        "/beheer/actualiteit/bevestigen",
        {"service_id": w.debt.id},
        token_from="/beheer/actualiteit",
    )
    assert response.status_code == 302
    db.session.expire_all()
    service = db.session.get(m.Service, w.debt.id)
    assert service.assured_date == local_date(utcnow()) and service.assurer == coast.steward.email
    assert "Schuldhulpverlening" not in _text(client.get("/beheer/actualiteit"))


def test_admin_sees_every_region(client: FlaskClient, coast: Coast) -> None:
    _suggest(coast.world.debt)
    _suggest(coast.world.meeting)
    sign_in(client, _english(coast.world.admin))
    page = _text(client.get("/beheer/correcties"))
    assert "Schuldhulpverlening" in page and "Ontmoetingsnamiddag" in page

"""The referral workspace in the browser's shoes (Flask test client, CSRF on): the guided flow
from place to sent referral, my referrals, one referral, its letter, and the questionnaire
editor of stewards."""

from __future__ import annotations

import re
from typing import Any

import pytest
from auth_support import make_user
from flask import Flask
from flask.testing import FlaskClient
from referral_support import World
from referral_support import build_world
from referral_support import send
from sqlalchemy import func
from sqlalchemy import select
from web_support import csrf_token
from web_support import post_form
from web_support import sign_in

from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic import questionnaires
from socialmap.logic import regions

PERSON = {
    "name": "M. Janssens",
    "birth_year": "1958",
    "postcode": "8400",
    "language": "nl",
    "contact_method": "phone",
    "phone": "059 12 34 56",
    "note": "Weduwe sinds kort, facturen stapelen zich op.",
    "consent_scope": ["identity", "contact", "note"],
    "consent_method": "verbal",
    "consent_agreed": "yes",
}
#: Strings of the person that must never leave the page body.
PERSONAL = ("Janssens", "Weduwe", "059 12", "+3259", "1958")
PLACE = {"place": "8400", "urgency": "routine"}
DEBTS = "money:0"  # "Heeft de persoon schulden of onbetaalde rekeningen?" -> debt-counselling


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    return build_world(session)


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return found.group(1)


def _walk(client: FlaskClient, services: list[str], answers: tuple[str, ...] = (DEBTS,)) -> Any:
    """Steps 1-4 as the browser does them; returns (form data for sending, pages seen)."""
    pages = [client.get("/verwijzen/nieuw")]
    assert pages[-1].status_code == 200
    token = csrf_token(client, "/verwijzen/nieuw")
    state = {"csrf_token": token, **PLACE}
    pages.append(client.post("/verwijzen/nieuw/behoeften", data=state))
    state["answers"] = list(answers)
    pages.append(client.post("/verwijzen/nieuw/diensten", data=state))
    state["services"] = services
    pages.append(client.post("/verwijzen/nieuw/persoon", data=state))
    for page in pages:
        assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    key = re.search(r'name="key" value="([^"]+)"', pages[-1].get_data(as_text=True))
    assert key
    return {**state, "key": key.group(1), **PERSON}, pages


def _requests() -> int:
    return db.session.scalar(select(func.count()).select_from(m.ReferralRequest)) or 0


def test_the_flow_from_place_to_a_sent_referral(client: FlaskClient, world: World) -> None:
    sign_in(client, world.gp)
    budget = "money:1"  # "... rond te komen of het budget te beheren?" -> budget-management
    data, (start, needs, matches, person) = _walk(client, [world.debt.id], (DEBTS, budget))

    needs_html = needs.get_data(as_text=True)
    assert "Heeft de persoon schulden of onbetaalde rekeningen?" in needs_html
    assert "Standaardvragenlijst." in needs_html  # 8400 is in no region here
    assert 'value="debt-counselling"' in needs_html  # the full taxonomy, too

    html = matches.get_data(as_text=True)
    assert "Schuldhulpverlening" in html and f'value="{world.debt.id}"' in html
    # The explanation, translated from the criterion codes: needs, area, age, capacity.
    assert "Schuldhulpverlening (gedekt)" in html
    assert "werkt waar de persoon woont" in html
    assert "Vanaf 18 jaar" in html
    assert "Wachtlijst" in html and "ongeveer 3 weken" in html
    assert "Covered exactly" not in html and "serves your" not in html  # no raw English
    # Left out nearby, with why: Budgetbeheer takes no referrals through socialmap.
    excluded = html.split('id="excluded-title"')[1]
    assert "Budgetbeheer" in excluded
    assert "Neemt geen doorverwijzingen aan via socialmap" in excluded
    assert f'value="{world.budget.id}"' not in html  # it cannot be chosen

    assert "Schuldhulpverlening" in person.get_data(as_text=True)

    sent = client.post("/verwijzen/nieuw/versturen", data=data)
    assert sent.status_code == 303
    request = db.session.scalar(select(m.ReferralRequest))
    assert request is not None
    assert request.needs == ["debt-counselling", "budget-management", "income-support"]
    (task,) = request.tasks
    assert sent.location == f"/verwijzingen/{task.id}"
    assert task.status == "requested" and task.consent.method == "verbal"
    assert sorted(task.consent.scope) == ["contact", "identity", "note"]
    person_row = db.session.get(m.Person, request.person_id)
    assert (person_row.name, person_row.phone, person_row.postcode) == (
        "M. Janssens",
        "+3259123456",
        "8400",
    )

    page = client.get(sent.location)
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "De doorverwijzing is verstuurd." in body  # the flash
    assert "Verstuurd" in body and "M. Janssens" in body and "059 12 34 56" in body
    assert "Weduwe sinds kort" in body  # the referrer sees the note they wrote
    # The read of the person's data was logged.
    logged = db.session.scalars(select(m.AccessLog).where(m.AccessLog.task_id == task.id)).all()
    assert [entry.action for entry in logged] == ["view"]

    home = client.get("/verwijzen").get_data(as_text=True)
    assert f'href="/verwijzingen/{task.id}"' in home and "Verstuurd" in home


def test_a_double_submit_creates_one_referral(client: FlaskClient, world: World) -> None:
    sign_in(client, world.gp)
    data, _pages = _walk(client, [world.debt.id, world.meeting.id])
    first = client.post("/verwijzen/nieuw/versturen", data=data)
    second = client.post("/verwijzen/nieuw/versturen", data=data)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert _requests() == 1
    request = db.session.scalar(select(m.ReferralRequest))
    assert len(request.tasks) == 2  # one task per chosen service
    # The referral page lists the other service of the same request.
    body = client.get(first.location).get_data(as_text=True)
    assert "Ook verstuurd voor deze persoon" in body and "Ontmoetingsnamiddag" in body
    # A new walk through the flow gets a new key, so a second person is a second referral.
    again, _pages = _walk(client, [world.debt.id])
    assert again["key"] != data["key"]
    assert client.post("/verwijzen/nieuw/versturen", data=again).status_code == 303
    assert _requests() == 2


def test_consent_is_required_to_send(client: FlaskClient, world: World) -> None:
    sign_in(client, world.gp)
    data, _pages = _walk(client, [world.debt.id])
    data.pop("consent_agreed")
    response = client.post("/verwijzen/nieuw/versturen", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Om door te verwijzen is de toestemming van de persoon nodig." in html
    assert 'id="f-consent_agreed-error"' in html
    assert 'value="M. Janssens"' in html  # what was typed stays
    assert _requests() == 0
    # Agreed, but without saying how: the method is asked for.
    data["consent_agreed"] = "yes"
    data.pop("consent_method")
    response = client.post("/verwijzen/nieuw/versturen", data=data)
    assert response.status_code == 422
    assert 'id="f-consent_method-error"' in response.get_data(as_text=True)
    assert _requests() == 0


def test_field_errors_are_shown_next_to_their_fields(client: FlaskClient, world: World) -> None:
    sign_in(client, world.gp)
    data, _pages = _walk(client, [world.debt.id])
    data.update(name="", phone="", email="not an address", birth_year="1850", postcode="0000")
    response = client.post("/verwijzen/nieuw/versturen", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    expected = {
        "name": "Dit veld is verplicht.",
        "email": "Geef een geldig e-mailadres in.",
        "birth_year": "Dit getal valt buiten de toegelaten grenzen.",
        "postcode": "Dit is geen Belgische postcode.",
    }
    for name, message in expected.items():
        assert f'<p class="error" id="f-{name}-error">{message}</p>' in html, name
        assert re.search(rf'id="f-{name}"[^>]*aria-describedby="[^"]*f-{name}-error', html, re.S)
    assert _requests() == 0
    # Contact by phone without a number: the schema's rule, next to the phone field.
    data.update(name="M. J.", email="", birth_year="1958", postcode="8400")
    html = client.post("/verwijzen/nieuw/versturen", data=data).get_data(as_text=True)
    assert "Geef een telefoonnummer in om de persoon telefonisch te contacteren." in html
    assert 'id="f-phone-error"' in html


def test_the_steps_refuse_what_they_cannot_use(client: FlaskClient, world: World) -> None:
    sign_in(client, world.gp)
    token = csrf_token(client, "/verwijzen/nieuw")
    unknown = client.post(
        "/verwijzen/nieuw/behoeften", data={"csrf_token": token, "place": "Nergensdorp"}
    )
    assert unknown.status_code == 422
    assert "Onbekende plaats" in unknown.get_data(as_text=True)
    nothing = client.post("/verwijzen/nieuw/diensten", data={"csrf_token": token, **PLACE})
    assert nothing.status_code == 422
    assert "Beantwoord een vraag met ja of kies een hulpvraag." in nothing.get_data(as_text=True)
    no_service = client.post(
        "/verwijzen/nieuw/persoon", data={"csrf_token": token, **PLACE, "answers": [DEBTS]}
    )
    assert no_service.status_code == 422
    assert 'id="f-services-error"' in no_service.get_data(as_text=True)


def test_no_personal_data_in_urls_titles_or_flash_messages(
    client: FlaskClient, app: Flask, world
) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, world.gp)
    data, pages = _walk(client, [world.debt.id])
    sent = client.post("/verwijzen/nieuw/versturen", data=data)
    # The flash travels in the session cookie, which the browser can read.
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    cookie = client.get_cookie("session")
    assert cookie is not None
    flashes = serializer.loads(cookie.value).get("_flashes", [])
    assert flashes and not any(p in str(flashes) for p in PERSONAL)
    referral = client.get(sent.location)
    letter = client.get(sent.location + "/brief")
    for response in [*pages, sent, referral, letter]:
        url = response.request.url + (response.location or "")
        assert not any(p.replace(" ", "") in url.replace("%20", "") for p in PERSONAL), url
        assert "8400" not in url and "debt" not in url
        if response.mimetype == "text/html" and response.status_code == 200:
            title = _title(response.get_data(as_text=True))
            assert not any(p in title for p in PERSONAL), title
            assert "Schuldhulp" not in title  # not even the service: tabs and history show it
    assert "M. Janssens" in letter.get_data(as_text=True)  # the body does name the person


def test_another_referrer_gets_not_found(client: FlaskClient, world: World) -> None:
    (task,) = send(world)
    sign_in(client, world.other_gp)
    for path in (f"/verwijzingen/{task.id}", f"/verwijzingen/{task.id}/brief"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Janssens" not in response.get_data(as_text=True)
    token = csrf_token(client, "/verwijzen")
    cancel = client.post(
        f"/verwijzingen/{task.id}/status",
        data={"csrf_token": token, "action": "cancel", "version": "1", "reason_code": "other"},
    )
    withdraw = client.post(
        f"/verwijzingen/{task.id}/toestemming-intrekken", data={"csrf_token": token}
    )
    assert cancel.status_code == withdraw.status_code == 404
    db.session.refresh(task)
    assert task.status == "requested" and task.consent.withdrawn_at is None
    # A provider or steward has no workspace at all.
    sign_in(client, world.provider)
    assert client.get(f"/verwijzingen/{task.id}").status_code == 403


def test_the_letter_renders_in_the_ui_language_without_inline_styles(
    client: FlaskClient, world
) -> None:  # type: ignore[no-untyped-def]
    (task,) = send(world)
    sign_in(client, world.gp)
    response = client.get(f"/verwijzingen/{task.id}/brief")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert '<html lang="nl">' in html and "<h1>Verwijsbrief</h1>" in html
    assert "M. Janssens" in html and "Schuldhulpverlening" in html
    assert "<style>" not in html and "css/workspace.css" in html  # the page's CSP holds
    assert "data-print" in html and f'href="/verwijzingen/{task.id}"' in html
    french = client.get(f"/verwijzingen/{task.id}/brief?lang=fr").get_data(as_text=True)
    assert '<html lang="fr">' in french and "Lettre d'orientation" in french
    # The API's letter stays standalone (its own styles, no workspace tools).
    from auth_support import bearer

    api = client.get(f"/api/referrals/{task.id}/letter", headers=bearer(world.gp))
    assert api.status_code == 200 and "<style>" in api.get_data(as_text=True)
    assert "data-print" not in api.get_data(as_text=True)


def test_cancel_needs_a_coded_reason_and_consent_can_be_withdrawn(
    client: FlaskClient, world
) -> None:  # type: ignore[no-untyped-def]
    (task,) = send(world)
    sign_in(client, world.gp)
    page = client.get(f"/verwijzingen/{task.id}").get_data(as_text=True)
    assert "Deze doorverwijzing annuleren" in page and "De persoon was niet bereikbaar" in page
    path = f"/verwijzingen/{task.id}/status"
    missing = post_form(
        client, path, {"action": "cancel", "version": "1"}, token_from=f"/verwijzingen/{task.id}"
    )
    assert missing.status_code == 422
    assert 'id="f-reason_code-error"' in missing.get_data(as_text=True)
    done = post_form(
        client,
        path,
        {"action": "cancel", "version": "1", "reason_code": "referred-elsewhere"},
        token_from=f"/verwijzingen/{task.id}",
    )
    assert done.status_code == 303
    db.session.refresh(task)
    assert (task.status, task.reason_code) == ("cancelled", "referred-elsewhere")
    timeline = client.get(f"/verwijzingen/{task.id}").get_data(as_text=True)
    assert "Geannuleerd" in timeline and "Elders doorverwezen" in timeline
    withdrawn = post_form(
        client,
        f"/verwijzingen/{task.id}/toestemming-intrekken",
        {},
        token_from=f"/verwijzingen/{task.id}",
    )
    assert withdrawn.status_code == 303
    db.session.refresh(task)
    assert task.consent.withdrawn_at is not None
    assert "Toestemming ingetrokken" in client.get(f"/verwijzingen/{task.id}").get_data(
        as_text=True
    )


def test_my_referrals_filter_by_status(client: FlaskClient, world: World) -> None:
    (task,) = send(world)
    sign_in(client, world.gp)
    link = f'href="/verwijzingen/{task.id}"'
    assert link in client.get("/verwijzen?status=open").get_data(as_text=True)
    assert link in client.get("/verwijzen?status=requested").get_data(as_text=True)
    closed = client.get("/verwijzen?status=closed").get_data(as_text=True)
    assert link not in closed and "Geen doorverwijzingen voor deze filter." in closed
    assert link not in client.get("/verwijzen?overdue=1").get_data(as_text=True)  # just sent
    # Another referrer's list does not show it.
    sign_in(client, world.other_gp)
    assert link not in client.get("/verwijzen").get_data(as_text=True)


def test_the_questionnaire_of_the_region_is_used_for_a_place_in_it(
    client: FlaskClient, world
) -> None:  # type: ignore[no-untyped-def]
    region = regions.create_region("ELZ Oostende", ["35013"])
    steward = make_user("steward", region_ids=[region.id])
    own = [
        {
            "title": {"nl": "Buurt", "fr": "Quartier", "en": "Neighbourhood"},
            "questions": [
                {
                    "text": {
                        "nl": "Kent de persoon de buren?",
                        "fr": "Voisins ?",
                        "en": "Neighbours?",
                    },
                    "needs": ["neighbourhood-centre"],
                }
            ],
        }
    ]
    questionnaires.save(steward, region.id, own)
    sign_in(client, world.gp)
    token = csrf_token(client, "/verwijzen/nieuw")
    oostende = client.post("/verwijzen/nieuw/behoeften", data={"csrf_token": token, **PLACE})
    html = oostende.get_data(as_text=True)
    assert "Kent de persoon de buren?" in html and "Vragenlijst van ELZ Oostende." in html
    assert "Heeft de persoon schulden" not in html
    gistel = client.post(
        "/verwijzen/nieuw/behoeften", data={"csrf_token": token, "place": "8470"}
    ).get_data(as_text=True)
    assert "Heeft de persoon schulden" in gistel and "Kent de persoon de buren?" not in gistel
    # A yes to the region's question adds its needs to the matching.
    matches = client.post(
        "/verwijzen/nieuw/diensten",
        data={"csrf_token": token, **PLACE, "answers": ["neighbourhood:0"]},
    ).get_data(as_text=True)
    assert "Hulpvragen: Lokaal dienstencentrum en buurtcentrum." in matches


def _domain_form(region_id: str, code: str, **fields: Any) -> dict[str, Any]:
    form = {
        "regio": region_id,
        "domein": code,
        "question_count": "1",
        "title-nl": "Buurt",
        "title-fr": "Quartier",
        "title-en": "Neighbourhood",
        "q0-text-nl": "Kent de persoon de buren?",
        "q0-text-fr": "La personne connaît-elle ses voisins ?",
        "q0-text-en": "Does the person know the neighbours?",
        "q0-needs": ["neighbourhood-centre"],
    }
    form.update(fields)
    return form


def test_a_steward_edits_the_questionnaire_of_their_region_only(
    client: FlaskClient, world: World
) -> None:
    mine = regions.create_region("ELZ Oostende", ["35013"])
    other = regions.create_region("ELZ Gistel", ["35005"])
    steward = make_user("steward", region_ids=[mine.id])
    sign_in(client, steward)
    overview = client.get("/beheer/vragenlijst")  # one region: opened at once
    assert overview.status_code == 200
    assert "Standaardvragenlijst" in overview.get_data(as_text=True) or "standaard" in (
        overview.get_data(as_text=True)
    )
    path = "/beheer/vragenlijst/domein"
    token_page = f"{path}?regio={mine.id}&domein=nieuw"
    added = post_form(client, path, _domain_form(mine.id, "nieuw"), token_from=token_page)
    assert added.status_code == 303 and added.location.endswith(f"regio={mine.id}")
    saved = questionnaires.for_region(mine.id)
    assert not saved.is_default
    assert saved.domains[-1]["questions"][0]["text"]["nl"] == "Kent de persoon de buren?"
    assert saved.domains[:-1] == questionnaires.DEFAULT  # the rest copied from the default

    refused = post_form(client, path, _domain_form(other.id, "nieuw"), token_from=token_page)
    assert refused.status_code == 403
    assert client.get(f"/beheer/vragenlijst?regio={other.id}").status_code == 403
    assert questionnaires.for_region(other.id).is_default

    # Move, delete and reset through the overview.
    code = saved.domains[-1]["code"]
    moved = post_form(
        client,
        "/beheer/vragenlijst",
        {"regio": mine.id, "domain": code, "action": "up"},
        token_from=f"/beheer/vragenlijst?regio={mine.id}",
    )
    assert moved.status_code == 303
    assert questionnaires.for_region(mine.id).domains[-2]["code"] == code
    post_form(
        client,
        "/beheer/vragenlijst",
        {"regio": mine.id, "action": "reset"},
        token_from=f"/beheer/vragenlijst?regio={mine.id}",
    )
    assert questionnaires.for_region(mine.id).is_default
    # Referrers have no editor.
    sign_in(client, world.gp)
    assert client.get("/beheer/vragenlijst").status_code == 403


def test_the_editor_rejects_unknown_needs_and_empty_texts(
    client: FlaskClient, world: World
) -> None:
    region = regions.create_region("ELZ Oostende", ["35013"])
    sign_in(client, make_user("steward", region_ids=[region.id]))
    path = "/beheer/vragenlijst/domein"
    token_page = f"{path}?regio={region.id}&domein=housing"
    form = _domain_form(region.id, "housing", **{"q0-needs": ["no-such-need"], "title-fr": " "})
    response = post_form(client, path, form, token_from=token_page)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<p class="error" id="f-q0-needs-error">Onbekende code van hulpvraag.</p>' in html
    assert 'id="f-title-fr-error" lang="nl">Vul deze tekst in.</p>' in html
    assert 'value="Kent de persoon de buren?"' in html  # the typed texts stay
    assert db.session.get(m.Questionnaire, region.id) is None  # nothing saved

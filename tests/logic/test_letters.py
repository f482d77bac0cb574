"""The referral letter: what the person in need takes home, in their language."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from marshmallow import ValidationError
from sqlalchemy import func
from sqlalchemy import select

from importers.pipeline import Settings
from importers.pipeline import run_import
from importers.records import AddressIn
from importers.records import Batch
from importers.records import ClosureIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceIn
from socialmap import models as m
from socialmap.logic.letters import letter_context
from socialmap.logic.letters import render_letter
from socialmap.logic.taxonomy import sync_taxonomies

CLOSED_ON = dt.date.today() + dt.timedelta(days=10)


def _directory() -> Batch:
    """A debt-counselling service at a public site, and a shelter at a confidential one."""
    b = Batch()
    b.organizations += [
        OrganizationIn(
            "org-1",
            "Budgetpunt Kust vzw",
            email="info@budgetpunt.example",
            website="www.budgetpunt.example",
            phones=[PhoneIn("059/99.12.34")],
        ),
        OrganizationIn("org-2", "Vluchthuis Kust vzw", phones=[PhoneIn("059 00 11 22")]),
    ]
    b.locations += [
        LocationIn(
            "loc-1",
            "org-1",
            name="Budgetpunt Oostende",
            addresses=[AddressIn(street="Kerkstraat 12 bus 3", postcode="8400", city="Oostende")],
            latitude=51.229,
            longitude=2.917,
        ),
        LocationIn(
            "loc-2",
            "org-2",
            name="Vluchthuis",
            addresses=[AddressIn(street="Geheimstraat", house_number="7", postcode="8400")],
            latitude=51.21,
            longitude=2.93,
            confidential=True,
            front_door="Bel eerst het onthaal: 059 00 11 22",
            translations={"fr": {"front_door": "Appelez d'abord l'accueil : 059 00 11 22"}},
        ),
    ]
    weekdays = [ScheduleIn(day, "09:00", "12:00") for day in range(1, 6)]
    afternoons = [ScheduleIn(day, "13:30", "17:00") for day in (1, 2)]
    b.services += [
        ServiceIn(
            "svc-1",
            "org-1",
            "Schuldhulpverlening",
            location_refs=["loc-1"],
            fees_description="Gratis",
            translations={"fr": {"name": "Médiation de dettes", "fees_description": "Gratuit"}},
            schedules=weekdays + afternoons,
            closures=[ClosureIn(CLOSED_ON, reason="Brugse Zot")],
            required_documents=["Identiteitskaart", "Laatste loonfiche"],
            intake=IntakeIn(
                methods=["phone", "walk_in"],
                instructions="Vraag naar de onthaalmedewerker.",
                accepts_referrals=True,
                translations={"fr": {"instructions": "Demandez l'assistant d'accueil."}},
            ),
        ),
        ServiceIn(
            "svc-2",
            "org-2",
            "Crisisopvang",
            location_refs=["loc-2"],
            intake=IntakeIn(methods=["phone"]),
        ),
    ]
    return b


@pytest.fixture
def directory(session) -> dict[str, m.Service]:
    sync_taxonomies(session)
    session.commit()
    out = run_import(
        session,
        source="elz-kust",
        fmt="test",
        location="memory",
        batch=_directory(),
        settings=Settings(priority=50),
    )
    assert out.ok, out.error
    services = session.scalars(select(m.Service)).all()
    return {s.name: s for s in services}


@pytest.fixture
def referrer(session) -> m.User:
    user = m.User(
        email="peeters@example.org",
        role="referrer",
        name="Dr. Peeters",
        practice="Groepspraktijk Zee",
    )
    session.add(user)
    session.commit()
    return user


def _task(session, service, referrer, *, name="Amélie Dubois", language="fr", urgency="urgent"):
    person = m.Person(name=name, language=language, contact_method="phone")
    session.add(person)
    session.flush()
    request = m.ReferralRequest(
        referrer_id=referrer.id,
        practice=referrer.practice,
        person_id=person.id,
        needs=["debt-counselling"],
        urgency=urgency,
    )
    task = m.ReferralTask(
        request=request,
        service_id=service.id,
        organization_id=service.organization_id,
        status="requested",
        requested_at=dt.datetime(2026, 3, 3, 9, 30, tzinfo=dt.UTC),
    )
    session.add_all([request, task])
    session.commit()
    return task


def _letter(task, actor, lang=None) -> str:
    return render_letter(letter_context(task.id, actor, lang))


def _title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found, "the letter has a <title>"
    return html.unescape(found.group(1)).strip()


def test_letter_is_in_the_persons_language(session, directory, referrer):
    task = _task(session, directory["Schuldhulpverlening"], referrer)
    page = html.unescape(_letter(task, referrer))
    assert '<html lang="fr">' in page
    assert "À apporter" in page  # "What to bring"
    assert "Médiation de dettes" in page  # the service's own French name
    assert "Identiteitskaart" in page and "Laatste loonfiche" in page
    assert "Gratuit" in page
    assert "Pour Amélie Dubois" in page
    assert (
        "Dr. Peeters (Groepspraktijk Zee) vous a orienté(e) vers ce service le 3 mars 2026" in page
    )
    assert "Urgence\u00a0: urgente" in page


def test_letter_in_dutch_and_english_when_asked(session, directory, referrer):
    task = _task(session, directory["Schuldhulpverlening"], referrer)
    dutch = html.unescape(_letter(task, referrer, "nl"))
    assert '<html lang="nl">' in dutch
    assert "Wat breng je mee" in dutch and "Verwijsbrief" in dutch
    assert "Schuldhulpverlening" in dutch
    assert "Gemaakt met socialmap" in dutch
    english = html.unescape(_letter(task, referrer, "en"))
    assert '<html lang="en">' in english
    assert "What to bring" in english and "Made with socialmap" in english
    assert (
        "Dr. Peeters (Groepspraktijk Zee) referred you to this service on March 3, 2026" in english
    )


def test_unknown_person_language_falls_back_to_dutch_and_bad_lang_is_refused(
    session, directory, referrer
):
    task = _task(session, directory["Schuldhulpverlening"], referrer, language="de")
    assert letter_context(task.id, referrer)["lang"] == "nl"
    with pytest.raises(ValidationError):
        letter_context(task.id, referrer, "de")


def test_public_location_has_address_and_map_link(session, directory, referrer):
    task = _task(session, directory["Schuldhulpverlening"], referrer)
    page = html.unescape(_letter(task, referrer))
    assert "Kerkstraat 12 boîte 3" in page and "8400 Oostende" in page
    osm = "https://www.openstreetmap.org/?mlat=51.22900&mlon=2.91700#map=17/51.22900/2.91700"
    assert f'href="{osm}"' in page
    assert "059 99 12 34" in page  # no phone of its own: the organisation's, readable
    assert "info@budgetpunt.example" in page


def test_confidential_location_shows_front_door_only(session, directory, referrer):
    task = _task(session, directory["Crisisopvang"], referrer)
    context = letter_context(task.id, referrer)
    page = html.unescape(render_letter(context))
    assert "Geheimstraat" not in page
    assert "openstreetmap.org" not in page
    assert "Appelez d'abord l'accueil" in page
    assert context["locations"][0]["address"] is None
    assert context["locations"][0]["map_url"] is None


def test_hours_and_intake_steps_in_words(session, directory, referrer):
    task = _task(session, directory["Schuldhulpverlening"], referrer)
    french = html.unescape(_letter(task, referrer))
    assert "Lundi et mardi\u00a0: de 09:00 à 12:00 et de 13:30 à 17:00" in french
    assert "Du mercredi au vendredi\u00a0: de 09:00 à 12:00" in french
    assert "Fermé le" in french and "(Brugse Zot)" in french
    assert "Téléphonez au service." in french
    assert "Passez pendant les heures d'ouverture" in french
    assert "Demandez l'assistant d'accueil." in french  # the intake's French instructions
    dutch = html.unescape(_letter(task, referrer, "nl"))
    assert "Van woensdag tot vrijdag: van 09:00 tot 12:00" in dutch
    assert "Bel de dienst." in dutch
    assert "Vraag naar de onthaalmedewerker." in dutch
    english = html.unescape(_letter(task, referrer, "en"))
    assert "From Wednesday to Friday: from 09:00 to 12:00" in english


def test_no_script_and_no_personal_data_in_the_title(session, directory, referrer):
    task = _task(
        session, directory["Schuldhulpverlening"], referrer, name="<script>alert(1)</script>"
    )
    page = _letter(task, referrer)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, escaped
    assert _title(page) == "Lettre d'orientation"
    assert _title(_letter(task, referrer, "nl")) == "Verwijsbrief"


def test_erased_person_is_not_named(session, directory, referrer):
    task = _task(session, directory["Schuldhulpverlening"], referrer)
    person = session.get(m.Person, task.request.person_id)
    person.name = None
    person.erased_at = dt.datetime.now(dt.UTC)
    session.commit()
    context = letter_context(task.id, referrer, "fr")
    assert context["person_name"] is None
    assert "Pour " not in render_letter(context)


def test_letter_logic_writes_no_access_log(session, directory, referrer):
    # Access logging belongs to the referrals logic that checks permission first.
    task = _task(session, directory["Schuldhulpverlening"], referrer)
    _letter(task, referrer)
    assert session.scalar(select(func.count()).select_from(m.AccessLog)) == 0

"""The public directory pages: search with facets, service detail, corrections, shared lists."""

from __future__ import annotations

import datetime as dt
import json
import re
from types import SimpleNamespace

import pytest
from factories import coast_batch
from sqlalchemy import func
from sqlalchemy import select
from web_support import csrf_token
from web_support import post_form

from importers.pipeline import run_import
from importers.records import AddressIn
from importers.records import CategoryIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceIn
from socialmap import models as m
from socialmap.logic import search_index
from socialmap.logic.service_details import open_status
from socialmap.logic.taxonomy import sync_taxonomies

FRONT_DOOR = "Bel het centrale nummer 059 99 00 00, dag en nacht"


def _batch():  # type: ignore[no-untyped-def]
    """The coast batch, a second debt service close to Oostende's centre and a shelter at a
    confidential address."""
    b = coast_batch()
    b.organizations.append(
        OrganizationIn("org-3", "Vluchthuis De Haven vzw", phones=[PhoneIn("059 99 00 00")],
                       raw={"id": "org-3"})
    )  # fmt: skip
    b.locations += [
        LocationIn(
            "loc-3", "org-1", name="Budgetpunt Centrum",
            addresses=[AddressIn(street="Wapenplein", house_number="1", postcode="8400",
                                 city="Oostende")],
            latitude=51.2304, longitude=2.9196, raw={"id": "loc-3"},
        ),
        LocationIn(
            "loc-4", "org-3", name="Vluchthuis (geheim adres)",
            addresses=[AddressIn(street="Geheimstraat", house_number="7", postcode="8400",
                                 city="Oostende")],
            latitude=51.2201, longitude=2.9102, confidential=True, front_door=FRONT_DOOR,
            raw={"id": "loc-4"},
        ),
    ]  # fmt: skip
    b.services += [
        ServiceIn(
            "svc-4", "org-1", "Schuldbemiddeling Centrum", location_refs=["loc-3"],
            description="Bemiddeling bij schulden.",
            categories=[CategoryIn("socialmap", "debt-counselling")],
            schedules=[ScheduleIn(d, "09:00", "17:00") for d in range(1, 6)],
            raw={"id": "svc-4"},
        ),
        ServiceIn(
            "svc-5", "org-3", "Opvang bij partnergeweld", location_refs=["loc-4"],
            description="Veilige opvang bij geweld thuis.",
            categories=[CategoryIn("socialmap", "violence-shelter")],
            raw={"id": "svc-5"},
        ),
        ServiceIn(
            "svc-6", "org-1", "Oude schuldendienst", location_refs=["loc-1"], status="inactive",
            categories=[CategoryIn("socialmap", "debt-counselling")], raw={"id": "svc-6"},
        ),
    ]  # fmt: skip
    return b


@pytest.fixture
def directory(session):  # type: ignore[no-untyped-def]
    """Services in the database and the search index, by name."""
    sync_taxonomies(session)
    session.commit()
    out = run_import(session, source="t", fmt="t", location="m", batch=_batch())
    assert out.ok, out.error
    search_index.reindex(session)
    services = session.scalars(select(m.Service)).all()
    return SimpleNamespace(**{_key(s.name): s for s in services})


def _key(name: str) -> str:
    return re.sub(r"\W+", "_", name.lower()).strip("_")


def _html(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _result_names(html: str) -> list[str]:
    return re.findall(r'<h3 class="result-name"><a href="/dienst/[^"]+">([^<]+)</a>', html)


def _assert_no_inline_script(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "<style" not in html and ' style="' not in html


# -- search


def test_search_shows_results_with_distance_badges_and_facets(client, directory) -> None:
    response = client.get("/?q=schulden&place=8400")
    assert response.status_code == 200
    html = _html(response)
    assert set(_result_names(html)) == {"Schuldbemiddeling Centrum", "Schuldhulpverlening"}
    assert re.search(r"\d+,\d\xa0km", html), "distance in Dutch notation"
    assert "Budgetpunt Kust" in html
    assert '<span class="badge badge-waitlist">Wachtlijst</span>' in html
    # facets with counts, as checkboxes of the filter form
    need = re.search(r'name="need" value="debt-counselling"\s*>\s*<span>[^<]+'
                     r'<span class="facet-count">\((\d+)\)</span>', html)  # fmt: skip
    assert need and need.group(1) == "2"
    assert 'name="target_group" value="people-in-poverty"' in html
    assert "Aanbod van Budgetpunt" not in html  # no stray text, and the place is understood:
    assert "8400 Oostende" in html
    _assert_no_inline_script(html)


def test_filters_narrow_the_results(client, directory) -> None:
    everything = _result_names(_html(client.get("/?place=8400&radius_km=50")))
    assert {"Budgetbeheer", "Schuldhulpverlening", "Opvang bij partnergeweld"} <= set(everything)
    narrowed = _result_names(_html(client.get("/?place=8400&radius_km=50&need=budget-management")))
    assert narrowed == ["Budgetbeheer"]
    free = _result_names(_html(client.get("/?place=8400&radius_km=50&free=1")))
    assert free == ["Schuldhulpverlening"]  # "Gratis" is its only fee description
    checked = _html(client.get("/?place=8400&need=budget-management"))
    assert re.search(r'name="need" value="budget-management" checked', checked)
    assert "Alle filters wissen" in checked


def test_sort_by_distance_puts_the_nearest_first(client, directory) -> None:
    by_relevance = _result_names(_html(client.get("/?q=schulden&place=8400")))
    html = _html(client.get("/?q=schulden&place=8400&sort=distance"))
    names = _result_names(html)
    distances = [float(d.replace(",", ".")) for d in re.findall(
        r'<span class="distance">op ([\d,]+)\xa0km', html)]  # fmt: skip
    assert len(distances) == 2 and distances == sorted(distances)
    assert names == ["Schuldbemiddeling Centrum", "Schuldhulpverlening"] != by_relevance
    assert '<strong aria-current="true">afstand</strong>' in html


def test_a_place_without_place_is_no_distance_sort(client, directory) -> None:
    html = _html(client.get("/?q=schulden&sort=distance"))
    assert len(_result_names(html)) == 2
    assert "Sorteer op" not in html  # sorting by distance needs a place


def test_unknown_place_is_an_error_next_to_the_field(client, directory) -> None:
    response = client.get("/?q=schulden&place=Atlantis")
    assert response.status_code == 200
    html = _html(response)
    error = re.search(r'<p class="error" id="f-place-error">([^<]+)</p>', html)
    assert error and "Atlantis" in error.group(1)
    assert 'aria-invalid="true"' in html
    assert _result_names(html) == []
    ambiguous = _html(client.get("/?place=Mariakerke"))
    assert "8400 Mariakerke" in ambiguous and "9030 Mariakerke" in ambiguous


def test_no_results_suggests_what_to_change(client, directory) -> None:
    html = _html(client.get("/?q=zeilschool&place=8400&free=1"))
    assert _result_names(html) == []
    assert "Geen diensten gevonden" in html
    assert "radius_km=50" in html  # widen the radius
    assert "de filters weghalen" in html


def test_confidential_location_is_not_on_the_map(client, directory) -> None:
    html = _html(client.get("/?q=geweld&place=8400"))
    assert _result_names(html) == ["Opvang bij partnergeweld"]
    found = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', html, re.S)
    markers = json.loads(found.group(1)) if found else []
    assert markers == []
    located = _html(client.get("/?q=schulden&place=8400"))
    found = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', located,
                      re.S)  # fmt: skip
    assert found and {x["name"] for x in json.loads(found.group(1))} == {
        "Schuldbemiddeling Centrum"
    }


def test_the_start_page_offers_themes(client, directory) -> None:
    html = _html(client.get("/"))
    assert 'href="/?need=debt-money"' in html
    assert _result_names(html) == []
    _assert_no_inline_script(html)


def test_pages_follow_the_language(client, directory) -> None:
    client.set_cookie("lang", "fr")
    html = _html(client.get("/?q=schulden&place=8400"))
    assert '<html lang="fr">' in html and "Liste d&#39;attente" in html
    assert re.search(r"\d+,\d\xa0km", html)
    client.set_cookie("lang", "en")
    html = _html(client.get("/?q=schulden&place=8400"))
    assert "Waiting list" in html and re.search(r"\d+\.\d\xa0km", html)


# -- service detail


def test_detail_page_tells_everything_in_words(client, directory) -> None:
    service = directory.schuldhulpverlening
    response = client.get(f"/dienst/{service.id}")
    assert response.status_code == 200
    html = _html(response)
    assert "<title>Schuldhulpverlening · socialmap</title>" in html
    assert "Kerkstraat 12 bus 3" in html and "8400 Oostende" in html
    assert "Wachtlijst: ongeveer 3 weken" in html
    assert "Vanaf 18 jaar" in html
    assert "Mensen in armoede" in html
    assert "Bel de dienst." in html  # intake steps in words
    assert 'href="tel:+3259991234"' in html and "059 99 12 34" in html
    assert "Maandag: van 09:00 tot 12:00 en van 13:30 tot 17:00" in html
    assert "15 januari 2026" in html  # last verified
    assert re.search(r"Bronnen:\s*t \(", html)  # provenance in small print
    assert f'href="/dienst/{service.id}/correctie"' in html
    _assert_no_inline_script(html)


def test_confidential_location_shows_only_the_front_door(client, directory) -> None:
    html = _html(client.get(f"/dienst/{directory.opvang_bij_partnergeweld.id}"))
    assert FRONT_DOOR in html
    assert "Geheimstraat" not in html and "51.2201" not in html
    assert 'id="map-data"' not in html
    assert "Het adres van deze locatie is vertrouwelijk." in html


def test_unknown_and_inactive_services_are_404(client, directory) -> None:
    assert client.get("/dienst/bestaat-niet").status_code == 404
    response = client.get(f"/dienst/{directory.oude_schuldendienst.id}")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in _html(response)
    assert client.get(f"/dienst/{directory.oude_schuldendienst.id}/correctie").status_code == 404


# -- correction suggestions


def test_correction_form_checks_input_and_lands_in_the_queue(client, session, directory) -> None:
    service = directory.budgetbeheer
    path = f"/dienst/{service.id}/correctie"
    form = _html(client.get(path))
    assert '<option value="hours" >Openingsuren</option>' in form
    _assert_no_inline_script(form)
    bad = post_form(client, path, {"field": "", "message": "kort", "contact": "geen-adres"})
    assert bad.status_code == 422
    html = _html(bad)
    assert 'id="f-field-error"' in html and 'id="f-message-error"' in html
    assert 'id="f-contact-error"' in html
    assert ">kort</textarea>" in html and 'value="geen-adres"' in html  # input kept
    count = select(func.count()).select_from(m.CorrectionSuggestion)
    assert session.scalar(count) == 0
    good = post_form(client, path, {"field": "hours", "message": "Op vrijdag gesloten.",
                                    "contact": ""})  # fmt: skip
    assert good.status_code == 302 and good.location == f"/dienst/{service.id}"
    suggestion = session.scalar(select(m.CorrectionSuggestion))
    assert (suggestion.service_id, suggestion.field) == (service.id, "hours")
    assert suggestion.message == "Op vrijdag gesloten." and suggestion.contact is None
    assert "Bedankt" in _html(client.get(good.location))


# -- shared lists


def test_shared_list_from_ticked_results(client, session, directory) -> None:
    ids = [directory.schuldhulpverlening.id, directory.opvang_bij_partnergeweld.id]
    response = post_form(client, "/lijst", {"service": ids, "title": "schulden · 8400",
                                            "next": "/?q=schulden"},
                         token_from="/?q=schulden&place=8400")  # fmt: skip
    assert response.status_code == 302
    code = re.fullmatch(r"/l/([a-z0-9]+)", response.location).group(1)
    shared = session.get(m.SharedList, code)
    assert shared.service_ids == ids and shared.title == "schulden · 8400"
    html = _html(client.get(response.location))
    assert "Schuldhulpverlening" in html and "Opvang bij partnergeweld" in html
    assert f"/l/{code}</a>" in html and "schulden · 8400" in html
    assert FRONT_DOOR in html and "Geheimstraat" not in html
    assert "data-print" in html
    _assert_no_inline_script(html)
    assert client.get("/l/onbekend2").status_code == 404


def test_sharing_nothing_goes_back_to_the_results(client, directory) -> None:
    response = post_form(client, "/lijst", {"next": "/?q=schulden"}, token_from="/")
    assert response.status_code == 302 and response.location == "/?q=schulden"
    assert "Vink minstens één dienst aan" in _html(client.get("/?q=schulden"))
    evil = post_form(client, "/lijst", {"next": "//evil.example/"}, token_from="/")
    assert evil.location == "/"


def test_posts_need_a_csrf_token(client, directory) -> None:
    csrf_token(client, "/")  # a session exists, but the token is left out
    service = directory.budgetbeheer
    assert client.post("/lijst", data={"service": [service.id]}).status_code == 400
    response = client.post(
        f"/dienst/{service.id}/correctie",
        data={"field": "hours", "message": "Op vrijdag gesloten."},
    )
    assert response.status_code == 400


# -- opening hours in words


def _slot(weekday: int, opens: str, closes: str) -> SimpleNamespace:
    return SimpleNamespace(weekday=weekday, opens_at=opens, closes_at=closes, valid_from=None,
                           valid_to=None, description=None)  # fmt: skip


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-03-02 10:00", "Open now, until 12:00"),  # Monday
        ("2026-03-02 12:30", "Closed, opens today at 13:30"),
        ("2026-03-02 18:00", "Closed, opens Thursday at 09:00"),
        ("2026-03-04 20:00", "Closed, opens tomorrow at 09:00"),  # Wednesday
        ("2026-03-12 09:00", "Closed, opens Monday at 09:00"),  # Thursday, closure day
    ],
)
def test_open_status_in_words(app, when: str, expected: str) -> None:
    slots = [_slot(1, "09:00", "12:00"), _slot(1, "13:30", "17:00"), _slot(4, "09:00", "12:00")]
    closure = SimpleNamespace(start_date=dt.date(2026, 3, 12), end_date=None, opens_at=None)
    local = dt.datetime.fromisoformat(when).replace(tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        status = open_status(slots, [closure], local, "en")
    assert status["text"] == expected and status["open"] == expected.startswith("Open")
    assert open_status([], [], local, "en") is None

"""The public directory's search page: the search form as search arguments, results, facets
and map markers as view models (a service's own page: :mod:`socialmap.logic.service_details`).

Read-only: searching goes through :mod:`socialmap.logic.search`. Labels are translated in
the request's language.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from babel import Locale
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from search.query import DEFAULT_RADIUS_KM
from search.query import Results
from socialmap import models as m
from socialmap import taxonomy
from socialmap.extensions import db
from socialmap.gazetteer import get_gazetteer
from socialmap.logic import search as search_logic
from socialmap.logic.listing_text import ROUGH_PRECISION
from socialmap.logic.listing_text import capacity_labels
from socialmap.logic.listing_text import capital
from socialmap.logic.search_index import need_vocabulary

RADIUS_CHOICES: tuple[int, ...] = (5, 10, 15, 25, 50)
CAPACITY_CHOICES: tuple[str, ...] = ("not_full", "available", "any")
#: Facet values shown before "show more", and at most this many more (by count): a longer
#: list helps nobody and only makes the page heavier.
FACET_VISIBLE = 8
FACET_MORE = 16
#: Deeper pages are not offered (nobody reads them; narrow the search instead).
MAX_PAGES = 50


# ---------------------------------------------------------------- the search form


@dataclass
class SearchForm:
    """What the citizen asked, parsed leniently from the query string (never raises)."""

    q: str = ""
    place: str = ""
    lat: float | None = None
    lon: float | None = None
    radius_km: int | None = None
    needs: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    language: str = ""
    free: bool = False
    open_now: bool = False
    capacity: str = "not_full"
    sort: str = "relevance"
    page: int = 1

    @property
    def submitted(self) -> bool:
        return bool(self.q or self.place or self.lat is not None or self.needs
                    or self.target_groups)  # fmt: skip

    @property
    def has_place(self) -> bool:
        return bool(self.place or self.lat is not None)

    @property
    def filtered(self) -> bool:
        return bool(self.needs or self.target_groups or self.language or self.free
                    or self.open_now or self.capacity != "not_full")  # fmt: skip

    def url_args(self, **changes: Any) -> dict[str, Any]:
        """The form as URL arguments (page 1 unless ``page`` is given), with ``changes``."""
        args: dict[str, Any] = {
            "q": self.q, "place": self.place, "lat": self.lat, "lon": self.lon,
            "radius_km": self.radius_km, "need": self.needs, "target_group": self.target_groups,
            "language": self.language, "free": "1" if self.free else None,
            "open_now": "1" if self.open_now else None,
            "capacity": None if self.capacity == "not_full" else self.capacity,
            "sort": None if self.sort == "relevance" else self.sort,
        }  # fmt: skip
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, "", [])}

    def search_args(self, per_page: int) -> dict[str, Any]:
        return {
            "q": self.q or None, "place": self.place or None, "lat": self.lat, "lon": self.lon,
            "radius_km": self.radius_km, "need": self.needs, "target_group": self.target_groups,
            "language": self.language or None, "free": True if self.free else None,
            "open_now": self.open_now, "capacity": self.capacity,
            "sort": self.sort if self.has_place else "relevance",
            "page": self.page, "per_page": per_page, "facets": True,
        }  # fmt: skip

    def title(self) -> str:
        """The search in words (what · where), e.g. the heading of a shared list."""
        return " · ".join(p for p in (self.q, self.place) if p)


def parse_form(values: Mapping[str, Any]) -> SearchForm:
    """A :class:`SearchForm` from request arguments (a MultiDict); bad values are dropped."""

    def many(name: str, known: Iterable[str]) -> list[str]:
        known = set(known)
        got = values.getlist(name) if hasattr(values, "getlist") else []
        return list(dict.fromkeys(v for v in got if v in known))[:20]

    lat, lon = _number(values.get("lat"), 90), _number(values.get("lon"), 180)
    if lat is None or lon is None:
        lat = lon = None
    radius = _number(values.get("radius_km"), 1000)
    page = _number(values.get("page"), MAX_PAGES)
    language = (values.get("language") or "").strip().lower()
    capacity = values.get("capacity") or "not_full"
    return SearchForm(
        q=(values.get("q") or "").strip()[:300],
        place=(values.get("place") or "").strip()[:200],
        lat=round(lat, 4) if lat is not None else None,
        lon=round(lon, 4) if lon is not None else None,
        radius_km=int(radius) if radius in RADIUS_CHOICES else None,
        needs=many("need", need_vocabulary().terms),
        target_groups=many("target_group", (t.code for t in taxonomy.target_groups())),
        language=language if language.isalpha() and 2 <= len(language) <= 8 else "",
        free=values.get("free") in ("1", "true", "on"),
        open_now=values.get("open_now") in ("1", "true", "on"),
        capacity=capacity if capacity in CAPACITY_CHOICES else "not_full",
        sort="distance" if values.get("sort") == "distance" else "relevance",
        page=max(1, int(page)) if page is not None else 1,
    )


def themes(lang: str) -> list[tuple[str, str]]:
    """The top-level needs (code, label) as starting points for a search."""
    return [(t.code, t.label(lang)) for t in taxonomy.needs().roots()]


def _number(value: Any, limit: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


# ---------------------------------------------------------------- results


@dataclass
class FacetOption:
    value: str
    label: str
    count: int | None
    checked: bool


@dataclass
class Facet:
    name: str  # the URL argument
    legend: str
    kind: str  # checkbox | radio
    options: list[FacetOption]
    more: list[FacetOption] = field(default_factory=list)


@dataclass
class SearchPage:
    form: SearchForm
    errors: dict[str, list[str]] = field(default_factory=dict)
    total: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)
    facets: list[Facet] = field(default_factory=list)
    pages: int = 0
    place_label: str | None = None
    radius_km: int | None = None
    needs_understood: list[str] = field(default_factory=list)
    corrections: dict[str, str] = field(default_factory=dict)
    markers: list[dict[str, Any]] = field(default_factory=list)


def search_page(form: SearchForm, lang: str) -> SearchPage:
    """Run the search the form describes; unknown places etc. become field errors."""
    out = SearchPage(form)
    if not form.submitted:
        return out
    per_page = int(current_app.config["SEARCH_PAGE_SIZE"])
    try:
        query, results = search_logic.search_services(form.search_args(per_page))
    except search_logic.SearchArgumentError as exc:
        out.errors = _field_errors(form, exc.fields)
        return out
    vocabulary = need_vocabulary()
    out.total = results.total
    out.pages = min(MAX_PAGES, math.ceil(results.total / per_page))
    if query.place is not None:
        out.place_label = _place_label(query.place, lang)
        out.radius_km = form.radius_km or int(DEFAULT_RADIUS_KM)
    out.needs_understood = [vocabulary.label(c, lang) for c in _roots(query.text_needs)]
    out.corrections = results.corrections
    labels = capacity_labels()
    # Without arguments gettext gives the pattern: filled per hit (fewer lookups per page).
    patterns = {"away": _("%(distance)s away"), "helps": _("Helps with: %(needs)s")}
    out.items = [_item(hit, lang, labels, patterns) for hit in results.hits]
    out.facets = _facets(form, results, lang)
    precise = _precisely_located([h.location_id for h in results.hits if h.lat is not None])
    out.markers = [
        {"lat": h.lat, "lon": h.lon, "name": h.name, "organization": h.organization_name,
         "id": h.service_id}
        for h in results.hits if h.location_id in precise
    ]  # fmt: skip
    return out


def _precisely_located(location_ids: list[str | None]) -> set[str]:
    """Locations whose pin is their own (not a postcode or municipality centroid): one query
    for the page's hits. Confidential locations have no coordinates in the index at all."""
    ids = [i for i in location_ids if i]
    if not ids:
        return set()
    loc = m.Location.__table__.c
    rough = loc.geo_precision.in_(ROUGH_PRECISION)
    q = select(loc.id).where(
        loc.id.in_(ids), loc.confidential.is_(False), ~rough | loc.geo_precision.is_(None)
    )
    return set(db.session.scalars(q))


def _place_label(place: Any, lang: str) -> str | None:
    """How the place was understood ("8400 Oostende"), with the municipality's name in the
    page's language where it has one ("8400 Ostende")."""
    label = place.label
    municipality = get_gazetteer().municipality(place.municipality) if place.municipality else None
    if label and municipality is not None and lang != "nl":
        label = label.replace(municipality.name_nl, municipality.name(lang))
    return label


def _roots(codes: Iterable[str]) -> list[str]:
    """Recognised needs without the descendants the vocabulary added."""
    codes = list(codes)
    vocabulary = need_vocabulary()
    terms = vocabulary.terms
    return [c for c in codes if c in terms and terms[c].parent not in codes]


def _field_errors(form: SearchForm, fields: Mapping[str, list[str]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "place" in fields:
        same_name = get_gazetteer().places_named(form.place)
        if len({p.nis for p in same_name}) > 1:
            options = ", ".join(f"{p.postcode} {p.name_nl}" for p in same_name[:6])
            message = _("“%(place)s” is more than one place. Add the postcode: %(options)s.",
                        place=form.place, options=options)  # fmt: skip
        else:
            message = _("We do not know the place “%(place)s”. Give a Belgian postcode or "
                        "municipality, e.g. 8400 or Oostende.", place=form.place)  # fmt: skip
        errors["place"] = [message]
    elif "lat" in fields or "lon" in fields:
        errors["place"] = [_("Your location could not be used. Type a postcode instead.")]
    other = set(fields) - {"place", "lat", "lon"}
    if other:
        errors["form"] = [_("Some search options are not valid. Start a new search.")]
    return errors


def distance_text(km: float | None, lang: str) -> str | None:
    """``1.234`` -> "1,2 km" (nl, fr) / "1.2 km" (en); whole kilometres from 10 km on
    (distances stay below MAX_RADIUS_KM: no thousands separator needed)."""
    if km is None:
        return None
    if km >= 9.95:
        return f"{round(km)}\u00a0km"
    return f"{km:.1f}".replace(".", _decimal_sign(lang)) + "\u00a0km"


@functools.cache
def _decimal_sign(lang: str) -> str:
    return str(Locale.parse(lang).number_symbols.get("latn", {}).get("decimal", "."))


def _item(
    hit: Any, lang: str, labels: Mapping[str, str], patterns: Mapping[str, str]
) -> dict[str, Any]:
    vocabulary = need_vocabulary()
    municipality = get_gazetteer().municipality(hit.municipality) if hit.municipality else None
    distance = distance_text(hit.distance_km, lang)
    needs = ", ".join(vocabulary.label(code, lang) for code in _roots(hit.matched_needs))
    return {
        "service_id": hit.service_id,
        "name": hit.name,
        "organization": hit.organization_name,
        "municipality": municipality.name(lang) if municipality else None,
        "distance": patterns["away"] % {"distance": distance} if distance else None,
        "capacity": hit.capacity,
        "capacity_label": labels.get(hit.capacity),
        "free": hit.free,
        "needs": patterns["helps"] % {"needs": needs} if needs else None,
        # Highlights are escaped text with <mark> around matches (search.highlight).
        "snippet": Markup(hit.highlights["description"])
        if hit.highlights.get("description")
        else None,
    }


def _facets(form: SearchForm, results: Results, lang: str) -> list[Facet]:
    counts = results.facets
    vocabulary = need_vocabulary()
    groups = taxonomy.target_groups()
    names = Locale.parse(lang).languages
    out = [
        _checkboxes("need", _("Need"), counts.get("needs", {}), form.needs,
                    lambda c: vocabulary.label(c, lang)),
        _checkboxes("target_group", _("For whom"), counts.get("target_groups", {}),
                    form.target_groups, lambda c: groups.label(c, lang)),
    ]  # fmt: skip
    language_counts = counts.get("languages", {})
    languages = [FacetOption("", _("Any language"), None, not form.language)] + [
        FacetOption(code, capital(names.get(code, code)), n, form.language == code)
        for code, n in _ranked(language_counts, [form.language] if form.language else [])
    ]
    out.append(Facet("language", _("Language spoken"), "radio", *_split(languages, 1)))
    capacity = counts.get("capacity", {})
    out.append(Facet("capacity", _("Availability"), "radio", [
        FacetOption("not_full", _("Hide full services"), None, form.capacity == "not_full"),
        FacetOption("available", _("Only with room now"), capacity.get("available", 0)
                    if form.capacity != "any" else None, form.capacity == "available"),
        FacetOption("any", _("Also show full services"), None, form.capacity == "any"),
    ]))  # fmt: skip
    out.append(Facet("free", _("Costs"), "checkbox", [
        FacetOption("1", _("Free of charge"), counts.get("cost", {}).get("free", 0), form.free)
    ]))  # fmt: skip
    out.append(Facet("open_now", _("Opening hours"), "checkbox", [
        FacetOption("1", _("Open now"), None, form.open_now)
    ]))  # fmt: skip
    return [f for f in out if f.options]


def _ranked(counts: Mapping[str, int], selected: list[str]) -> list[tuple[str, int]]:
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked + [(code, 0) for code in selected if code not in counts]


def _checkboxes(
    name: str, legend: str, counts: Mapping[str, int], selected: list[str], label: Any
) -> Facet:
    options = [
        FacetOption(code, label(code), n, code in selected) for code, n in _ranked(counts, selected)
    ]
    return Facet(name, legend, "checkbox", *_split(options))


def _split(
    options: list[FacetOption], extra: int = 0
) -> tuple[list[FacetOption], list[FacetOption]]:
    """The first options, and the next ones for "show more" (checked ones always stay
    visible)."""
    first = options[: FACET_VISIBLE + extra]
    rest = options[FACET_VISIBLE + extra :]
    first += [o for o in rest if o.checked]
    return first, [o for o in rest if not o.checked][:FACET_MORE]

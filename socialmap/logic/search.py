"""Searching the directory: from what a person typed to a resolved :class:`search.Query`.

The place is resolved here, with the gazetteer: a postcode ("8400", "B-8400"), a
municipality or deelgemeente name in Dutch or French ("Oostende", "Ostende", "Mariakerke"),
"8400 Oostende", or coordinates; the nearest postcode area gives coordinates their
municipality. Free text is split into recognised needs and plain words.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from search.backend import SearchBackend
from search.backend import Suggestion
from search.query import MAX_RADIUS_KM
from search.query import Place
from search.query import Query
from search.query import Results
from search.text import fold
from search.text import query_words
from socialmap import taxonomy
from socialmap.errors import DomainError
from socialmap.gazetteer import get_gazetteer
from socialmap.gazetteer import normalise_postcode
from socialmap.logic.search_index import get_backend
from socialmap.logic.search_index import need_vocabulary


class SearchArgumentError(DomainError):
    """A search argument is invalid; ``fields`` says which and why."""

    status = 422

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("invalid search arguments", **fields)
        self.fields = fields


def resolve_place(text: str | None, lat: float | None, lon: float | None) -> Place | None:
    """A place from a postcode/name and/or coordinates.

    :raise SearchArgumentError: the place is not known, or lat/lon come alone.
    """
    gazetteer = get_gazetteer()
    if (lat is None) != (lon is None):
        raise SearchArgumentError({"lat" if lat is None else "lon": ["lat and lon go together"]})
    if text and text.strip():
        found = _place_by_text(text.strip())
        if found is None:
            same_name = gazetteer.places_named(text.strip())
            if len({p.nis for p in same_name}) > 1:
                options = ", ".join(f"{p.postcode} {p.name_nl}" for p in same_name[:6])
                message = f"{text.strip()!r} is more than one place: add the postcode ({options})"
            else:
                message = (
                    f"unknown place {text.strip()!r}: give a Belgian postcode or municipality "
                    "(e.g. 8400 or Oostende)"
                )
            raise SearchArgumentError({"place": [message]})
        postcode, nis, point, label = found
        if lat is not None and lon is not None:
            point = (lat, lon)
    elif lat is not None and lon is not None:
        nearest = _nearest_place(lat, lon)
        postcode, nis, point, label = nearest.postcode, nearest.nis, (lat, lon), None
    else:
        return None
    municipality = gazetteer.municipality(nis) if nis else None
    return Place(
        lat=point[0] if point else None,
        lon=point[1] if point else None,
        municipality=nis,
        province=municipality.province_code if municipality else None,
        region=municipality.region if municipality else None,
        postcode=postcode,
        label=label or (f"{postcode} {municipality.name_nl}" if municipality else None),
    )


def _place_by_text(text: str) -> tuple[str | None, str | None, Any, str] | None:
    gazetteer = get_gazetteer()
    parts = text.replace(",", " ").split()
    postcode = normalise_postcode(parts[0]) if parts else None
    name = " ".join(parts[1:]) if postcode else text
    if postcode:
        places = gazetteer.by_postcode(postcode)
        if not places:
            return None
        place = gazetteer.find_place(name, postcode) if name else None
        place = place or next((p for p in places if p.is_main), places[0])
        return postcode, place.nis, (place.lat, place.lon), f"{postcode} {place.name_nl}"
    place = gazetteer.find_place(name)
    if place is not None:
        return place.postcode, place.nis, (place.lat, place.lon), place.name_nl
    municipality = gazetteer.find_municipality(name)
    if municipality is not None:
        point = gazetteer.municipality_centroid(municipality.nis)
        return municipality.main_postcode, municipality.nis, point, municipality.name_nl
    return None


def _nearest_place(lat: float, lon: float) -> Any:
    global _PLACES
    if _PLACES is None:
        gazetteer = get_gazetteer()
        _PLACES = [p for m in gazetteer.municipalities() for p in _places_of(gazetteer, m.nis)]
    cos = math.cos(math.radians(lat))
    return min(_PLACES, key=lambda p: (p.lat - lat) ** 2 + ((p.lon - lon) * cos) ** 2)


_PLACES: list[Any] | None = None


def _places_of(gazetteer: Any, nis: str) -> list[Any]:
    return [
        p for code in gazetteer.postcodes(nis) for p in gazetteer.by_postcode(code) if p.nis == nis
    ]


def build_query(args: dict[str, Any], now: dt.datetime | None = None) -> Query:
    """A resolved query from validated API arguments (see ``schemas.search``).

    :raise SearchArgumentError: unknown need or target group, unknown place, bad radius.
    """
    errors: dict[str, list[str]] = {}
    vocabulary = need_vocabulary()
    needs = list(args.get("need") or [])
    unknown = [code for code in needs if code not in vocabulary]
    if unknown:
        errors["need"] = [f"unknown need code(s): {', '.join(unknown)}"]
    groups = list(args.get("target_group") or [])
    known_groups = taxonomy.target_groups()
    unknown_groups = [code for code in groups if code not in known_groups]
    if unknown_groups:
        errors["target_group"] = [f"unknown target group(s): {', '.join(unknown_groups)}"]
    radius = args.get("radius_km")
    if radius is not None and not (0 < radius <= MAX_RADIUS_KM):
        errors["radius_km"] = [f"radius_km must be > 0 and <= {MAX_RADIUS_KM:g}"]
    try:
        place = resolve_place(args.get("place"), args.get("lat"), args.get("lon"))
    except SearchArgumentError as exc:
        errors.update(exc.fields)
        place = None
    if errors:
        raise SearchArgumentError(errors)
    now = now or dt.datetime.now(dt.UTC)
    open_at = args.get("open_at") or (now if args.get("open_now") else None)
    text = args.get("q") or ""
    understood = vocabulary.interpret(text)
    sort = args.get("sort") or "relevance"
    return Query(
        terms=tuple(query_words(text)),
        text_needs=tuple(vocabulary.expand(understood.needs)),
        residual_terms=tuple(understood.residual),
        needs=tuple(vocabulary.expand(needs)),
        place=place,
        radius_km=radius,
        target_groups=tuple(groups),
        age=args.get("age"),
        language=args.get("language"),
        free=args.get("free"),
        open_at=open_at,
        capacity=args.get("capacity") or "not_full",
        accepts_referrals=args.get("accepts_referrals"),
        organization_id=args.get("organization_id"),
        sort=sort,
        page=args.get("page") or 1,
        per_page=args.get("per_page") or 20,
        facets=args.get("facets", True),
        now=now,
    )


def search_services(
    args: dict[str, Any], backend: SearchBackend | None = None, now: dt.datetime | None = None
) -> tuple[Query, Results]:
    """Run a search from API arguments."""
    query = build_query(args, now)
    return query, (backend or get_backend()).search(query)


def suggest(prefix: str, lang: str = "nl", size: int = 8) -> list[Suggestion]:
    """Needs (by label or synonym, typo tolerant) then organisation names for a prefix."""
    key = fold(prefix).strip()
    if len(key) < 2:
        return []
    vocabulary = need_vocabulary()
    needs: dict[str, Suggestion] = {}
    for code, term in vocabulary.terms.items():
        label = term.labels.get(lang) or term.labels.get("nl") or code
        phrases = [label] + [s for values in term.synonyms.values() for s in values]
        if any(fold(p).startswith(key) or f" {key}" in f" {fold(p)}" for p in phrases):
            needs[code] = Suggestion("need", label, code=code)
    if not needs:
        understood = vocabulary.interpret(prefix)
        for code in understood.needs:
            needs[code] = Suggestion("need", vocabulary.label(code, lang), code=code)
    out = list(needs.values())[:size]
    out += get_backend().suggest(prefix, lang, size - len(out)) if len(out) < size else []
    return out

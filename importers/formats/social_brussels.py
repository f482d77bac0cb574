"""Reader for social.brussels (Bruxelles Social / Sociaal Brussel) organisation JSON.

Format name ``social-brussels``. ``location`` is a JSON file holding one organisation object
(``GET https://social.brussels/rest/organisation/{id}``) or an array of them
(``/rest/search/organisation``), or a folder of such ``*.json`` files.

The source is bilingual: Dutch fields become the record text (``language="nl"``) and French
ones go in ``translations["fr"]``; an organisation with only French text is read as ``fr``.
Each organisation gives one organisation, one location (when it has an address) and one
service (its activities, hours, public and access).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._textutil import clean_list
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.formats._textutil import parse_day_month_year
from importers.formats._textutil import unique
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CategoryIn
from importers.records import IdentifierIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import MalformedSource
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceIn

FORMAT = "social-brussels"

# Keys seen in the real 2021 response; others are reported once per run (the API may have
# changed since, and new keys are what this reader should learn next).
KNOWN_KEYS = {
    "id", "legalStatus", "isInterpreting", "address", "categories", "categoriesObject",
    "sectorsObjects", "nameOfficialFr", "nameOfficialNl", "descriptionFr", "descriptionNl",
    "activitiesFr", "activitiesNl", "accessFr", "accessNl", "permanencyFr", "permanencyNl",
    "publicFr", "publicNl", "publicationFr", "publicationNl", "remarkFr", "remarkNl", "pmRp",
    "langStatus", "lastUpdate", "startDate", "type", "nameAlternativeFr", "nameAlternativeNl",
    "nameFormerFr", "nameFormerNl", "nameServiceFr", "nameServiceNl", "telFr", "telNl",
    "emailFr", "emailNl", "faxFr", "faxNl", "websiteOfficialFr", "websiteOfficialNl",
    "websiteUnofficialFr", "websiteUnofficialNl", "websiteBelgianOfficialJournalFr",
    "websiteBelgianOfficialJournalNl", "websiteInfoFr", "websiteInfoNl", "otherAgreementFr",
    "otherAgreementNl", "subventionFr", "subventionNl",
}  # fmt: skip

# "Access" labels -> IntakeIn.methods. Matched on lower-cased words, NL and FR; the labels
# themselves are kept as the intake instructions.
ACCESS_METHODS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"e-?mail|courriel"), "email"),
    (re.compile(r"t[ée]l[ée]fon|t[ée]l[ée]phon"), "phone"),
    (re.compile(r"zonder afspraak|sans rendez|ter plaatse|sur place|spontan|vrije inloop"),
     "walk_in"),
    (re.compile(r"(?<!zonder )afspraak|(?<!sans )rendez-vous"), "appointment"),
    (re.compile(r"formul"), "form"),
    (re.compile(r"verwijz|doorverw|envoi|orient[ée]"), "professional_referral"),
]  # fmt: skip


def _pick(obj: dict[str, Any], stem: str) -> tuple[str | None, str | None]:
    """Cleaned (nl, fr) text of ``<stem>Nl`` / ``<stem>Fr``."""
    return clean_text(obj.get(f"{stem}Nl")), clean_text(obj.get(f"{stem}Fr"))


def _pick_list(obj: dict[str, Any], stem: str) -> tuple[list[str], list[str]]:
    return clean_list(obj.get(f"{stem}Nl")), clean_list(obj.get(f"{stem}Fr"))


def _both(obj: dict[str, Any], stem: str) -> list[str]:
    """Nl and Fr list values together, without repeats (both usually hold the same)."""
    nl, fr = _pick_list(obj, stem)
    return unique(nl + fr)


def _text_pair(nl: str | None, fr: str | None, primary: str) -> tuple[str | None, str | None]:
    """(text in the record language, the French translation when the record is Dutch)."""
    if primary == "nl":
        return nl, fr
    return fr or nl, None


def _access_methods(labels: list[str]) -> list[str]:
    methods: list[str] = []
    for label in labels:
        lowered = label.lower()
        for pattern, method in ACCESS_METHODS:
            if pattern.search(lowered) and method not in methods:
                methods.append(method)
    return methods


def _languages(lang_status: str | None) -> list[str]:
    """``"FR-NL"`` -> ``["fr", "nl"]``."""
    if not lang_status:
        return []
    return unique([part.lower() for part in re.split(r"[^A-Za-z]+", lang_status) if part])


def _categories(obj: dict[str, Any]) -> list[CategoryIn]:
    categories: list[CategoryIn] = []
    codes: set[str] = set()
    for item in obj.get("categoriesObject") or []:
        if isinstance(item, dict) and item.get("id") is not None:
            code = clean_text(item["id"])
            if code is None or code in codes:
                continue
            codes.add(code)
            label = clean_text(item.get("labelNl")) or clean_text(item.get("labelFr"))
            categories.append(CategoryIn(scheme="social-brussels", code=code, label=label))
    # The legacy "categories" list (ids only) adds what categoriesObject lacks.
    for item in obj.get("categories") or []:
        code = clean_text(item.get("id") if isinstance(item, dict) else item)
        if code is not None and code not in codes:
            codes.add(code)
            categories.append(CategoryIn(scheme="social-brussels", code=code))
    return categories


def _translation(**fields: str | None) -> dict[str, str]:
    return {key: value for key, value in fields.items() if value is not None}


class _Reader:
    def __init__(self) -> None:
        self.batch = Batch(default_country="BE")
        self.unknown_seen: set[str] = set()
        self.ids: set[str] = set()

    def organisation(self, obj: Any, ref: str) -> None:
        if not isinstance(obj, dict):
            self.batch.reject(ref, "not a JSON object")
            return
        org_id = clean_text(obj.get("id"))
        if org_id is None:
            self.batch.reject(ref, "missing id", "id")
            return
        ref = f"{ref} (id={org_id})"
        if org_id in self.ids:
            self.batch.reject(ref, f"duplicate id {org_id}", "id")
            return
        for key in obj:
            if key not in KNOWN_KEYS and key not in self.unknown_seen:
                self.unknown_seen.add(key)
                self.batch.warn(ref, f"unknown field {key}", key)

        name_nl, name_fr = _pick(obj, "nameOfficial")
        if name_nl is None and name_fr is None:
            self.batch.reject(ref, "missing nameOfficialNl/nameOfficialFr", "nameOfficialNl")
            return
        self.ids.add(org_id)
        lang = "nl" if name_nl else "fr"
        name, name_tr = _text_pair(name_nl, name_fr, lang)
        alt_nl, alt_fr = (
            "; ".join(values) or None for values in _pick_list(obj, "nameAlternative")
        )
        alternate, alternate_tr = _text_pair(alt_nl, alt_fr, lang)
        description, description_tr = _text_pair(*_pick(obj, "description"), lang)
        activities, activities_tr = _text_pair(*_pick(obj, "activities"), lang)
        hours, hours_tr = _text_pair(*_pick(obj, "permanency"), lang)
        public, public_tr = _text_pair(*_pick(obj, "public"), lang)
        access_nl, access_fr = _pick_list(obj, "access")
        access = access_nl if lang == "nl" and access_nl else access_fr or access_nl
        access_tr = "; ".join(access_fr) if lang == "nl" and access_fr else None

        legal = obj.get("legalStatus") if isinstance(obj.get("legalStatus"), dict) else {}
        legal_status, legal_tr = _text_pair(
            clean_text(legal.get("labelNl")), clean_text(legal.get("labelFr")), lang
        )
        last_modified = None
        try:
            day = parse_day_month_year(obj.get("lastUpdate"))
            last_modified = dt.datetime.combine(day, dt.time()) if day else None
        except ValueError as exc:
            self.batch.warn(ref, f"lastUpdate ignored ({exc})", "lastUpdate")

        emails = _both(obj, "email")
        websites = _both(obj, "websiteOfficial")
        phones = [PhoneIn(number=n, type="voice") for n in _both(obj, "tel")]
        phones += [PhoneIn(number=n, type="fax") for n in _both(obj, "fax")]
        identifiers = [IdentifierIn(scheme="KBO", value=v) for v in clean_list(obj.get("pmRp"))]

        translations: dict[str, dict[str, str]] = {}
        fr = _translation(
            name=name_tr, alternate_name=alternate_tr, description=description_tr,
            legal_status=legal_tr,
        )  # fmt: skip
        if fr:
            translations["fr"] = fr
        self.batch.organizations.append(
            OrganizationIn(
                external_id=org_id,
                name=name,
                alternate_name=alternate,
                description=description,
                email=emails[0] if emails else None,
                website=websites[0] if websites else None,
                legal_status=legal_status,
                identifiers=identifiers,
                phones=phones,
                language=lang,
                translations=translations,
                last_modified=last_modified,
                raw=obj,
                ref=ref,
            )
        )

        location = self.location(obj, org_id, name, name_tr, lang, ref)
        if location is not None:
            self.batch.locations.append(location)

        service_fr = _translation(
            name=name_tr, description=activities_tr or description_tr,
            eligibility_description=public_tr, schedule=hours_tr,
        )  # fmt: skip
        self.batch.services.append(
            ServiceIn(
                external_id=org_id,
                organization_ref=org_id,
                name=name,
                location_refs=[location.external_id] if location else [],
                alternate_name=alternate,
                description=activities or description,
                url=websites[0] if websites else None,
                email=emails[0] if emails else None,
                phones=[PhoneIn(number=p.number, type=p.type) for p in phones],
                schedules=[ScheduleIn(description=hours)] if hours else [],
                languages=_languages(clean_text(obj.get("langStatus"))),
                eligibility_description=public,
                target_groups=[CategoryIn(scheme="label", label=public)] if public else [],
                categories=_categories(obj),
                intake=IntakeIn(
                    methods=_access_methods(access_nl + access_fr),
                    instructions="; ".join(access) or None,
                    translations={"fr": {"instructions": access_tr}} if access_tr else {},
                )
                if access
                else None,
                last_modified=last_modified,
                language=lang,
                translations={"fr": service_fr} if service_fr else {},
                raw=obj,
                ref=ref,
            )
        )

    def location(
        self,
        obj: dict[str, Any],
        org_id: str,
        name: str | None,
        name_tr: str | None,
        lang: str,
        ref: str,
    ) -> LocationIn | None:
        address = obj.get("address")
        if not isinstance(address, dict):
            return None
        street, street_tr = _text_pair(*_pick(address, "street"), lang)
        city, city_tr = _text_pair(*_pick(address, "municipality"), lang)
        postcode = clean_text(address.get("zipCode"))
        latitude = longitude = None
        try:
            # x/y are Belgian Lambert 72 metres: ignored, lat/lon are WGS84.
            latitude = parse_coordinate(address.get("lat"), -90, 90)
            longitude = parse_coordinate(address.get("lon"), -180, 180)
        except ValueError as exc:
            self.batch.warn(ref, f"coordinates ignored ({exc})", "address.lat")
            latitude = longitude = None
        if street is None and postcode is None and city is None and latitude is None:
            return None
        fr = _translation(name=name_tr, street=street_tr, city=city_tr)
        return LocationIn(
            external_id=org_id,
            organization_ref=org_id,
            name=name,
            latitude=latitude,
            longitude=longitude,
            addresses=[
                AddressIn(
                    street=street,
                    house_number=clean_text(address.get("number")),
                    box=clean_text(address.get("postalBox")),
                    address_2=clean_text(address.get("numberBuilding")),
                    postcode=postcode,
                    city=city,
                    country="BE",
                )
            ],
            language=lang,
            translations={"fr": fr} if fr else {},
            raw=address,
            ref=ref,
        )


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedSource(f"social-brussels: {path.name} is not valid JSON ({exc})") from exc


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read one organisation object, an array of them, or a folder of such files."""
    path = Path(location)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise MalformedSource(f"social-brussels: no *.json files in {path}")
    elif path.is_file():
        files = [path]
    else:
        raise MalformedSource(f"social-brussels: {path} does not exist")
    reader = _Reader()
    for file in files:
        data = _load(file)
        if isinstance(data, list):
            for index, item in enumerate(data, start=1):
                reader.organisation(item, f"{file.name} item {index}")
        elif isinstance(data, dict):
            reader.organisation(data, file.name)
        else:
            raise MalformedSource(f"social-brussels: {file.name} holds neither object nor array")
    return reader.batch

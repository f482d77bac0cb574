"""Normalise a reader's :class:`Batch` into canonical documents ready to match and write.

Each record becomes a :class:`Prepared`: its canonical document (the fields of
``socialmap.logic.documents``), its references (still source ids), the matching features and
a content hash of what the source said (so an unchanged re-import is detected cheaply).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from importers import normalize as n
from importers.categories import map_needs
from importers.categories import map_target_groups
from importers.geocode import Geocoder
from importers.records import Batch
from importers.records import ClosureIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceIn
from socialmap.gazetteer import Gazetteer
from socialmap.logic.documents import SPECS
from socialmap.logic.documents import Doc
from socialmap.logic.documents import canonical_items
from socialmap.logic.documents import content_hash
from socialmap.logic.documents import jsonable

_TIME = re.compile(r"^([01]?\d|2[0-4])[:.hu]([0-5]\d)$")
_FREE = re.compile(r"\b(gratis|kosteloos|free|gratuit|sans frais)\b", re.IGNORECASE)
CAPACITY_STATUSES = {"available", "waitlist", "full", "unknown"}
INTAKE_METHODS = {
    "self_referral",
    "professional_referral",
    "phone",
    "email",
    "form",
    "walk_in",
    "appointment",
}
SERVICE_AREA_KINDS = {"municipality", "postcode", "province", "region", "country", "text"}

#: Language names as sources write them -> ISO 639-1.
LANGUAGE_CODES = {
    "nederlands": "nl",
    "dutch": "nl",
    "néerlandais": "nl",
    "neerlandais": "nl",
    "vlaams": "nl",
    "frans": "fr",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "engels": "en",
    "english": "en",
    "anglais": "en",
    "duits": "de",
    "german": "de",
    "allemand": "de",
    "deutsch": "de",
    "arabisch": "ar",
    "arabic": "ar",
    "arabe": "ar",
    "turks": "tr",
    "turkish": "tr",
    "turc": "tr",
    "spaans": "es",
    "spanish": "es",
    "espagnol": "es",
    "español": "es",
    "russisch": "ru",
    "russian": "ru",
    "russe": "ru",
    "pools": "pl",
    "polish": "pl",
    "polonais": "pl",
    "chinese": "zh",
    "mandarin": "zh",
    "cantonese": "yue",
    "vietnamese": "vi",
    "korean": "ko",
    "tagalog": "tl",
    "filipino (tagalog)": "tl",
    "somali": "so",
    "amharic": "am",
    "ukrainian": "uk",
    "oekraïens": "uk",
    "portuguese": "pt",
    "portugees": "pt",
    "italian": "it",
    "italiaans": "it",
    "roemeens": "ro",
    "romanian": "ro",
    "gebarentaal": "sgn",
    "sign language": "sgn",
    "american sign language": "ase",
    "asl": "ase",
}


KINDS = ("organization", "location", "service")


@dataclass
class Prepared:
    kind: str  # organization | location | service
    external_id: str
    ref: str
    doc: Doc
    raw: Any
    hash: str
    org_ref: str | None = None
    location_refs: list[str] = field(default_factory=list)
    #: position of the record in the batch (it picks the record's id if it is new)
    index: int = -1
    #: matching keys computed ahead of time, and the (entity id, references) they assume
    #: (see importers.match_profiles.AheadKeys)
    keys: Any = None
    keys_basis: Any = None


@dataclass
class Prepared3:
    organizations: list[Prepared] = field(default_factory=list)
    locations: list[Prepared] = field(default_factory=list)
    services: list[Prepared] = field(default_factory=list)
    #: (kind, external id) of records left out; a full snapshot must not deactivate them
    rejected: set[tuple[str, str]] = field(default_factory=set)

    def close(self) -> None:
        """Nothing to release (see importers.parallel for the forked variant)."""

    def iter(self, kind: str) -> Iterator[Prepared]:
        """The records of ``kind`` (the forked variant yields them as they arrive)."""
        return iter(self.of(kind))

    def of(self, kind: str) -> list[Prepared]:
        return {
            "organization": self.organizations,
            "location": self.locations,
            "service": self.services,
        }[kind]


class Transformer:
    """Normalises records; collects problems into the batch's issue list."""

    def __init__(self, batch: Batch, gazetteer: Gazetteer, geocoder: Geocoder) -> None:
        self.batch = batch
        self.country = batch.default_country or "BE"
        self.gaz = gazetteer
        self.geocoder = geocoder
        self.unmapped: Counter[tuple[str, str]] = Counter()

    # -- entry point ---------------------------------------------------------------------------

    def run(self) -> Prepared3:
        out = self.run_kinds(KINDS)
        self.finish()
        return out

    def run_kinds(self, kinds: tuple[str, ...]) -> Prepared3:
        """Normalise the records of ``kinds`` (call :meth:`finish` once at the end)."""
        out = Prepared3()
        for kind in KINDS:
            if kind not in kinds:
                continue
            records = out.of(kind)
            for external_id, prepared in self.each(kind):
                if prepared is not None:
                    records.append(prepared)
                else:
                    out.rejected.add((kind, external_id))
        return out

    def each(self, kind: str) -> Iterator[tuple[str, Prepared | None]]:
        """(external id, prepared record or None when rejected) per record of ``kind``, in
        order; records without an id or with a duplicate id are only reported as issues."""
        records, fn = {
            "organization": (self.batch.organizations, self.organization),
            "location": (self.batch.locations, self.location),
            "service": (self.batch.services, self.service),
        }[kind]
        seen: set[str] = set()
        for index, rec in enumerate(records):
            ref = rec.ref or f"{kind} id={rec.external_id}"
            if not rec.external_id:
                self.batch.reject(ref, f"{kind} without an id", "id")
                continue
            if rec.external_id in seen:
                self.batch.reject(ref, f"duplicate {kind} id {rec.external_id}", "id")
                continue
            seen.add(rec.external_id)
            prepared = fn(rec, ref)  # type: ignore[operator]
            if prepared is not None:
                prepared.index = index
            yield str(rec.external_id), prepared

    def finish(self) -> None:
        """One warning per source category that maps to no taxonomy term."""
        for (scheme, label), count in sorted(self.unmapped.items()):
            self.batch.warn(
                f"{count} record(s)", f"category not mapped to the taxonomy: {label!r} ({scheme})"
            )

    # -- shared pieces -------------------------------------------------------------------------

    def phones(self, phones: list[PhoneIn], ref: str) -> list[Doc]:
        out = []
        for p in phones:
            for number in n.split_phones(p.number) if p.number else []:
                norm = n.normalize_phone(number, p.extension, p.country or self.country)
                value = norm.e164 or norm.national
                if not value:
                    self.batch.warn(ref, norm.reason or f"invalid phone number {number!r}", "phone")
                    continue
                out.append(
                    {
                        "number": value,
                        "extension": norm.extension,
                        "type": p.type or norm.kind,
                        "description": n.normalize_text(p.description),
                    }
                )
        return out

    def schedules(self, schedules: list[ScheduleIn], ref: str) -> list[Doc]:
        out = []
        for s in schedules:
            opens, closes = _time(s.opens_at), _time(s.closes_at)
            weekday = s.weekday if s.weekday in range(1, 8) else None
            if s.weekday is not None and weekday is None:
                self.batch.warn(ref, f"invalid weekday {s.weekday!r}", "schedule")
            if (s.opens_at and not opens) or (s.closes_at and not closes):
                self.batch.warn(ref, f"invalid time {s.opens_at!r}-{s.closes_at!r}", "schedule")
            description = n.normalize_text(s.description)
            if weekday is None and not description:
                continue
            out.append(
                {
                    "weekday": weekday,
                    "opens_at": opens,
                    "closes_at": closes,
                    "valid_from": s.valid_from,
                    "valid_to": s.valid_to,
                    "description": description,
                }
            )
        return out

    def closures(self, closures: list[ClosureIn]) -> list[Doc]:
        return [
            {
                "start_date": c.start,
                "end_date": c.end or c.start,
                "reason": n.normalize_text(c.reason),
                "opens_at": _time(c.opens_at),
                "closes_at": _time(c.closes_at),
            }
            for c in closures
        ]

    def languages(self, languages: list[str]) -> list[Doc]:
        codes = []
        for lang in languages:
            text = (lang or "").strip().lower()
            if not text:
                continue
            code = LANGUAGE_CODES.get(text) or (text if re.fullmatch(r"[a-z]{2,3}", text) else None)
            if code:
                codes.append({"code": code, "note": None})
        return codes

    def text(self, rec: Any) -> Doc:
        translations = {
            lang: {k: n.normalize_text(v) for k, v in fields.items() if n.normalize_text(v)}
            for lang, fields in (rec.translations or {}).items()
        }
        return {
            "text_language": rec.language or "nl",
            "translations": {k: v for k, v in translations.items() if v},
        }

    # -- entities ------------------------------------------------------------------------------

    def organization(self, rec: OrganizationIn, ref: str) -> Prepared | None:
        name = n.normalize_name(rec.name)
        if name is None:
            self.batch.reject(ref, "organization has no name", "name")
            return None
        identifiers = []
        kbo = None
        for ident in rec.identifiers:
            value = n.normalize_text(ident.value)
            if not value:
                continue
            scheme = ident.scheme.upper()
            if scheme in {"KBO", "BCE", "CBE"}:
                parsed = n.parse_kbo(value)
                if parsed is None:
                    self.batch.warn(ref, f"invalid KBO number {value!r}", "kbo_number")
                    continue
                value, scheme = parsed, "KBO"
                kbo = kbo or parsed
            identifiers.append({"scheme": scheme, "type": ident.type, "identifier": value})
        email = n.normalize_email(rec.email)
        if rec.email and not email:
            self.batch.warn(ref, f"invalid e-mail {rec.email!r}", "email")
        website = n.normalize_url(rec.website)
        if rec.website and not website:
            self.batch.warn(ref, f"invalid website {rec.website!r}", "website")
        doc: Doc = {
            "name": name.display,
            "alternate_name": n.normalize_text(rec.alternate_name),
            "description": n.normalize_text(rec.description),
            "legal_form": name.legal_form,
            "email": email,
            "website": website,
            "kbo_number": kbo,
            "assured_date": rec.assured_date,
            "status": _status(rec.status),
            "identifiers": canonical_items(identifiers, ("scheme", "type", "identifier")),
            "phones": canonical_items(self.phones(rec.phones, ref), _PHONE_COLS),
            **self.text(rec),
        }
        return self._prepared("organization", rec, ref, doc)

    def location(self, rec: LocationIn, ref: str) -> Prepared | None:
        addresses = []
        for a in rec.addresses:
            norm = n.normalize_address(a, self.country, self.gaz)
            for problem in norm.issues:
                self.batch.warn(ref, problem, "address")
            addresses.append(
                {
                    "address_type": a.address_type or "physical",
                    "street": norm.street,
                    "house_number": norm.house_number,
                    "box": norm.box,
                    "address_2": norm.address_2,
                    "postcode": norm.postcode,
                    "city": norm.city,
                    "municipality_nis": norm.municipality_nis,
                    "state_province": norm.state_province,
                    "region": n.normalize_text(a.region),
                    "country": norm.country or self.country,
                    "attention": n.normalize_text(a.attention),
                }
            )
        physical = next((a for a in addresses if a["address_type"] == "physical"), None)
        lat, lon, precision = self._geocode(rec, physical, ref)
        if rec.name is None and not addresses and lat is None:
            self.batch.reject(ref, "location has neither a name nor an address", "name")
            return None
        name = n.normalize_name(rec.name) if rec.name else None
        doc: Doc = {
            "name": name.display if name else None,
            "alternate_name": n.normalize_text(rec.alternate_name),
            "description": n.normalize_text(rec.description),
            "location_type": rec.location_type or "physical",
            "latitude": lat,
            "longitude": lon,
            "geo_precision": precision,
            "transportation": n.normalize_text(rec.transportation),
            "url": n.normalize_url(rec.url),
            "accessibility": sorted({t for t in map(n.normalize_text, rec.accessibility) if t}),
            "confidential": bool(rec.confidential),
            "front_door": n.normalize_text(rec.front_door),
            "status": "active",
            "addresses": canonical_items(addresses, _ADDRESS_COLS),
            "phones": canonical_items(self.phones(rec.phones, ref), _PHONE_COLS),
            "schedules": canonical_items(self.schedules(rec.schedules, ref), _SCHEDULE_COLS),
            "closures": canonical_items(self.closures(rec.closures), _CLOSURE_COLS),
            "languages": canonical_items(self.languages(rec.languages), ("code", "note")),
            **self.text(rec),
        }
        return self._prepared("location", rec, ref, doc, org_ref=rec.organization_ref)

    def _geocode(
        self, rec: LocationIn, physical: Doc | None, ref: str
    ) -> tuple[float | None, float | None, str | None]:
        addr = n.AddressNorm(
            street=physical and physical["street"],
            house_number=physical and physical["house_number"],
            box=physical and physical["box"],
            address_2=None,
            postcode=physical and physical["postcode"],
            city=physical and physical["city"],
            municipality_nis=physical and physical["municipality_nis"],
            country=(physical and physical["country"]) or self.country,
            state_province=physical and physical["state_province"],
            lat=None,
            lon=None,
            precision=None,
            issues=[],
        )
        lat, lon, precision = self.geocoder.geocode(addr, rec.latitude, rec.longitude)
        if rec.latitude is not None and precision != "source":
            reason = self.geocoder.last_error or "implausible coordinates"
            self.batch.warn(ref, f"coordinates ignored: {reason}", "latitude")
        if rec.confidential:
            # A confidential site is never stored more precisely than its municipality.
            if physical and physical["municipality_nis"]:
                centroid = self.gaz.municipality_centroid(physical["municipality_nis"])
                if centroid:
                    return centroid[0], centroid[1], "municipality"
            return None, None, None
        return lat, lon, precision

    def service(self, rec: ServiceIn, ref: str) -> Prepared | None:
        name = n.normalize_name(rec.name)
        if name is None:
            self.batch.reject(ref, "service has no name", "name")
            return None
        min_age, max_age = _age(rec.minimum_age), _age(rec.maximum_age)
        if (rec.minimum_age is not None and min_age is None) or (
            rec.maximum_age is not None and max_age is None
        ):
            self.batch.warn(ref, "age outside 0-130 ignored", "minimum_age")
        if min_age is not None and max_age is not None and min_age > max_age:
            self.batch.warn(ref, f"minimum age {min_age} > maximum age {max_age}", "minimum_age")
            min_age = max_age = None
        needs, unmapped = map_needs(rec.categories)
        groups, unmapped_groups = map_target_groups(rec.target_groups)
        for c in [*unmapped, *unmapped_groups]:
            self.unmapped[(c.scheme, c.label or c.code or "")] += 1
        fees = n.normalize_text(rec.fees_description)
        is_free = rec.is_free
        if is_free is None and fees and _FREE.search(fees):
            is_free = True
        doc: Doc = {
            "name": name.display,
            "alternate_name": n.normalize_text(rec.alternate_name),
            "description": n.normalize_text(rec.description),
            "url": n.normalize_url(rec.url),
            "email": n.normalize_email(rec.email),
            "fees_description": fees,
            "is_free": is_free,
            "minimum_age": min_age,
            "maximum_age": max_age,
            "eligibility_description": n.normalize_text(rec.eligibility_description),
            "accreditations": n.normalize_text(rec.accreditations),
            "licenses": n.normalize_text(rec.licenses),
            "alert": None,
            "assured_date": rec.assured_date,
            "assurer": n.normalize_text(rec.assurer),
            "status": _status(rec.status),
            "phones": canonical_items(self.phones(rec.phones, ref), _PHONE_COLS),
            "schedules": canonical_items(self.schedules(rec.schedules, ref), _SCHEDULE_COLS),
            "closures": canonical_items(self.closures(rec.closures), _CLOSURE_COLS),
            "languages": canonical_items(self.languages(rec.languages), ("code", "note")),
            "service_areas": canonical_items(self.areas(rec, ref), ("kind", "code", "name")),
            "costs": canonical_items(
                [
                    {
                        "option": n.normalize_text(c.option),
                        "amount": c.amount,
                        "currency": c.currency,
                        "amount_description": n.normalize_text(c.description),
                    }
                    for c in rec.costs
                ],
                ("option", "amount", "currency", "amount_description"),
            ),
            "required_documents": canonical_items(
                [{"document": d} for d in map(n.normalize_text, rec.required_documents) if d],
                ("document",),
            ),
            "needs": [{"term_code": c} for c in needs],
            "target_groups": [{"term_code": c} for c in groups],
            "intake": self.intake(rec, ref),
            "capacity": self.capacity(rec, ref),
            **self.text(rec),
        }
        return self._prepared(
            "service",
            rec,
            ref,
            doc,
            org_ref=rec.organization_ref,
            location_refs=list(dict.fromkeys(rec.location_refs)),
        )

    def areas(self, rec: ServiceIn, ref: str) -> list[Doc]:
        out = []
        for area in rec.service_areas:
            kind = area.kind if area.kind in SERVICE_AREA_KINDS else "text"
            code = (area.code or "").strip() or None
            if kind == "municipality" and code:
                if self.gaz.municipality(code) is None:
                    self.batch.warn(ref, f"unknown municipality NIS code {code}", "service_area")
                    kind = "text"
                else:
                    code = self.gaz.current_nis(code)
            if kind == "postcode" and code and not self.gaz.is_valid_postcode(code):
                self.batch.warn(ref, f"unknown postcode {code} in service area", "service_area")
            name = n.normalize_text(area.name)
            if code is None and name is None:
                continue
            out.append({"kind": kind, "code": code, "name": name})
        return out

    def intake(self, rec: ServiceIn, ref: str) -> list[Doc]:
        intake = rec.intake
        if intake is None:
            return []
        methods = sorted({m for m in intake.methods if m in INTAKE_METHODS})
        unknown = sorted(set(intake.methods) - INTAKE_METHODS)
        if unknown:
            self.batch.warn(ref, f"unknown intake method(s) {', '.join(unknown)}", "intake")
        return [
            {
                "methods": methods,
                "instructions": n.normalize_text(intake.instructions),
                "required_information": n.normalize_text(intake.required_information),
                "accepts_referrals": bool(intake.accepts_referrals),
                "translations": intake.translations or {},
            }
        ]

    def capacity(self, rec: ServiceIn, ref: str) -> list[Doc]:
        cap = rec.capacity
        if cap is None:
            return []
        status = cap.status if cap.status in CAPACITY_STATUSES else "unknown"
        if status != cap.status:
            self.batch.warn(ref, f"unknown capacity status {cap.status!r}", "capacity")
        weeks = cap.waiting_weeks
        if weeks is not None and not 0 <= weeks <= 520:
            self.batch.warn(ref, f"waiting time {weeks} weeks ignored", "capacity")
            weeks = None
        return [
            {
                "status": status,
                "waiting_weeks": weeks,
                "note": n.normalize_text(cap.note),
                "updated_at": cap.updated_at,
                "updated_by": None,
            }
        ]

    def _fit_lengths(self, kind: str, doc: Doc, ref: str) -> None:
        """Cut text longer than its column (PostgreSQL refuses it; SQLite would not notice),
        with a warning. The source's full text stays in the record's raw payload."""
        scalars, collections = _LIMITS[kind]
        for name, limit in scalars:
            value = doc.get(name)
            if value.__class__ is str and len(value) > limit:
                doc[name] = value[:limit]
                self.batch.warn(ref, f"{name} longer than {limit} characters was cut", name)
        for coll, limits in collections:
            for item in doc.get(coll) or ():
                for name, limit in limits:
                    value = item[name]
                    if value.__class__ is str and len(value) > limit:
                        item[name] = value[:limit]
                        self.batch.warn(
                            ref, f"{coll}.{name} longer than {limit} characters was cut", coll
                        )

    def _prepared(
        self,
        kind: str,
        rec: Any,
        ref: str,
        doc: Doc,
        org_ref: str | None = None,
        location_refs: list[str] | None = None,
    ) -> Prepared:
        self._fit_lengths(kind, doc, ref)
        payload = {"doc": doc, "org": org_ref, "locs": location_refs or []}
        return Prepared(
            kind=kind,
            external_id=str(rec.external_id),
            ref=ref,
            doc=doc,
            raw=jsonable(rec.raw),
            hash=content_hash(payload),
            org_ref=org_ref,
            location_refs=location_refs or [],
        )


_PHONE_COLS = ("number", "extension", "type", "description")
_SCHEDULE_COLS = ("weekday", "opens_at", "closes_at", "valid_from", "valid_to", "description")
_CLOSURE_COLS = ("start_date", "end_date", "reason", "opens_at", "closes_at")
_ADDRESS_COLS = (
    "address_type",
    "street",
    "house_number",
    "box",
    "address_2",
    "postcode",
    "city",
    "municipality_nis",
    "state_province",
    "region",
    "country",
    "attention",
)


def _time(value: str | None) -> str | None:
    if not value:
        return None
    match = _TIME.match(value.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24 and minute == 0:
        return "24:00"
    if hour > 23:
        return None
    return f"{hour:02d}:{minute:02d}"


def _age(value: float | None) -> float | None:
    if value is None:
        return None
    try:
        age = float(value)
    except (TypeError, ValueError):
        return None
    return age if 0 <= age <= 130 else None


def _status(value: str | None) -> str:
    value = (value or "active").strip().lower()
    return value if value in {"active", "inactive", "defunct", "temporarily closed"} else "active"


def _column_limits() -> dict[str, tuple[list[tuple[str, int]], list[tuple[str, Any]]]]:
    """Per kind: (scalar, max length) and (collection, [(column, max length)]) pairs of the
    bounded text columns of its document."""

    def limits(table: Any, names: Any) -> list[tuple[str, int]]:
        return [
            (name, table.c[name].type.length)
            for name in names
            if getattr(table.c[name].type, "length", None)
        ]

    out = {}
    for kind, spec in SPECS.items():
        collections = [
            (coll_name, limits(coll.table, coll.columns))
            for coll_name, coll in spec.collections.items()
        ]
        out[kind] = (
            limits(spec.model.__table__, spec.scalars),
            [(name, lim) for name, lim in collections if lim],
        )
    return out


_LIMITS = _column_limits()

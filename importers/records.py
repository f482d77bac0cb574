"""The intermediate records every reader produces and the pipeline consumes.

A reader (``importers/formats/*``) turns one source file/API into a :class:`Batch`:
plain dataclasses, still *un-normalised* (phone numbers as written, names with their
legal forms, addresses as given). ``importers.pipeline`` normalises, matches, merges
and writes them.  References between records use the source's own external ids.

Conventions
- ``external_id``: the record's id in its source (HSDS ``id``, AIRS ``Agency_Id`` ...).
  Must be unique per record kind within one batch; readers report duplicates as issues.
- ``raw``: the original row/object (JSON-serialisable) kept as provenance.
- Text fields hold the text in ``language`` (``nl``/``fr``/``en``/...); other languages go
  in ``translations`` as ``{"fr": {"name": ..., "description": ...}}``.
- Dates are ``datetime.date``; times of day are ``"HH:MM"`` strings; weekday 1=Monday..7=Sunday.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field
from typing import Any


@dataclass
class AddressIn:
    address_type: str = "physical"  # physical | postal | virtual
    street: str | None = None  # street name, or a whole first address line when unparsed
    house_number: str | None = None
    box: str | None = None  # bus/boîte
    address_2: str | None = None  # extra line (building, room, "c/o")
    postcode: str | None = None
    city: str | None = None
    state_province: str | None = None
    region: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 when known ("BE", "US")
    attention: str | None = None


@dataclass
class PhoneIn:
    number: str
    extension: str | None = None
    type: str | None = None  # voice | fax | text | cell | ... (HSDS)
    description: str | None = None
    country: str | None = None  # region hint for parsing ("BE", "US"); None = source default


@dataclass
class ScheduleIn:
    """One weekly opening slot, or (weekday None) a free-text-only schedule."""

    weekday: int | None = None  # 1=Monday .. 7=Sunday
    opens_at: str | None = None  # "HH:MM"
    closes_at: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    description: str | None = None  # free text ("op afspraak", original hours text)


@dataclass
class ClosureIn:
    """A closure/holiday (closed on those days, or special hours when opens_at is set)."""

    start: dt.date
    end: dt.date | None = None
    reason: str | None = None
    opens_at: str | None = None
    closes_at: str | None = None


@dataclass
class ServiceAreaIn:
    kind: str  # municipality | postcode | province | region | country | text
    code: str | None = None  # NIS code, postcode, province/region code ("VLG", "BRU"), "BE"
    name: str | None = None


@dataclass
class CategoryIn:
    """A classification as the source states it; the pipeline maps it to our taxonomies."""

    scheme: str  # "sk-rubric", "airs", "open-eligibility", "hsds", "label", "socialmap" ...
    code: str | None = None
    label: str | None = None


@dataclass
class CostIn:
    option: str | None = None
    amount: float | None = None
    currency: str | None = "EUR"
    description: str | None = None


@dataclass
class IntakeIn:
    """How to apply (aanmeldingswijze)."""

    methods: list[str] = field(default_factory=list)
    # self_referral | professional_referral | phone | email | form | walk_in | appointment
    instructions: str | None = None
    required_information: str | None = None
    accepts_referrals: bool | None = None  # through socialmap
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class CapacityIn:
    status: str = "unknown"  # available | waitlist | full | unknown
    waiting_weeks: float | None = None
    note: str | None = None
    updated_at: dt.datetime | None = None


@dataclass
class IdentifierIn:
    scheme: str  # "KBO" for the Belgian enterprise number, "EIN", "FEIN", "NIHII", ...
    value: str
    type: str | None = None


@dataclass
class OrganizationIn:
    external_id: str
    name: str | None
    alternate_name: str | None = None
    description: str | None = None
    email: str | None = None
    website: str | None = None
    legal_status: str | None = None
    identifiers: list[IdentifierIn] = field(default_factory=list)
    phones: list[PhoneIn] = field(default_factory=list)
    language: str = "nl"
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    status: str = "active"  # active | inactive
    last_modified: dt.datetime | None = None
    assured_date: dt.date | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    ref: str | None = None  # where it came from, for issues ("organizations.csv row 4")


@dataclass
class LocationIn:
    external_id: str
    organization_ref: str | None
    name: str | None = None
    alternate_name: str | None = None
    description: str | None = None
    location_type: str = "physical"  # physical | postal | virtual
    latitude: float | None = None
    longitude: float | None = None
    addresses: list[AddressIn] = field(default_factory=list)
    phones: list[PhoneIn] = field(default_factory=list)
    schedules: list[ScheduleIn] = field(default_factory=list)
    closures: list[ClosureIn] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)  # ISO 639-1 codes or names
    accessibility: list[str] = field(default_factory=list)
    transportation: str | None = None
    url: str | None = None
    confidential: bool = False
    front_door: str | None = None  # public contact text for a confidential location
    language: str = "nl"
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    ref: str | None = None


@dataclass
class ServiceIn:
    external_id: str
    organization_ref: str | None
    name: str | None
    location_refs: list[str] = field(default_factory=list)
    alternate_name: str | None = None
    description: str | None = None
    url: str | None = None
    email: str | None = None
    status: str = "active"  # active | inactive | defunct | temporarily closed
    phones: list[PhoneIn] = field(default_factory=list)
    schedules: list[ScheduleIn] = field(default_factory=list)
    closures: list[ClosureIn] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    fees_description: str | None = None
    is_free: bool | None = None
    costs: list[CostIn] = field(default_factory=list)
    required_documents: list[str] = field(default_factory=list)
    minimum_age: float | None = None
    maximum_age: float | None = None
    eligibility_description: str | None = None
    target_groups: list[CategoryIn] = field(default_factory=list)
    categories: list[CategoryIn] = field(default_factory=list)  # needs / rubrics / AIRS codes
    service_areas: list[ServiceAreaIn] = field(default_factory=list)
    intake: IntakeIn | None = None
    capacity: CapacityIn | None = None
    accreditations: str | None = None
    licenses: str | None = None
    assured_date: dt.date | None = None
    assurer: str | None = None
    last_modified: dt.datetime | None = None
    language: str = "nl"
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    ref: str | None = None


@dataclass
class Issue:
    """A problem with one row/record. ``rejected`` rows are left out of the batch."""

    ref: str  # "services.csv row 12", "health-offers page 3 item 7", "id=abc"
    reason: str
    field: str | None = None
    rejected: bool = True


@dataclass
class Batch:
    organizations: list[OrganizationIn] = field(default_factory=list)
    locations: list[LocationIn] = field(default_factory=list)
    services: list[ServiceIn] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    default_country: str = "BE"  # phone/address default region for this source

    def reject(self, ref: str, reason: str, field: str | None = None) -> None:
        self.issues.append(Issue(ref=ref, reason=reason, field=field, rejected=True))

    def warn(self, ref: str, reason: str, field: str | None = None) -> None:
        self.issues.append(Issue(ref=ref, reason=reason, field=field, rejected=False))


class MalformedSource(Exception):
    """The whole file/API response is unusable (not CSV, broken JSON, missing required file).

    The run is aborted and nothing is written."""

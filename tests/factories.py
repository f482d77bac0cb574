"""Small batches of records for pipeline tests (built as a reader would build them)."""

from __future__ import annotations

import datetime as dt

from importers.records import AddressIn
from importers.records import Batch
from importers.records import CapacityIn
from importers.records import CategoryIn
from importers.records import IdentifierIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceAreaIn
from importers.records import ServiceIn


def coast_batch() -> Batch:
    """Two organisations in Oostende and Gistel, two sites, three services."""
    b = Batch()
    b.organizations += [
        OrganizationIn(
            "org-1",
            "Budgetpunt Kust vzw",
            email="info@budgetpunt.example",
            website="www.budgetpunt.example",
            identifiers=[IdentifierIn("KBO", "0417.497.106")],
            phones=[PhoneIn("059/99.12.34")],
            raw={"id": "org-1"},
        ),
        OrganizationIn(
            "org-2",
            "DIENSTENCENTRUM DE ZEEWIND",
            phones=[PhoneIn("+32 59 99 55 66")],
            raw={"id": "org-2"},
        ),
    ]
    b.locations += [
        LocationIn(
            "loc-1",
            "org-1",
            name="Budgetpunt Oostende",
            addresses=[AddressIn(street="Kerkstraat 12 bus 3", postcode="8400", city="Oostende")],
            schedules=[
                ScheduleIn(1, "09:00", "12:00"),
                ScheduleIn(1, "13:30", "17:00"),
            ],
            raw={"id": "loc-1"},
        ),
        LocationIn(
            "loc-2",
            "org-2",
            name="De Zeewind",
            addresses=[AddressIn(street="Stationsstraat", house_number="5", postcode="8470")],
            latitude=51.158,
            longitude=2.972,
            raw={"id": "loc-2"},
        ),
    ]
    b.services += [
        ServiceIn(
            "svc-1",
            "org-1",
            "Schuldhulpverlening",
            location_refs=["loc-1"],
            description="Hulp bij schulden en budget.",
            categories=[CategoryIn("socialmap", "debt-counselling")],
            target_groups=[CategoryIn("socialmap", "people-in-poverty")],
            minimum_age=18,
            fees_description="Gratis",
            service_areas=[ServiceAreaIn("municipality", "35013")],
            intake=IntakeIn(methods=["phone", "walk_in"], accepts_referrals=True),
            capacity=CapacityIn("waitlist", waiting_weeks=3),
            assured_date=dt.date(2026, 1, 15),
            raw={"id": "svc-1"},
        ),
        ServiceIn(
            "svc-2",
            "org-1",
            "Budgetbeheer",
            location_refs=["loc-1"],
            categories=[CategoryIn("socialmap", "budget-management")],
            raw={"id": "svc-2"},
        ),
        ServiceIn(
            "svc-3",
            "org-2",
            "Ontmoetingsnamiddag",
            location_refs=["loc-2"],
            categories=[CategoryIn("socialmap", "social-activities")],
            target_groups=[CategoryIn("socialmap", "seniors")],
            raw={"id": "svc-3"},
        ),
    ]
    return b

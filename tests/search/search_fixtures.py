"""The contract suite's fixture data: services on the coast, in Kortrijk and Brussels.

Coordinates are real places; the services are invented.
"""

from __future__ import annotations

import datetime as dt

from search.document import IndexDocument
from search.hours import weekly_interval

NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=dt.UTC)  # a Monday, 11:30 in Brussels

OOSTENDE = (51.2300, 2.9200)
BREDENE = (51.2360, 2.9730)
BRUGGE = (51.2093, 3.2247)
KORTRIJK = (50.8280, 3.2650)
BRUSSEL = (50.8466, 4.3528)

OFFICE_HOURS = [iv for day in range(1, 6) for iv in weekly_interval(day, "09:00", "17:00")]


def _doc(key: str, name: str, org: str, point: tuple[float, float] | None, nis: str | None, **kw):
    texts = kw.pop("texts", None) or {"nl": {"name": name, "body": kw.pop("body", "")}}
    return IndexDocument(
        id=f"svc-{key}:loc-{key}",
        service_id=f"svc-{key}",
        location_id=f"loc-{key}",
        organization_id=f"org-{org}",
        name=name,
        organization_name=org,
        texts=texts,
        lat=point[0] if point else None,
        lon=point[1] if point else None,
        municipality=nis,
        updated=kw.pop("updated", NOW - dt.timedelta(days=30)),
        **kw,
    )


def documents() -> list[IndexDocument]:
    docs = [
        _doc(
            "debt",
            "Schuldbemiddeling",
            "CAW Kust",
            OOSTENDE,
            "35013",
            texts={
                "nl": {
                    "name": "Schuldbemiddeling",
                    "body": "Hulp bij schulden en budgetbeheer voor gezinnen in Oostende.",
                },
                "fr": {"name": "Médiation de dettes", "body": "Aide pour les personnes endettées."},
            },
            needs=["debt-counselling"],
            languages=["fr", "nl"],
            capacity="available",
            free=True,
            hours=OFFICE_HOURS,
            accepts_referrals=True,
        ),
        _doc(
            "visit",
            "Bezoekdienst",
            "Vrijwilligerspunt Brugge",
            BRUGGE,
            "31005",
            body="Vrijwilligers komen op bezoek bij ouderen die zich alleen voelen.",
            needs=["visiting-buddy"],
            target_groups=["seniors"],
            age_min=65,
            languages=["nl"],
            capacity="waitlist",
            free=True,
        ),
        _doc(
            "province",
            "Onthaal en begeleiding",
            "CAW Zuid-West-Vlaanderen",
            KORTRIJK,
            "34022",
            body="Psychologische begeleiding voor iedereen in de provincie.",
            needs=["psychological-support"],
            areas=["province:VWV"],
            languages=["nl"],
            hours=OFFICE_HOURS,
        ),
        _doc(
            "familiale",
            "Aide familiale",
            "Aide à domicile Bruxelles",
            BRUSSEL,
            "21004",
            texts={
                "fr": {
                    "name": "Aide familiale",
                    "body": "Aide familiale à domicile pour les familles bruxelloises.",
                }
            },
            needs=["family-care"],
            languages=["fr"],
            capacity="full",
        ),
        _doc(
            "shelter",
            "Vluchthuis",
            "Vluchthuis Kust",
            None,
            "35013",
            body="Opvang bij partnergeweld, adres geheim.",
            needs=["violence-shelter"],
            areas=["municipality:35013"],
            languages=["nl"],
            capacity="available",
            free=True,
        ),
        _doc(
            "bredene",
            "Poetsdienst Bredene",
            "OCMW Bredene",
            BREDENE,
            "35002",
            body="Poetshulp voor inwoners van Bredene.",
            needs=["home-help"],
            areas=["municipality:35002"],
            languages=["nl"],
        ),
        _doc(
            "youth",
            "Jongerenpunt",
            "JAC Oostende",
            (51.2250, 2.9100),
            "35013",
            body="Anonieme hulp voor jongeren tot 25 jaar.",
            needs=["youth-support"],
            target_groups=["youth"],
            age_max=25,
            languages=["en", "nl"],
            free=False,
            accepts_referrals=True,
            hours=[iv for day in range(1, 6) for iv in weekly_interval(day, "13:00", "18:00")],
            closures=[(NOW.date(), NOW.date())],
        ),
        _doc(
            "night",
            "Nachtopvang",
            "Nachtopvang Brugge",
            (51.2000, 3.2200),
            "31005",
            body="Opvang voor daklozen tijdens de nacht.",
            needs=["homelessness-shelter"],
            languages=["nl"],
            hours=[iv for day in range(1, 8) for iv in weekly_interval(day, "20:00", "08:00")],
        ),
    ]
    # Many similar services for pagination and common words.
    for i in range(25):
        docs.append(
            _doc(
                f"family{i:02d}",
                f"Gezinsondersteuning {i:02d}",
                f"Huis van het Kind {i % 5}",
                (OOSTENDE[0] + 0.002 * i, OOSTENDE[1] + 0.001 * i),
                "35013",
                body="Ondersteuning en hulp voor elk gezin met kinderen.",
                needs=["parenting-support"],
                target_groups=["families"],
                languages=["nl"],
                updated=NOW - dt.timedelta(days=10 * i),
            )
        )
    return docs

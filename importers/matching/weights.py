"""Evidence weights (natural log-odds), blocking parameters and shared type aliases.

Why the weights have these values is explained in the :mod:`importers.matching` docstring.
"""

from __future__ import annotations

from typing import Any

PRIOR = {"organization": -2.0, "location": -2.0, "service": -1.5}
VETO_LOG_ODDS = -4.0
# Evidence that rules out an automatic merge but not a steward's ("hold"): the pair's
# log-odds are capped here (score 0.88), between the default review and merge thresholds.
HOLD_LOG_ODDS = 2.0

# (similarity, weight) knots; linear in between, flat outside.
ORG_NAME_KNOTS = ((0.55, -3.0), (0.70, -1.5), (0.80, 0.0), (0.90, 2.5), (0.97, 4.5))
LOCATION_NAME_KNOTS = ((0.55, -2.5), (0.75, -1.5), (0.85, -0.5), (0.92, 1.5), (0.97, 3.0))
SERVICE_NAME_KNOTS = ((0.55, -3.0), (0.70, -1.0), (0.80, 0.5), (0.90, 2.5), (0.97, 5.0))
# (metres, weight) knots.
ORG_DISTANCE_KNOTS = ((100.0, 1.0), (2_000.0, 0.0), (20_000.0, -2.5))
LOCATION_DISTANCE_KNOTS = (
    (30.0, 2.5),
    (150.0, 1.0),
    (500.0, 0.0),
    (2_000.0, -2.0),
    (5_000.0, -4.0),
)

W_KBO_SAME = 9.0
W_ORG_PHONE_SHARED = 3.0
W_ORG_PHONE_DISJOINT = -0.5
W_EMAIL_SHARED = 3.0
W_DOMAIN_SHARED = 2.0
W_ORG_POSTCODE_SHARED = 1.0
W_ORG_POSTCODE_DISJOINT = -1.5

W_ADDRESS_SAME = 5.0
W_ADDRESS_COMPATIBLE = 4.0  # same street name, one side without type/direction
W_STREET_ONLY = 1.0
W_STREET_DIFFERENT = -3.0
W_HOUSE_SUFFIX_DIFFERENT = -1.0
W_POSTCODE_SAME = 0.5
W_POSTCODE_DIFFERENT_SAME_CITY = -0.5
W_POSTCODE_DIFFERENT = -2.5
W_CITY_SAME = 0.3
W_CITY_DIFFERENT = -2.0
W_UNIT_SAME = 1.0
W_UNIT_DIFFERENT = -1.5
W_SAME_ORGANIZATION = 1.0
W_LOCATION_PHONE_SHARED = 2.0

W_SERVICE_LOCATION_SHARED = 1.0
W_SERVICE_LOCATION_DISJOINT = -0.5
W_SERVICE_PHONE_SHARED = 1.0
W_SERVICE_EMAIL_SAME = 1.0
W_SERVICE_URL_PAGE_SAME = 1.5
W_SERVICE_URL_HOME_SAME = 0.3

# Blocking and candidate selection (Matcher)
MAX_BLOCK = 50  # a blocking key shared by more profiles than this stops being used
MAX_NAME_TOKENS = 4  # per profile, longest first: bounds the work for absurdly long names
GEO_CELL_LAT = 0.009  # ~1 km; with the quadrant look-up, neighbours within ~500 m are found
GEO_CELL_LON = 0.0143  # ~1 km at 51 degrees north
GEO_NAME_TOKENS = 2  # geo cell + each of the 2 longest name tokens
STRONG_BONUS = 2  # a shared KBO/phone/e-mail/address key counts as 1 + 2 shared keys
EXACT_NAME_BONUS = 1  # a shared exact name key counts as 1 + 1
QUERY_BLOCK_LIMIT = 20  # blocks bigger than this are not read when looking up
MIN_SHARED_HITS = 2  # a candidate must share a strong key or 2 weak ones ...
CANDIDATE_COUNT_RATIO = 2.0  # ... and at least half as many as the best-connected one
SCORED_CANDIDATES = 3  # at most this many candidates are fully evaluated per best_match

TOKEN_TYPO_RATIO = 75  # two words this similar (rapidfuzz ratio) are one word misspelt

# (weight, reason template, value for the template)
Evidence = list[tuple[float, str, Any]]
# (keys to file a profile under, keys to look candidates up with, (key, bonus hits))
Blocking = tuple[list[str], list[str], list[tuple[str, int]]]

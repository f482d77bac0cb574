"""Record linkage: decide whether two organisations, sites or services are the same.

The importer pipeline fills :class:`OrgProfile`, :class:`LocationProfile` and
:class:`ServiceProfile` with already-normalised values (E.164 phones, lowercased e-mails,
canonical KBO numbers, URLs with scheme); this module derives comparison keys from them
(:mod:`importers.keys`), scores pairs (:func:`score_organizations`,
:func:`score_locations`, :func:`score_services`) and finds likely duplicates among many
profiles fast (:class:`Matcher`).

Scoring formula
---------------
Every pair gets one explainable weighted sum of evidence, in natural log-odds
(the Fellegi-Sunter / naive-Bayes form that record-linkage tools use)::

    log_odds = PRIOR[kind] + sum(weight(feature) for every comparable feature)
    score    = 1 / (1 + exp(-log_odds))                      # 0..1
    decision = "merge"    if score >= thresholds.auto_merge
               "review"   if score >= thresholds.review
               "distinct" otherwise

A feature that is missing on either side contributes **0** (it is "not comparable",
``None`` in :attr:`PairScore.features`), so missing data never counts as disagreement;
it only leaves the pair with less evidence. Hard evidence is a *veto*: a different valid
KBO number (organisations), a different house number on the same street (locations) or a
different or unknown organisation (services) caps ``log_odds`` at :data:`VETO_LOG_ODDS`
(score 0.018, below any sensible review threshold), whatever else agrees.

Name similarity (:func:`name_similarity`) is the mean of rapidfuzz's token-set and
token-sort ratios on :func:`importers.keys.name_key` (legal forms, stop-words, accents and
punctuation removed). When both names have a specific word the other lacks, only their
specific parts (without generic words such as "Vrije Basisschool", "Dienstencentrum")
are compared, so two schools that share only "Vrije Basisschool" are not similar. For
sites, the best pair among organisation name and site name counts. Distances are
great-circle distances (within 0.5% of geopy's geodesic).

Why these weights
-----------------
A weight is roughly ``ln(P(agreement | same) / P(agreement | different))`` among pairs
that reach scoring, i.e. that already share a blocking key:

* ``PRIOR`` = -2 (-1.5 for services): among pairs sharing a blocking key, duplicates are a
  minority (about 1 in 8; services are compared only inside one organisation, where
  duplicates are commoner).
* KBO equal +9: an enterprise number is issued once; a shared one is near-proof.
* Name similarity is a curve, not a step. Identical names are strong (+4.5 organisations,
  +3 sites, +5 services); around 0.8 is neutral for organisations ("CAW Oost-Vlaanderen"
  vs "CAW West-Vlaanderen" is 0.77); lower similarity is evidence *against*. Sites weigh
  names less and need more similarity (0.85 is still slightly negative): one building
  hosts many organisations whose names share words ("Whatcom County District Court",
  "Whatcom County Sheriff's Office"), and a site's name is often just its organisation's
  name.
* Address (sites): same street and number +5. Duplicates share their postal address
  nearly always, different sites only in multi-tenant buildings; there the names (and
  suites) differ, and the pair lands in *review*, not in an automatic merge. Same street
  without a number on both sides +1; a different street -3; the same street with a
  different number is a veto (two doors on one street are two sites; in referral work
  sending someone to the wrong door is the costly error). 12 vs 12a is -1, not a veto.
* Rooms and suites do not separate one organisation's offices in one building: a
  different ``address_2``/box only counts (-1.5; +1 when equal) when the organisations
  differ (different ``organization_id`` and organisation name).
* Postcode: +0.5 when equal for sites (+1 for organisations, whose other location
  evidence is weak); different but the city agrees: probably a slip (-0.5); different
  postcode and city -2.5 (-1.5 for organisations, which may list another office).
* Shared phone: +3 for organisations, +2 for sites (switchboards and helplines are shared
  by sibling sites and umbrella organisations, so it is not proof). Shared e-mail +3,
  shared non-generic web/e-mail domain +2 (free-mail and hosting domains never count).
* Distance: sites within 30 m +2.5, 150 m +1, 500 m neutral, 2 km -2, 5 km -4 (geocoders
  differ by tens of metres, rarely by kilometres). Coordinates are usually geocoded from
  the address, so when the addresses agree, nearness adds nothing (only being far apart
  counts). Organisations: +1 within 100 m down to -2.5 beyond 20 km (their profile point
  is one office of possibly several).

Thresholds: :data:`DEFAULT_THRESHOLDS` merges at score >= 0.95 (posterior odds 19:1, so
at most ~5% wrong merges where the weights are calibrated) and sends 0.5 <= score < 0.95
("more likely the same than not, but not sure") to human review. They are global values,
the same for every kind and every source. Worked examples: identical organisation names
with nothing else to compare score 0.92 (review); identical names in the same postcode
merge (0.97); the same site address with unrelated names (two tenants) is review (0.73);
the same address and organisation with different rooms merges.

Performance
-----------
:class:`Matcher` files profiles under blocking keys (see its docstring), ranks candidates
by the number of keys they share, and scores them best-first with a bound: the cheap
features (KBO, phones, e-mail, address, postcode, distance) are summed first, and the
name similarity -- the expensive part -- is only computed when the best possible name
weight could still lift the pair above the review threshold and the best candidate so
far. The bound is exact: it never changes which candidate wins.

Modules
-------
:mod:`~importers.matching.profiles` (profiles, :class:`PairScore`, :class:`Thresholds`),
:mod:`~importers.matching.weights` (the weights above and the blocking parameters),
:mod:`~importers.matching.common` (distances, name similarity, blocking helpers),
:mod:`~importers.matching.organizations`, :mod:`~importers.matching.locations` and
:mod:`~importers.matching.services` (per-kind keys, features, evidence, blocking and
``score_*``), :mod:`~importers.matching.scoring` (the shared evaluation) and
:mod:`~importers.matching.matcher`. Everything public is re-exported here: import from
``importers.matching``.
"""

from __future__ import annotations

from importers.matching.common import distance_m
from importers.matching.common import name_similarity
from importers.matching.locations import score_locations
from importers.matching.matcher import Keys
from importers.matching.matcher import Matcher
from importers.matching.matcher import prepare_keys
from importers.matching.organizations import score_organizations
from importers.matching.profiles import DEFAULT_THRESHOLDS
from importers.matching.profiles import LocationProfile
from importers.matching.profiles import OrgProfile
from importers.matching.profiles import PairScore
from importers.matching.profiles import ServiceProfile
from importers.matching.profiles import Thresholds
from importers.matching.services import score_services
from importers.matching.weights import CANDIDATE_COUNT_RATIO
from importers.matching.weights import EXACT_NAME_BONUS
from importers.matching.weights import GEO_CELL_LAT
from importers.matching.weights import GEO_CELL_LON
from importers.matching.weights import GEO_NAME_TOKENS
from importers.matching.weights import LOCATION_DISTANCE_KNOTS
from importers.matching.weights import LOCATION_NAME_KNOTS
from importers.matching.weights import MAX_BLOCK
from importers.matching.weights import MAX_NAME_TOKENS
from importers.matching.weights import MIN_SHARED_HITS
from importers.matching.weights import ORG_DISTANCE_KNOTS
from importers.matching.weights import ORG_NAME_KNOTS
from importers.matching.weights import PRIOR
from importers.matching.weights import QUERY_BLOCK_LIMIT
from importers.matching.weights import SCORED_CANDIDATES
from importers.matching.weights import SERVICE_NAME_KNOTS
from importers.matching.weights import STRONG_BONUS
from importers.matching.weights import TOKEN_TYPO_RATIO
from importers.matching.weights import VETO_LOG_ODDS
from importers.matching.weights import W_ADDRESS_COMPATIBLE
from importers.matching.weights import W_ADDRESS_SAME
from importers.matching.weights import W_CITY_DIFFERENT
from importers.matching.weights import W_CITY_SAME
from importers.matching.weights import W_DOMAIN_SHARED
from importers.matching.weights import W_EMAIL_SHARED
from importers.matching.weights import W_HOUSE_SUFFIX_DIFFERENT
from importers.matching.weights import W_KBO_SAME
from importers.matching.weights import W_LOCATION_PHONE_SHARED
from importers.matching.weights import W_ORG_PHONE_DISJOINT
from importers.matching.weights import W_ORG_PHONE_SHARED
from importers.matching.weights import W_ORG_POSTCODE_DISJOINT
from importers.matching.weights import W_ORG_POSTCODE_SHARED
from importers.matching.weights import W_POSTCODE_DIFFERENT
from importers.matching.weights import W_POSTCODE_DIFFERENT_SAME_CITY
from importers.matching.weights import W_POSTCODE_SAME
from importers.matching.weights import W_SAME_ORGANIZATION
from importers.matching.weights import W_SERVICE_EMAIL_SAME
from importers.matching.weights import W_SERVICE_LOCATION_DISJOINT
from importers.matching.weights import W_SERVICE_LOCATION_SHARED
from importers.matching.weights import W_SERVICE_PHONE_SHARED
from importers.matching.weights import W_SERVICE_URL_HOME_SAME
from importers.matching.weights import W_SERVICE_URL_PAGE_SAME
from importers.matching.weights import W_STREET_DIFFERENT
from importers.matching.weights import W_STREET_ONLY
from importers.matching.weights import W_UNIT_DIFFERENT
from importers.matching.weights import W_UNIT_SAME
from importers.matching.weights import Blocking
from importers.matching.weights import Evidence

__all__ = [
    "Blocking",
    "CANDIDATE_COUNT_RATIO",
    "DEFAULT_THRESHOLDS",
    "EXACT_NAME_BONUS",
    "Evidence",
    "Keys",
    "GEO_CELL_LAT",
    "GEO_CELL_LON",
    "GEO_NAME_TOKENS",
    "LOCATION_DISTANCE_KNOTS",
    "LOCATION_NAME_KNOTS",
    "LocationProfile",
    "MAX_BLOCK",
    "MAX_NAME_TOKENS",
    "MIN_SHARED_HITS",
    "Matcher",
    "ORG_DISTANCE_KNOTS",
    "ORG_NAME_KNOTS",
    "OrgProfile",
    "PRIOR",
    "PairScore",
    "QUERY_BLOCK_LIMIT",
    "SCORED_CANDIDATES",
    "SERVICE_NAME_KNOTS",
    "STRONG_BONUS",
    "ServiceProfile",
    "TOKEN_TYPO_RATIO",
    "Thresholds",
    "VETO_LOG_ODDS",
    "W_ADDRESS_COMPATIBLE",
    "W_ADDRESS_SAME",
    "W_CITY_DIFFERENT",
    "W_CITY_SAME",
    "W_DOMAIN_SHARED",
    "W_EMAIL_SHARED",
    "W_HOUSE_SUFFIX_DIFFERENT",
    "W_KBO_SAME",
    "W_LOCATION_PHONE_SHARED",
    "W_ORG_PHONE_DISJOINT",
    "W_ORG_PHONE_SHARED",
    "W_ORG_POSTCODE_DISJOINT",
    "W_ORG_POSTCODE_SHARED",
    "W_POSTCODE_DIFFERENT",
    "W_POSTCODE_DIFFERENT_SAME_CITY",
    "W_POSTCODE_SAME",
    "W_SAME_ORGANIZATION",
    "W_SERVICE_EMAIL_SAME",
    "W_SERVICE_LOCATION_DISJOINT",
    "W_SERVICE_LOCATION_SHARED",
    "W_SERVICE_PHONE_SHARED",
    "W_SERVICE_URL_HOME_SAME",
    "W_SERVICE_URL_PAGE_SAME",
    "W_STREET_DIFFERENT",
    "W_STREET_ONLY",
    "W_UNIT_DIFFERENT",
    "W_UNIT_SAME",
    "distance_m",
    "name_similarity",
    "prepare_keys",
    "score_locations",
    "score_organizations",
    "score_services",
]

"""Configuration: one documented default per key, overridden by SOCIALMAP_* environment variables.

``create_app`` loads this module, then ``app.config.from_prefixed_env("SOCIALMAP")`` so that
``SOCIALMAP_DATABASE_URL=...`` sets ``DATABASE_URL``. Values in the environment are parsed as JSON
when possible (numbers, true/false), else kept as strings. README.md lists every key.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Folder for the SQLite database, the embedded search index, the mail outbox and caches.
VAR_DIR = str(Path(os.environ.get("SOCIALMAP_VAR_DIR", Path.cwd() / "var")).resolve())

#: SQLAlchemy database URL. Default: a SQLite file in VAR_DIR. PostgreSQL:
#: ``postgresql+psycopg://user:password@localhost/socialmap``.
DATABASE_URL = f"sqlite:///{VAR_DIR}/socialmap.db"

#: Secret for sessions and signed tokens. MUST be set in production.
SECRET_KEY = "dev-only-change-me"

#: Search backend: ``embedded`` (SQLite FTS5 index file) or ``elasticsearch``.
SEARCH_BACKEND = "embedded"

#: Path of the embedded search index file.
SEARCH_INDEX_PATH = f"{VAR_DIR}/search-index.sqlite"

#: Elasticsearch URL (used when SEARCH_BACKEND is ``elasticsearch``).
ELASTICSEARCH_URL = "http://localhost:9200"

#: Name of the Elasticsearch alias that points at the live index.
ELASTICSEARCH_INDEX = "socialmap-services"

#: Default UI language and the languages offered.
DEFAULT_LANGUAGE = "nl"
LANGUAGES = ["nl", "fr", "en"]

#: Record linkage: a pair scoring at least MERGE_AUTO_THRESHOLD is merged automatically; between
#: MERGE_REVIEW_THRESHOLD and MERGE_AUTO_THRESHOLD it goes to the steward's review queue; below
#: it the records stay distinct. Scores are 0..1 (see importers/matching/__init__.py).
MERGE_AUTO_THRESHOLD = 0.95
MERGE_REVIEW_THRESHOLD = 0.5

#: Source priority for survivorship (higher wins a field when both sources have a value).
#: Sources not listed get SOURCE_PRIORITY_DEFAULT; manual edits by people always win.
SOURCE_PRIORITY: dict[str, int] = {"sociale-kaart": 80, "elz-kust": 70, "be-hospitals": 60}
SOURCE_PRIORITY_DEFAULT = 50

#: Optional Nominatim geocoder (e.g. ``https://nominatim.openstreetmap.org``); empty = offline
#: gazetteer only (postcode centroids). Results are cached in GEOCODER_CACHE_PATH.
GEOCODER_URL = ""
GEOCODER_USER_AGENT = "socialmap (+https://github.com/socialmap)"
GEOCODER_CACHE_PATH = f"{VAR_DIR}/geocode-cache.sqlite"

#: Rows written per database round trip during imports.
IMPORT_BATCH_SIZE = 1000

#: JSON API / OpenAPI (flask-smorest).
API_TITLE = "socialmap API"
API_VERSION = "v1"
OPENAPI_VERSION = "3.0.3"
OPENAPI_URL_PREFIX = "/api"
OPENAPI_JSON_PATH = "openapi.json"

#: Log level of the ``socialmap`` loggers.
LOG_LEVEL = "INFO"

#: Sign-in: at most LOGIN_MAX_FAILURES failed attempts per e-mail address (and 4x that per
#: client address) within LOGIN_WINDOW_MINUTES; then sign-in is refused until the window passes.
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_MINUTES = 15
#: Sign-in attempts and expired password-reset links are deleted after this many days by
#: ``flask referrals purge`` (run it daily).
SIGN_IN_RECORD_DAYS = 30
#: Session cookies: secure (HTTPS only) outside development, never readable by scripts.
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = True
REMEMBER_COOKIE_HTTPONLY = True
#: Days an invitation link stays valid.
INVITATION_DAYS = 14

#: Public base URL used in e-mails and letters (links to the referral, the map).
BASE_URL = "http://127.0.0.1:5000"

#: Referrals: a task still "requested" after this many Belgian business days triggers a
#: reminder to the provider and flags it as overdue for the referrer.
REFERRAL_REMINDER_BUSINESS_DAYS = 2
#: Personal data of referrals closed for this many days is erased by ``flask referrals purge``.
REFERRAL_RETENTION_DAYS = 365

#: Matching: criteria that exclude a service (the rest only lower its score), and the weights
#: of the score's parts (see socialmap/logic/matching.py for the recipe).
MATCH_HARD_FILTERS = ["service_area", "age", "capacity_full", "inactive", "referable"]
MATCH_WEIGHTS = {
    "needs": 0.45,
    "distance": 0.2,
    "capacity": 0.15,
    "freshness": 0.1,
    "language": 0.05,
    "target_groups": 0.05,
}

#: Mail: ``folder`` writes .eml files to MAIL_FOLDER (development); ``smtp`` sends through
#: MAIL_SERVER (MAIL_TIMEOUT seconds per connection). Failed deliveries are retried with
#: exponential backoff, MAIL_MAX_ATTEMPTS times.
MAIL_BACKEND = "folder"
MAIL_FOLDER = f"{VAR_DIR}/outbox"
MAIL_SERVER = "localhost"
MAIL_PORT = 25
MAIL_USE_STARTTLS = False
MAIL_USERNAME = ""
MAIL_PASSWORD = ""
MAIL_FROM = "socialmap <noreply@socialmap.invalid>"
MAIL_TIMEOUT = 10
MAIL_MAX_ATTEMPTS = 8
MAIL_RETRY_BASE_SECONDS = 60

# --- Web interface ---------------------------------------------------------------------------
#: Map tiles (Leaflet URL template). Empty: the map shows markers on a plain background and the
#: browser makes no third-party request at all.
MAP_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
#: Listings not verified for this many months are on the stewards' freshness list.
FRESHNESS_MONTHS = 12
#: Password-reset links stay valid this many hours.
PASSWORD_RESET_HOURS = 2
#: Results per page of the public search.
SEARCH_PAGE_SIZE = 20

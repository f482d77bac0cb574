"""Reader for De Sociale Kaart (desocialekaart.be), live API or saved responses.

Format name ``sociale-kaart``. What is known about the API is in the project's research
notes (paths read by public code, not a published schema), so every field is optional and
keys we do not know are reported once per run as ``unknown field X`` warnings: they show
what the live API sends and what this reader should learn next.

Two modes share one transform:

- **live**: ``location`` is a base URL (``https://www.desocialekaart.be``). Pages of
  ``GET /api/health-offers?rubrics=<label>&page=<n>&size=&sort=LAST_UPDATED_DESC`` are read
  until ``page.number + 1 >= page.totalPages``; then ``GET /api/leaflet/{id}`` per provider
  for its KBO number. ``options.extra``: ``rubrics`` (list of full rubric labels such as
  ``"14.04.01. Woonzorgcentra (WZC)"``; none = one unfiltered query), ``page_size`` (100),
  ``max_pages`` (per rubric), ``leaflets`` (True), ``min_interval`` (0.5 s between requests),
  ``retries`` (4), ``backoff`` (1.0 s, doubled per retry), ``timeout`` (30 s), ``contact``
  (put in the User-Agent so the site owner can reach us).
- **offline**: ``location`` is a folder with ``health-offers-*.json`` pages (either envelope)
  and ``leaflet-<id>.json`` files, as written by :func:`save_responses`. An optional
  ``manifest.json`` tells which rubric each page answered.

SK is provider-centric: each provider becomes one organisation, one service (named after the
provider, categorised by its activities/rubrics) and one location per address.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode

import requests

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CategoryIn
from importers.records import IdentifierIn
from importers.records import LocationIn
from importers.records import MalformedSource
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ServiceIn

FORMAT = "sociale-kaart"
USER_AGENT = "socialmap-importer/0.1"
SORT = "LAST_UPDATED_DESC"
HAL_LIST_KEY = "healthOfferProviderRepresentationList"
MANIFEST = "manifest.json"
# Retry-After values above this are capped: a run should slow down, not hang for hours.
MAX_RETRY_AFTER = 300.0

# Keys this reader understands, per path inside a record ("[]" = every list item).
# Anything else is reported once per run as "unknown field <path>".
KNOWN_KEYS: dict[str, set[str]] = {
    "": {
        "id",
        "legalName",
        "type",
        "state",
        "verified",
        "addresses",
        "activities",
        "contactInfo",
        "links",
    },
    "id": {"id", "authenticSource"},
    "legalName": {"description"},
    "addresses[]": {"primary", "type", "street", "number", "municipality", "location", "links"},
    "addresses[].street": {"name"},
    "addresses[].street.name": {"description"},
    "addresses[].municipality": {"postalCode", "name"},
    "addresses[].municipality.name": {"description"},
    "addresses[].location": {"lat", "lon"},
    "activities[]": {"name"},
    "activities[].name": {"description"},
    "contactInfo": {"phones", "emails", "websites"},
    "contactInfo.phones[]": {"value", "primary"},
    "contactInfo.emails[]": {"value", "primary"},
    "contactInfo.websites[]": {"value", "primary"},
}
ACTIVE_STATES = {"active", "actief"}
VISIT_ADDRESS = "bezoekadres"
POSTAL_ADDRESS_RE = re.compile(r"post|corresp|factu", re.IGNORECASE)
RUBRIC_CODE_RE = re.compile(r"^\s*(\d{2}\.(?:\d{2}\.)*)(?=\s|$)")


class FetchError(Exception):
    """An HTTP request failed for good (after retries) or returned unusable content."""


# --------------------------------------------------------------------------- HTTP client


@dataclass
class ClientSettings:
    min_interval: float = 0.5
    retries: int = 4
    backoff: float = 1.0
    timeout: float = 30.0
    user_agent: str = USER_AGENT


class Client:
    """A polite JSON client: minimum delay between requests, retries with backoff.

    Retries on HTTP 429 and 5xx and on connection errors/timeouts; waits ``Retry-After``
    when the server sends one, else ``backoff * 2**attempt`` seconds.
    """

    def __init__(
        self,
        session: requests.Session,
        settings: ClientSettings,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.settings = settings
        self.sleep = sleep
        self._last_request: float | None = None
        self.requests_made = 0

    def _wait_turn(self) -> None:
        if self._last_request is not None and self.settings.min_interval > 0:
            remaining = self.settings.min_interval - (time.monotonic() - self._last_request)
            if remaining > 0:
                self.sleep(remaining)
        self._last_request = time.monotonic()

    def _retry_delay(self, response: requests.Response | None, attempt: int) -> float:
        if response is not None:
            header = response.headers.get("Retry-After")
            delay = _parse_retry_after(header) if header else None
            if delay is not None:
                return min(delay, MAX_RETRY_AFTER)
        return self.settings.backoff * (2**attempt)

    def get_json(self, url: str, *, missing_ok: bool = False) -> tuple[Any, bytes] | None:
        """GET ``url`` and return (parsed JSON, body bytes); ``None`` for 404 if ``missing_ok``."""
        headers = {"User-Agent": self.settings.user_agent, "Accept": "application/json"}
        last_problem = "no attempt made"
        for attempt in range(self.settings.retries + 1):
            self._wait_turn()
            response: requests.Response | None = None
            try:
                self.requests_made += 1
                response = self.session.get(url, headers=headers, timeout=self.settings.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if status == 429 or status >= 500:
                    last_problem = f"HTTP {status}"
                elif status == 404 and missing_ok:
                    return None
                elif status >= 400:
                    raise FetchError(f"GET {url}: HTTP {status}")
                else:
                    try:
                        return response.json(), response.content
                    except ValueError as exc:
                        raise FetchError(f"GET {url}: response is not JSON ({exc})") from exc
            if attempt < self.settings.retries:
                self.sleep(self._retry_delay(response, attempt))
        raise FetchError(
            f"GET {url}: gave up after {self.settings.retries + 1} attempts ({last_problem})"
        )


def _parse_retry_after(value: str) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _settings_from(extra: dict[str, Any]) -> ClientSettings:
    contact = extra.get("contact")
    agent = extra.get("user_agent") or (
        f"{USER_AGENT} (+{contact})" if contact else f"{USER_AGENT} (+no contact configured)"
    )
    return ClientSettings(
        min_interval=float(extra.get("min_interval", 0.5)),
        retries=int(extra.get("retries", 4)),
        backoff=float(extra.get("backoff", 1.0)),
        timeout=float(extra.get("timeout", 30.0)),
        user_agent=agent,
    )


# --------------------------------------------------------------------------- paging


@dataclass
class Page:
    """One health-offers response and where it came from."""

    query: str | None  # the rubric label asked for (None: unfiltered / unknown)
    number: int
    data: Any
    source: str  # "rubric '...' page 2" or a file name, for issue refs
    body: bytes = b""
    truncated: bool = False  # paging stopped early (max_pages)


def offers_url(base_url: str, rubric: str | None, page: int, size: int) -> str:
    params: dict[str, Any] = {}
    if rubric:
        params["rubrics"] = rubric
    params.update({"page": page, "size": size, "sort": SORT})
    # quote (not quote_plus): spaces as %20, as the public scripts that use this API send them.
    return f"{base_url.rstrip('/')}/api/health-offers?{urlencode(params, quote_via=quote)}"


def leaflet_url(base_url: str, provider_id: str) -> str:
    return (
        f"{base_url.rstrip('/')}/api/leaflet/{quote(provider_id, safe='')}?includeHiddenData=false"
    )


def page_items(data: Any, source: str) -> list[Any]:
    """The records of one page, from envelope A (``content``) or HAL (``_embedded``)."""
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise MalformedSource(f"sociale-kaart {source}: expected a JSON object, got {type(data)}")
    if isinstance(data.get("content"), list):
        return data["content"]
    embedded = data.get("_embedded")
    if isinstance(embedded, dict):
        if isinstance(embedded.get(HAL_LIST_KEY), list):
            return embedded[HAL_LIST_KEY]
        lists = [value for value in embedded.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
    if "page" in data and "content" not in data and "_embedded" not in data:
        # Spring HAL leaves out _embedded altogether when a page is empty.
        return []
    raise MalformedSource(
        f"sociale-kaart {source}: neither 'content' nor '_embedded.{HAL_LIST_KEY}' found"
    )


def _page_info(data: Any) -> dict[str, Any]:
    info = data.get("page") if isinstance(data, dict) else None
    return info if isinstance(info, dict) else {}


def fetch_pages(
    client: Client,
    base_url: str,
    rubric: str | None,
    page_size: int,
    max_pages: int | None,
) -> Iterator[Page]:
    """Yield every page of one query, following ``page.number`` / ``page.totalPages``."""
    number = 0
    fetched = 0
    while True:
        url = offers_url(base_url, rubric, number, page_size)
        source = f"rubric {rubric!r} page {number}" if rubric else f"page {number}"
        try:
            result = client.get_json(url)
        except FetchError as exc:
            raise MalformedSource(f"sociale-kaart: {exc}") from exc
        assert result is not None
        data, body = result
        fetched += 1
        info = _page_info(data)
        total_pages = info.get("totalPages")
        reported = info.get("number")
        current = reported if isinstance(reported, int) and reported >= number else number
        more = isinstance(total_pages, int) and current + 1 < total_pages
        more = more and bool(page_items(data, source))  # an empty page ends a runaway loop
        truncated = more and max_pages is not None and fetched >= max_pages
        yield Page(rubric, number, data, source, body, truncated)
        if not more or truncated:
            return
        number = current + 1


# --------------------------------------------------------------------------- transform


@dataclass
class _Entry:
    record: dict[str, Any]
    ref: str
    rubrics: list[str] = field(default_factory=list)


def _desc(value: Any) -> str | None:
    """Text of a ``{"description": ...}`` object (or of a plain string)."""
    if isinstance(value, dict):
        return clean_text(value.get("description"))
    return clean_text(value) if isinstance(value, str) else None


def _dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


class _Run:
    """State of one read: the batch plus once-per-run warnings."""

    def __init__(self) -> None:
        self.batch = Batch(default_country="BE")
        self._warned: set[str] = set()

    def warn_once(self, key: str, ref: str, reason: str, field_name: str | None = None) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.batch.warn(ref, reason, field_name)

    def check_keys(self, obj: Any, path: str, ref: str) -> None:
        """Warn once per run about keys not in :data:`KNOWN_KEYS` (the learning signal)."""
        known = KNOWN_KEYS.get(path)
        if known is None or not isinstance(obj, dict):
            return
        for key, value in obj.items():
            child = f"{path}.{key}" if path else key
            if key not in known:
                self.warn_once(f"field:{child}", ref, f"unknown field {child}", child)
                continue
            if isinstance(value, dict):
                self.check_keys(value, child, ref)
            elif isinstance(value, list):
                for item in value:
                    self.check_keys(item, f"{child}[]", ref)


def collect(pages: list[Page], run: _Run) -> list[_Entry]:
    """Deduplicate records by ``id.id`` and check counts against ``page.totalElements``.

    A repeat within one query is the API's known paging overlap: rejected as a duplicate.
    The same provider under another rubric is expected: its rubric is added to the first copy.
    """
    entries: dict[str, _Entry] = {}
    queries: dict[str | None, dict[str, Any]] = {}
    for page in pages:
        query = queries.setdefault(page.query, {"ids": set(), "total": None, "truncated": False})
        total = _page_info(page.data).get("totalElements")
        if isinstance(total, int) and query["total"] is None:
            query["total"] = total
        query["truncated"] = query["truncated"] or page.truncated
        for index, record in enumerate(page_items(page.data, page.source), start=1):
            ref = f"health-offers {page.source} item {index}"
            if not isinstance(record, dict):
                run.batch.reject(ref, "record is not a JSON object")
                continue
            provider_id = clean_text(_dig(record, "id", "id"))
            if provider_id is None:
                run.batch.reject(ref, "missing id.id", "id.id")
                continue
            ref = f"{ref} (id={provider_id})"
            if provider_id in query["ids"]:
                run.batch.reject(ref, f"duplicate id {provider_id}", "id.id")
                continue
            query["ids"].add(provider_id)
            entry = entries.get(provider_id)
            if entry is None:
                entry = entries[provider_id] = _Entry(record, ref)
            if page.query and page.query not in entry.rubrics:
                entry.rubrics.append(page.query)
    for name, query in queries.items():
        label = f"rubric {name!r}" if name else "all pages"
        if query["truncated"]:
            run.batch.warn(
                f"health-offers {label}", "stopped early (max_pages): not all pages read"
            )
        elif query["total"] is not None and query["total"] != len(query["ids"]):
            run.batch.warn(
                f"health-offers {label}",
                f"{len(query['ids'])} unique records but page.totalElements is {query['total']}",
            )
    return list(entries.values())


def rubric_category(label: str) -> CategoryIn:
    """``"14.04.01. Woonzorgcentra (WZC)"`` -> code ``"14.04.01."``, the full label kept."""
    match = RUBRIC_CODE_RE.match(label)
    return CategoryIn(scheme="sk-rubric", code=match.group(1) if match else None, label=label)


def _contact_values(record: dict[str, Any], kind: str) -> list[str]:
    """Values of contactInfo.<kind>, primary ones first (source order otherwise)."""
    items = [item for item in _as_list(_dig(record, "contactInfo", kind)) if isinstance(item, dict)]
    items.sort(key=lambda item: item.get("primary") is not True)
    values = []
    for item in items:
        value = clean_text(item.get("value"))
        if value is not None and value not in values:
            values.append(value)
    return values


def _kbo_from_leaflet(leaflet: Any, run: _Run, ref: str) -> list[IdentifierIn]:
    identifiers = []
    for item in _as_list(leaflet.get("administrativeData") if isinstance(leaflet, dict) else None):
        if not isinstance(item, dict):
            continue
        kind = clean_text(item.get("type"))
        value = clean_text(item.get("value"))
        if kind == "CBE_ID" and value:
            identifiers.append(IdentifierIn(scheme="KBO", value=value))
        elif kind:
            run.warn_once(
                f"admin:{kind}", ref, f"administrativeData type {kind} not used (kept in raw)"
            )
    return identifiers


def _address_kind(raw_type: str | None, run: _Run, ref: str) -> str:
    if raw_type is None or raw_type.lower() == VISIT_ADDRESS:
        return "physical"
    if POSTAL_ADDRESS_RE.search(raw_type):
        return "postal"
    run.warn_once(f"addrtype:{raw_type}", ref, f"address type {raw_type!r} read as a visit address")
    return "physical"


def _locations(
    provider_id: str, name: str, record: dict[str, Any], run: _Run, ref: str
) -> list[LocationIn]:
    addresses = [
        (index, item)
        for index, item in enumerate(_as_list(record.get("addresses")), start=1)
        if isinstance(item, dict)
    ]
    # Primary first, then visit addresses, then the rest (NCCN's choice of "the" address).
    addresses.sort(
        key=lambda pair: (
            pair[1].get("primary") is not True,
            (clean_text(pair[1].get("type")) or VISIT_ADDRESS).lower() != VISIT_ADDRESS,
        )
    )
    locations = []
    for index, item in addresses:
        kind = _address_kind(clean_text(item.get("type")), run, ref)
        street = _desc(_dig(item, "street", "name"))
        postcode = clean_text(_dig(item, "municipality", "postalCode"))
        city = _desc(_dig(item, "municipality", "name"))
        latitude = longitude = None
        try:
            latitude = parse_coordinate(_dig(item, "location", "lat"), -90, 90)
            longitude = parse_coordinate(_dig(item, "location", "lon"), -180, 180)
        except ValueError as exc:
            run.batch.warn(ref, f"address {index}: coordinates ignored ({exc})", "location")
            latitude = longitude = None
        if street is None and postcode is None and city is None and latitude is None:
            run.batch.warn(ref, f"address {index} is empty: skipped", "addresses")
            continue
        address = AddressIn(
            address_type=kind,
            street=street,
            house_number=clean_text(item.get("number")),
            postcode=postcode,
            city=city,
            country="BE",
        )
        locations.append(
            LocationIn(
                external_id=f"{provider_id}#address-{index}",
                organization_ref=provider_id,
                name=name,
                location_type=kind,
                latitude=latitude,
                longitude=longitude,
                addresses=[address],
                raw=item,
                ref=f"{ref} address {index}",
            )
        )
    return locations


def transform(entries: list[_Entry], leaflets: dict[str, Any], run: _Run) -> None:
    """Turn deduplicated provider records (and their leaflets) into batch records."""
    for entry in entries:
        record, ref = entry.record, entry.ref
        provider_id = clean_text(_dig(record, "id", "id"))
        assert provider_id is not None  # collect() rejected records without one
        run.check_keys(record, "", ref)
        name = _desc(record.get("legalName"))
        if name is None:
            run.batch.reject(ref, "missing legalName.description", "legalName.description")
            continue
        state = clean_text(record.get("state"))
        status = "active"
        if state is not None and state.lower() not in ACTIVE_STATES:
            status = "inactive"
            run.warn_once(f"state:{state}", ref, f"state {state!r} read as inactive", "state")
        leaflet = leaflets.get(provider_id)
        identifiers = _kbo_from_leaflet(leaflet, run, ref) if leaflet is not None else []
        phones = [PhoneIn(number=value) for value in _contact_values(record, "phones")]
        emails = _contact_values(record, "emails")
        websites = _contact_values(record, "websites")
        org_raw = dict(record)
        if leaflet is not None:
            org_raw["leaflet"] = leaflet
        run.batch.organizations.append(
            OrganizationIn(
                external_id=provider_id,
                name=name,
                email=emails[0] if emails else None,
                website=websites[0] if websites else None,
                identifiers=identifiers,
                phones=phones,
                status=status,
                raw=org_raw,
                ref=ref,
            )
        )
        locations = _locations(provider_id, name, record, run, ref)
        run.batch.locations.extend(locations)
        labels = [_desc(item.get("name")) for item in _as_list(record.get("activities"))]
        labels = [label for label in labels if label] + entry.rubrics
        categories: list[CategoryIn] = []
        for label in labels:
            category = rubric_category(label)
            if category not in categories:
                categories.append(category)
        run.batch.services.append(
            ServiceIn(
                external_id=provider_id,
                organization_ref=provider_id,
                name=name,
                location_refs=[
                    loc.external_id for loc in locations if loc.location_type == "physical"
                ],
                url=websites[0] if websites else None,
                email=emails[0] if emails else None,
                status=status,
                phones=[PhoneIn(number=phone.number) for phone in phones],
                categories=categories,
                raw=record,
                ref=ref,
            )
        )


# --------------------------------------------------------------------------- entry points


def _safe_name(provider_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", provider_id)


def leaflet_file(folder: Path, provider_id: str) -> Path:
    return folder / f"leaflet-{_safe_name(provider_id)}.json"


def _rubrics_from(extra: dict[str, Any]) -> list[str | None]:
    rubrics = extra.get("rubrics")
    if isinstance(rubrics, str):
        rubrics = [rubrics]
    rubrics = [clean_text(r) for r in rubrics or []]
    cleaned = [r for r in rubrics if r]
    return list(cleaned) if cleaned else [None]


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def _read_live(base_url: str, options: ReadOptions, run: _Run) -> None:
    extra = options.extra
    page_size = int(extra.get("page_size", 100))
    max_pages = extra.get("max_pages")
    max_pages = int(max_pages) if max_pages else None
    with requests.Session() as session:
        client = Client(session, _settings_from(extra))
        pages = []
        for rubric in _rubrics_from(extra):
            pages.extend(fetch_pages(client, base_url, rubric, page_size, max_pages))
        entries = collect(pages, run)
        leaflets: dict[str, Any] = {}
        if extra.get("leaflets", True):
            for entry in entries:
                provider_id = clean_text(_dig(entry.record, "id", "id"))
                assert provider_id is not None
                try:
                    result = client.get_json(leaflet_url(base_url, provider_id), missing_ok=True)
                except FetchError as exc:
                    run.batch.warn(entry.ref, f"leaflet not read: {exc}", "leaflet")
                    continue
                if result is None:
                    run.batch.warn(entry.ref, "leaflet not found (HTTP 404)", "leaflet")
                else:
                    leaflets[provider_id] = result[0]
    transform(entries, leaflets, run)


def _natural_key(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedSource(f"sociale-kaart: {path.name} is not valid JSON ({exc})") from exc


def _read_offline(folder: Path, run: _Run) -> None:
    if not folder.is_dir():
        raise MalformedSource(f"sociale-kaart: {folder} is not a folder of saved responses")
    files = sorted(folder.glob("health-offers*.json"), key=_natural_key)
    if not files:
        raise MalformedSource(f"sociale-kaart: no health-offers-*.json files in {folder}")
    described: dict[str, dict[str, Any]] = {}
    manifest_path = folder / MANIFEST
    if manifest_path.exists():
        manifest = _load_json(manifest_path)
        for item in _as_list(manifest.get("pages") if isinstance(manifest, dict) else None):
            if isinstance(item, dict) and isinstance(item.get("file"), str):
                described[item["file"]] = item
    pages = []
    for number, path in enumerate(files):
        meta = described.get(path.name, {})
        pages.append(
            Page(
                query=meta.get("rubric"),
                number=int(meta.get("page", number)),
                data=_load_json(path),
                source=path.name,
                truncated=bool(meta.get("truncated", False)),
            )
        )
    entries = collect(pages, run)
    leaflets: dict[str, Any] = {}
    for entry in entries:
        provider_id = clean_text(_dig(entry.record, "id", "id"))
        assert provider_id is not None
        path = leaflet_file(folder, provider_id)
        if path.exists():
            try:
                leaflets[provider_id] = _load_json(path)
            except MalformedSource as exc:
                # One broken leaflet costs a KBO number, not the whole run.
                run.batch.warn(entry.ref, str(exc), "leaflet")
    transform(entries, leaflets, run)


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read providers from the live API (base URL) or a folder of saved responses."""
    run = _Run()
    if _is_url(location):
        if options.offline:
            raise MalformedSource("sociale-kaart: offline mode needs a folder, not a URL")
        _read_live(location, options, run)
    else:
        _read_offline(Path(location), run)
    return run.batch


def save_responses(
    base_url: str,
    folder: str | Path,
    *,
    rubrics: list[str] | None = None,
    page_size: int = 100,
    max_pages: int | None = None,
    leaflets: bool = True,
    **client_options: Any,
) -> Path:
    """Fetch pages (and leaflets) and write them verbatim for a later offline read.

    Writes ``health-offers-0001.json``... , ``leaflet-<id>.json`` and ``manifest.json``
    (which rubric each page answered) into ``folder``; returns the manifest path.
    ``client_options`` are the live ``options.extra`` client keys (``min_interval`` ...).
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {"base_url": base_url, "pages": [], "leaflets": [], "errors": []}
    ids: list[str] = []
    with requests.Session() as session:
        client = Client(session, _settings_from(client_options))
        for rubric in _rubrics_from({"rubrics": rubrics}):
            for page in fetch_pages(client, base_url, rubric, page_size, max_pages):
                name = f"health-offers-{len(manifest['pages']) + 1:04d}.json"
                (target / name).write_bytes(page.body)
                manifest["pages"].append(
                    {
                        "file": name,
                        "rubric": rubric,
                        "page": page.number,
                        "truncated": page.truncated,
                    }
                )
                for item in page_items(page.data, page.source):
                    provider_id = clean_text(_dig(item, "id", "id"))
                    if provider_id and provider_id not in ids:
                        ids.append(provider_id)
        for provider_id in ids if leaflets else []:
            try:
                result = client.get_json(leaflet_url(base_url, provider_id), missing_ok=True)
            except FetchError as exc:
                manifest["errors"].append(str(exc))
                continue
            if result is not None:
                path = leaflet_file(target, provider_id)
                path.write_bytes(result[1])
                manifest["leaflets"].append(path.name)
    manifest_path = target / MANIFEST
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return manifest_path

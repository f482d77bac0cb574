"""HTTP side of the De Sociale Kaart reader: polite client, paging, saving responses.

See :mod:`importers.formats.sociale_kaart` for the API and the options.
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
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.parse import urlencode

import requests

from importers.formats._textutil import clean_text
from importers.records import MalformedSource

USER_AGENT = "socialmap-importer/0.1"
SORT = "LAST_UPDATED_DESC"
HAL_LIST_KEY = "healthOfferProviderRepresentationList"
MANIFEST = "manifest.json"
# Retry-After values above this are capped: a run should slow down, not hang for hours.
MAX_RETRY_AFTER = 300.0


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


def _dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


# --------------------------------------------------------------------------- saving


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

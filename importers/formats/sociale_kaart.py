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

Layout: HTTP client, paging and :func:`save_responses` live in
:mod:`~importers.formats._sk_client`, the shared transform in
:mod:`~importers.formats._sk_transform`; this module picks the mode.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import requests

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._sk_client import HAL_LIST_KEY
from importers.formats._sk_client import MANIFEST
from importers.formats._sk_client import MAX_RETRY_AFTER
from importers.formats._sk_client import SORT
from importers.formats._sk_client import USER_AGENT
from importers.formats._sk_client import Client
from importers.formats._sk_client import ClientSettings
from importers.formats._sk_client import FetchError
from importers.formats._sk_client import Page
from importers.formats._sk_client import _dig
from importers.formats._sk_client import _parse_retry_after as _parse_retry_after
from importers.formats._sk_client import _rubrics_from
from importers.formats._sk_client import _settings_from
from importers.formats._sk_client import fetch_pages
from importers.formats._sk_client import leaflet_file
from importers.formats._sk_client import leaflet_url
from importers.formats._sk_client import offers_url
from importers.formats._sk_client import page_items
from importers.formats._sk_client import save_responses
from importers.formats._sk_transform import ACTIVE_STATES
from importers.formats._sk_transform import KNOWN_KEYS
from importers.formats._sk_transform import POSTAL_ADDRESS_RE
from importers.formats._sk_transform import RUBRIC_CODE_RE
from importers.formats._sk_transform import VISIT_ADDRESS
from importers.formats._sk_transform import _as_list
from importers.formats._sk_transform import _Run
from importers.formats._sk_transform import collect
from importers.formats._sk_transform import rubric_category
from importers.formats._sk_transform import transform
from importers.formats._textutil import clean_text
from importers.records import Batch
from importers.records import MalformedSource

# Names defined here before the split into _sk_client.py and _sk_transform.py stay importable
# from this module (tests call _parse_retry_after and save_responses through it).
__all__ = [
    "ACTIVE_STATES",
    "Client",
    "ClientSettings",
    "FORMAT",
    "FetchError",
    "HAL_LIST_KEY",
    "KNOWN_KEYS",
    "MANIFEST",
    "MAX_RETRY_AFTER",
    "POSTAL_ADDRESS_RE",
    "Page",
    "RUBRIC_CODE_RE",
    "SORT",
    "USER_AGENT",
    "VISIT_ADDRESS",
    "collect",
    "fetch_pages",
    "leaflet_file",
    "leaflet_url",
    "offers_url",
    "page_items",
    "read",
    "rubric_category",
    "save_responses",
    "transform",
]

FORMAT = "sociale-kaart"


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

"""Field-level parsing and mapping for HSDS values.

Cleaning cells (:func:`text`), times, dates, weekdays, countries, yes/no values, taxonomy
scheme names, organization identifiers (KBO), free-text service areas, age ranges and
wait times. Pure functions: problems raise ``ValueError`` for the caller to report.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from importers.formats._textutil import WEEKDAYS
from importers.formats._textutil import clean_text
from importers.records import CapacityIn
from importers.records import IdentifierIn
from importers.records import ServiceAreaIn

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP".split()
)
COUNTRY_NAMES = {
    "be": "BE",
    "bel": "BE",
    "belgium": "BE",
    "belgië": "BE",
    "belgie": "BE",
    "belgique": "BE",
    "belgien": "BE",
    "us": "US",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states": "US",
    "united states of america": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "nederland": "NL",
    "netherlands": "NL",
    "france": "FR",
    "luxembourg": "LU",
    "deutschland": "DE",
    "germany": "DE",
}
# Language of the records' free text, by the source's country (HSDS carries no language for
# record text); options.extra["language"] overrides.
COUNTRY_LANGUAGES = {
    "US": "en",
    "GB": "en",
    "IE": "en",
    "CA": "en",
    "AU": "en",
    "NZ": "en",
    "FR": "fr",
    "LU": "fr",
    "NL": "nl",
    "DE": "de",
}
CURRENCIES = {"BE": "EUR", "NL": "EUR", "FR": "EUR", "LU": "EUR", "DE": "EUR", "US": "USD"}
CURRENCIES["GB"] = "GBP"

# Our own taxonomies (docs/taxonomy-codes.md): needs, and target groups (same scheme in the
# records, but they go to ServiceIn.target_groups).
SOCIALMAP_SCHEME = "socialmap"
SOCIALMAP_TARGET_GROUPS = "socialmap-target-group"
GEO_EXTENT_TYPES = {"geojson", "topojson", "kml", "wkt", "gml"}

_KBO_SCHEME_RE = re.compile(
    r"(?<![a-z])(kbo|bce|cbe)(?![a-z])|enterprise n(umbe)?r|enterprise no|ondernemingsn"
    r"|num[ée]ro d.entreprise|crossroads bank",
    re.IGNORECASE,
)
_KBO_VALUE_RE = re.compile(r"^(BE)?\s*[01]\d{3}[.\s]?\d{3}[.\s]?\d{3}$", re.IGNORECASE)
AIRS_CODE_RE = re.compile(r"^[A-Z]{1,2}(-\d{4}(\.\d{3,4}){0,3}(-\d{3})?)?$")
_TIME_RE = re.compile(
    r"^(\d{1,2})(?:[:.hu](\d{2}))?(?::\d{2}(?:\.\d+)?)?\s*(?:([ap])\.?\s*m\.?)?\s*"
    r"(?:z|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
BYDAY_RE = re.compile(r"^([+-]?\d{1,2})?\s*([a-z]+)$", re.IGNORECASE)
_AGE_RANGE_RE = re.compile(
    r"^(\d+(?:[.,]\d+)?)\s*(?:-|–|to|tot|à|a)\s*(\d+(?:[.,]\d+)?)\s*"
    r"(?:y|yr|yrs|years?|jaar|ans)?\.?$",
    re.IGNORECASE,
)
_AGE_MIN_RE = re.compile(
    r"^(\d+(?:[.,]\d+)?)\s*(?:\+|(?:years?|jaar|ans)?\s*(?:and|en|et)\s*"
    r"(?:over|older|up|ouder|plus))$",
    re.IGNORECASE,
)
_WAIT_RE = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(days?|dagen|dag|jours?|weeks?|wks?|weken|week|semaines?|"
    r"months?|maanden|maand|mois)",
    re.IGNORECASE,
)
_NO_WAIT_RE = re.compile(
    r"^(none|no|0|no wait(ing)?( time| list)?|geen( wachttijd| wachtlijst)?|"
    r"pas d.attente|aucune?)\.?$",
    re.IGNORECASE,
)


def text(row: dict[str, Any], *keys: str) -> str | None:
    """First non-blank cleaned value among ``keys``."""
    for key in keys:
        value = row.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON 100.0 -> "100" (extensions, identifiers)
        if isinstance(value, (dict, list)):
            continue
        cleaned = clean_text(value)
        if cleaned is not None:
            return cleaned
    return None


def join_text(*parts: str | None, sep: str = "\n") -> str | None:
    kept = [part for part in parts if part]
    return sep.join(kept) if kept else None


def split_list(value: str | None) -> list[str]:
    """Split a comma/semicolon separated cell into stripped items."""
    if not value:
        return []
    return [item.strip() for item in re.split(r"[,;]", value) if item.strip()]


def parse_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    low = value.strip().lower()
    if low in {"true", "t", "yes", "y", "1", "ja", "oui", "x"}:
        return True
    if low in {"false", "f", "no", "n", "0", "nee", "non"}:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def parse_time(value: str | None) -> str | None:
    """Parse a time of day into ``"HH:MM"`` (``09:00:00``, ``9:00 AM``, ``9u30``, ``17:00Z``)."""
    if value is None:
        return None
    match = _TIME_RE.match(value.strip())
    if not match:
        raise ValueError(f"not a time of day: {value!r}")
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"not a time of day: {value!r}")
        hour = hour % 12 + (12 if meridiem.lower() == "p" else 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise ValueError(f"not a time of day: {value!r}")
    return f"{hour:02d}:{minute:02d}"


def parse_date(value: str | None, *, month_first: bool = False) -> dt.date | None:
    """Parse ISO dates (also the date of a timestamp), ``yyyy/mm/dd`` and ``dd/mm/yyyy``.

    ``mm/dd/yyyy`` is assumed instead when ``month_first`` (US sources) unless the numbers
    only fit one reading.
    """
    if value is None:
        return None
    text_value = value.strip()
    match = re.match(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T ])", text_value)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text_value)
    if match:
        first, second, year = (int(part) for part in match.groups())
        if month_first and first <= 12 or second > 12:
            first, second = second, first
        return dt.date(year, second, first)
    raise ValueError(f"not a date: {value!r}")


def parse_datetime(value: str | None) -> dt.datetime | None:
    """Parse an ISO timestamp (``Z`` and fractions allowed) or a date (midnight)."""
    if value is None:
        return None
    text_value = value.strip()
    try:
        return dt.datetime.fromisoformat(text_value)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text_value.replace("/", "-").replace(" ", "T", 1))
    except ValueError:
        pass
    day = parse_date(text_value)
    return dt.datetime(day.year, day.month, day.day) if day else None


def parse_weekday(value: str | None) -> int | None:
    """1=Monday .. 7=Sunday from a number (HSDS 1.x) or an RRULE code/name."""
    if value is None:
        return None
    low = value.strip().lower().rstrip(".")
    if low.isdigit() and 1 <= int(low) <= 7:
        return int(low)
    if low in WEEKDAYS:
        return WEEKDAYS[low]
    raise ValueError(f"not a weekday: {value!r}")


def country_code(value: str | None, state: str | None = None) -> str | None:
    """ISO alpha-2 code for a country as written; a US state implies ``US``."""
    if value:
        low = value.strip().lower()
        if low in COUNTRY_NAMES:
            return COUNTRY_NAMES[low]
        if len(low) == 2 and low.isalpha():
            return low.upper()
        return value
    if state and state.strip().upper() in US_STATES:
        return "US"
    return None


def scheme_name(taxonomy: str | None) -> str:
    """Category scheme for a taxonomy name: ``airs``, ``open-eligibility``, ``socialmap``,
    ``socialmap-target-group``, else the name as written (``hsds`` when there is none)."""
    if not taxonomy:
        return "hsds"
    low = taxonomy.strip().lower()
    squashed = re.sub(r"[\s_/-]+", "", low)
    if "211taxonomy" in squashed or squashed in {"airs", "211", "airs211", "airstaxonomy"}:
        return "airs"
    if "openeligibility" in squashed:
        return "open-eligibility"
    if squashed == "socialmap":
        return SOCIALMAP_SCHEME
    if squashed in {"socialmaptargetgroup", "socialmaptargetgroups"}:
        return SOCIALMAP_TARGET_GROUPS
    return taxonomy


def identifier_for(scheme: str | None, id_type: str | None, value: str) -> IdentifierIn:
    """An organization identifier; KBO/BCE/CBE/enterprise-number schemes become ``KBO``."""
    if _KBO_SCHEME_RE.search(f"{scheme or ''} {id_type or ''}"):
        return IdentifierIn(scheme="KBO", value=value, type=id_type)
    return IdentifierIn(scheme=scheme or id_type or "unknown", value=value, type=id_type)


def tax_identifier(value: str, country: str) -> IdentifierIn:
    """The ``tax_id`` column: a Belgian enterprise number, a US EIN, or just a tax id."""
    if _KBO_VALUE_RE.match(value):
        return IdentifierIn(scheme="KBO", value=value, type="tax_id")
    return IdentifierIn(scheme="EIN" if country == "US" else "tax_id", value=value, type="tax_id")


def service_areas_for(label: str, country: str) -> list[ServiceAreaIn]:
    """Service areas for a free-text area: postcodes/NIS codes when it is only codes."""
    if label[:1] in "[{":
        try:
            structured = json.loads(label)
        except ValueError:
            structured = None
        if structured is not None:
            areas = _structured_areas(structured)
            if areas:
                return areas
    parts = [part.strip() for part in re.split(r"[,;/]", label) if part.strip()]
    coded = [_coded_area(part, country) for part in parts]
    if parts and all(coded):
        return [area for area in coded if area is not None]
    return [ServiceAreaIn(kind="text", name=label)]


def _coded_area(part: str, country: str) -> ServiceAreaIn | None:
    if country == "BE":
        match = re.fullmatch(r"(\d{4})(?:\s+(\D.*))?", part)
        if match:
            return ServiceAreaIn(kind="postcode", code=match.group(1), name=match.group(2))
        if re.fullmatch(r"\d{5}", part):
            return ServiceAreaIn(kind="municipality", code=part)
    elif country == "US" and re.fullmatch(r"\d{5}(-\d{4})?", part):
        return ServiceAreaIn(kind="postcode", code=part)
    return None


def _structured_areas(data: Any) -> list[ServiceAreaIn]:
    """WithinReach-style ``[{"scope": "county", "county": "Whatcom", "state": "WA"}]``."""
    items = data if isinstance(data, list) else [data]
    areas: list[ServiceAreaIn] = []
    for item in items:
        if not isinstance(item, dict):
            return []
        scope = str(item.get("scope") or "").lower()
        values = {k: clean_text(v) for k, v in item.items() if k != "scope"}
        if scope == "zip" and values.get("zip"):
            areas.append(ServiceAreaIn(kind="postcode", code=values["zip"]))
        elif scope == "county" and values.get("county"):
            name = f"{values['county']} County"
            if values.get("state"):
                name += f", {values['state']}"
            areas.append(ServiceAreaIn(kind="text", name=name))
        elif scope in values and values[scope]:
            extra = values.get("state") if scope != "state" else None
            areas.append(ServiceAreaIn(kind="text", name=join_text(values[scope], extra, sep=", ")))
        else:
            name = ", ".join(v for v in values.values() if v)
            if not name:
                return []
            areas.append(ServiceAreaIn(kind="text", name=name))
    return areas


def parse_age_range(value: str) -> tuple[float | None, float | None] | None:
    """``"0-5"`` -> (0, 5); ``"18+"`` -> (18, None); ``None`` when not understood."""
    match = _AGE_RANGE_RE.match(value.strip())
    if match:
        return tuple(float(part.replace(",", ".")) for part in match.groups())  # type: ignore[return-value]
    match = _AGE_MIN_RE.match(value.strip())
    if match:
        return float(match.group(1).replace(",", ".")), None
    return None


def capacity_from_wait_time(value: str) -> CapacityIn:
    """A capacity note from a wait-time text; weeks when it says "28 days", "3 weeks" ..."""
    if _NO_WAIT_RE.match(value.strip()):
        return CapacityIn(status="available", waiting_weeks=0.0, note=value)
    match = _WAIT_RE.search(value)
    if match:
        number = float(match.group(1).replace(",", "."))
        unit = match.group(2).lower()
        if unit.startswith(("d", "j")):
            weeks = number / 7
        elif unit.startswith("m"):
            weeks = number * 52 / 12
        else:
            weeks = number
        weeks = round(weeks, 2)
        return CapacityIn(
            status="waitlist" if weeks > 0 else "available", waiting_weeks=weeks, note=value
        )
    return CapacityIn(status="unknown", note=value)

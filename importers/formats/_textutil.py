"""Small value helpers shared by the readers (cleaning, not normalising).

Readers keep data as written; these helpers only make values safe and typed:
strip control characters, turn blanks into ``None``, parse numbers and dates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from typing import Any

# Control characters except TAB and LF (CR is folded into LF first).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


def clean_text(value: Any) -> str | None:
    """Return ``value`` as stripped text without control characters; blanks become ``None``.

    Line breaks are kept (as ``\\n``) and tabs too, because free-text fields such as
    opening hours use them; everything else below U+0020 (and C1 controls) is dropped.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float)):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_RE.sub("", text).strip()
    return text or None


def clean_list(values: Any) -> list[str]:
    """Clean every item of a list (a lone scalar counts as a one-item list); drop blanks."""
    if values is None:
        return []
    if not isinstance(values, list):
        values = [values]
    out = []
    for value in values:
        text = clean_text(value)
        if text is not None:
            out.append(text)
    return out


def unique(values: list[str]) -> list[str]:
    """Keep the first occurrence of every value, in order."""
    seen: set[str] = set()
    out = []
    for value in values:
        if value not in seen:
            seen.add(value)
            out.append(value)
    return out


def parse_float(value: Any) -> float | None:
    """Parse a number written with a decimal point or comma; ``None`` for blanks.

    Raises ``ValueError`` for text that is not a number, so callers can report it.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    text = clean_text(value)
    if text is None:
        return None
    compact = text.replace(" ", "").replace("\u00a0", "")
    if not _NUMBER_RE.match(compact):
        raise ValueError(f"not a number: {text!r}")
    return float(compact.replace(",", "."))


def parse_coordinate(value: Any, low: float, high: float) -> float | None:
    """Parse a latitude/longitude and check its range; raises ``ValueError`` when unusable."""
    number = parse_float(value)
    if number is not None and not low <= number <= high:
        raise ValueError(f"out of range [{low}, {high}]: {number}")
    return number


def parse_day_month_year(value: Any) -> dt.date | None:
    """Parse ``dd/mm/yy`` or ``dd/mm/yyyy`` (also with ``-`` or ``.``); ``ValueError`` if bad."""
    text = clean_text(value)
    if text is None:
        return None
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", text)
    if not match:
        raise ValueError(f"not a dd/mm/yy date: {text!r}")
    day, month, year = (int(part) for part in match.groups())
    if year < 100:
        # Two-digit years: the sources are all from this century.
        year += 2000
    return dt.date(year, month, day)


def slugify(text: str) -> str:
    """ASCII slug of ``text`` ("ST.-JAN BRUGGE" -> "st-jan-brugge")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def stable_hash(*parts: str | None, length: int = 12) -> str:
    """A short, stable hex digest of ``parts`` (used for ids of sources without ids)."""
    joined = "\x1f".join("" if part is None else part for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:length]


#: Day names as sources write them (EN/NL/FR, long and short) -> 1=Monday .. 7=Sunday.
WEEKDAYS = {
    "mo": 1,
    "tu": 2,
    "we": 3,
    "th": 4,
    "fr": 5,
    "sa": 6,
    "su": 7,
    "mon": 1,
    "tue": 2,
    "tues": 2,
    "wed": 3,
    "thu": 4,
    "thur": 4,
    "thurs": 4,
    "fri": 5,
    "sat": 6,
    "sun": 7,
    "monday": 1,
    "tuesday": 2,
    "wednesday": 3,
    "thursday": 4,
    "friday": 5,
    "saturday": 6,
    "sunday": 7,
    "maandag": 1,
    "dinsdag": 2,
    "woensdag": 3,
    "donderdag": 4,
    "vrijdag": 5,
    "zaterdag": 6,
    "zondag": 7,
    "lundi": 1,
    "mardi": 2,
    "mercredi": 3,
    "jeudi": 4,
    "vendredi": 5,
    "samedi": 6,
    "dimanche": 7,
}

"""Addresses: :class:`AddressNorm`, :func:`normalize_address` and :func:`normalize_country`.

Belgian addresses are split into street/number/box and checked against the gazetteer
(:mod:`importers.normalize.places`); US addresses get a 2-letter state and a 5-digit zip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import Any

from importers.normalize.places import _default_gazetteer
from importers.normalize.places import _resolve
from importers.normalize.text import _CACHE_SIZE
from importers.normalize.text import _HAS_LETTER_RE
from importers.normalize.text import _one_line
from importers.normalize.text import fix_case
from importers.records import AddressIn


@dataclass
class AddressNorm:
    """A normalised address; ``lat``/``lon``/``precision`` are filled in by the geocoder."""

    street: str | None = None
    house_number: str | None = None
    box: str | None = None
    address_2: str | None = None
    postcode: str | None = None
    city: str | None = None
    municipality_nis: str | None = None
    country: str | None = None
    state_province: str | None = None
    lat: float | None = None
    lon: float | None = None
    precision: str | None = None  # source | address | postcode | municipality
    issues: list[str] = field(default_factory=list)


_COUNTRIES = {
    "be": "BE", "bel": "BE", "b": "BE", "belgium": "BE", "belgie": "BE", "belgië": "BE",
    "belgique": "BE", "belgien": "BE", "belgica": "BE", "belgië/belgique": "BE",
    "us": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "united states": "US",
    "united states of america": "US", "verenigde staten": "US",
    "nl": "NL", "nld": "NL", "nederland": "NL", "netherlands": "NL", "the netherlands": "NL",
    "pays-bas": "NL", "fr": "FR", "fra": "FR", "france": "FR", "frankrijk": "FR",
    "de": "DE", "deu": "DE", "germany": "DE", "duitsland": "DE", "allemagne": "DE",
    "deutschland": "DE", "lu": "LU", "lux": "LU", "luxembourg": "LU", "luxemburg": "LU",
    "uk": "GB", "gb": "GB", "united kingdom": "GB", "verenigd koninkrijk": "GB",
}  # fmt: skip

_US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ",
    "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND",
    "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA",
    "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR",
}  # fmt: skip


def normalize_country(raw: str | None, default: str | None = "BE") -> str | None:
    """ISO 3166-1 alpha-2 code for a country code or name; unknown names are kept as given."""
    s = _one_line(raw)
    if s is None:
        return default
    code = _COUNTRIES.get(s.lower())
    if code:
        return code
    if len(s) == 2 and s.isalpha():
        return s.upper()
    return s


# House number: digits, optional range ("12-14"), optional letter/bis suffix ("12A", "4bis").
_NUM = r"\d{1,5}(?:\s?[-–]\s?\d{1,5})?(?:\s?(?:bis|ter|quater|[^\W\d_])(?![^\W_]))?"
_BOX_WORD = r"(?:bus|bte|boîte|boite|bt|box|bo|b)\.?"
_BOX_VALUE = r"[^\W_][\w.\-]{0,9}"
_BOX_TAIL = rf"(?:\s*,?\s*{_BOX_WORD}\s*(?P<box>{_BOX_VALUE})|\s*/\s*(?P<box2>{_BOX_VALUE}))?\s*$"
# Searched (not matched) so the first position where a number + box ends the line wins:
# "Rue du 11 Novembre 5" -> "5".  A leading ".*?" would make hostile input quadratic.
_STREET_SPLIT_RE = re.compile(
    rf"(?<![\s,])[\s,]+(?:(?:nr|no|n°)\.?\s*)?(?P<num>{_NUM}){_BOX_TAIL}", re.IGNORECASE
)
_HOUSE_SPLIT_RE = re.compile(rf"^(?:(?:nr|no|n°)\.?\s*)?(?P<num>{_NUM}){_BOX_TAIL}", re.IGNORECASE)
_BOX_FIELD_RE = re.compile(rf"^{_BOX_WORD}\s*(?=\w)", re.IGNORECASE)
_NUM_SUFFIX_RE = re.compile(r"^(\d+(?:-\d+)?)\s?([^\W\d_]+)$")
_BE_POSTCODE_RE = re.compile(r"^(?:BE?\s*[-–]?\s*)?(\d{4})(?:\.0)?$", re.IGNORECASE)
_PC_CITY_RE = re.compile(r"^(?:BE?\s*[-–]?\s*)?(\d{4})\s*[,-]?\s+(.*[^\W\d_].*)$", re.IGNORECASE)
_CITY_PC_RE = re.compile(r"(?<![\s,(])[\s,(]+(\d{4})\)?$")
_BPOST_SUFFIX_RE = re.compile(r"^(.*?[^\W\d_.])\s*(?:-{1,2}\s*|\s+)\d{1,2}$")
_ONE_LINE_ADDR_RE = re.compile(
    r"(?<![\s,])[\s,]+(?:BE?\s*[-–]?\s*)?(?P<pc>\d{4})\s+"
    r"(?P<city>[^\d,]+?)(?:\s*,\s*(?:belgi[eë]|belgique|belgium|be))?$",
    re.IGNORECASE,
)
_US_ZIP_RE = re.compile(r"^(\d{3,5})(?:[-\s]?\d{4})?$")


def _clean_house_number(num: str) -> str:
    num = num.replace(" ", "").replace("–", "-")
    m = _NUM_SUFFIX_RE.match(num)
    if m:
        digits, suffix = m.groups()
        # Single letters upper case ("12A"), bis/ter lower case ("4bis").
        num = digits + (suffix.upper() if len(suffix) == 1 else suffix.lower())
    return num


@lru_cache(maxsize=_CACHE_SIZE)
def _split_street(street: str) -> tuple[str, str | None, str | None]:
    """ "Kerkstraat 12 bus 3" -> ("Kerkstraat", "12", "3"); no number -> (street, None, None)."""
    m = _STREET_SPLIT_RE.search(street)
    if not m or not _HAS_LETTER_RE.search(street, 0, m.start()):
        return street, None, None
    box = m.group("box") or m.group("box2")
    return street[: m.start()].rstrip(" ,"), _clean_house_number(m.group("num")), box


@lru_cache(maxsize=_CACHE_SIZE)
def _split_house_number(num: str) -> tuple[str, str | None]:
    m = _HOUSE_SPLIT_RE.match(num)
    if not m:
        return num, None
    return _clean_house_number(m.group("num")), m.group("box") or m.group("box2")


def _clean_box(box: str | None) -> str | None:
    if box is None:
        return None
    return _BOX_FIELD_RE.sub("", box).strip() or None


def _split_qualifier(city: str) -> tuple[str, str | None]:
    """ "LEUZE (HT)" -> ("LEUZE", "HT"); no trailing "(...)" -> (city, None)."""
    if not city.endswith(")"):
        return city, None
    i = city.rfind("(")
    base, qualifier = city[:i].rstrip(), city[i + 1 : -1].strip()
    if i <= 0 or "(" in qualifier or not _HAS_LETTER_RE.search(base):
        return city, None
    if not _HAS_LETTER_RE.search(qualifier):
        return city, None
    return base, qualifier


def _city_without_suffix(city: str) -> str:
    m = _BPOST_SUFFIX_RE.match(city)
    return m.group(1) if m else city


def normalize_address(
    a: AddressIn, default_country: str = "BE", gazetteer: Any = None
) -> AddressNorm:
    """Normalise one address.

    Belgian addresses: split "Kerkstraat 12 bus 3" / "12/3" / "12 b3" / "16 bte 2" / "12A"
    into street, house number and box when the house number is missing; fix SHOUTING case;
    take the postcode from "B-8400" or from "8400 Oostende" in the city field; strip bpost
    district suffixes ("ANTWERPEN-1", "BRUXELLES--4"); check the postcode and set the 2025
    NIS code of the municipality with the gazetteer, filling a missing postcode (or city)
    from it.  Other countries keep their fields (US: upper-case 2-letter state, 5-digit zip).
    Problems are listed in ``issues``; coordinates are left to :mod:`importers.geocode`.
    """
    out = AddressNorm(
        street=_one_line(a.street),
        house_number=_one_line(a.house_number),
        box=_clean_box(_one_line(a.box)),
        address_2=_one_line(a.address_2),
        postcode=_one_line(a.postcode),
        city=_one_line(a.city),
        country=normalize_country(a.country, default_country),
        state_province=_one_line(a.state_province),
    )
    if out.country == "BE":
        _normalize_be(out, gazetteer)
    elif out.country == "US":
        _normalize_us(out)
    return out


def _normalize_be(out: AddressNorm, gazetteer: Any) -> None:
    # Whole address on one line: "Kerkstraat 12, 8400 Oostende".
    if out.street and out.postcode is None and out.city is None:
        m = _ONE_LINE_ADDR_RE.search(out.street)
        if (
            m
            and _HAS_LETTER_RE.search(m["city"])
            and any(ch.isdigit() for ch in out.street[: m.start()])
        ):
            out.street, out.postcode, out.city = out.street[: m.start()], m["pc"], m["city"]

    if out.street:
        if out.house_number is None:
            street, num, box = _split_street(out.street)
            out.street, out.house_number = street, num
            if box is not None and out.box is None:
                out.box = box
        out.street = fix_case(out.street)
    if out.house_number:
        num, box = _split_house_number(out.house_number)
        out.house_number = num
        if box is not None and out.box is None:
            out.box = box

    # Postcode, possibly written inside the city field ("8400 Oostende", "Oostende (8400)").
    if out.postcode is not None:
        m = _BE_POSTCODE_RE.match(out.postcode)
        if m:
            out.postcode = m.group(1)
        else:
            m = _PC_CITY_RE.match(out.postcode)
            if m:
                out.postcode = m.group(1)
                if out.city is None:
                    out.city = m.group(2)
            else:
                out.issues.append(f"invalid postcode {out.postcode}")
                out.postcode = None
    district = False
    qualifier = None
    if out.city is not None:
        m = _PC_CITY_RE.match(out.city)
        if m:
            if out.postcode is None:
                out.postcode = m.group(1)
            out.city = m.group(2)
        else:
            m = _CITY_PC_RE.search(out.city)
            if m and _HAS_LETTER_RE.search(out.city, 0, m.start()):
                if out.postcode is None:
                    out.postcode = m.group(1)
                out.city = out.city[: m.start()]
        # "LIEGE-1 (SART-TILMAN)", "LEUZE (HT)": match on the name before the brackets.
        base, qualifier = _split_qualifier(out.city)
        stripped = _city_without_suffix(base)
        district = stripped != base
        out.city = fix_case(stripped)
        if qualifier:
            qualifier = fix_case(qualifier)

    gaz = gazetteer if gazetteer is not None else _default_gazetteer()
    if gaz is not None:
        recognised = _apply_gazetteer(out, gaz, district)
        if qualifier and not recognised:
            out.city = f"{out.city} ({qualifier})"  # keep what was written
    elif qualifier:
        out.city = f"{out.city} ({qualifier})"


def _normalize_us(out: AddressNorm) -> None:
    st = out.state_province
    if st:
        if len(st) == 2 and st.isalpha():
            out.state_province = st.upper()
        else:
            out.state_province = _US_STATES.get(st.lower().rstrip("."), st)
    if out.postcode:
        m = _US_ZIP_RE.match(out.postcode)
        if m is None:
            out.issues.append(f"invalid zip code {out.postcode}")
        else:
            zip5 = m.group(1)
            if len(zip5) < 5:
                # Spreadsheets drop leading zeros of New England zip codes (02134 -> 2134).
                out.issues.append(f"zip code {zip5} padded with leading zeros")
                zip5 = zip5.zfill(5)
            out.postcode = zip5


# ---- gazetteer ------------------------------------------------------------------------------


def _apply_gazetteer(out: AddressNorm, gaz: Any, district: bool) -> bool:
    """Fill postcode/city/NIS from the gazetteer; True when the city name was recognised."""
    postcode, city, nis, issues = _resolve(gaz, out.postcode, out.city, district)
    out.postcode = postcode
    out.city = city
    out.municipality_nis = gaz.current_nis(nis) if nis else None
    out.issues.extend(issues)
    return not any(i.startswith("unknown") or "does not match" in i for i in issues)

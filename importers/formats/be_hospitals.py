"""Reader for the Eurostat GISCO list of Belgian hospital sites (``BE.csv``).

Format name ``be-hospitals``. ``location`` is the CSV file, or a folder holding ``BE.csv``;
an empty location reads the copy the app ships (``socialmap/data/hospitals/BE.csv``,
reference date 1 Feb 2020, EUPL-1.2).

One row is one hospital *site*. Mapping:

- one organisation per distinct ``hospital_name`` (the file has no hospital id, so the
  external id is a slug of the name plus a short hash of it: stable across runs);
- one location per row (external id = the row ``id``). ``street`` holds street and number
  together ("ST.-LUCASLAAN 29") and is kept whole; postcode and city ("ANTWERPEN-1") as given;
- one service per hospital, "Ziekenhuis" (FR translation "Hôpital"), at all its sites,
  categorised ``socialmap:hospital-care`` plus the facility types as label categories; the
  description names the sites with an emergency department (spoedgevallen).

Bed counts (``cap_beds``) stay in ``raw`` only. The organisation/location ``language`` is
guessed from the hospital name's words, else a one-language ``facility_type``, else the
postcode's region (the file mixes Dutch, French and German names).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from importers.formats import ReadOptions
from importers.formats import register
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.formats._textutil import parse_day_month_year
from importers.formats._textutil import slugify
from importers.formats._textutil import stable_hash
from importers.records import AddressIn
from importers.records import Batch
from importers.records import CategoryIn
from importers.records import LocationIn
from importers.records import MalformedSource
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ServiceIn

FORMAT = "be-hospitals"
DEFAULT_FILE = Path(__file__).resolve().parents[2] / "socialmap" / "data" / "hospitals" / "BE.csv"
REQUIRED_COLUMNS = ("id", "hospital_name", "street", "postcode", "city")
HOSPITAL_CARE = "hospital-care"  # docs/taxonomy-codes.md (health)

# First word(s) of facility_type -> language of the hospital's own texts.
FACILITY_LANGUAGE = (
    ("hôpital", "fr"),
    ("hopital", "fr"),
    ("allgemein", "de"),
    ("algemeen", "nl"),
    ("psychiatrisch", "nl"),
    ("universitair", "nl"),
    ("a.z.", "nl"),
)


@dataclass
class _Hospital:
    name: str
    external_id: str
    ref: str
    first_row: dict[str, str]
    sites: list[LocationIn] = field(default_factory=list)
    emergency_sites: list[str] = field(default_factory=list)
    facility_types: list[str] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)  # first non-empty value per column


def hospital_id(name: str) -> str:
    """Stable external id for a hospital name ("AZ ST. LUCAS" -> "az-st-lucas-<hash>")."""
    return f"{slugify(name)[:60]}-{stable_hash(name, length=8)}"


# Words in hospital names that give away their language (when facility_type is empty).
FRENCH_WORDS = {
    "hopital", "hôpital", "hopitaux", "institut", "centre", "centres", "clinique", "cliniques",
    "hospitalier", "hospitaliers", "chu", "chr", "asbl", "sante", "santé", "psychiatrique",
    "neuropsychiatrique", "universitaire", "universitaires",
}  # fmt: skip
DUTCH_WORDS = {
    "ziekenhuis", "ziekenhuizen", "kliniek", "centrum", "vzw", "algemeen", "psychiatrisch",
    "psychiatrische", "az", "zorg", "ziekenhuisnetwerk", "universitair",
}  # fmt: skip


def _language(facility_type: str | None, postcode: str | None, name: str = "") -> str:
    """Language of the hospital's name: its words, else a one-language facility type,
    else the region of its postcode."""
    words = set(re.findall(r"[^\W\d_]+", name.lower()))
    french, dutch = len(words & FRENCH_WORDS), len(words & DUTCH_WORDS)
    if french != dutch:
        return "fr" if french > dutch else "nl"
    if facility_type and " - " not in facility_type:  # "Algemeen ziekenhuis - Hôpital général"
        lowered = facility_type.lower()
        for prefix, language in FACILITY_LANGUAGE:
            if lowered.startswith(prefix):
                return language
    if postcode and postcode.isdigit():
        number = int(postcode)
        # Walloon Brabant and Wallonia; Brussels and Flanders default to Dutch.
        if 1300 <= number <= 1499 or 4000 <= number <= 7999:
            return "fr"
    return "nl"


def _resolve(location: str) -> Path:
    if not location:
        return DEFAULT_FILE
    path = Path(location)
    return path / "BE.csv" if path.is_dir() else path


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MalformedSource(f"be-hospitals: cannot read {path}: {exc}") from exc
    if b"\x00" in data[:4096]:
        raise MalformedSource(f"be-hospitals: {path.name} is not a text CSV file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
    except csv.Error as exc:
        raise MalformedSource(f"be-hospitals: {path.name} is not valid CSV ({exc})") from exc
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise MalformedSource(
            f"be-hospitals: {path.name} lacks column(s) {', '.join(missing)} "
            f"(found: {', '.join(header) or 'none'})"
        )
    return [
        {(key or "").strip(): value or "" for key, value in row.items() if key is not None}
        for row in rows
    ]


def _location(row: dict[str, str], hospital: _Hospital, ref: str, batch: Batch) -> LocationIn:
    latitude = longitude = None
    try:
        latitude = parse_coordinate(row.get("lat"), -90, 90)
        longitude = parse_coordinate(row.get("lon"), -180, 180)
    except ValueError as exc:
        batch.warn(ref, f"coordinates ignored ({exc})", "lat")
        latitude = longitude = None
    tel = clean_text(row.get("tel"))
    return LocationIn(
        external_id=clean_text(row["id"]) or "",
        organization_ref=hospital.external_id,
        name=clean_text(row.get("site_name")) or hospital.name,
        latitude=latitude,
        longitude=longitude,
        addresses=[
            AddressIn(
                street=clean_text(row.get("street")),
                house_number=clean_text(row.get("house_number")),
                postcode=clean_text(row.get("postcode")),
                city=clean_text(row.get("city")),
                country=clean_text(row.get("cc")) or "BE",
            )
        ],
        phones=[PhoneIn(number=tel)] if tel else [],
        url=clean_text(row.get("url")),
        raw=dict(row),
        ref=ref,
    )


def _description(hospital: _Hospital) -> tuple[str | None, str | None]:
    """Dutch and French text about the emergency departments, or (None, None)."""
    if not hospital.emergency_sites:
        return None, None
    if len(hospital.emergency_sites) == len(hospital.sites):
        return "Ziekenhuis met spoedgevallendienst.", "Hôpital avec service des urgences."
    names = ", ".join(hospital.emergency_sites)
    return (
        f"Ziekenhuis met spoedgevallendienst op de site(s): {names}.",
        f"Hôpital avec service des urgences sur le(s) site(s) : {names}.",
    )


def _last_modified(value: str | None, ref: str, batch: Batch) -> dt.datetime | None:
    try:
        day = parse_day_month_year(value)
    except ValueError as exc:
        batch.warn(ref, f"pub_date ignored ({exc})", "pub_date")
        return None
    return dt.datetime.combine(day, dt.time()) if day else None


@register(FORMAT)
def read(location: str, options: ReadOptions) -> Batch:
    """Read hospital sites into organisations, sites and one hospital service each."""
    path = _resolve(location)
    batch = Batch(default_country="BE")
    hospitals: dict[str, _Hospital] = {}
    seen_ids: set[str] = set()
    for number, row in enumerate(_rows(path), start=1):
        ref = f"{path.name} row {number}"
        row_id = clean_text(row.get("id"))
        name = clean_text(row.get("hospital_name"))
        if row_id is None:
            batch.reject(ref, "missing id", "id")
            continue
        if row_id in seen_ids:
            batch.reject(ref, f"duplicate id {row_id}", "id")
            continue
        if name is None:
            batch.reject(ref, "missing hospital_name", "hospital_name")
            continue
        seen_ids.add(row_id)
        hospital = hospitals.get(name)
        if hospital is None:
            hospital = hospitals[name] = _Hospital(name, hospital_id(name), ref, row)
        for key, value in row.items():
            cleaned = clean_text(value)
            if cleaned is not None:
                hospital.values.setdefault(key, cleaned)
        site = _location(row, hospital, ref, batch)
        hospital.sites.append(site)
        if (clean_text(row.get("emergency")) or "").lower() in {"yes", "ja", "oui", "true", "1"}:
            hospital.emergency_sites.append(site.name or name)
        website = clean_text(row.get("url"))
        if website and website.lower() not in hospital.websites:
            hospital.websites.append(website.lower())
        facility = clean_text(row.get("facility_type"))
        if facility and facility not in hospital.facility_types:
            hospital.facility_types.append(facility)

    for hospital in hospitals.values():
        values = hospital.values
        language = _language(values.get("facility_type"), values.get("postcode"), hospital.name)
        for site in hospital.sites:
            site.language = language
        if len(hospital.websites) > 1:
            # The file has no hospital id: two hospitals with one name end up merged
            # (e.g. AZ St. Lucas in Brugge and in Gent). Flag it for a data steward.
            batch.warn(
                hospital.ref,
                f"hospital_name {hospital.name!r} has several websites "
                f"({', '.join(hospital.websites)}): maybe different hospitals merged",
                "hospital_name",
            )
        tel = values.get("tel")
        website = values.get("url")
        modified = _last_modified(values.get("pub_date"), hospital.ref, batch)
        batch.organizations.append(
            OrganizationIn(
                external_id=hospital.external_id,
                name=hospital.name,
                website=website,
                email=values.get("email"),
                legal_status=values.get("public_private"),
                phones=[PhoneIn(number=tel)] if tel else [],
                language=language,
                last_modified=modified,
                raw=dict(hospital.first_row),
                ref=hospital.ref,
            )
        )
        batch.locations.extend(hospital.sites)
        description_nl, description_fr = _description(hospital)
        french: dict[str, str] = {"name": "Hôpital"}
        if description_fr:
            french["description"] = description_fr
        raw: dict[str, Any] = {
            "hospital_name": hospital.name,
            "site_ids": [site.external_id for site in hospital.sites],
            "cap_beds": {site.external_id: site.raw.get("cap_beds") for site in hospital.sites},
            "emergency_sites": hospital.emergency_sites,
        }
        batch.services.append(
            ServiceIn(
                external_id=hospital.external_id,
                organization_ref=hospital.external_id,
                name="Ziekenhuis",
                location_refs=[site.external_id for site in hospital.sites],
                description=description_nl,
                url=website,
                phones=[PhoneIn(number=tel)] if tel else [],
                categories=[CategoryIn(scheme="socialmap", code=HOSPITAL_CARE)]
                + [CategoryIn(scheme="label", label=label) for label in hospital.facility_types],
                last_modified=modified,
                language="nl",
                translations={"fr": french},
                raw=raw,
                ref=hospital.ref,
            )
        )
    return batch

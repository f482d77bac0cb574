"""Record builders of the SF 211 reader: agency, site, program and program-at-site rows."""

from __future__ import annotations

from importers.formats._export_csv import Row
from importers.formats._sf211_fields import LANGUAGE
from importers.formats._sf211_fields import _address
from importers.formats._sf211_fields import _alternate_name
from importers.formats._sf211_fields import _as_datetime
from importers.formats._sf211_fields import _date
from importers.formats._sf211_fields import _is_active
from importers.formats._sf211_fields import _languages
from importers.formats._sf211_fields import _one_line
from importers.formats._sf211_fields import _phones
from importers.formats._sf211_fields import _public
from importers.formats._sf211_fields import _schedules
from importers.formats._sf211_fields import _split
from importers.formats._sf211_fields import _taxonomy
from importers.formats._sf211_fields import _value
from importers.formats._sf211_fields import _yes
from importers.formats._textutil import clean_text
from importers.formats._textutil import parse_coordinate
from importers.records import Batch
from importers.records import CapacityIn
from importers.records import CategoryIn
from importers.records import IdentifierIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import ServiceAreaIn
from importers.records import ServiceIn

FREE_FEES = {"none", "no fee", "no fees", "free"}
ELIGIBILITY_FLAGS = ("Adult", "Child", "Family", "Female", "Male", "Teen")


def _organization(row: Row, ref: str, batch: Batch) -> OrganizationIn | None:
    name = clean_text(row.get("PublicName")) or clean_text(row.get("OfficialName"))
    if name is None:
        batch.reject(ref, "agency without a name", "PublicName")
        return None
    fein = clean_text(row.get("FEIN"))
    return OrganizationIn(
        external_id=clean_text(row["ResourceAgencyNum"]) or "",
        name=name,
        alternate_name=_alternate_name(row),
        description=clean_text(row.get("AgencyDescription")),
        email=clean_text(row.get("EmailAddressMain")),
        website=clean_text(row.get("WebsiteAddress")),
        legal_status=_value(row, "LegalStatus"),
        identifiers=[IdentifierIn(scheme="FEIN", value=fein)] if fein else [],
        phones=_phones(row),
        language=LANGUAGE,
        status="active" if _is_active(row) else "inactive",
        last_modified=_as_datetime(_date(row, "UpdatedOn", ref, batch)),
        assured_date=_date(row, "LastVerifiedOn", ref, batch),
        raw=_public(row),
        ref=ref,
    )


def _location(
    row: Row, ref: str, org_ids: set[str], batch: Batch, own_agency: bool = False
) -> LocationIn | None:
    record_id = clean_text(row["ResourceAgencyNum"]) or ""
    if own_agency:
        parent = record_id
    else:
        if not _is_active(row):
            # LocationIn has no status: a closed site must not reach the map.
            batch.reject(ref, "inactive site: left out", "AgencyStatus")
            return None
        parent = clean_text(row.get("ParentAgencyNum"))
        if parent not in org_ids:
            name = clean_text(row.get("ParentAgency"))
            label = f" ({name})" if name else ""
            batch.warn(ref, f"parent agency {parent}{label} is not in the file", "ParentAgencyNum")
            parent = None
    confidential = _yes(row, "PhysicalAddressIsPrivate")
    addresses = []
    physical = _address(row, "Physical", "physical")
    if physical is not None:
        addresses.append(physical)
    mailing = None if _yes(row, "MailingAddressIsPrivate") else _address(row, "Mailing", "postal")
    if mailing is not None:
        addresses.append(mailing)
    latitude = longitude = None
    try:
        latitude = parse_coordinate(row.get("Latitude"), -90, 90)
        longitude = parse_coordinate(row.get("Longitude"), -180, 180)
    except ValueError as exc:
        batch.warn(ref, f"coordinates ignored: {exc}", "Latitude")
        latitude = longitude = None
    if latitude == 0 and longitude == 0:
        latitude = longitude = None
    transport = [
        text
        for text in (
            clean_text(row.get("BusServiceAccess")),
            clean_text(row.get("PublicAccessTransportation")),
        )
        if text
    ]
    return LocationIn(
        external_id=record_id,
        organization_ref=parent,
        name=clean_text(row.get("PublicName")),
        alternate_name=_alternate_name(row),
        description=clean_text(row.get("PhysicalLocationDescription")),
        latitude=latitude,
        longitude=longitude,
        addresses=addresses,
        phones=_phones(row),
        schedules=_schedules(row),
        languages=_languages(row),
        accessibility=_split(row.get("DisabilitiesAccess"), ";"),
        transportation="\n".join(transport) or None,
        url=clean_text(row.get("WebsiteAddress")),
        confidential=confidential,
        front_door=_one_line(mailing) if confidential and mailing is not None else None,
        language=LANGUAGE,
        raw=_public(row),
        ref=ref,
    )


def _service(row: Row, ref: str, org_ids: set[str], batch: Batch) -> ServiceIn | None:
    name = clean_text(row.get("PublicName"))
    if name is None:
        batch.reject(ref, "program without a name", "PublicName")
        return None
    parent = clean_text(row.get("ParentAgencyNum"))
    if parent not in org_ids:
        batch.warn(ref, f"parent agency {parent} is not in the file", "ParentAgencyNum")
        parent = None
    categories, targets = _taxonomy(row, ref, batch)
    for flag in ELIGIBILITY_FLAGS:
        if _yes(row, f"Eligibility{flag}"):
            targets.append(CategoryIn(scheme="sf211-eligibility", code=flag.lower(), label=flag))
    fees = clean_text(row.get("FeeStructureSource"))
    documents = clean_text(row.get("DocumentsRequired"))
    intake = clean_text(row.get("ApplicationProcess"))
    wait = [text for text in (_value(row, "AvailabilityPeriod"), _value(row, "NormalWaitTime"))]
    wait_note = "; ".join(text for text in wait if text) or None
    areas = [ServiceAreaIn(kind="text", name=a) for a in _split(row.get("Coverage"), ";")]
    areas += [ServiceAreaIn(kind="text", name=a) for a in _split(row.get("CoverageArea"), ",")]
    unique_areas: list[ServiceAreaIn] = []
    for area in areas:
        if area not in unique_areas:
            unique_areas.append(area)
    return ServiceIn(
        external_id=clean_text(row["ResourceAgencyNum"]) or "",
        organization_ref=parent,
        name=name,
        alternate_name=_alternate_name(row),
        description=clean_text(row.get("AgencyDescription")),
        url=clean_text(row.get("WebsiteAddress")),
        email=clean_text(row.get("EmailAddressMain")),
        status="active" if _is_active(row) else "inactive",
        phones=_phones(row),
        schedules=_schedules(row),
        languages=_languages(row),
        fees_description=fees,
        is_free=True if fees is not None and fees.lower() in FREE_FEES else None,
        required_documents=[documents] if documents else [],
        eligibility_description=clean_text(row.get("Eligibility")),
        target_groups=targets,
        categories=categories,
        service_areas=unique_areas,
        intake=IntakeIn(instructions=intake) if intake else None,
        capacity=CapacityIn(note=wait_note) if wait_note else None,
        licenses=clean_text(row.get("LicenseAccreditation")),
        assured_date=_date(row, "LastVerifiedOn", ref, batch),
        last_modified=_as_datetime(_date(row, "UpdatedOn", ref, batch)),
        language=LANGUAGE,
        raw=_public(row),
        ref=ref,
    )


def _program_at_site(
    row: Row,
    ref: str,
    org_ids: set[str],
    site_ids: set[str],
    services: dict[str, ServiceIn],
    batch: Batch,
) -> None:
    """Link a program to a site, or read the row as a service when its program is absent."""
    site_id = clean_text(row.get("ConnectsToSiteNum"))
    program_id = clean_text(row.get("ConnectsToProgramNum"))
    if site_id is not None and site_id not in site_ids:
        batch.warn(ref, f"site {site_id} is not in the file (or inactive)", "ConnectsToSiteNum")
        site_id = None
    if program_id in services:
        if site_id is not None and site_id not in services[program_id].location_refs:
            services[program_id].location_refs.append(site_id)
        return
    if clean_text(row.get("PublicName")) is None:
        batch.reject(
            ref,
            f"program-at-site without a name; its program {program_id} is not in the file",
            "ConnectsToProgramNum",
        )
        return
    svc = _service(row, ref, org_ids, batch)
    if svc is not None:
        svc.location_refs = [site_id] if site_id else []
        services[svc.external_id] = svc

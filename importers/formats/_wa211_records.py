"""Record builders of the WA 211 reader: agency, site, service and program rows -> records."""

from __future__ import annotations

from importers.formats._export_csv import Row
from importers.formats._textutil import clean_text
from importers.formats._textutil import unique
from importers.formats._wa211_fields import AGENCY_FILE
from importers.formats._wa211_fields import COUNTRY
from importers.formats._wa211_fields import ENDED_STATUSES
from importers.formats._wa211_fields import LANGUAGE
from importers.formats._wa211_fields import PROGRAM_FILE
from importers.formats._wa211_fields import SITE_FILE
from importers.formats._wa211_fields import _address
from importers.formats._wa211_fields import _as_datetime
from importers.formats._wa211_fields import _date
from importers.formats._wa211_fields import _hours
from importers.formats._wa211_fields import _id_names
from importers.formats._wa211_fields import _linked_ids
from importers.formats._wa211_fields import _option_list
from importers.formats._wa211_fields import _org_status
from importers.formats._wa211_fields import _service_areas
from importers.formats._wa211_fields import _service_status
from importers.formats._wa211_fields import _status_word
from importers.formats._wa211_fields import _target_groups
from importers.formats._wa211_fields import _taxonomy
from importers.records import Batch
from importers.records import IdentifierIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceIn

VISIBILITY = "ServiceOption_WebsiteVisibility"
FREE_FEES = {"none", "none.", "free", "free.", "no fee", "no fee.", "no fees", "no fees."}


def _organization(row: Row, ref: str, batch: Batch) -> OrganizationIn | None:
    agency_id = clean_text(row["Agency_Id"]) or ""
    name = clean_text(row.get("AgencySystem_Name"))
    if name is None:
        batch.reject(ref, "agency without a name", "AgencySystem_Name")
        return None
    identifiers = []
    fein = clean_text(row.get("AgencySystem_Fein"))
    if fein is not None:
        identifiers.append(IdentifierIn(scheme="FEIN", value=fein))
    updated = _date(row, "AgencySystem_DateOfLastCompleteUpdate", ref, batch)
    provider_types = _option_list(row, "AgencyOption_ProviderType", ref, batch)
    return OrganizationIn(
        external_id=agency_id,
        name=name,
        description=clean_text(row.get("AgencySystem_Description")),
        website=clean_text(row.get("AgencySystem_Websiteurl")),
        legal_status=", ".join(provider_types) or None,
        identifiers=identifiers,
        language=LANGUAGE,
        status=_org_status(row, "AgencyOption_Status", ref, batch),
        last_modified=_as_datetime(updated),
        assured_date=updated,
        raw=dict(row),
        ref=ref,
    )


def _location(row: Row, ref: str, org_ids: set[str], batch: Batch) -> LocationIn | None:
    site_id = clean_text(row["Site_Id"]) or ""
    agency_id = clean_text(row.get("Agency_Id"))
    if agency_id is not None and agency_id not in org_ids:
        batch.warn(ref, f"agency {agency_id} is not in {AGENCY_FILE}", "Agency_Id")
        agency_id = None
    status = _status_word(row, "SiteOption_Status", ref, batch)
    if status in ENDED_STATUSES:
        # LocationIn has no status: a closed site must not reach the map.
        batch.reject(ref, f"site status {status!r}: left out", "SiteOption_Status")
        return None
    addresses = []
    for prefix, address_type in (
        ("SiteAddressus_SiteAddressus_", "physical"),
        ("SiteAddressus_MailingAddress_", "postal"),
    ):
        address = _address(row, prefix, address_type)
        if address is not None:
            addresses.append(address)
    phones = []
    main = clean_text(row.get("SiteSystem_PhoneMain"))
    if main is not None:
        phones.append(
            PhoneIn(
                number=main,
                extension=clean_text(row.get("SiteCustom_Phone1Ext")),
                type="voice",
                description=clean_text(row.get("SiteCustom_Phone1Description")),
                country=COUNTRY,
            )
        )
    toll_free = clean_text(row.get("SiteCustom_PhoneTollFree"))
    if toll_free is not None:
        phones.append(PhoneIn(number=toll_free, description="toll-free", country=COUNTRY))
    other = clean_text(row.get("SiteCustom_OtherPhone"))
    if other is not None:
        # Free text such as "360-647-7310: Fax, 360-647-7299: TDD/TTY": kept as written.
        phones.append(PhoneIn(number=other, description="other", country=COUNTRY))
    hours = clean_text(row.get("SiteSystem_HoursOfOperation"))
    return LocationIn(
        external_id=site_id,
        organization_ref=agency_id,
        name=clean_text(row.get("SiteSystem_Name")),
        addresses=addresses,
        phones=phones,
        schedules=[ScheduleIn(description=hours)] if hours else [],
        language=LANGUAGE,
        raw=dict(row),
        ref=ref,
    )


def _service(
    row: Row,
    ref: str,
    org_ids: set[str],
    site_ids: set[str],
    programs: dict[str, tuple[str, Row]],
    used_programs: set[str],
    batch: Batch,
) -> ServiceIn | None:
    service_id = clean_text(row["Service_Id"]) or ""
    name = clean_text(row.get("ServiceSystem_Name"))
    if name is None:
        batch.reject(ref, "service without a name", "ServiceSystem_Name")
        return None
    agency_id = clean_text(row.get("Agency_Id"))
    if agency_id is not None and agency_id not in org_ids:
        batch.warn(ref, f"agency {agency_id} is not in {AGENCY_FILE}", "Agency_Id")
        agency_id = None

    site_refs = []
    both = _id_names(row, "ServiceSite_ServiceSite_Both", "Site_Id")
    for site_id in _linked_ids(row, "ServiceSite_ServiceSite", "Site_Id", ref, batch):
        if site_id in site_ids:
            site_refs.append(site_id)
        else:
            label = f" ({both[site_id]})" if site_id in both else ""
            batch.warn(
                ref,
                f"site {site_id}{label} is not in {SITE_FILE}: link dropped",
                "ServiceSite_ServiceSite",
            )

    program: Row = {}
    program_ids = _linked_ids(row, "ServiceProgram_ServiceProgram", "Program_Id", ref, batch)
    for program_id in program_ids:
        if program_id not in programs:
            batch.warn(
                ref,
                f"program {program_id} is not in {PROGRAM_FILE}",
                "ServiceProgram_ServiceProgram",
            )
        elif not program:
            program = programs[program_id][1]
            used_programs.add(program_id)
        else:
            used_programs.add(program_id)
            batch.warn(
                ref,
                f"linked to more than one program; {program_id} ignored",
                "ServiceProgram_ServiceProgram",
            )

    status = _service_status(row, "ServiceOption_Status", ref, batch)
    if "hide service" in (w.lower() for w in _option_list(row, VISIBILITY, ref, batch)):
        # Kept (the record is real) but the steward should know WA 211 hides it.
        batch.warn(ref, "hidden on the WA 211 website (Hide Service)", VISIBILITY)
    if status == "active" and program:
        # A closed program closes the services it runs.
        program_status = _service_status(program, "ProgramOption_Status", ref, batch)
        if program_status != "active":
            status = program_status

    phones = []
    main = clean_text(row.get("ServiceSystem_PhoneMain"))
    if main is not None:
        phones.append(
            PhoneIn(
                number=main,
                extension=clean_text(row.get("ServiceCustom_Phone1Ext")),
                type="voice",
                description=clean_text(row.get("ServiceCustom_Phone1Description")),
                country=COUNTRY,
            )
        )
    schedules = _hours(row, ref, batch)
    hours_text = clean_text(row.get("ServiceSystem_HoursOfOperation"))
    if hours_text is not None:
        schedules.append(ScheduleIn(description=hours_text))

    updated = _date(row, "ServiceSystem_DateOfLastCompleteUpdate", ref, batch)
    service = ServiceIn(
        external_id=service_id,
        organization_ref=agency_id,
        name=name,
        location_refs=unique(site_refs),
        alternate_name=clean_text(row.get("ServiceCustom_ServiceAka")),
        description=clean_text(row.get("ServiceSystem_Description")),
        url=clean_text(row.get("ServiceSystem_Websiteurl")),
        email=clean_text(row.get("ServiceSystem_EmailAddress")),
        status=status,
        phones=phones,
        schedules=schedules,
        categories=_taxonomy(row, ref, batch),
        target_groups=_target_groups(row, ref, batch),
        service_areas=_service_areas(row, ref, batch),
        last_modified=_as_datetime(updated),
        assured_date=updated,
        language=LANGUAGE,
        raw={"service": dict(row), "program": dict(program) if program else None},
        ref=ref,
    )
    if program:
        _apply_program(service, program)
    return service


def _program_service(row: Row, ref: str, org_ids: set[str], batch: Batch) -> ServiceIn | None:
    """A program without any service row: still a service, without sites."""
    name = clean_text(row.get("ProgramSystem_Name"))
    if name is None:
        batch.reject(ref, "program without a name", "ProgramSystem_Name")
        return None
    agency_id = clean_text(row.get("Agency_Id"))
    if agency_id is not None and agency_id not in org_ids:
        batch.warn(ref, f"agency {agency_id} is not in {AGENCY_FILE}", "Agency_Id")
        agency_id = None
    updated = _date(row, "ProgramSystem_LastUpdatereviewDate", ref, batch)
    service = ServiceIn(
        external_id=f"program-{clean_text(row['Program_Id'])}",
        organization_ref=agency_id,
        name=name,
        description=clean_text(row.get("ProgramSystem_Description")),
        status=_service_status(row, "ProgramOption_Status", ref, batch),
        last_modified=_as_datetime(updated),
        assured_date=updated,
        language=LANGUAGE,
        raw={"service": None, "program": dict(row)},
        ref=ref,
    )
    _apply_program(service, row)
    return service


def _apply_program(service: ServiceIn, program: Row) -> None:
    """Copy the program-level texts (fees, documents, eligibility, intake) onto a service."""
    fees = clean_text(program.get("ProgramSystem_TypeOfFees"))
    service.fees_description = fees
    if fees is not None and fees.lower() in FREE_FEES:
        service.is_free = True
    documents = clean_text(program.get("ProgramSystem_DocumentsRequired"))
    if documents is not None:
        service.required_documents = [documents]
    service.eligibility_description = clean_text(program.get("ProgramSystem_Eligibility"))
    intake = clean_text(program.get("ProgramSystem_ApplicationintakeProcess"))
    if intake is not None:
        service.intake = IntakeIn(instructions=intake)
    if service.description is None:
        service.description = clean_text(program.get("ProgramSystem_Description"))

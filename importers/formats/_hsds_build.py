"""Turn Open Referral HSDS tables (versions 1.0 to 3.1) into a :class:`Batch`.

Shared by the HSDS readers: ``hsds-csv`` (3.0 tabular folder), ``hsds-1-csv`` (1.x/2.x
datapackages) and ``hsds-json`` (which flattens nested JSON into the same tables). Every
table is optional except organizations and services; whatever is present is joined by id:

- organizations/services/locations -> records; service_at_location -> location refs;
- phones, schedules (3.0 RRULE-style or 1.x ``regular_schedules``), ``holiday_schedules``
  (-> closures), addresses (3.0 ``addresses``, 1.x ``physical_``/``postal_addresses``),
  languages, accessibility, service areas, required documents, cost options, eligibility,
  payments accepted, organization identifiers, 3.1 capacities -> fields of their parents;
- attributes/service_attributes/service_taxonomy/``taxonomy_ids`` + taxonomy terms ->
  service categories (scheme = the taxonomy's name, ``airs`` for AIRS/211, else ``hsds``);
- ``x_socialmap`` extension objects (see :mod:`importers.formats._hsds_extension`);
- WithinReach-style extension columns: ``x_age_range``, ``x_need``, ``x_keywords``,
  ``x_target_populations``, ``x_option_status``, ``x_last_complete_update_at``.

Contacts (named people), programs, funding and metadata are deliberately not imported.

Module layout: :mod:`~importers.formats._hsds_tables` (table names, loading a folder),
:mod:`~importers.formats._hsds_fields` (value parsing), :mod:`~importers.formats._hsds_join`
(builder state, foreign keys), :mod:`~importers.formats._hsds_children` (child tables) and
this module (the entity records and the driver).
"""

from __future__ import annotations

from importers.formats import ReadOptions
from importers.formats._hsds_children import ChildJoiner
from importers.formats._hsds_fields import capacity_from_wait_time
from importers.formats._hsds_fields import parse_age_range
from importers.formats._hsds_fields import parse_datetime
from importers.formats._hsds_fields import split_list
from importers.formats._hsds_fields import tax_identifier
from importers.formats._hsds_fields import text
from importers.formats._hsds_tables import Table
from importers.formats._textutil import parse_coordinate
from importers.formats._textutil import parse_float
from importers.records import Batch
from importers.records import CategoryIn
from importers.records import IntakeIn
from importers.records import LocationIn
from importers.records import OrganizationIn
from importers.records import ServiceIn


def build_batch(
    tables: dict[str, Table],
    batch: Batch,
    options: ReadOptions,
    *,
    strict_child_ids: bool = True,
    warn_unknown_columns: bool = True,
) -> Batch:
    """Join ``tables`` into records added to ``batch`` (see the module docstring).

    ``strict_child_ids``: a repeated id inside a child table (phones, schedules ...) is a
    duplicate row to reject (tabular sources). JSON sources repeat the same child under
    several parents legitimately, so the JSON reader turns this off.
    """
    _Builder(tables, batch, options, strict_child_ids, warn_unknown_columns).run()
    return batch


class _Builder(ChildJoiner):
    # ----------------------------------------------------------------- driver

    def run(self) -> None:
        if self.warn_unknown_columns:
            self._check_columns()
        self._decide_country()
        self._load_lookups()
        self._organizations()
        self._locations()
        self._services()
        self._service_at_location()
        self._phones()
        self._schedules()
        self._holiday_schedules()
        self._addresses()
        self._languages()
        self._accessibility()
        self._service_children()
        self._extension_areas()
        self._categories()
        self._identifiers()
        self._capacities()
        self.batch.organizations.extend(self.orgs.values())
        self.batch.locations.extend(self.locs.values())
        self.batch.services.extend(self.svcs.values())

    # ----------------------------------------------------------------- records

    def _organizations(self) -> None:
        seen: set[str] = set()
        for _tab, row, ref in self.rows("organizations"):
            org_id = self.new_id("organization", seen, row, ref)
            if org_id is None:
                continue
            name = text(row, "name")
            if name is None:
                self.batch.reject(ref, "organization without name", "name")
                self.rejected["organization"].add(org_id)
                continue
            status = text(row, "x_option_status", "status")
            org = OrganizationIn(
                external_id=org_id,
                name=name,
                alternate_name=text(row, "alternate_name"),
                description=text(row, "description"),
                email=text(row, "email"),
                website=text(row, "website", "url"),
                legal_status=text(row, "legal_status"),
                language=self.language,
                status="inactive"
                if status and status.lower() in {"inactive", "defunct", "closed"}
                else "active",
                last_modified=self.value(row, ref, "last_modified", parse_datetime),
                assured_date=self.date(row, ref, "x_last_complete_update_at")
                or self.date(row, ref, "assured_date"),
                raw=self.raw(row),
                ref=ref,
            )
            tax_id = text(row, "tax_id")
            if tax_id:
                org.identifiers.append(tax_identifier(tax_id, self.country))
            extension = self.extensions.extension(row, ref, "organization")
            self.extensions.organization(org, extension, ref)
            self.orgs[org_id] = org

    def _locations(self) -> None:
        seen: set[str] = set()
        for _tab, row, ref in self.rows("locations"):
            loc_id = self.new_id("location", seen, row, ref)
            if loc_id is None:
                continue
            org_ref = self._org_ref(row, ref)
            location_type = (text(row, "location_type") or "physical").lower()
            if location_type not in {"physical", "postal", "virtual"}:
                self.warn(ref, f"unknown location_type {location_type!r}", "location_type")
                location_type = "physical"
            latitude = longitude = None
            try:
                latitude = parse_coordinate(text(row, "latitude"), -90, 90)
                longitude = parse_coordinate(text(row, "longitude"), -180, 180)
            except ValueError as exc:
                self.warn(ref, f"coordinates not imported: {exc}", "latitude")
                latitude = longitude = None
            if (latitude is None) != (longitude is None):
                self.warn(ref, "only one of latitude/longitude given", "latitude")
                latitude = longitude = None
            loc = LocationIn(
                external_id=loc_id,
                organization_ref=org_ref,
                name=text(row, "name"),
                alternate_name=text(row, "alternate_name"),
                description=text(row, "description"),
                location_type=location_type,
                latitude=latitude,
                longitude=longitude,
                transportation=text(row, "transportation"),
                url=text(row, "url"),
                language=self.language,
                raw=self.raw(row),
                ref=ref,
            )
            self.extensions.location(loc, self.extensions.extension(row, ref, "location"), ref)
            self.locs[loc_id] = loc

    def _org_ref(self, row, ref: str) -> str | None:
        org_id = text(row, "organization_id")
        if org_id is None or org_id in self.orgs:
            return org_id
        reason = self.parent_reason("organization", org_id)
        self.warn(ref, f"organization not linked: {reason}", "organization_id")
        return None

    def _services(self) -> None:
        seen: set[str] = set()
        for _tab, row, ref in self.rows("services"):
            svc_id = self.new_id("service", seen, row, ref)
            if svc_id is None:
                continue
            name = text(row, "name")
            if name is None:
                self.batch.reject(ref, "service without name", "name")
                self.rejected["service"].add(svc_id)
                continue
            if text(row, "organization_id") is None:
                self.warn(ref, "service without organization_id", "organization_id")
            status = (text(row, "status") or text(row, "x_option_status") or "active").lower()
            application = text(row, "application_process")
            svc = ServiceIn(
                external_id=svc_id,
                organization_ref=self._org_ref(row, ref),
                name=name,
                alternate_name=text(row, "alternate_name"),
                description=text(row, "description"),
                url=text(row, "url"),
                email=text(row, "email"),
                status=status,
                fees_description=text(row, "fees_description", "fees"),
                minimum_age=self.value(row, ref, "minimum_age", parse_float),
                maximum_age=self.value(row, ref, "maximum_age", parse_float),
                eligibility_description=text(row, "eligibility_description"),
                intake=IntakeIn(instructions=application) if application else None,
                accreditations=text(row, "accreditations"),
                licenses=text(row, "licenses"),
                assured_date=self.date(row, ref, "assured_date")
                or self.date(row, ref, "x_last_complete_update_at"),
                assurer=text(row, "assurer_email"),
                last_modified=self.value(row, ref, "last_modified", parse_datetime),
                language=self.language,
                raw=self.raw(row),
                ref=ref,
            )
            wait_time = text(row, "wait_time")
            if wait_time:
                svc.capacity = capacity_from_wait_time(wait_time)
            age_range = text(row, "x_age_range")
            if age_range and svc.minimum_age is None and svc.maximum_age is None:
                ages = parse_age_range(age_range)
                if ages is None:
                    self.warn(ref, f"age range {age_range!r} not understood", "x_age_range")
                else:
                    svc.minimum_age, svc.maximum_age = ages
            for column, target in (
                ("x_need", svc.categories),
                ("x_keywords", svc.categories),
                ("x_target_populations", svc.target_groups),
            ):
                for label in split_list(text(row, column)):
                    if all((c.label or "").lower() != label.lower() for c in target):
                        target.append(CategoryIn(scheme="label", label=label))
            extension = self.extensions.extension(row, ref, "service")
            areas = self.extensions.service(svc, extension, ref)
            if areas:
                self.extension_areas[svc_id] = areas
            self.svcs[svc_id] = svc

    def _extension_areas(self) -> None:
        """Structured x_socialmap areas replace those read from the service_areas rows.

        The extension mirrors the HSDS ``service_areas`` with codes (NIS, postcode, province),
        so keeping both would list every area twice, once as text.
        """
        for svc_id, areas in self.extension_areas.items():
            self.svcs[svc_id].service_areas = list(areas)

    def _service_at_location(self) -> None:
        seen: set[str] = set()
        for _tab, row, ref in self.rows("service_at_location"):
            sal_id = text(row, "id")
            if sal_id and self.strict and sal_id in seen:
                self.batch.reject(ref, f"duplicate id {sal_id}", "id")
                continue
            if sal_id:
                seen.add(sal_id)
            svc_id, loc_id = text(row, "service_id"), text(row, "location_id")
            if svc_id is None or loc_id is None:
                self.warn(ref, "service_at_location needs service_id and location_id")
                continue
            svc, loc = self.svcs.get(svc_id), self.locs.get(loc_id)
            if svc is None:
                reason = self.parent_reason("service", svc_id)
                self.warn(ref, f"link not imported: {reason}", "service_id")
                continue
            if loc is None:
                reason = self.parent_reason("location", loc_id)
                self.warn(ref, f"link not imported: {reason}", "location_id")
                continue
            if loc_id not in svc.location_refs:
                svc.location_refs.append(loc_id)
            if sal_id:
                self.sals[sal_id] = (svc_id, loc_id)

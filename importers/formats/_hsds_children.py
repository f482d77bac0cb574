"""Attach HSDS child tables to the organization/service/location records.

Phones, schedules (3.0 RRULE-style and 1.x ``regular_schedules``), holiday schedules,
addresses, languages, accessibility, service areas, required documents, cost options,
eligibility, payments, attributes/taxonomies -> categories, organization identifiers and
3.1 capacities.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from importers.formats._hsds_fields import AIRS_CODE_RE
from importers.formats._hsds_fields import BYDAY_RE
from importers.formats._hsds_fields import CURRENCIES
from importers.formats._hsds_fields import GEO_EXTENT_TYPES
from importers.formats._hsds_fields import SOCIALMAP_SCHEME
from importers.formats._hsds_fields import SOCIALMAP_TARGET_GROUPS
from importers.formats._hsds_fields import WEEKDAYS
from importers.formats._hsds_fields import country_code
from importers.formats._hsds_fields import identifier_for
from importers.formats._hsds_fields import join_text
from importers.formats._hsds_fields import parse_bool
from importers.formats._hsds_fields import parse_datetime
from importers.formats._hsds_fields import parse_time
from importers.formats._hsds_fields import parse_weekday
from importers.formats._hsds_fields import scheme_name
from importers.formats._hsds_fields import service_areas_for
from importers.formats._hsds_fields import split_list
from importers.formats._hsds_fields import text
from importers.formats._hsds_join import JoinBase
from importers.formats._textutil import parse_float
from importers.records import AddressIn
from importers.records import CapacityIn
from importers.records import CategoryIn
from importers.records import ClosureIn
from importers.records import CostIn
from importers.records import LocationIn
from importers.records import PhoneIn
from importers.records import ScheduleIn
from importers.records import ServiceIn


class ChildJoiner(JoinBase):
    """Maps the child tables onto the records :class:`JoinBase` holds."""

    def _phones(self) -> None:
        keys = ("service_id", "location_id", "organization_id", "service_at_location_id")
        for _tab, row, ref in self.child_rows("phones"):
            number = text(row, "number")
            if number is None:
                self.warn(ref, "phone without number; ignored", "number")
                continue
            if text(row, "contact_id") and not any(text(row, key) for key in keys):
                continue  # a named contact person's phone: contacts are not imported
            phone = PhoneIn(
                number=number,
                extension=text(row, "extension"),
                type=text(row, "type"),
                description=text(row, "description", "department"),
            )
            for record in self.targets(row, ref, keys, what="phone"):
                if self.attach_once(record, self.child_key("phone", row, phone)):
                    record.phones.append(phone)

    def _schedules(self) -> None:
        keys = ("service_id", "location_id", "service_at_location_id")
        for table, builder in (
            ("schedules", self._rrule_schedule),
            ("regular_schedules", self._weekday_schedule),
        ):
            for _tab, row, ref in self.child_rows(table):
                slots = builder(row, ref)
                if not slots:
                    continue
                for record in self.targets(row, ref, keys, what="schedule"):
                    if self.attach_once(record, self.child_key(table, row, slots)):
                        record.schedules.extend(slots)

    def _rrule_schedule(self, row, ref: str) -> list[ScheduleIn]:
        """HSDS 2.0/3.0 schedule (iCal RRULE parts) -> one slot per weekday, or text."""
        opens = self.value(row, ref, "opens_at", parse_time)
        closes = self.value(row, ref, "closes_at", parse_time)
        valid_from = self.date(row, ref, "valid_from") or self.date(row, ref, "dtstart")
        valid_to = self.date(row, ref, "valid_to") or self.date(row, ref, "until")
        description = join_text(text(row, "description"), text(row, "notes"))
        freq = (text(row, "freq") or "").upper()
        interval = text(row, "interval")
        days: list[int] = []
        problem = None
        for token in split_list(text(row, "byday")):
            match = BYDAY_RE.match(token)
            day = WEEKDAYS.get(match.group(2).lower()) if match else None
            if day is None or (match and match.group(1)):
                problem = f"byday {token}"
                break
            if day not in days:
                days.append(day)
        if freq not in {"", "WEEKLY", "DAILY"}:
            problem = f"freq {freq}"
        elif interval not in {None, "1", "1.0"}:
            problem = f"interval {interval}"
        if not problem and freq == "DAILY" and not days:
            days = list(range(1, 8))
        if not problem and days:
            return [
                ScheduleIn(
                    weekday=day,
                    opens_at=opens,
                    closes_at=closes,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    description=description,
                )
                for day in days
            ]
        if problem:
            rule = ";".join(
                f"{key.upper()}={text(row, key)}"
                for key in ("freq", "interval", "byday", "bymonthday", "byweekno", "byyearday")
                if text(row, key)
            )
            self.warn(ref, f"schedule is not weekly ({problem}); kept as text", "byday")
            description = join_text(description, f"({rule})", sep=" ")
        if description or opens or closes:
            return [
                ScheduleIn(
                    weekday=None,
                    opens_at=opens,
                    closes_at=closes,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    description=description,
                )
            ]
        return []

    def _weekday_schedule(self, row, ref: str) -> list[ScheduleIn]:
        """HSDS 1.x regular_schedule: weekday (1=Monday), opens_at, closes_at."""
        weekday = self.value(row, ref, "weekday", parse_weekday)
        if weekday is None:
            if text(row, "weekday") is None:
                self.warn(ref, "regular schedule without weekday; ignored", "weekday")
            return []
        return [
            ScheduleIn(
                weekday=weekday,
                opens_at=self.value(row, ref, "opens_at", parse_time),
                closes_at=self.value(row, ref, "closes_at", parse_time),
            )
        ]

    def _holiday_schedules(self) -> None:
        keys = ("service_id", "location_id", "service_at_location_id")
        for _tab, row, ref in self.child_rows("holiday_schedules"):
            start = self.date(row, ref, "start_date")
            if start is None:
                self.warn(ref, "holiday schedule without (valid) start_date; ignored", "start_date")
                continue
            closed = self.value(row, ref, "closed", parse_bool)
            opens = None if closed else self.value(row, ref, "opens_at", parse_time)
            closes = None if closed else self.value(row, ref, "closes_at", parse_time)
            closure = ClosureIn(
                start=start,
                end=self.date(row, ref, "end_date"),
                reason=text(row, "description"),
                opens_at=opens,
                closes_at=closes,
            )
            for record in self.targets(row, ref, keys, what="holiday schedule"):
                if isinstance(record, (ServiceIn, LocationIn)) and self.attach_once(
                    record, self.child_key("closure", row, closure)
                ):
                    record.closures.append(closure)

    def _addresses(self) -> None:
        for table, default_type in (
            ("addresses", "physical"),
            ("physical_addresses", "physical"),
            ("postal_addresses", "postal"),
        ):
            for _tab, row, ref in self.child_rows(table):
                address = self._address(row, ref, default_type)
                if address is None:
                    continue
                for record in self.targets(row, ref, ("location_id",), what="address"):
                    if self.attach_once(record, self.child_key(table, row, address)):
                        record.addresses.append(address)

    def _address(self, row, ref: str, default_type: str) -> AddressIn | None:
        street = text(row, "address_1")
        extra = join_text(
            text(row, "address_2"), text(row, "address_3"), text(row, "address_4"), sep=", "
        )
        city, postcode = text(row, "city"), text(row, "postal_code")
        state = text(row, "state_province")
        if not any((street, extra, city, postcode)):
            self.warn(ref, "empty address; ignored", "address_1")
            return None
        address_type = (text(row, "address_type") or default_type).lower()
        if address_type not in {"physical", "postal", "virtual"}:
            self.warn(ref, f"unknown address_type {address_type!r}", "address_type")
            address_type = default_type
        return AddressIn(
            address_type=address_type,
            street=street,
            address_2=extra,
            postcode=postcode,
            city=city,
            state_province=state,
            region=text(row, "region"),
            country=country_code(text(row, "country"), state),
            attention=text(row, "attention"),
        )

    def _languages(self) -> None:
        for _tab, row, ref in self.child_rows("languages"):
            value = text(row, "code", "name", "language")
            if value is None:
                continue
            if not any(text(row, key) for key in ("service_id", "location_id")):
                if text(row, "phone_id"):
                    continue  # a phone's languages: our phones carry none
            for record in self.targets(row, ref, ("service_id", "location_id"), what="language"):
                for language in split_list(value):
                    if language not in record.languages:
                        record.languages.append(language)

    def _accessibility(self) -> None:
        for table in ("accessibility", "accessibility_for_disabilities"):
            for _tab, row, ref in self.child_rows(table):
                items = [
                    item
                    for item in (text(row, "accessibility", "description"), text(row, "details"))
                    if item
                ]
                if not items:
                    continue
                for record in self.targets(row, ref, ("location_id",), what="accessibility"):
                    for item in items:
                        if item not in record.accessibility:
                            record.accessibility.append(item)

    def _service_children(self) -> None:
        keys = ("service_id",)
        for _tab, row, ref in self.child_rows("service_areas"):
            label = text(row, "name", "service_area", "description")
            extent_type = (text(row, "extent_type") or "").lower()
            if label is None and text(row, "extent") and extent_type not in GEO_EXTENT_TYPES:
                label = text(row, "extent")
            if label is None:
                if text(row, "extent"):
                    self.warn(ref, f"{extent_type or 'extent'} area shape not imported", "extent")
                continue
            areas = service_areas_for(label, self.country)
            for svc in self.targets(row, ref, keys, what="service area"):
                for area in areas:
                    if area not in svc.service_areas:
                        svc.service_areas.append(area)
        for _tab, row, ref in self.child_rows("required_documents"):
            document = text(row, "document")
            if document:
                for svc in self.targets(row, ref, keys, what="required document"):
                    if document not in svc.required_documents:
                        svc.required_documents.append(document)
        for _tab, row, ref in self.child_rows("cost_options"):
            amount = self.value(row, ref, "amount", parse_float)
            currency = text(row, "currency")
            cost = CostIn(
                option=text(row, "option"),
                amount=amount,
                currency=currency.upper()
                if currency
                else (CURRENCIES.get(self.country) if amount is not None else None),
                description=text(row, "amount_description"),
            )
            for svc in self.targets(row, ref, keys, what="cost option"):
                if self.attach_once(svc, self.child_key("cost", row, cost)):
                    svc.costs.append(cost)
        eligibility: dict[int, tuple[ServiceIn, list[str]]] = {}
        for _tab, row, ref in self.child_rows("eligibility"):
            label = text(row, "eligibility")
            if label:
                for svc in self.targets(row, ref, keys, what="eligibility"):
                    eligibility.setdefault(id(svc), (svc, []))[1].append(label)
                    if all((c.label or "") != label for c in svc.target_groups):
                        svc.target_groups.append(CategoryIn(scheme="label", label=label))
        # HSDS 1.x has no eligibility description: the eligibility rows stand in for it.
        for svc, labels in eligibility.values():
            if svc.eligibility_description is None:
                svc.eligibility_description = ", ".join(dict.fromkeys(labels))
        payments: dict[int, tuple[ServiceIn, list[str]]] = {}
        for _tab, row, ref in self.child_rows("payments_accepted"):
            payment = text(row, "payment")
            if payment:
                for svc in self.targets(row, ref, keys, what="payment"):
                    payments.setdefault(id(svc), (svc, []))[1].append(payment)
        for svc, methods in payments.values():
            svc.fees_description = join_text(
                svc.fees_description, "Payment accepted: " + ", ".join(dict.fromkeys(methods))
            )

    def _category(self, term_id: str | None, ref: str, fallback: str | None = None):
        """A category from a taxonomy term id (``fallback`` = a code given next to the id)."""
        term = self.terms.get(term_id) if term_id else None
        if term is None:
            if fallback:
                return CategoryIn(scheme="hsds", code=fallback)
            if term_id:
                self.warn(ref, f"unknown taxonomy term {term_id}", "taxonomy_term_id")
            return None
        taxonomy = text(term, "taxonomy", "vocabulary")
        detail = self.taxonomies.get(text(term, "taxonomy_id") or "")
        if taxonomy is None and detail is not None:
            taxonomy = text(detail, "name")
        scheme = scheme_name(taxonomy)
        name = text(term, "name", "term")
        code = text(term, "code")
        if code is None and scheme == "airs" and name and AIRS_CODE_RE.match(name):
            code, name = name, None
        if name is None:
            description = text(term, "description")
            # WithinReach fills descriptions with "*Missing AIRS description.*"
            if description and not description.startswith("*"):
                name = description
        return CategoryIn(scheme=scheme, code=code, label=name)

    def _add_category(self, svc: ServiceIn, category: CategoryIn | None) -> None:
        if category is None:
            return
        target = svc.categories
        if category.scheme == SOCIALMAP_TARGET_GROUPS:
            category = CategoryIn(scheme=SOCIALMAP_SCHEME, code=category.code, label=category.label)
            target = svc.target_groups
        if category not in target:
            target.append(category)

    def _categories(self) -> None:
        not_imported: Counter[str] = Counter()
        for table in ("attributes", "other_attributes"):
            for tab, row, ref in self.child_rows(table):
                link_id = text(row, "link_id")
                entity = (text(row, "link_entity") or text(row, "link_type") or "").lower()
                if link_id is None:
                    self.warn(ref, "attribute without link_id; ignored", "link_id")
                    continue
                svc = self.svcs.get(link_id)
                if svc is None:
                    if (
                        link_id in self.orgs
                        or link_id in self.locs
                        or (entity and entity != "service")
                    ):
                        not_imported[tab.name] += 1
                    else:
                        reason = self.parent_reason("service", link_id)
                        self.warn(ref, f"attribute not attached: {reason}", "link_id")
                    continue
                self._add_category(svc, self._category(text(row, "taxonomy_term_id"), ref))
        for name, count in not_imported.items():
            self.warn(name, f"{count} attribute(s) of other entities than services not imported")
        for _tab, row, ref in self.child_rows("service_attributes"):
            for svc in self.targets(row, ref, ("service_id",), what="service attribute"):
                category = self._category(
                    text(row, "taxonomy_term_id"), ref, fallback=text(row, "x_term")
                )
                self._add_category(svc, category)
        for _tab, row, ref in self.child_rows("service_taxonomy"):
            for svc in self.targets(row, ref, ("service_id",), what="service taxonomy"):
                self._add_category(svc, self._category(text(row, "taxonomy_id"), ref))
        for _tab, row, ref in self.rows("services"):
            svc = self.svcs.get(text(row, "id") or "")
            if svc is None or svc.ref != ref:
                continue
            for term_id in split_list(text(row, "taxonomy_ids")):
                self._add_category(svc, self._category(term_id, ref))

    def _identifiers(self) -> None:
        for _tab, row, ref in self.child_rows("organization_identifiers"):
            value = text(row, "identifier")
            if value is None:
                self.warn(ref, "organization identifier without value; ignored", "identifier")
                continue
            identifier = identifier_for(
                text(row, "identifier_scheme"), text(row, "identifier_type"), value
            )
            for org in self.targets(row, ref, ("organization_id",), what="identifier"):
                if identifier not in org.identifiers:
                    org.identifiers.append(identifier)

    def _capacities(self) -> None:
        """HSDS 3.1 capacities: one summary per service (status, counts in the note)."""
        per_service: dict[str, list[tuple[float | None, float | None, str, Any]]] = {}
        for _tab, row, ref in self.child_rows("capacities"):
            available = self.value(row, ref, "available", parse_float)
            maximum = self.value(row, ref, "maximum", parse_float)
            unit = text(row, "unit_name")
            if unit is None and text(row, "unit_id") in self.units:
                unit = text(self.units[text(row, "unit_id")], "name")
            counts = _number(available)
            if maximum is not None:
                counts += f"/{_number(maximum)}"
            note = join_text(join_text(counts, unit, sep=" "), text(row, "description"), sep=": ")
            updated = self.value(row, ref, "updated", parse_datetime)
            for svc in self.targets(row, ref, ("service_id",), what="capacity"):
                per_service.setdefault(svc.external_id, []).append(
                    (available, maximum, note or "", updated)
                )
        for svc_id, entries in per_service.items():
            svc = self.svcs[svc_id]
            known = [available for available, *_ in entries if available is not None]
            status = "unknown"
            if known:
                status = "available" if any(a > 0 for a in known) else "full"
            stamps = [updated for *_, updated in entries if updated is not None]
            previous = svc.capacity
            svc.capacity = CapacityIn(
                status=status,
                waiting_weeks=previous.waiting_weeks if previous else None,
                note=join_text(
                    "; ".join(note for _a, _m, note, _u in entries if note) or None,
                    previous.note if previous else None,
                ),
                updated_at=max(stamps, key=_sortable_datetime) if stamps else None,
            )


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if value.is_integer() else str(value)


def _sortable_datetime(value: dt.datetime) -> dt.datetime:
    # Mixed naive/aware timestamps cannot be compared; treat naive ones as UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

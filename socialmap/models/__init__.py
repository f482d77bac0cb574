"""Typed SQLAlchemy 2.0 models, aligned with Open Referral HSDS 3.0 plus Belgian specifics."""

from socialmap.models.contact import Contact
from socialmap.models.contact import Language
from socialmap.models.contact import Phone
from socialmap.models.location import Address
from socialmap.models.location import Location
from socialmap.models.organization import Organization
from socialmap.models.organization import OrganizationIdentifier
from socialmap.models.provenance import FieldHistory
from socialmap.models.provenance import ImportIssue
from socialmap.models.provenance import ImportRun
from socialmap.models.provenance import MergeCandidate
from socialmap.models.provenance import Source
from socialmap.models.provenance import SourceRecord
from socialmap.models.schedule import Closure
from socialmap.models.schedule import Schedule
from socialmap.models.search import SearchBacklog
from socialmap.models.service import CostOption
from socialmap.models.service import IntakeProcedure
from socialmap.models.service import RequiredDocument
from socialmap.models.service import Service
from socialmap.models.service import ServiceArea
from socialmap.models.service import ServiceAtLocation
from socialmap.models.service import ServiceCapacity
from socialmap.models.service import service_need
from socialmap.models.service import service_target_group
from socialmap.models.taxonomy import TaxonomyTerm

__all__ = [
    "Address",
    "Closure",
    "Contact",
    "CostOption",
    "FieldHistory",
    "ImportIssue",
    "ImportRun",
    "IntakeProcedure",
    "Language",
    "Location",
    "MergeCandidate",
    "Organization",
    "OrganizationIdentifier",
    "Phone",
    "RequiredDocument",
    "Schedule",
    "SearchBacklog",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "ServiceCapacity",
    "Source",
    "SourceRecord",
    "TaxonomyTerm",
    "service_need",
    "service_target_group",
]

"""Typed SQLAlchemy 2.0 models, aligned with Open Referral HSDS 3.0 plus Belgian specifics."""

from socialmap.models.account import ApiToken
from socialmap.models.account import Invitation
from socialmap.models.account import LoginAttempt
from socialmap.models.account import Region
from socialmap.models.account import RegionService
from socialmap.models.account import User
from socialmap.models.account import region_steward
from socialmap.models.account import user_organization
from socialmap.models.contact import Contact
from socialmap.models.contact import Language
from socialmap.models.contact import Phone
from socialmap.models.curation import CorrectionSuggestion
from socialmap.models.curation import PasswordReset
from socialmap.models.curation import Questionnaire
from socialmap.models.curation import SharedList
from socialmap.models.curation import VerificationRequest
from socialmap.models.location import Address
from socialmap.models.location import Location
from socialmap.models.notification import Notification
from socialmap.models.organization import Organization
from socialmap.models.organization import OrganizationIdentifier
from socialmap.models.provenance import FieldHistory
from socialmap.models.provenance import ImportIssue
from socialmap.models.provenance import ImportRun
from socialmap.models.provenance import MergeCandidate
from socialmap.models.provenance import Source
from socialmap.models.provenance import SourceRecord
from socialmap.models.referral import AccessLog
from socialmap.models.referral import Consent
from socialmap.models.referral import Person
from socialmap.models.referral import ReferralEvent
from socialmap.models.referral import ReferralRequest
from socialmap.models.referral import ReferralTask
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
    "AccessLog",
    "Address",
    "ApiToken",
    "Closure",
    "Consent",
    "Contact",
    "CorrectionSuggestion",
    "CostOption",
    "FieldHistory",
    "ImportIssue",
    "ImportRun",
    "IntakeProcedure",
    "Invitation",
    "Language",
    "Location",
    "LoginAttempt",
    "MergeCandidate",
    "Notification",
    "Organization",
    "OrganizationIdentifier",
    "PasswordReset",
    "Person",
    "Phone",
    "Questionnaire",
    "ReferralEvent",
    "ReferralRequest",
    "ReferralTask",
    "Region",
    "RegionService",
    "RequiredDocument",
    "Schedule",
    "SearchBacklog",
    "Service",
    "ServiceArea",
    "ServiceAtLocation",
    "ServiceCapacity",
    "SharedList",
    "Source",
    "SourceRecord",
    "TaxonomyTerm",
    "User",
    "VerificationRequest",
    "region_steward",
    "service_need",
    "service_target_group",
    "user_organization",
]

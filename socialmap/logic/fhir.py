"""A referral task as FHIR R4 resources, shaped after the FHIR SDOH Clinical Care (Gravity)
"Task for Referral Management" with its ServiceRequest contained, so GP software and the
Belgian eReferral work can read our referrals later.

No personal data: the patient is an opaque reference (``Patient/<id>``) that means nothing
outside socialmap; the person's details stay behind the consent-checked detail endpoint."""

from __future__ import annotations

from typing import Any

from socialmap import models as m
from socialmap import taxonomy
from socialmap.extensions import db
from socialmap.logic import referral_access as access
from socialmap.logic.referrals import OPEN

TASK_PROFILE = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement"
)
SDOH_CATEGORY = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
)
NEED_SYSTEM = "https://socialmap.be/fhir/CodeSystem/needs"
REASON_SYSTEM = "https://socialmap.be/fhir/CodeSystem/referral-reasons"


def task_resource(user: m.User, task_id: str) -> dict[str, Any]:
    """The task as a FHIR Task with its ServiceRequest contained. :raise NotFound:"""
    task = access.load_task(user, task_id)
    request = task.request
    org = db.session.get(m.Organization, task.organization_id)
    service = db.session.get(m.Service, task.service_id)
    referrer = db.session.get(m.User, request.referrer_id)
    needs = taxonomy.needs()
    categories = sorted({c for code in request.needs for c in _sdoh(needs, code)})
    service_request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": "request",
        "status": "active" if task.status in OPEN else "completed",
        "intent": "order",
        "priority": request.urgency,
        "category": [{"coding": [{"system": SDOH_CATEGORY, "code": c}]} for c in categories],
        "code": {
            "coding": [
                {"system": NEED_SYSTEM, "code": code, "display": needs.label(code, "en")}
                for code in request.needs
            ]
        },
        "subject": {"reference": f"Patient/{request.person_id}"},
        "requester": _ref("PractitionerRole", referrer.id, referrer.name) if referrer else None,
        "performer": [
            _ref("HealthcareService", task.service_id, service.name if service else None)
        ],
        "authoredOn": request.created_at.isoformat(),
    }
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": task.id,
        "meta": {
            "profile": [TASK_PROFILE],
            "versionId": str(task.version),
            "lastUpdated": task.updated_at.isoformat(),
        },
        "contained": [_clean(service_request)],
        "status": task.status,
        "intent": "order",
        "priority": request.urgency,
        "code": {
            "coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]
        },
        "focus": {"reference": "#request"},
        "for": {"reference": f"Patient/{request.person_id}"},
        "authoredOn": task.created_at.isoformat(),
        "lastModified": task.updated_at.isoformat(),
        "requester": _ref(
            "PractitionerRole", request.referrer_id, referrer.name if referrer else None
        ),
        "owner": _ref("Organization", task.organization_id, org.name if org else None),
    }
    if task.reason_code:
        resource["statusReason"] = {
            "coding": [{"system": REASON_SYSTEM, "code": task.reason_code}],
            "text": task.reason_text or task.reason_code,
        }
    if task.received_at and task.status == "requested":
        resource["businessStatus"] = {"text": "received"}
    if task.outcome:
        resource["output"] = [{"type": {"text": "outcome"}, "valueString": task.outcome}]
    return _clean(resource)


def _sdoh(needs: taxonomy.Taxonomy, code: str) -> tuple[str, ...]:
    """The SDOH category of a need, or of its nearest ancestor that has one."""
    for c in (code, *needs.ancestors(code)):
        term = needs.get(c)
        if term is not None and term.fhir_sdoh:
            return term.fhir_sdoh
    return ()


def _ref(kind: str, ident: str, display: str | None) -> dict[str, Any]:
    ref = {"reference": f"{kind}/{ident}"}
    if display:
        ref["display"] = display
    return ref


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    """FHIR forbids empty values: drop None, empty lists and empty dicts."""
    return {k: v for k, v in resource.items() if v not in (None, [], {})}

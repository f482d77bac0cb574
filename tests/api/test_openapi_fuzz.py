"""Fuzz every operation of the OpenAPI document: no generated input may cause a server error.

Schemathesis reads ``/api/openapi.json`` from the app in-process (WSGI) and generates valid and
invalid path parameters, query strings, headers and bodies for each operation. The requests run
against a small real directory with sent referrals, as several roles, and sometimes use real ids
(services, tasks, terms, ...) so that generated input also reaches the code behind the 404s.

Bounded and reproducible: a fixed number of examples per operation and role
(``SOCIALMAP_FUZZ_EXAMPLES`` raises it for a deeper local run) and derandomized generation, so CI
sees the same inputs. The tests after the fuzzer pin the 500s it found.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
import schemathesis
from auth_support import bearer
from flask import Flask
from hypothesis import strategies as st
from referral_support import World
from referral_support import build_world
from referral_support import referral_data
from referral_support import send
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select

from socialmap import models as m
from socialmap.extensions import db
from socialmap.logic import accounts
from socialmap.logic import regions

#: Examples per operation and role, valid and invalid input mixed.
EXAMPLES = int(os.environ.get("SOCIALMAP_FUZZ_EXAMPLES", "10"))

SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same inputs on every run and machine
    database=None,  # nothing remembered between runs: no .hypothesis folder
    suppress_health_check=list(hypothesis.HealthCheck),
    phases=(hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink),
    print_blob=False,
)

#: No 5xx, and every answer with a documented schema (2xx, and the 4xx errors) matches it.
CHECKS = [not_a_server_error, response_schema_conformance]

#: Who asks: anonymous, a GP (referrer), the staff of the referred service, an admin.
ROLES: dict[str, Callable[[World], m.User | None]] = {
    "anonymous": lambda world: None,
    "referrer": lambda world: world.gp,
    "provider": lambda world: world.provider,
    "admin": lambda world: world.admin,
}


@pytest.fixture
def world(session) -> World:  # type: ignore[no-untyped-def]
    world = build_world(session)
    send(world)  # a task at the provider's service, with events and notifications
    send(world, world.meeting, shared_with_practice=True)
    return world


def _real_values(world: World, user: m.User | None) -> dict[str, list[Any]]:
    """Values that exist in the database, by parameter or body field name."""
    session = db.session
    services = [world.debt.id, world.budget.id, world.meeting.id]
    region = regions.create_region("ELZ Oostende", ["35013"])
    tokens = []
    if user is not None:  # a second token: revoking it must not sign the fuzzer out
        accounts.issue_token(user, "spare")
        tokens = [t.id for t in accounts.list_tokens(user) if t.name == "spare"]
    return {
        "service_id": services,
        "services": [services[:1], services],
        "task_id": list(session.scalars(select(m.ReferralTask.id))),
        "link_id": list(session.scalars(select(m.ServiceAtLocation.id))),
        "organization_id": [world.debt.organization_id, world.meeting.organization_id],
        "term_id": ["debt-counselling", "people-in-poverty"],
        "need": ["debt-counselling", "budget-management"],
        "needs": [["debt-counselling"]],
        "region_id": [region.id],
        "notification_id": list(session.scalars(select(m.Notification.id))),
        "token_id": tokens,
    }


def _use_real_values(case: schemathesis.Case, data: st.DataObject, real: dict[str, Any]) -> None:
    """Replace some generated values by real ones (hypothesis decides which)."""
    containers = [case.path_parameters, case.query]
    if isinstance(case.body, dict):
        containers.append(case.body)
    for container in containers:
        for name in list(container):
            if real.get(name) and data.draw(st.booleans(), label=f"real {name}"):
                container[name] = data.draw(st.sampled_from(real[name]), label=name)


def _fuzz(
    operation: schemathesis.APIOperation, headers: dict[str, str], real: dict[str, Any]
) -> None:
    # As schemathesis runs it: either mode per example (an operation without constraints has
    # no invalid input; those draws are discarded and do not count as examples).
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @SETTINGS
    @hypothesis.given(case=cases, data=st.data())
    def run(case: schemathesis.Case, data: st.DataObject) -> None:
        _use_real_values(case, data, real)
        try:
            response = case.call(headers=headers)
        finally:
            db.session.remove()  # each request its own session, as outside the tests
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("role", ROLES)
def test_no_generated_input_causes_a_server_error(app: Flask, world: World, role: str) -> None:
    user = ROLES[role](world)
    headers = bearer(user) if user is not None else {}
    real = _real_values(world, user)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30, "the OpenAPI document lost its operations"

    failures = []
    for operation in operations:
        # Every broken operation is reported in one run. A failed check raises a FailureGroup:
        # a BaseExceptionGroup, not an Exception.
        try:
            _fuzz(operation, headers, real)
        except (Exception, schemathesis.errors.FailureGroup) as exc:
            where = "".join(traceback.format_exception(exc, limit=-3))
            failures.append(f"{operation.label} as {role}:\n{where}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("url", ["/api/referrals", "/api/match"])
def test_item_and_list_messages_of_one_field_answer_422(client, world: World, url: str) -> None:
    # Found by the fuzzer: an item's message keyed 0 beside the list's "_schema" message made
    # the JSON encoder fail (a 500) when it sorted the keys.
    body = {"needs": ["x" * 65, "no-such-need"], "services": [world.debt.id]}
    response = client.post(url, json=body, headers=bearer(world.gp))
    assert response.status_code == 422, response.get_data(as_text=True)
    errors = response.get_json()["errors"]
    needs = errors.get("json", errors)["needs"]  # webargs nests the body's messages in "json"
    assert set(needs) == {"0", "_schema"}


def test_nul_characters_are_refused_in_every_parameter(client, world: World) -> None:
    # Found by the fuzzer on PostgreSQL, whose text cannot hold U+0000: a 500 on every query
    # it reached. Each path and query parameter of the OpenAPI document gets one.
    spec = client.get("/api/openapi.json").get_json()
    headers = bearer(world.gp)
    checked = 0
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "delete"):
                continue
            params = operation.get("parameters", [])
            ints = {p["name"] for p in params if p["schema"].get("type") == "integer"}
            for param in params:
                if param["in"] not in ("path", "query") or param["name"] in ints:
                    continue
                path = template
                for other in (p for p in params if p["in"] == "path"):
                    value = "%00" if other is param else ("1" if other["name"] in ints else "x")
                    path = path.replace("{" + other["name"] + "}", value)
                query = {param["name"]: "\x00"} if param["in"] == "query" else {}
                response = client.open(path, method=method, query_string=query, headers=headers)
                assert response.status_code == 422, (method, path, query, response.status_code)
                assert param["name"] in response.get_json()["errors"][param["in"]]
                checked += 1
    assert checked > 40


def test_nul_characters_are_refused_in_json_bodies(client, world: World) -> None:
    body = referral_data(world.debt, note="Weduwe\x00")
    body["person"]["name"] = "M.\x00"
    response = client.post("/api/referrals", json=body, headers=bearer(world.gp))
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]) == {"note", "person"}

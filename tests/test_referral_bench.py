"""benchmarks/referral_bench.py at tiny scale: its data loading, its client loop (through
the Flask test client instead of HTTP) and the event-log check, which must catch a
duplicated and a lost event. No timings are asserted."""

from __future__ import annotations

import math
from typing import Any

import benchmark_scripts
import pytest
from sqlalchemy import delete
from sqlalchemy import select

from socialmap import models as m

bench = benchmark_scripts.load("referral_bench")
data = benchmark_scripts.load("referral_data")

SEED = 3


@pytest.fixture
def send(client):  # type: ignore[no-untyped-def]
    """The benchmark client's transport, over the Flask test client."""

    def call(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        resp = client.open(path, method=method, json=body, headers=headers)
        return resp.status_code, resp.get_json(silent=True)

    return call


@pytest.fixture
def loaded(session):  # type: ignore[no-untyped-def]
    directory = data.load_directory(session, 60, SEED)
    background = data.insert_background_referrals(session, 30, SEED, referrers=3)
    return directory, background


def test_loading_builds_a_referable_directory_and_a_consistent_history(session, loaded):  # type: ignore[no-untyped-def]
    directory, background = loaded
    assert directory["services"] == 60
    assert 0 < directory["referable_services"] < 60
    assert data.has_directory(session, 60)
    assert background["rows"]["referral_task"] == 30
    assert sum(background["statuses"].values()) == 30
    # each background task: one create event plus one per transition, version to match
    assert bench.version_vs_events(session) == 0
    events = session.scalar(
        select(m.ReferralEvent.action).where(m.ReferralEvent.action == "create").limit(1)
    )
    assert events == "create"
    assert data.count_background(session) == 30


def test_clients_and_event_check(session, loaded, send):  # type: ignore[no-untyped-def]
    actors = data.create_actors(session, 2, 2, "t", SEED)
    assert not {s.organization_id for s in actors[0].services} & {
        s.organization_id for s in actors[1].services
    }
    records: dict[str, dict[str, Any]] = {}
    for actor in actors:
        report = bench.run_client(send, actor, "t", math.inf, max_chains=2)
        assert report.errors == []
        assert report.conflicts == 0
        records.update(report.records)
    assert len(records) == 4
    assert all(r["transitions"] == ["accept", "start", "complete"] for r in records.values())
    referrers = [a.referrer_id for a in actors]

    verified = bench.verify_events(session, records, referrers)
    assert verified["ok"], verified
    assert (verified["lost"], verified["duplicated"]) == (0, 0)
    assert verified["status_events_found"] == verified["status_events_expected"] == 16
    assert verified["received_events"] == 4  # the provider opened each referral once

    # Replaying a create with its key answers with the first request and creates nothing.
    replay = bench.replay_creates(send, actors, records)
    assert replay["same_request"] == replay["replayed"] > 0
    assert bench.verify_events(session, records, referrers)["ok"]

    # A deliberately duplicated event is caught ...
    first, second = sorted(records)[:2]
    session.add(
        m.ReferralEvent(
            task_id=first, kind="status", action="accept", actor_side="target", version=2
        )
    )
    session.commit()
    verified = bench.verify_events(session, records, referrers)
    assert not verified["ok"]
    assert (verified["lost"], verified["duplicated"]) == (0, 1)
    assert verified["examples"][0]["task"] == first

    # ... and so is a lost one.
    session.execute(
        delete(m.ReferralEvent).where(
            m.ReferralEvent.task_id == second, m.ReferralEvent.action == "start"
        )
    )
    session.commit()
    verified = bench.verify_events(session, records, referrers)
    assert (verified["lost"], verified["duplicated"]) == (1, 1)
    assert verified["all_tasks_version_mismatches"] == 2


def test_a_stale_version_is_reread_and_retried(session, loaded, send):  # type: ignore[no-untyped-def]
    actor = data.create_actors(session, 1, 1, "c", SEED)[0]
    stale_once = {"done": False}

    def stale_first_transition(
        method: str, path: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, Any]:
        if path.endswith("/transitions") and not stale_once["done"]:
            stale_once["done"] = True
            body = {**body, "version": body["version"] + 5}
        return send(method, path, body, headers)

    report = bench.run_client(stale_first_transition, actor, "c", math.inf, max_chains=1)
    assert report.conflicts == 1
    assert report.errors == []
    (record,) = report.records.values()
    assert record["transitions"] == ["accept", "start", "complete"]
    assert bench.verify_events(session, report.records, [actor.referrer_id])["ok"]


def test_a_transition_whose_answer_is_lost_is_reread_not_repeated(session, loaded, send):  # type: ignore[no-untyped-def]
    actor = data.create_actors(session, 1, 1, "l", SEED)[0]
    lost_once = {"done": False}

    def answer_lost_once(
        method: str, path: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, Any]:
        out = send(method, path, body, headers)
        if path.endswith("/transitions") and not lost_once["done"]:
            lost_once["done"] = True
            raise ConnectionResetError("the answer never arrived")
        return out

    report = bench.run_client(answer_lost_once, actor, "l", math.inf, max_chains=1)
    assert report.errors == ["accept:ConnectionResetError"]
    assert report.rereads == 1
    (record,) = report.records.values()
    assert record["transitions"] == ["accept", "start", "complete"]
    verified = bench.verify_events(session, report.records, [actor.referrer_id])
    assert verified["ok"], verified

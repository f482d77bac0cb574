"""Referral benchmark on PostgreSQL: matching latency, and referral throughput under load
with a check of the event log afterwards.

    python benchmarks/referral_bench.py --pg postgresql+psycopg://postgres@127.0.0.1:54332/bench
        [--services 100000] [--referrals 50000] [--clients 20] [--duration 20] [--warmup 3]
        [--workers 2] [--threads 4[,1,...]] [--match-queries 100] [--out-dir DIR] [--reuse]

The PostgreSQL database named by ``--pg`` is wiped: its ``public`` schema is dropped and
recreated (unless ``--reuse`` finds the data of an earlier run there), then migrated with
``flask db upgrade``. Steps:

1. load ``--services`` generated listings (:mod:`referral_data`: the import benchmark's
   generator without duplicates, plus intake, ages, languages and capacity) through the
   import pipeline, and build the embedded search index from the database
   (``<out-dir>/search-index.sqlite``);
2. bulk-insert ``--referrals`` background referrals (person, request, task, consent, the
   event log) with SQLAlchemy Core ``executemany``, status mix as in real use;
3. matching, in-process: ``socialmap.logic.matching.match_services`` over a mix of requests
   (needs + place; + age; + language; + max_distance_km; all of them with two needs),
   and, on the same requests in the same run, a naive baseline (:class:`NaiveMatcher`: plain
   SQL for the services tagged with the need codes, their sites, areas and languages, then
   Python haversine, filters and the score recipe). p50/p95/p99 per implementation, the
   speed-up, and how far their top 10s agree;
4. throughput: gunicorn (``-w WORKERS``, ``--threads THREADS`` for each value given; one run
   per value) on loopback; ``--clients`` closed-loop clients (threads in a few processes,
   ``http.client`` keep-alive), each with its own referrer and provider (staff of its own
   target organisations): create a referral (``Idempotency-Key`` header), then accept,
   start and complete it as the provider; a 409 makes the client re-read the referral and
   retry with the fresh version. Operations/s over ``--duration`` seconds after ``--warmup``,
   latency percentiles per operation, errors, conflicts, CPU share of the clients, gunicorn
   and PostgreSQL. Then some creates are replayed with their key (must answer 200 with
   the first request) and the event log is checked from the database: every task has
   exactly one ``create`` event and one event per transition the client saw succeed
   (lost and duplicated counts must be 0), at most one ``received`` event, a version equal
   to its number of status events, and no task exists that the clients did not create.

Prints one JSON document; no pass/fail asserts (the goals are printed beside the figures).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import multiprocessing as mp
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_load import _children  # noqa: E402
from api_load import _cpu_seconds  # noqa: E402
from api_load import free_port  # noqa: E402
from api_load import server_env  # noqa: E402
from api_load import wait_ready  # noqa: E402
from listings import NEEDS  # noqa: E402
from referral_data import FLEMISH_POSTCODES  # noqa: E402
from referral_data import TO_STATUS  # noqa: E402
from referral_data import ClientActors  # noqa: E402
from referral_data import count_background  # noqa: E402
from referral_data import create_actors  # noqa: E402
from referral_data import directory_counts  # noqa: E402
from referral_data import has_directory  # noqa: E402
from referral_data import insert_background_referrals  # noqa: E402
from referral_data import load_directory  # noqa: E402
from referral_data import task_ids_of  # noqa: E402
from search_bench import percentiles  # noqa: E402
from sqlalchemy import bindparam  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from search.query import DEFAULT_RADIUS_KM  # noqa: E402
from search.scoring import haversine_km  # noqa: E402
from socialmap import models as m  # noqa: E402

MATCH_P95_GOAL_MS = 50.0
OPS_GOAL = 200.0
THREADS_PER_PROCESS = 4
SERVICES_PER_CLIENT = 3
#: Transitions of one client chain, as the provider, after the create.
CHAIN = ("accept", "start", "complete")
#: From which statuses each chain action may be taken (a 409 retry only makes sense there).
CHAIN_FROM = {
    "accept": {"requested"},
    "start": {"accepted", "on-hold"},
    "complete": {"in-progress"},
}
MAX_RETRIES = 3
MATCH_KINDS = (
    "needs_place",
    "needs_place_age",
    "needs_place_language",
    "needs_place_radius",
    "all",
)
REPLAYS = 20
PROFILE_MATCHES = 50
PROFILE_CHAINS = 50


# ------------------------------------------------------------------ database and app


def make_app(url: str, index: Path) -> Any:
    from socialmap import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "SEARCH_BACKEND": "embedded",
            "SEARCH_INDEX_PATH": str(index),
            "LOG_LEVEL": "WARNING",
        }
    )


def wipe_schema(url: str) -> None:
    """Drop and recreate the public schema (PostgreSQL only)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def prepare(app: Any, args: argparse.Namespace, index: Path) -> dict[str, Any]:
    """Schema, directory, search index and background referrals; what was done."""
    from flask_migrate import upgrade

    from socialmap.extensions import db
    from socialmap.logic.search_index import get_backend
    from socialmap.logic.search_index import reindex

    out: dict[str, Any] = {}
    reuse = False
    if args.reuse:
        with app.app_context():
            upgrade()
            reuse = has_directory(db.session, args.services)
            db.session.remove()
            db.engine.dispose()
    if not reuse:
        wipe_schema(args.pg)
        with app.app_context():
            upgrade()
            db.engine.dispose()
    with app.app_context():
        session = db.session
        if reuse:
            out["directory"] = {"reused": True, **directory_counts(session)}
        else:
            out["directory"] = load_directory(session, args.services, args.seed)
        if reuse and index.exists():
            out["index"] = {"reused": str(index), "index_mb": round(index.stat().st_size / 1e6, 1)}
        else:
            index.unlink(missing_ok=True)
            t = time.perf_counter()
            count = reindex(session, get_backend())
            out["index"] = {
                "documents": count,
                "build_s": round(time.perf_counter() - t, 1),
                "index_mb": round(index.stat().st_size / 1e6, 1),
            }
        have = count_background(session)
        if have < args.referrals:
            out["background"] = insert_background_referrals(
                session, args.referrals - have, args.seed + have
            )
        else:
            out["background"] = {"reused": have}
        out["background"]["total_tasks"] = session.scalar(
            select(func.count()).select_from(m.ReferralTask)
        )
        session.commit()
        if db.engine.dialect.name == "postgresql":
            session.execute(text("ANALYZE"))  # fresh statistics after the bulk loads
            session.commit()
        db.session.remove()
        db.engine.dispose()
    return out


# ------------------------------------------------------------------ matching


def request_mix(per_kind: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """``per_kind`` match requests of every kind in :data:`MATCH_KINDS`, in a seeded order.
    Call within an app context (places are checked with the gazetteer)."""
    from socialmap import taxonomy
    from socialmap.logic.search import resolve_place

    rng = random.Random(seed)
    known = taxonomy.needs()
    needs = [code for code, _nl, _fr in NEEDS if code in known]
    places = [pc for pc in FLEMISH_POSTCODES if resolve_place(pc, None, None) is not None]
    out: list[tuple[str, dict[str, Any]]] = []
    for kind in MATCH_KINDS:
        for _ in range(per_kind):
            req: dict[str, Any] = {"needs": [rng.choice(needs)], "place": rng.choice(places)}
            if kind in ("needs_place_age", "all"):
                req["age"] = rng.choice((8, 16, 24, 35, 52, 70, 84))
            if kind in ("needs_place_language", "all"):
                req["language"] = rng.choices(("nl", "fr", "en", "ar", "tr"), (30, 25, 25, 10, 10))[
                    0
                ]
            if kind in ("needs_place_radius", "all"):
                req["max_distance_km"] = rng.choice((5.0, 10.0, 25.0))
            if kind == "all":
                req["needs"] = rng.sample(needs, 2)
            out.append((kind, req))
    rng.shuffle(out)
    return out


class NaiveMatcher:
    """Matching as one would write it without a search index: plain SQL for every service
    tagged with one of the need codes (its sites, areas and spoken languages), then Python:
    haversine to every site, the same hard filters (service area, age, capacity full,
    referable) and the same score recipe (needs, distance, capacity, freshness, language)."""

    SERVICES = text(
        """
        SELECT s.id, s.minimum_age, s.maximum_age, s.assured_date, s.text_language,
               ip.accepts_referrals, sc.status, sc.waiting_weeks, l.latitude, l.longitude
        FROM service s
        LEFT JOIN intake_procedure ip ON ip.service_id = s.id
        LEFT JOIN service_capacity sc ON sc.service_id = s.id
        LEFT JOIN service_at_location sal ON sal.service_id = s.id
        LEFT JOIN location l ON l.id = sal.location_id
        WHERE s.status = 'active' AND s.merged_into_id IS NULL
          AND s.id IN (SELECT service_id FROM service_need WHERE term_code IN :codes)
        """
    ).bindparams(bindparam("codes", expanding=True))
    TAGS = text(
        "SELECT service_id, term_code FROM service_need WHERE service_id IN "
        "(SELECT service_id FROM service_need WHERE term_code IN :codes)"
    ).bindparams(bindparam("codes", expanding=True))
    AREAS = text(
        "SELECT sa.service_id, sa.kind, sa.code FROM service_area sa WHERE sa.code IS NOT NULL "
        "AND sa.kind <> 'text' AND sa.service_id IN "
        "(SELECT service_id FROM service_need WHERE term_code IN :codes)"
    ).bindparams(bindparam("codes", expanding=True))
    LANGUAGES = text(
        "SELECT lg.service_id, lg.code FROM language lg WHERE lg.service_id IN "
        "(SELECT service_id FROM service_need WHERE term_code IN :codes)"
    ).bindparams(bindparam("codes", expanding=True))

    def __init__(self, session: Session, weights: dict[str, float]) -> None:
        self.session = session
        self.weights = weights

    def match(self, request: dict[str, Any], now: dt.datetime) -> list[str]:
        """Service ids of the best ``limit`` (20) matches, best first."""
        from socialmap.logic.matching import need_codes
        from socialmap.logic.matching_criteria import need_coverage
        from socialmap.logic.search import resolve_place

        needs = list(request["needs"])
        codes = list(need_codes(needs))
        place = resolve_place(request["place"], None, None)
        radius = request.get("max_distance_km") or DEFAULT_RADIUS_KM
        age, language = request.get("age"), request.get("language")
        params = {"codes": codes}
        services: dict[str, list[Any]] = {}
        sites: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for row in self.session.execute(self.SERVICES, params):
            services.setdefault(row[0], list(row[:8]))
            if row[8] is not None and row[9] is not None:
                sites[row[0]].append((row[8], row[9]))
        tags: dict[str, set[str]] = defaultdict(set)
        for sid, code in self.session.execute(self.TAGS, params):
            tags[sid].add(code)
        areas: dict[str, set[str]] = defaultdict(set)
        for sid, kind, code in self.session.execute(self.AREAS, params):
            areas[sid].add(f"{kind}:{code}")
        spoken: dict[str, set[str]] = defaultdict(set)
        if language:
            for sid, code in self.session.execute(self.LANGUAGES, params):
                spoken[sid].add(code)
        place_areas = set(place.area_codes())
        today = now.date()
        w = self.weights
        scored: list[tuple[float, float, str]] = []
        for sid, (_id, low, high, assured, text_lang, referable, cap, weeks) in services.items():
            distance = min(
                (haversine_km(place.lat, place.lon, lat, lon) for lat, lon in sites[sid]),
                default=None,
            )
            covering = bool(areas[sid] & place_areas)
            if not (covering or (distance is not None and distance <= radius)):
                continue  # not a candidate: too far and not serving the place
            if areas[sid] and not covering:
                continue  # hard filter: service area
            if age is not None and (
                (low is not None and age < low) or (high is not None and age > high)
            ):
                continue  # hard filter: age
            if cap == "full" or not referable:
                continue  # hard filters: capacity full, referable
            parts = {
                "needs": sum(
                    {"exact": 1.0, "narrower": 0.9, "broader": 0.6}.get(
                        need_coverage(n, tags[sid])[0], 0.0
                    )
                    for n in needs
                )
                / len(needs),
                "distance": 0.5 ** (distance / (radius / 2)) if distance is not None else 0.5,
                "capacity": _capacity(cap, weeks),
                "freshness": 0.5 ** ((today - assured).days / 365.25) if assured else 0.0,
            }
            if language:
                parts["language"] = 1.0 if language in (spoken[sid] or {text_lang}) else 0.0
            total = sum(w.get(k, 0.1) for k in parts)
            score = round(sum(w.get(k, 0.1) * v for k, v in parts.items()) / total, 4)
            scored.append((-score, distance if distance is not None else math.inf, sid))
        scored.sort()
        return [sid for _, _, sid in scored[:20]]


def _capacity(status: str | None, weeks: float | None) -> float:
    if status == "waitlist":
        return 0.4 if weeks is None else 0.8 / (1 + max(0.0, weeks) / 4)
    return {"available": 1.0, "full": 0.0}.get(status or "", 0.6)


def run_matching(app: Any, per_kind: int, seed: int, warmup: int = 10) -> dict[str, Any]:
    """Latency of match_services and of the naive baseline on the same requests."""
    from socialmap.extensions import db
    from socialmap.logic.matching import match_services

    with app.app_context():
        mix = request_mix(per_kind, seed)
        now = dt.datetime.now(dt.UTC)
        naive = NaiveMatcher(db.session, dict(app.config["MATCH_WEIGHTS"]))
        for _kind, req in request_mix(max(1, warmup // len(MATCH_KINDS)), seed + 1):
            match_services(req, now=now)
            naive.match(req, now)
            db.session.rollback()
        samples: dict[str, list[tuple[str, float]]] = {"match_services": [], "baseline": []}
        overlaps: list[float] = []
        counts: dict[str, list[int]] = {"match_services": [], "baseline": []}
        clock = time.perf_counter
        for kind, req in mix:
            t = clock()
            result = match_services(req, now=now)
            samples["match_services"].append((kind, (clock() - t) * 1000))
            db.session.rollback()
            t = clock()
            baseline_ids = naive.match(req, now)
            samples["baseline"].append((kind, (clock() - t) * 1000))
            db.session.rollback()
            ids = [x["service_id"] for x in result.matches]
            counts["match_services"].append(len(ids))
            counts["baseline"].append(len(baseline_ids))
            top, base = set(ids[:10]), set(baseline_ids[:10])
            if top or base:
                overlaps.append(len(top & base) / len(top | base))
        sample = [req for _, req in mix[:PROFILE_MATCHES]]
        pg_pids = _postgres_pids(app.config["DATABASE_URL"])

        def matching_pass() -> int:
            for req in sample:
                match_services(req, now=now)
                db.session.rollback()
            return len(sample)

        where = where_time_goes(matching_pass, "request", pg_pids, db.engine)
        db.session.remove()
        db.engine.dispose()
    out: dict[str, Any] = {"requests": len(mix), "warmup_requests": warmup, "kinds": MATCH_KINDS}
    for name, rows in samples.items():
        out[name] = {
            **percentiles([ms for _, ms in rows]),
            "mean_matches": round(statistics.fmean(counts[name]), 1),
            "per_kind_ms": {
                kind: percentiles([ms for k, ms in rows if k == kind]) for kind in MATCH_KINDS
            },
        }
    out["speedup"] = {
        p: round(out["baseline"][p] / out["match_services"][p], 2) for p in ("p50", "p95", "p99")
    }
    out["top10_jaccard_mean"] = round(statistics.fmean(overlaps), 3) if overlaps else None
    out["where_time_goes"] = where
    out["goal"] = {
        "goal": f"match_services p95 <= {MATCH_P95_GOAL_MS:g} ms",
        "measured": out["match_services"]["p95"],
        "met": out["match_services"]["p95"] <= MATCH_P95_GOAL_MS,
    }
    return out


# ------------------------------------------------------------------ where time goes

#: (category, path fragments) for the profile breakdown, first match wins.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("socialmap", ("/socialmap/",)),
    ("search (index package)", (f"{os.sep}search{os.sep}",)),
    ("importers", ("/importers/",)),
    ("sqlalchemy", ("/sqlalchemy/",)),
    ("psycopg (python side)", ("/psycopg/",)),
    ("marshmallow + webargs + smorest", ("/marshmallow/", "/webargs/", "/flask_smorest/")),
    (
        "flask + werkzeug + extensions",
        ("/flask/", "/werkzeug/", "/flask_login/", "/flask_sqlalchemy/", "/flask_babel/"),
    ),
    ("json", ("/json/",)),
)


def _category(filename: str, function: str) -> str:
    if filename == "~":  # C functions: by name
        if "sqlite3" in function:
            return "sqlite3 (embedded search index)"
        if any(w in function for w in ("wait", "poll", "select", "recv", "send")):
            return "waiting on PostgreSQL (socket)"
        if "psycopg" in function:
            return "psycopg (C side)"
        return "python builtins"
    for name, parts in CATEGORIES:
        if any(part in filename for part in parts):
            return name
    return "other python"


class StatementCounter:
    """Counts the SQL statements an engine sends while active (a context manager)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.count = 0

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def where_time_goes(
    run: Callable[[], int], unit: str, pg_pids: list[int], engine: Any
) -> dict[str, Any]:
    """Run ``run`` (it returns how many ``unit`` s it did) twice in this process: once
    plainly for wall, CPU, PostgreSQL CPU and SQL statements per unit, once under cProfile
    for the share of the profiled time per category (the profiler inflates Python time;
    shares only)."""
    import cProfile
    import pstats

    with StatementCounter(engine) as statements:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        pg0 = sum(_cpu_seconds(pid) for pid in pg_pids)
        n = run()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        pg = sum(_cpu_seconds(pid) for pid in pg_pids) - pg0
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    totals: Counter[str] = Counter()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in stats.items():
        totals[_category(filename, function)] += tottime
    whole = sum(totals.values()) or 1.0
    out: dict[str, Any] = {
        f"{unit}s": n,
        f"wall_ms_per_{unit}": round(wall / n * 1000, 2),
        f"python_cpu_ms_per_{unit}": round(cpu / n * 1000, 2),
        f"postgres_cpu_ms_per_{unit}": round(pg / n * 1000, 2) if pg_pids else None,
        f"sql_statements_per_{unit}": round(statements.count / n, 1),
        "profile_share": {k: round(v / whole, 3) for k, v in totals.most_common()},
    }
    if pg_pids:
        # Both run on the same cores: the CPU-bound ceiling of this machine.
        cost = (cpu + pg) / n
        out[f"{unit}s_per_s_ceiling_all_cores"] = round((os.cpu_count() or 1) / cost, 1)
    return out


def profile_operations(app: Any, chains: int, seed: int) -> dict[str, Any]:
    """The server side of the throughput operations in this process, through the Flask
    test client (no HTTP, no gunicorn, one at a time): cost per operation and where it
    goes. Tasks of a separate referrer, so the throughput check is not affected."""
    from socialmap.extensions import db

    with app.app_context():
        tag = f"profile-{int(time.time())}"
        actor = create_actors(db.session, 1, SERVICES_PER_CLIENT, tag, seed + 99)[0]
        db.session.remove()
        engine = db.engine
    client = app.test_client()
    per_kind: dict[str, list[int]] = defaultdict(list)

    def send(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        kind = "reread" if method == "GET" else (body.get("action") or "create")
        with StatementCounter(engine) as statements:
            resp = client.open(path, method=method, json=body, headers=headers)
        per_kind[kind].append(statements.count)
        return resp.status_code, resp.get_json(silent=True)

    errors: list[str] = []
    counter = iter(range(10**9))

    def chains_pass() -> int:
        report = run_client(send, actor, f"{tag}-{next(counter)}", math.inf, max_chains=chains)
        errors.extend(report.errors)
        return len(report.samples)

    chains_pass()  # warm-up
    per_kind.clear()
    pg_pids = _postgres_pids(app.config["DATABASE_URL"])
    out = where_time_goes(chains_pass, "operation", pg_pids, engine)
    out["sql_statements_per_kind"] = {
        kind: round(statistics.fmean(counts), 1) for kind, counts in per_kind.items()
    }
    out["errors"] = len(errors)
    return out


# ------------------------------------------------------------------ the client


class HttpTransport:
    """One keep-alive ``http.client`` connection to the server; reconnects when needed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def __call__(
        self, method: str, path: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {**headers, "Content-Type": "application/json"} if data else dict(headers)
        try:
            self.conn.request(method, path, body=data, headers=hdrs)
            response = self.conn.getresponse()
            raw = response.read()
            if response.will_close:
                self.conn.close()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            raise
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw[:200].decode(errors="replace")
        return response.status, payload

    def close(self) -> None:
        self.conn.close()


Transport = Callable[[str, str, Any, dict[str, str]], tuple[int, Any]]


@dataclass
class ClientReport:
    """What one client saw. ``records``: task id -> {key, request_id, transitions that
    answered 200}; ``samples``: (operation, started at, ms) of successful operations."""

    samples: list[tuple[str, float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    rereads: int = 0
    retries: int = 0
    records: dict[str, dict[str, Any]] = field(default_factory=dict)


def referral_body(actor: ClientActors, seq: int) -> dict[str, Any]:
    service = actor.services[seq % len(actor.services)]
    return {
        "person": {
            "name": f"B.{actor.index}.{seq}",
            "birth_year": 1940 + seq % 60,
            "postcode": FLEMISH_POSTCODES[seq % len(FLEMISH_POSTCODES)],
            "language": "nl",
            "contact_method": "through_referrer",
        },
        "needs": [service.need],
        "services": [service.id],
        "urgency": "routine",
        "consent": {"method": "verbal"},
    }


def run_client(
    send: Transport,
    actor: ClientActors,
    run_tag: str,
    stop_at: float,
    *,
    max_chains: int | None = None,
    clock: Callable[[], float] = time.time,
) -> ClientReport:
    """Create-accept-start-complete chains until ``stop_at`` (or ``max_chains``)."""
    report = ClientReport()
    as_referrer = {"Authorization": f"Bearer {actor.referrer_token}"}
    as_provider = {"Authorization": f"Bearer {actor.provider_token}"}
    seq = 0
    while clock() < stop_at and (max_chains is None or seq < max_chains):
        key = f"{run_tag}-{actor.index}-{seq}"
        body = referral_body(actor, seq)
        seq += 1
        created = _call(
            report,
            "create",
            lambda body=body, key=key: send(
                "POST", "/api/referrals", body, {**as_referrer, "Idempotency-Key": key}
            ),
            ok=(200, 201),
            clock=clock,
            retry_errors=True,  # safe: the idempotency key makes a retried create harmless
        )
        if created is None or isinstance(created, _NoAnswer):
            continue  # unknown to the client: the check reports such a task as unexpected
        if isinstance(created, _Conflict):
            report.errors.append("create:409")
            continue
        task = created["referrals"][0]
        task_id, version = task["id"], task["version"]
        record = {"key": key, "request_id": created["id"], "transitions": []}
        report.records[task_id] = record
        for action in CHAIN:
            if clock() >= stop_at:
                break
            version = _transition(report, send, as_provider, task_id, action, version, clock)
            if version is None:
                break
            record["transitions"].append(action)
    return report


def _call(
    report: ClientReport,
    kind: str,
    do: Callable[[], tuple[int, Any]],
    *,
    ok: tuple[int, ...] = (200,),
    clock: Callable[[], float],
    retry_errors: bool = False,
) -> Any:
    """One operation: its body when the status is in ``ok`` (the sample is recorded),
    :class:`_Conflict` on a 409, :class:`_NoAnswer` on a network error (retried first when
    ``retry_errors``), else None (the error is recorded)."""
    for attempt in range(MAX_RETRIES):
        started = clock()
        t = time.perf_counter()
        try:
            status, payload = do()
        except (OSError, http.client.HTTPException) as exc:
            report.errors.append(f"{kind}:{type(exc).__name__}")
            if retry_errors and attempt + 1 < MAX_RETRIES:
                report.retries += 1
                continue
            return _NoAnswer()
        ms = (time.perf_counter() - t) * 1000
        if status in ok:
            report.samples.append((kind, started, ms))
            return payload
        if status == 409:
            return _Conflict(payload)
        report.errors.append(f"{kind}:{status}")
        return None
    return None


@dataclass
class _Conflict:
    payload: Any


@dataclass
class _NoAnswer:
    """The request may or may not have been applied: only a re-read can tell."""


def _transition(
    report: ClientReport,
    send: Transport,
    headers: dict[str, str],
    task_id: str,
    action: str,
    version: int,
    clock: Callable[[], float],
) -> int | None:
    """Apply ``action``; on a 409 re-read the referral and retry with the fresh version.
    Without an answer, a re-read tells whether it was applied. The new version, or None
    when it did not succeed."""
    path = f"/api/referrals/{task_id}/transitions"
    for _ in range(MAX_RETRIES):
        out = _call(
            report,
            action,
            lambda v=version: send("POST", path, {"action": action, "version": v}, headers),
            clock=clock,
        )
        if out is None:
            return None
        if not isinstance(out, _Conflict | _NoAnswer):
            return int(out["version"])
        if isinstance(out, _Conflict):
            report.conflicts += 1
        report.rereads += 1
        try:
            status, detail = send("GET", f"/api/referrals/{task_id}", None, headers)
        except (OSError, http.client.HTTPException) as exc:
            report.errors.append(f"reread:{type(exc).__name__}")
            return None
        if status != 200 or not isinstance(detail, dict):
            report.errors.append(f"reread:{status}")
            return None
        if isinstance(out, _NoAnswer) and detail.get("version") == version + 1:
            if detail.get("status") == TO_STATUS[action]:
                return version + 1  # it was applied; only the answer was lost
        if detail.get("status") not in CHAIN_FROM[action]:
            report.errors.append(f"{action}:409-unresolved")
            return None
        version = int(detail["version"])
        report.retries += 1
    report.errors.append(f"{action}:409-retries-exhausted")
    return None


def _client_process(
    port: int,
    actors: list[ClientActors],
    run_tag: str,
    start_at: float,
    stop_at: float,
    results: Any,
) -> None:
    """One client process: a thread (with its own connection) per actor."""
    reports: list[ClientReport] = []
    lock = threading.Lock()

    def work(actor: ClientActors) -> None:
        send = HttpTransport(port)
        while time.time() < start_at:
            time.sleep(0.001)
        report = run_client(send, actor, run_tag, stop_at)
        send.close()
        with lock:
            reports.append(report)

    threads = [threading.Thread(target=work, args=(a,)) for a in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    usage = os.times()
    results.put({"reports": [asdict(r) for r in reports], "cpu_s": usage.user + usage.system})


# ------------------------------------------------------------------ verification


def verify_events(
    session: Session, records: dict[str, dict[str, Any]], referrer_ids: Iterable[str]
) -> dict[str, Any]:
    """Compare the event log with what the clients saw succeed.

    Per task the clients created: exactly one ``create`` status event and one status event
    per transition that answered 200 (missing ones are *lost*, extra ones *duplicated*), at
    most one ``received`` event, and a version of 1 + its transitions. A task of these
    referrers that no client saw created counts as duplicated (its events too).
    """
    e, t = m.ReferralEvent.__table__.c, m.ReferralTask.__table__.c
    in_db = task_ids_of(session, referrer_ids)
    tasks = sorted(in_db | set(records))
    found: dict[str, Counter[str]] = defaultdict(Counter)
    received: Counter[str] = Counter()
    versions: dict[str, tuple[int, str]] = {}
    for start in range(0, len(tasks), 1000):
        chunk = tasks[start : start + 1000]
        rows = session.execute(
            select(e.task_id, e.kind, e.action, func.count())
            .where(e.task_id.in_(chunk))
            .group_by(e.task_id, e.kind, e.action)
        )
        for task_id, kind, action, n in rows:
            if kind == "status":
                found[task_id][action] += n
            elif kind == "received":
                received[task_id] += n
        for task_id, version, status in session.execute(
            select(t.id, t.version, t.status).where(t.id.in_(chunk))
        ):
            versions[task_id] = (version, status)
    lost = duplicated = expected_total = found_total = version_mismatches = 0
    examples: list[dict[str, Any]] = []
    for task_id in tasks:
        record = records.get(task_id)
        expected: Counter[str] = Counter()
        if record is not None:
            expected = Counter(["create", *record["transitions"]])
        actual = found.get(task_id, Counter())
        task_lost = sum((expected - actual).values())
        task_dup = sum((actual - expected).values())
        lost += task_lost
        duplicated += task_dup
        expected_total += sum(expected.values())
        found_total += sum(actual.values())
        if record is not None and task_id in versions:
            version = versions[task_id][0]
            if version != 1 + len(record["transitions"]):
                version_mismatches += 1
        if (task_lost or task_dup) and len(examples) < 5:
            examples.append({"task": task_id, "expected": dict(expected), "found": dict(actual)})
    out = {
        "tasks_created_by_clients": len(records),
        "tasks_in_database": len(in_db),
        "tasks_missing": len(set(records) - in_db),
        "tasks_unexpected": len(in_db - set(records)),
        "status_events_expected": expected_total,
        "status_events_found": found_total,
        "lost": lost,
        "duplicated": duplicated,
        "received_events": sum(received.values()),
        "received_duplicated": sum(n - 1 for n in received.values() if n > 1),
        "version_mismatches": version_mismatches,
        "all_tasks_version_mismatches": version_vs_events(session),
    }
    if examples:
        out["examples"] = examples
    out["ok"] = not (
        lost
        or duplicated
        or out["tasks_missing"]
        or out["tasks_unexpected"]
        or out["received_duplicated"]
        or version_mismatches
        or out["all_tasks_version_mismatches"]
    )
    return out


def version_vs_events(session: Session) -> int:
    """Tasks (all of them, background too) whose version differs from their number of
    status events."""
    e, t = m.ReferralEvent.__table__.c, m.ReferralTask.__table__.c
    per_task = (
        select(e.task_id, func.count().label("n"))
        .where(e.kind == "status")
        .group_by(e.task_id)
        .subquery()
    )
    return (
        session.scalar(
            select(func.count())
            .select_from(m.ReferralTask.__table__.outerjoin(per_task, per_task.c.task_id == t.id))
            .where(func.coalesce(per_task.c.n, 0) != t.version)
        )
        or 0
    )


# ------------------------------------------------------------------ throughput


def _machine_jiffies() -> tuple[int, int, int]:
    """(busy, steal, total) CPU jiffies of the whole machine since boot (/proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0, 0
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + irq + softirq, steal, sum(fields[:8])


def _postgres_pids(url: str) -> list[int]:
    """The postmaster and its children (for CPU accounting; empty when not readable)."""
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            data_dir = conn.execute(text("SHOW data_directory")).scalar()
        engine.dispose()
        pid = int(Path(str(data_dir), "postmaster.pid").read_text().split()[0])
    except Exception:  # CPU accounting is optional: no pids, no figure
        return []
    return [pid, *_children(pid)]


def _start_server(
    out_dir: Path, index: Path, url: str, workers: int, threads: int
) -> tuple[subprocess.Popen, int, list[str], Any]:
    env = server_env(out_dir, index)
    env["SOCIALMAP_DATABASE_URL"] = url
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "socialmap:create_app()",
    ]
    log = (out_dir / f"gunicorn-{workers}x{threads}.log").open("wb")
    server = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    return server, port, cmd[2:], log


def _stop_server(server: subprocess.Popen, log: Any) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()


def run_throughput(
    app: Any, args: argparse.Namespace, out_dir: Path, index: Path, threads: int
) -> dict[str, Any]:
    """One gunicorn configuration under ``args.clients`` clients, then the checks."""
    from socialmap.extensions import db

    run_tag = f"{int(time.time())}-{args.workers}x{threads}"
    with app.app_context():
        actors = create_actors(db.session, args.clients, SERVICES_PER_CLIENT, run_tag, args.seed)
        db.session.remove()
        db.engine.dispose()
    server, port, cmd, log = _start_server(out_dir, index, args.pg, args.workers, threads)
    out: dict[str, Any] = {
        "server": {"command": " ".join(cmd), "workers": args.workers, "threads": threads}
    }
    try:
        out["server"]["ready_s"] = round(wait_ready(port, server), 2)
        server_pids = [server.pid, *_children(server.pid)]
        out.update(_load(port, actors, run_tag, args, server_pids))
        records = out.pop("_records")
        send = HttpTransport(port)
        out["idempotency_replays"] = replay_creates(send, actors, records)
        send.close()
    finally:
        _stop_server(server, log)
    tail = Path(log.name).read_text(errors="replace").strip().splitlines()[-10:]
    if tail:
        out["server"]["log_tail"] = tail
    with app.app_context():
        ids = [a.referrer_id for a in actors]
        out["events_verified"] = verify_events(db.session, records, ids)
        db.session.remove()
        db.engine.dispose()
    return out


def _load(
    port: int,
    actors: list[ClientActors],
    run_tag: str,
    args: argparse.Namespace,
    server_pids: list[int],
) -> dict[str, Any]:
    processes = max(1, math.ceil(len(actors) / THREADS_PER_PROCESS))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 1.0
    measure_from = start_at + args.warmup
    stop_at = measure_from + args.duration
    clients = []
    for p in range(processes):
        mine = actors[p * THREADS_PER_PROCESS : (p + 1) * THREADS_PER_PROCESS]
        proc = ctx.Process(
            target=_client_process, args=(port, mine, run_tag, start_at, stop_at, queue)
        )
        proc.start()
        clients.append(proc)
    time.sleep(max(0.0, measure_from - time.time()))
    pg_pids = _postgres_pids(args.pg)
    server_cpu0 = sum(_cpu_seconds(pid) for pid in server_pids)
    pg_cpu0 = sum(_cpu_seconds(pid) for pid in pg_pids)
    machine0 = _machine_jiffies()
    wall0 = time.time()
    time.sleep(max(0.0, stop_at - time.time()))
    server_cpu = sum(_cpu_seconds(pid) for pid in server_pids) - server_cpu0
    pg_cpu = sum(_cpu_seconds(pid) for pid in pg_pids) - pg_cpu0
    busy, steal, total = (b - a for a, b in zip(machine0, _machine_jiffies(), strict=True))
    wall = time.time() - wall0
    results = [queue.get(timeout=args.duration + args.warmup + 180) for _ in clients]
    for proc in clients:
        proc.join(timeout=10)
    reports = [r for res in results for r in res["reports"]]
    client_cpu = sum(res["cpu_s"] for res in results)
    measured = [
        (kind, ms)
        for r in reports
        for kind, started, ms in r["samples"]
        if measure_from <= started < stop_at
    ]
    errors = [e for r in reports for e in r["errors"]]
    records = {k: v for r in reports for k, v in r["records"].items()}
    cpus = os.cpu_count() or 1
    ops_per_s = round(len(measured) / args.duration, 1)
    kinds = ("create", *CHAIN)
    return {
        "clients": len(actors),
        "client_processes": processes,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "operations": len(measured),
        "ops_per_s": ops_per_s,
        "chains_completed_per_s": round(
            sum(1 for k, _ in measured if k == "complete") / args.duration, 1
        ),
        "latency_ms": percentiles([ms for _, ms in measured]) if measured else {},
        "per_operation_ms": {
            kind: {
                "operations": sum(1 for k, _ in measured if k == kind),
                **(percentiles([ms for k, ms in measured if k == kind]) or {}),
            }
            for kind in kinds
            if any(k == kind for k, _ in measured)
        },
        "errors": len(errors),
        "error_kinds": dict(sorted(Counter(errors).items())),
        "conflicts": sum(r["conflicts"] for r in reports),
        "rereads_after_conflict": sum(r["rereads"] for r in reports),
        "retries": sum(r["retries"] for r in reports),
        "tasks_created_incl_warmup": len(records),
        # CPU over the measured period, as shares of all cores (clients: whole run)
        "cpu_share": {
            "clients": round(client_cpu / ((args.duration + args.warmup + 1) * cpus), 2),
            "gunicorn": round(server_cpu / (wall * cpus), 2),
            "postgres": round(pg_cpu / (wall * cpus), 2) if pg_pids else None,
            # everything that ran on the machine (other people's work too), and stolen time
            "machine_busy": round(busy / total, 2) if total else None,
            "machine_steal": round(steal / total, 2) if total else None,
        },
        "goal": {
            "goal": f">= {OPS_GOAL:g} operations/s",
            "measured": ops_per_s,
            "met": ops_per_s >= OPS_GOAL,
        },
        "_records": records,
    }


def replay_creates(
    send: Transport, actors: list[ClientActors], records: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Send some creates again with their Idempotency-Key: each must answer 200 with the
    first request (and create nothing, which the event check then confirms)."""
    by_index = {a.index: a for a in actors}
    sample = sorted(records.items())[:: max(1, len(records) // REPLAYS)][:REPLAYS]
    statuses: Counter[int] = Counter()
    same = 0
    for _task_id, record in sample:
        index = int(record["key"].rsplit("-", 2)[-2])
        actor = by_index[index]
        seq = int(record["key"].rsplit("-", 1)[-1])
        headers = {
            "Authorization": f"Bearer {actor.referrer_token}",
            "Idempotency-Key": record["key"],
        }
        status, body = send("POST", "/api/referrals", referral_body(actor, seq), headers)
        statuses[status] += 1
        same += bool(status == 200 and body and body.get("id") == record["request_id"])
    return {
        "replayed": len(sample),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "same_request": same,
    }


# ------------------------------------------------------------------ main


def machine(url: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    engine = create_engine(url)
    with engine.connect() as conn:
        out["postgres"] = {
            "version": conn.execute(text("SHOW server_version")).scalar(),
            "fsync": conn.execute(text("SHOW fsync")).scalar(),
            "synchronous_commit": conn.execute(text("SHOW synchronous_commit")).scalar(),
            "shared_buffers": conn.execute(text("SHOW shared_buffers")).scalar(),
        }
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=" ".join(__doc__.split("\n\n")[0].split()),
        epilog="WARNING: the public schema of the --pg database is dropped and recreated "
        "(unless --reuse finds an earlier run's data there).",
    )
    parser.add_argument(
        "--pg", required=True, help="PostgreSQL URL; its public schema is DROPPED and recreated"
    )
    parser.add_argument("--services", type=int, default=100_000, help="generated listings")
    parser.add_argument("--referrals", type=int, default=50_000, help="background referrals")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--threads", default="4", help="gunicorn threads per worker; a comma list runs each"
    )
    parser.add_argument("--match-queries", type=int, default=100, help="requests per kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--out-dir", type=Path, default=Path("/tmp/referral-bench"), help="index and logs"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database (and index) when an earlier run loaded --services there",
    )
    parser.add_argument("--skip-matching", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args(argv)

    out_dir = args.out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / "search-index.sqlite"
    app = make_app(args.pg, index)
    report: dict[str, Any] = {"benchmark": "referral_bench", "machine": machine(args.pg)}
    t = time.perf_counter()
    report["data"] = prepare(app, args, index)
    report["data"]["prepare_s"] = round(time.perf_counter() - t, 1)
    if not args.skip_matching:
        report["matching"] = run_matching(app, args.match_queries, args.seed)
    if not args.skip_throughput:
        report["operations_in_process"] = profile_operations(app, PROFILE_CHAINS, args.seed)
        runs = [run_throughput(app, args, out_dir, index, int(n)) for n in args.threads.split(",")]
        best = max(runs, key=lambda r: r.get("ops_per_s", 0))
        report["throughput"] = best
        if len(runs) > 1:
            report["throughput_configs"] = [
                {
                    "workers": r["server"]["workers"],
                    "threads": r["server"]["threads"],
                    "ops_per_s": r.get("ops_per_s"),
                    "latency_ms": r.get("latency_ms"),
                    "errors": r.get("errors"),
                    "cpu_share": r.get("cpu_share"),
                    "events_ok": r["events_verified"]["ok"],
                }
                for r in runs
            ]
    report["config"] = {
        "services": args.services,
        "referrals": args.referrals,
        "clients": args.clients,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "workers": args.workers,
        "threads": args.threads,
        "match_queries_per_kind": args.match_queries,
        "seed": args.seed,
        "reuse": args.reuse,
        "database": "postgresql (fsync={})".format(report["machine"]["postgres"]["fsync"]),
        "note": "fsync=off: commits do not wait for the disk; figures are an upper bound "
        "for a durable setup"
        if report["machine"]["postgres"]["fsync"] == "off"
        else None,
    }
    report["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Search benchmark: the embedded backend against a naive SQLite baseline, same run, same data.

    python benchmarks/search_bench.py [--sizes 10000,100000] [--queries 200] [--seed 42]
                                      [--out-dir DIR] [--baseline-1m] [--facets-everywhere]

For each size, generates documents (:mod:`search_data`), builds the embedded index
(``make_backend("embedded", path=...).rebuild``) and the baseline, runs the query mix
(``selective_text``, ``common_text``, ``needs_place``, ``facets_25km``) against both after
an unmeasured warm-up over other queries of the same kinds, and prints one JSON document:
build docs/s, p50/p95/p99/mean ms per query kind (one pass over queries not seen before;
for the embedded backend also a second, hot-cache pass), the speed-up per kind (baseline /
embedded, at p50 and p95), the goals of the search issue beside the measured figures, and
how many result totals agree between the two implementations. The baseline is skipped at
1,000,000 documents unless ``--baseline-1m``. Other processes on the machine skew the
latencies: the load average before and after is reported.

The baseline is the simple implementation one would write without a search engine: one
SQLite table (plain columns, folded name/body/organisation text, needs and areas as
space-separated text), ``LIKE '%word%'`` conjunctions and ``LIKE '% code %'`` need
filters in SQL with a latitude/longitude box, then Python haversine, the same scoring
recipe, counting for facets, sorting and paging over the returned rows. Text matching
differs on purpose (substring vs stemmed, typo-tolerant words), so only the text-free
kinds are expected to agree exactly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_data import QUERY_KINDS  # noqa: E402
from search_data import QuerySpec  # noqa: E402
from search_data import generate_documents  # noqa: E402
from search_data import need_vocabulary  # noqa: E402
from search_data import query_mix  # noqa: E402

from search.backend import make_backend  # noqa: E402
from search.document import IndexDocument  # noqa: E402
from search.document import cost_bucket  # noqa: E402
from search.hours import is_open  # noqa: E402
from search.query import DEFAULT_RADIUS_KM  # noqa: E402
from search.query import NEED_WEIGHT  # noqa: E402
from search.query import Query  # noqa: E402
from search.query import Results  # noqa: E402
from search.scoring import bounding_box  # noqa: E402
from search.scoring import distance_decay  # noqa: E402
from search.scoring import freshness  # noqa: E402
from search.scoring import haversine_km  # noqa: E402
from search.text import fold  # noqa: E402

#: (size, kind) -> p95 goal in ms, from the search issue.
P95_GOALS_MS: dict[tuple[int, str], float] = {
    (100_000, "selective_text"): 5.0,
    (100_000, "common_text"): 20.0,
    (100_000, "facets_25km"): 25.0,
    (1_000_000, "needs_place"): 30.0,
}
SPEEDUP_GOAL = 10.0  # at 100k, every kind, at p50
WARMUP = 20  # queries per kind (another seed) run before measuring
AGREEMENT_SAMPLE = 50  # queries per kind whose totals are compared
MATERIALISE_LIMIT = 300_000  # larger corpora are streamed (and generated twice if needed)


# ------------------------------------------------------------------ the naive baseline


class NaiveBaseline:
    """SQLite ``LIKE`` + Python haversine: the honest simple implementation."""

    name = "naive"

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists():
            path.unlink()
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute(
            """CREATE TABLE doc (
                id TEXT PRIMARY KEY, service_id TEXT, location_id TEXT, organization_id TEXT,
                name TEXT, organization_name TEXT, text TEXT, needs TEXT, target_groups TEXT,
                languages TEXT, areas TEXT, lat REAL, lon REAL, municipality TEXT,
                age_min REAL, age_max REAL, free INTEGER, capacity TEXT,
                accepts_referrals INTEGER, updated TEXT, hours TEXT, closures TEXT)"""
        )

    def build(self, documents: Iterable[IndexDocument]) -> int:
        rows = (self._row(doc) for doc in documents)
        n = 0
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 5000:
                self.conn.executemany(f"INSERT INTO doc VALUES ({','.join('?' * 22)})", batch)
                n += len(batch)
                batch.clear()
        self.conn.executemany(f"INSERT INTO doc VALUES ({','.join('?' * 22)})", batch)
        n += len(batch)
        self.conn.commit()
        return n

    @staticmethod
    def _row(doc: IndexDocument) -> tuple[Any, ...]:
        parts = [doc.organization_name]
        for text in doc.texts.values():
            parts += [text.get("name", ""), text.get("body", "")]
        return (
            doc.id,
            doc.service_id,
            doc.location_id,
            doc.organization_id,
            doc.name,
            doc.organization_name,
            fold(" ".join(parts)),
            _spaced(doc.needs),
            _spaced(doc.target_groups),
            _spaced(doc.languages),
            _spaced(doc.areas),
            doc.lat,
            doc.lon,
            doc.municipality,
            doc.age_min,
            doc.age_max,
            None if doc.free is None else int(doc.free),
            doc.capacity,
            int(doc.accepts_referrals),
            doc.updated.isoformat() if doc.updated else None,
            json.dumps(doc.hours),
            json.dumps([[a.isoformat(), b.isoformat()] for a, b in doc.closures]),
        )

    def search(self, q: Query) -> Results:
        where: list[str] = []
        args: list[Any] = []
        if q.has_text:
            all_words = " AND ".join("text LIKE ?" for _ in q.terms) or "0"
            args += [f"%{w}%" for w in q.terms]
            if q.text_needs:
                by_need = "(" + " OR ".join("needs LIKE ?" for _ in q.text_needs) + ")"
                args += [f"% {c} %" for c in q.text_needs]
                for w in q.residual_terms:
                    by_need += " AND text LIKE ?"
                    args.append(f"%{w}%")
                where.append(f"(({all_words}) OR ({by_need}))")
            else:
                where.append(f"({all_words})")
        if q.needs:
            where.append("(" + " OR ".join("needs LIKE ?" for _ in q.needs) + ")")
            args += [f"% {c} %" for c in q.needs]
        if q.target_groups:
            ors = " OR ".join("target_groups LIKE ?" for _ in q.target_groups)
            where.append(f"(target_groups = ' ' OR {ors})")
            args += [f"% {c} %" for c in q.target_groups]
        if q.age is not None:
            where.append("(age_min IS NULL OR age_min <= ?) AND (age_max IS NULL OR age_max >= ?)")
            args += [q.age, q.age]
        if q.language:
            where.append("languages LIKE ?")
            args.append(f"% {q.language} %")
        if q.free is not None:
            where.append("free = ?")
            args.append(int(q.free))
        if q.capacity == "not_full":
            where.append("capacity != 'full'")
        elif q.capacity == "available":
            where.append("capacity = 'available'")
        if q.accepts_referrals is not None:
            where.append("accepts_referrals = ?")
            args.append(int(q.accepts_referrals))
        if q.organization_id is not None:
            where.append("organization_id = ?")
            args.append(q.organization_id)
        radius = q.radius_km or DEFAULT_RADIUS_KM
        place = q.place
        if place is not None and place.point is not None:
            lat0, lat1, lon0, lon1 = bounding_box(place.lat, place.lon, radius)  # type: ignore[arg-type]
            where.append("((lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?) OR areas != ' ')")
            args += [lat0, lat1, lon0, lon1]
        elif place is not None:
            where.append("areas != ' '")
        sql = (
            "SELECT id, text, needs, target_groups, languages, areas, lat, lon, municipality, "
            "capacity, free, updated, hours, closures FROM doc"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        boost = set(q.needs) | set(q.text_needs)
        place_codes = set(place.area_codes()) if place is not None else set()
        now = q.now or dt.datetime.now(dt.UTC)
        matches: list[tuple[float, float, str, tuple[Any, ...]]] = []
        for row in self.conn.execute(sql, args):
            (_, text, needs, _, _, areas, lat, lon, _, _, _, updated, hours, closures) = row
            if q.open_at is not None and not _open(hours, closures, q.open_at):
                continue
            distance = math.inf
            if place is not None:
                area = bool(place_codes.intersection(areas.split()))
                by_distance = False
                if place.point is not None and lat is not None:
                    distance = haversine_km(place.lat, place.lon, lat, lon)  # type: ignore[arg-type]
                    by_distance = distance <= radius and (
                        areas == " " or place.municipality is None or area
                    )
                if not (by_distance or area):
                    continue
            score = 0.0
            if q.has_text:
                score += sum(math.log1p(text.count(w)) for w in q.terms)
            if boost and boost.intersection(needs.split()):
                score += NEED_WEIGHT
            if place is not None and place.point is not None and distance != math.inf:
                score += distance_decay(distance)
            if updated:
                score += freshness(dt.datetime.fromisoformat(updated), now)
            matches.append((score, distance, row[0], row))
        if q.sort == "distance":
            matches.sort(key=lambda m: (m[1], -m[0], m[2]))
        else:
            matches.sort(key=lambda m: (-m[0], m[1], m[2]))
        facets: dict[str, dict[str, int]] = {}
        if q.facets:
            counters: dict[str, Counter[str]] = {
                name: Counter()
                for name in ("needs", "target_groups", "languages", "municipality", "capacity")
            }
            cost: Counter[str] = Counter()
            for *_, row in matches:
                counters["needs"].update(row[2].split())
                counters["target_groups"].update(row[3].split())
                counters["languages"].update(row[4].split())
                if row[8]:
                    counters["municipality"][row[8]] += 1
                counters["capacity"][row[9]] += 1
                cost[cost_bucket(None if row[10] is None else bool(row[10]))] += 1
            facets = {name: dict(c.most_common()) for name, c in counters.items()}
            facets["cost"] = dict(cost.most_common())
        page = matches[q.offset : q.offset + q.per_page]
        hits = [_Hit(m[2], m[0], None if m[1] == math.inf else m[1]) for m in page]
        return Results(len(matches), hits, facets, q.page, q.per_page)  # type: ignore[arg-type]

    def close(self) -> None:
        self.conn.close()


class _Hit:
    __slots__ = ("id", "score", "distance_km")

    def __init__(self, id: str, score: float, distance_km: float | None) -> None:
        self.id, self.score, self.distance_km = id, score, distance_km


def _spaced(values: list[str]) -> str:
    """`` a b c `` so that ``LIKE '% b %'`` finds whole values."""
    return f" {' '.join(values)} " if values else " "


def _open(hours: str, closures: str, when: dt.datetime) -> bool:
    return is_open(
        [tuple(h) for h in json.loads(hours)],  # type: ignore[misc]
        [(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in json.loads(closures)],
        when,
    )


# ------------------------------------------------------------------ measuring


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in ms (nearest-rank percentiles)."""
    ordered = sorted(samples_ms)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {
        "p50": round(rank(50), 3),
        "p95": round(rank(95), 3),
        "p99": round(rank(99), 3),
        "mean": round(statistics.fmean(ordered), 3),
        "max": round(ordered[-1], 3),
    }


def run_queries(
    backend: Any,
    mix: dict[str, list[QuerySpec]],
    warmup: dict[str, list[QuerySpec]],
    repeat: bool = False,
) -> dict[str, Any]:
    """Per kind: latency percentiles of one pass over ``mix`` after an unmeasured pass over
    ``warmup`` (other queries of the same kinds, so the measured ones are not cached), the
    mean total and zero-hit queries; with ``repeat``, also the percentiles of a second,
    hot-cache pass over the same queries."""
    out: dict[str, Any] = {}
    for kind in QUERY_KINDS:
        for spec in warmup[kind]:
            backend.search(spec.query)
        samples: list[float] = []
        totals: list[int] = []
        for spec in mix[kind]:
            t = time.perf_counter()
            results = backend.search(spec.query)
            samples.append((time.perf_counter() - t) * 1000)
            totals.append(results.total)
        out[kind] = {
            **percentiles(samples),
            "queries": len(samples),
            "mean_total": round(statistics.fmean(totals), 1),
            "zero_hits": sum(1 for t in totals if t == 0),
        }
        if repeat:
            again: list[float] = []
            for spec in mix[kind]:
                t = time.perf_counter()
                backend.search(spec.query)
                again.append((time.perf_counter() - t) * 1000)
            hot = percentiles(again)
            out[kind]["repeat_pass"] = {k: hot[k] for k in ("p50", "p95", "p99")}
    return out


def agreement(embedded: Any, baseline: NaiveBaseline, mix: dict[str, list[QuerySpec]]) -> dict:
    """How many of a sample of queries have the same total (and, for facets, the same
    capacity and cost counts) in both implementations."""
    out: dict[str, Any] = {}
    for kind in QUERY_KINDS:
        sample = mix[kind][:AGREEMENT_SAMPLE]
        same = 0
        same_facets = 0
        examples: list[dict[str, Any]] = []
        for spec in sample:
            a, b = embedded.search(spec.query), baseline.search(spec.query)
            if a.total == b.total:
                same += 1
            elif len(examples) < 3:
                examples.append(
                    {"params": dict(spec.params), "embedded": a.total, "naive": b.total}
                )
            if spec.query.facets and all(
                a.facets.get(f) == b.facets.get(f) for f in ("capacity", "cost", "municipality")
            ):
                same_facets += 1
        entry: dict[str, Any] = {"compared": len(sample), "same_total": same}
        if sample and sample[0].query.facets:
            entry["same_facets"] = same_facets
        if examples:
            entry["differences"] = examples
        entry["expected_to_agree"] = kind in ("needs_place", "facets_25km")
        out[kind] = entry
    return out


def _documents(n: int, seed: int) -> tuple[Iterable[IndexDocument], float]:
    """The corpus (a list when small enough, else a fresh stream) and generation seconds."""
    t = time.perf_counter()
    if n <= MATERIALISE_LIMIT:
        docs = list(generate_documents(n, seed))
        return docs, time.perf_counter() - t
    count = sum(1 for _ in generate_documents(n, seed))
    assert count == n
    return generate_documents(n, seed), time.perf_counter() - t


def bench_size(
    n: int,
    seed: int,
    per_kind: int,
    out_dir: Path,
    with_baseline: bool,
    facets_everywhere: bool,
) -> dict[str, Any]:
    vocab = need_vocabulary()
    docs, gen_s = _documents(n, seed)
    result: dict[str, Any] = {"documents": n, "generate_s": round(gen_s, 2)}
    streamed = not isinstance(docs, list)

    path = out_dir / f"embedded-{n}.sqlite"
    backend = make_backend("embedded", path=path)
    gc.collect()
    t = time.perf_counter()
    built = backend.rebuild(docs, vocab)
    build_s = time.perf_counter() - t
    if streamed:  # the stream generated the documents while building: take that out
        build_s = max(build_s - gen_s, 1e-9)
    result["embedded"] = {
        "built": built,
        "build_s": round(build_s, 2),
        "build_docs_per_s": round(built / build_s),
        "build_includes_generation": False,
        "index_mb": round(path.stat().st_size / 1e6, 1),
    }
    mix = query_mix(n, seed, per_kind, facets_everywhere=facets_everywhere)
    warm = query_mix(n, seed, WARMUP, facets_everywhere=facets_everywhere, variant=1)
    result["embedded"]["queries"] = run_queries(backend, mix, warm, repeat=True)

    if with_baseline:
        if streamed:
            docs = generate_documents(n, seed)
        baseline = NaiveBaseline(out_dir / f"naive-{n}.sqlite")
        t = time.perf_counter()
        baseline.build(docs)
        build_s = time.perf_counter() - t - (gen_s if streamed else 0)
        result["naive"] = {
            "build_s": round(build_s, 2),
            "build_docs_per_s": round(n / max(build_s, 1e-9)),
            "queries": run_queries(baseline, mix, warm),
        }
        result["speedup"] = {
            kind: {
                stat: round(
                    result["naive"]["queries"][kind][stat]
                    / max(result["embedded"]["queries"][kind][stat], 1e-6),
                    1,
                )
                for stat in ("p50", "p95")
            }
            for kind in QUERY_KINDS
        }
        result["agreement"] = agreement(backend, baseline, mix)
        baseline.close()
    result["goals"] = goals(n, result)
    return result


def goals(n: int, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's goals that apply to this size, with the measured figures."""
    out: list[dict[str, Any]] = []
    for (size, kind), limit in P95_GOALS_MS.items():
        if size == n:
            p95 = result["embedded"]["queries"][kind]["p95"]
            out.append(
                {
                    "goal": f"embedded {kind} p95 <= {limit:g} ms",
                    "measured": p95,
                    "met": p95 <= limit,
                }
            )
    if n == 100_000 and "speedup" in result:
        worst = min(v["p50"] for v in result["speedup"].values())
        out.append(
            {
                "goal": f"embedded >= {SPEEDUP_GOAL:g}x faster than naive (p50, every kind)",
                "measured": worst,
                "met": worst >= SPEEDUP_GOAL,
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated corpus sizes")
    parser.add_argument("--queries", type=int, default=200, help="queries per kind")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out-dir", type=Path, default=None, help="index files (default: temp)")
    parser.add_argument(
        "--baseline-1m", action="store_true", help="also run the baseline at >= 1,000,000"
    )
    parser.add_argument(
        "--facets-everywhere",
        action="store_true",
        help="compute facets for every query kind (default: only facets_25km)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        out_dir = args.out_dir or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        report: dict[str, Any] = {
            "benchmark": "search",
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                "loadavg_before": [round(x, 2) for x in os.getloadavg()],
            },
            "seed": args.seed,
            "queries_per_kind": args.queries,
            "warmup_per_kind": WARMUP,
            "facets": "every kind" if args.facets_everywhere else "facets_25km only",
            "sizes": [],
        }
        for n in sizes:
            with_baseline = n < 1_000_000 or args.baseline_1m
            report["sizes"].append(
                bench_size(
                    n, args.seed, args.queries, out_dir, with_baseline, args.facets_everywhere
                )
            )
            print(f"size {n} done", file=sys.stderr, flush=True)
        report["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

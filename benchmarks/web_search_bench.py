"""Server time of the rendered public search page (``GET /``) next to ``GET /api/search``.

    python benchmarks/web_search_bench.py [--n 100000] [--requests 300] [--seed 42]
                                          [--out-dir DIR] [--reuse-index] [--profile]

Builds an embedded index of ``--n`` generated documents (:mod:`search_data`, as
``api_load.py`` does), an empty SQLite database (``flask db upgrade``), then runs in process
with the Flask test client, after an unmeasured warm-up, ``--requests`` requests of each kind:

* ``q_place``: free text of the benchmark mix ("hulp", "ondersteuning gezin", ...) around a
  postcode (the citizen's search: "what" + "where");
* ``q_place_facet``: the same plus a need filter, as after ticking a facet checkbox.

Each kind is timed for the page (search, facets and HTML) and for the JSON API with the same
arguments (search, facets and JSON) as the baseline, request by request in one interleaved
order. Prints JSON: p50/p95/p99/mean/max ms per kind and door, wall time and the thread's CPU
time (on a busy machine the wall time's tail is mostly waiting for a core), the page's
overhead over the API at p50, and the goal (page p95 <= 150 ms at 100k services).
``--profile`` adds the top functions of a cProfile run over the page requests.

The database holds no listings: the page's only per-request database work (one ``IN`` query
over the page's location ids, to keep postcode-centroid pins off the map) finds nothing here,
so its cost is a lower bound; the search, facets and rendering are the real ones.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_load import build_index  # noqa: E402
from search_bench import percentiles  # noqa: E402
from search_data import query_mix  # noqa: E402

GOAL_P95_MS = 150.0
KINDS = ("q_place", "q_place_facet")
WARMUP = 30  # requests per kind and door, not measured


def workload(n: int, seed: int, per_kind: int, variant: int = 0) -> list[tuple[str, list]]:
    """(kind, query arguments) pairs in a seeded random order: the mix's common texts around
    the mix's postcodes, and the same with one of the mix's need codes."""
    mix = query_mix(n, seed, per_kind, variant=variant)
    out: list[tuple[str, list]] = []
    for text_spec, place_spec in zip(mix["common_text"], mix["needs_place"], strict=True):
        q = dict(text_spec.params)["q"]
        params = dict(place_spec.params)
        base = [("q", q), ("place", params["place"])]
        out.append(("q_place", base))
        out.append(("q_place_facet", [*base, ("need", params["need"])]))
    random.Random(seed + variant).shuffle(out)
    return out


def make_app(out_dir: Path, index: Path) -> Any:
    db_path = out_dir / "bench.db"
    db_path.unlink(missing_ok=True)
    env = dict(os.environ, SOCIALMAP_DATABASE_URL=f"sqlite:///{db_path}",
               SOCIALMAP_VAR_DIR=str(out_dir), FLASK_APP="socialmap")  # fmt: skip
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=REPO, env=env,
                   check=True, capture_output=True)  # fmt: skip
    from socialmap import create_app

    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{db_path}",
            "VAR_DIR": str(out_dir),
            "SEARCH_BACKEND": "embedded",
            "SEARCH_INDEX_PATH": str(index),
            "SECRET_KEY": "bench",
            "LOG_LEVEL": "WARNING",
        }
    )


def timed(client: Any, url: str) -> tuple[float, float]:
    """(wall ms, CPU ms of this thread): the test client runs the app in this thread, so the
    CPU time is the request's own work, without the waits of a busy machine."""
    t, cpu = time.perf_counter(), time.thread_time()
    response = client.get(url)
    body = response.get_data()
    ms, cpu_ms = (time.perf_counter() - t) * 1000, (time.thread_time() - cpu) * 1000
    if response.status_code != 200 or not body:
        raise RuntimeError(f"{url}: {response.status_code} {body[:300]!r}")
    return ms, cpu_ms


Samples = dict[str, dict[str, list[float]]]


def run(client: Any, work: list[tuple[str, list]]) -> Samples:
    doors = ("page", "api", "page_cpu", "api_cpu")
    samples: Samples = {k: {door: [] for door in doors} for k in KINDS}
    for i, (kind, params) in enumerate(work):
        query = urlencode(params)
        urls = [("page", f"/?{query}"), ("api", f"/api/search?{query}")]
        for door, url in urls if i % 2 else urls[::-1]:  # neither door always warms the other
            wall, cpu = timed(client, url)
            samples[kind][door].append(wall)
            samples[kind][f"{door}_cpu"].append(cpu)
    return samples


def profile(client: Any, work: list[tuple[str, list]], top: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _kind, params in work:
        client.get(f"/?{urlencode(params)}")
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="generated documents")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per kind")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out-dir", type=Path, default=None, help="index + db (default: temp)")
    parser.add_argument("--reuse-index", action="store_true", help="keep an existing index")
    parser.add_argument("--profile", action="store_true", help="cProfile the page requests")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="web-search-bench-") as tmp:
        out_dir = (args.out_dir or Path(tmp)).resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
        index = out_dir / "search-index.sqlite"
        report: dict[str, Any] = {
            "benchmark": "web_search_bench",
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "loadavg_before": [round(x, 2) for x in os.getloadavg()],
            },
            "documents": args.n,
            "requests_per_kind": args.requests,
        }
        if args.reuse_index and index.exists():
            report["index"] = {"reused": str(index)}
        else:
            report["index"] = build_index(index, args.n, args.seed)
        app = make_app(out_dir, index)
        with app.app_context():
            client = app.test_client()
            run(client, workload(args.n, args.seed, WARMUP, variant=1))
            samples = run(client, workload(args.n, args.seed, args.requests))
            results: dict[str, Any] = {}
            for kind, doors in samples.items():
                page, api = percentiles(doors["page"]), percentiles(doors["api"])
                results[kind] = {
                    "page_ms": page,
                    "api_ms_baseline": api,
                    "page_cpu_ms": percentiles(doors["page_cpu"]),
                    "api_cpu_ms_baseline": percentiles(doors["api_cpu"]),
                    "page_overhead_ms_p50": round(page["p50"] - api["p50"], 3),
                    "goal_page_p95_ms": GOAL_P95_MS,
                    "meets_goal": page["p95"] <= GOAL_P95_MS,
                }
            report["results"] = results
            if args.profile:
                report["profile"] = profile(client, workload(args.n, args.seed, 50, 2))
        report["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

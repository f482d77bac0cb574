"""Load test of ``GET /api/search`` under gunicorn on loopback, embedded index of generated data.

    python benchmarks/api_load.py [--n 100000] [--workers 2] [--connections 8]
                                  [--duration 20] [--warmup 3] [--out-dir DIR] [--reuse-index]

Builds an embedded index of ``--n`` documents (:mod:`search_data`) at
``<out-dir>/search-index.sqlite``, creates an empty SQLite database with
``flask db upgrade``, starts ``gunicorn -w WORKERS -b 127.0.0.1:PORT 'socialmap:create_app()'``
with ``SOCIALMAP_SEARCH_BACKEND=embedded``, ``SOCIALMAP_SEARCH_INDEX_PATH`` and
``SOCIALMAP_DATABASE_URL`` pointing there, waits until it answers, then runs a bounded
closed loop: ``--connections`` client connections (spread over client processes, a few
threads each, ``http.client``, keep-alive when the server allows it) cycling through
URLs of the benchmark query mix (text, need + place, place + radius) for ``--duration``
seconds after ``--warmup`` seconds that are not measured. Prints JSON: requests/s,
p50/p95/p99 ms overall and per query kind, errors, and the CPU share of the client and of
the server processes (the client competes with the server for the same cores).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import percentiles  # noqa: E402
from search_data import QUERY_KINDS  # noqa: E402
from search_data import generate_documents  # noqa: E402
from search_data import need_vocabulary  # noqa: E402
from search_data import query_mix  # noqa: E402

RPS_GOAL = 300.0
P99_GOAL_MS = 50.0
THREADS_PER_PROCESS = 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_index(path: Path, n: int, seed: int) -> dict[str, Any]:
    from search.backend import make_backend

    t = time.perf_counter()
    count = make_backend("embedded", path=path).rebuild(
        generate_documents(n, seed), need_vocabulary()
    )
    seconds = time.perf_counter() - t
    return {
        "documents": count,
        "build_s_including_generation": round(seconds, 1),
        "index_mb": round(path.stat().st_size / 1e6, 1),
    }


def urls(
    n: int, seed: int, per_kind: int, facets_everywhere: bool = False
) -> list[tuple[str, str]]:
    """(kind, path) pairs of the query mix, interleaved in a seeded random order. Like
    search_bench, only the facets kind asks for facets unless ``facets_everywhere``."""
    mix = query_mix(n, seed, per_kind, facets_everywhere=facets_everywhere)
    out = [
        (kind, "/api/search?" + urlencode(list(spec.params)))
        for kind in QUERY_KINDS
        for spec in mix[kind]
    ]
    random.Random(seed).shuffle(out)
    return out


def server_env(out_dir: Path, index: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SOCIALMAP_SEARCH_BACKEND="embedded",
        SOCIALMAP_SEARCH_INDEX_PATH=str(index),
        SOCIALMAP_DATABASE_URL=f"sqlite:///{out_dir / 'bench.db'}",
        SOCIALMAP_VAR_DIR=str(out_dir),
        SOCIALMAP_LOG_LEVEL="WARNING",
        FLASK_APP="socialmap",
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 90.0) -> float:
    """Seconds until ``GET /api/search?q=hulp`` answers 200 (raises on timeout or exit)."""
    t = time.perf_counter()
    deadline = t + timeout
    last: Any = None
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/search?q=hulp")
            response = conn.getresponse()
            body = response.read()
            conn.close()
            if response.status == 200:
                return time.perf_counter() - t
            last = (response.status, body[:300])
        except OSError as exc:
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout:.0f} s: {last!r}")


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process from /proc (0 when unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(entry.name))
    return out


def _client(
    port: int,
    work: list[tuple[str, str]],
    threads: int,
    offset: int,
    start_at: float,
    measure_from: float,
    stop_at: float,
    results: Any,
) -> None:
    """One client process: ``threads`` closed-loop connections; sends its samples back."""
    samples: list[tuple[str, float]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def loop(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = (offset + index) * 7919
        local: list[tuple[str, float]] = []
        local_errors: list[str] = []
        while time.time() < start_at:
            time.sleep(0.001)
        while True:
            now = time.time()
            if now >= stop_at:
                break
            kind, path = work[i % len(work)]
            i += 1
            t = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = type(exc).__name__
            elapsed = (time.perf_counter() - t) * 1000
            if now >= measure_from:
                if status == 200:
                    local.append((kind, elapsed))
                else:
                    local_errors.append(str(status))
        conn.close()
        with lock:
            samples.extend(local)
            errors.extend(local_errors)

    pool = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    usage = os.times()
    results.put({"samples": samples, "errors": errors, "cpu_s": usage.user + usage.system})


def run_load(
    port: int,
    work: list[tuple[str, str]],
    connections: int,
    duration: float,
    warmup: float,
    server_pids: list[int],
) -> dict[str, Any]:
    processes = max(1, -(-connections // THREADS_PER_PROCESS))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 1.0
    measure_from = start_at + warmup
    stop_at = measure_from + duration
    clients = []
    remaining = connections
    for p in range(processes):
        threads = min(THREADS_PER_PROCESS, remaining)
        remaining -= threads
        proc = ctx.Process(
            target=_client,
            args=(
                port,
                work,
                threads,
                p * THREADS_PER_PROCESS,
                start_at,
                measure_from,
                stop_at,
                queue,
            ),
        )
        proc.start()
        clients.append(proc)
    time.sleep(max(0.0, measure_from - time.time()))
    server_cpu0 = sum(_cpu_seconds(pid) for pid in server_pids)
    wall0 = time.time()
    reports = [queue.get(timeout=duration + warmup + 120) for _ in clients]
    server_cpu = sum(_cpu_seconds(pid) for pid in server_pids) - server_cpu0
    wall = time.time() - wall0
    for proc in clients:
        proc.join(timeout=10)
    samples = [s for r in reports for s in r["samples"]]
    errors = [e for r in reports for e in r["errors"]]
    client_cpu = sum(r["cpu_s"] for r in reports)
    cpus = os.cpu_count() or 1
    latencies = [ms for _, ms in samples]
    overall = percentiles(latencies)
    out: dict[str, Any] = {
        "connections": connections,
        "client_processes": processes,
        "duration_s": duration,
        "warmup_s": warmup,
        "requests": len(samples),
        "errors": len(errors),
        "error_kinds": dict(sorted({e: errors.count(e) for e in set(errors)}.items())),
        "requests_per_s": round(len(samples) / duration, 1),
        "latency_ms": overall,
        "per_kind_ms": {
            kind: {
                "requests": sum(1 for k, _ in samples if k == kind),
                **percentiles([ms for k, ms in samples if k == kind]),
            }
            for kind in QUERY_KINDS
        },
        # client CPU over warm-up + measured period; shares are of all cores
        "client_cpu_share": round(client_cpu / ((duration + warmup) * cpus), 2),
        "server_cpu_share": round(server_cpu / (max(wall, duration) * cpus), 2),
    }
    out["goals"] = [
        {
            "goal": f">= {RPS_GOAL:g} requests/s",
            "measured": out["requests_per_s"],
            "met": out["requests_per_s"] >= RPS_GOAL,
        },
        {
            "goal": f"p99 <= {P99_GOAL_MS:g} ms",
            "measured": overall.get("p99"),
            "met": bool(overall) and overall["p99"] <= P99_GOAL_MS,
        },
        {"goal": "no errors", "measured": len(errors), "met": not errors},
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="generated documents")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--queries", type=int, default=200, help="URLs per query kind")
    parser.add_argument("--out-dir", type=Path, default=None, help="index + db (default: temp)")
    parser.add_argument(
        "--reuse-index", action="store_true", help="keep an existing index file in --out-dir"
    )
    parser.add_argument(
        "--facets-everywhere",
        action="store_true",
        help="every request computes facets (default: only the facets kind, as in search_bench)",
    )
    parser.add_argument(
        "--gunicorn-args", default="", help="extra gunicorn arguments, e.g. '--threads 2'"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="api-load-") as tmp:
        out_dir = (args.out_dir or Path(tmp)).resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
        index = out_dir / "search-index.sqlite"
        report: dict[str, Any] = {
            "benchmark": "api_load",
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "loadavg_before": [round(x, 2) for x in os.getloadavg()],
            },
            "documents": args.n,
            "seed": args.seed,
        }
        if args.reuse_index and index.exists():
            report["index"] = {
                "reused": str(index),
                "index_mb": round(index.stat().st_size / 1e6, 1),
            }
        else:
            report["index"] = build_index(index, args.n, args.seed)
        env = server_env(out_dir, index)
        (out_dir / "bench.db").unlink(missing_ok=True)
        subprocess.run(
            [sys.executable, "-m", "flask", "db", "upgrade"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
        )
        work = urls(args.n, args.seed, args.queries, args.facets_everywhere)
        report["facets_everywhere"] = args.facets_everywhere
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *args.gunicorn_args.split(),
            "socialmap:create_app()",
        ]
        report["server"] = {"command": " ".join(cmd[1:]), "workers": args.workers}
        log = (out_dir / "gunicorn.log").open("wb")
        server = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            report["server"]["ready_s"] = round(wait_ready(port, server), 2)
            pids = [server.pid, *_children(server.pid)]
            report["server"]["processes"] = len(pids)
            report["load"] = run_load(
                port, work, args.connections, args.duration, args.warmup, pids
            )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()
        if server.returncode not in (0, -signal.SIGTERM):
            report["server"]["exit_code"] = server.returncode
        tail = (out_dir / "gunicorn.log").read_text(errors="replace").strip().splitlines()[-20:]
        if tail:
            report["server"]["log_tail"] = tail
        report["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

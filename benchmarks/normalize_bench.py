"""Micro-benchmark of importers.normalize: calls per second per function, printed as JSON.

Run: ``python benchmarks/normalize_bench.py [--n 100000] [--unique-ratio 0.3]``.

Inputs are synthetic but shaped like real source data (Eurostat-style phones, SHOUTING names
with legal forms, Belgian street lines).  ``--unique-ratio`` sets the share of distinct values:
real imports repeat names, streets and phone numbers a lot, which the lru_caches exploit;
``--unique-ratio 1`` measures the uncached cost.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from importers import normalize as nz  # noqa: E402
from importers.geocode import Geocoder  # noqa: E402
from importers.records import AddressIn  # noqa: E402

STREETS = ["Kerkstraat", "ST.-LUCASLAAN", "Rue de la Loi", "Stationsstraat", "RUDDERSHOVE",
           "Grote Markt", "Chaussée de Waterloo", "Dr. Verhaeghestraat"]  # fmt: skip
PLACES = [("8400", "Oostende"), ("8310", "BRUGGE"), ("1000", "BRUXELLES--1"),
          ("2018", "ANTWERPEN-1"), ("9000", "Gent"), (None, "8500 Kortrijk"),
          ("B-3000", "Leuven"), ("1030", "Schaerbeek")]  # fmt: skip
WORDS = ["ALGEMEEN", "ZIEKENHUIS", "Centrum", "voor", "Geestelijke", "Gezondheidszorg", "CAW",
         "De", "Link", "Huis", "van", "het", "Kind", "SINT", "JAN", "OCMW", "Welzijn"]  # fmt: skip
FORMS = ["", "", " vzw", " VZW", "vzw ", " (v.z.w.)", " asbl", " BV", " NV", ", Inc."]


def _kbo(rng: random.Random) -> str:
    base = rng.randrange(2_000_000, 99_999_999)
    d = f"0{base % 10_000_000:07d}"
    d += f"{97 - int(d) % 97:02d}"
    return rng.choice([f"{d[:4]}.{d[4:7]}.{d[7:]}", d, f"BE {d}", d[1:]])


def make_inputs(n: int, unique_ratio: float, seed: int = 42) -> dict[str, list[Any]]:
    rng = random.Random(seed)
    distinct = max(1, int(n * unique_ratio))

    def pool(factory: Callable[[], Any]) -> list[Any]:
        values = [factory() for _ in range(distinct)]
        return [values[rng.randrange(distinct)] for _ in range(n)]

    def name() -> str:
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5)))
        if rng.random() < 0.4:
            words = words.upper()
        form = rng.choice(FORMS)
        return (form + words) if form.endswith(" ") else (words + form)

    def phone() -> str:
        zone = rng.choice(["050", "02", "03", "09", "016", "059", "0472", "0486"])
        rest = "".join(str(rng.randrange(10)) for _ in range(9 - len(zone) + 1))
        if zone.startswith("04"):
            rest = rest + str(rng.randrange(10))
        style = rng.randrange(4)
        if style == 0:
            return f"{zone}/{rest[:2]}.{rest[2:4]}.{rest[4:]}"
        if style == 1:
            return f"{zone} {rest[:2]} {rest[2:4]} {rest[4:]}"
        if style == 2:
            return f"+32 (0){zone[1:]} {rest}"
        return zone + rest

    def email() -> str:
        return (
            rng.choice(["info", "Onthaal", "mailto:secretariaat"])
            + f"{rng.randrange(10**6)}@"
            + rng.choice(["OCMW-Gent.be", "caw.be", "zorg.brussels"])
        )

    def url() -> str:
        return (
            rng.choice(["www.", "https://www.", "HTTP://", ""])
            + f"site{rng.randrange(10**6)}.be"
            + rng.choice(["", "/", "/contact"])
        )

    def address() -> AddressIn:
        pc, city = rng.choice(PLACES)
        number = f"{rng.randint(1, 300)}" + rng.choice(["", "", "A", " bus 3", "/2", " bte 1"])
        return AddressIn(street=f"{rng.choice(STREETS)} {number}", postcode=pc, city=city)

    return {
        "normalize_text": pool(lambda: "  " + " ".join(rng.choice(WORDS) for _ in range(8)) + "\t"),
        "normalize_name": pool(name),
        "parse_kbo": pool(lambda: _kbo(rng)),
        "normalize_phone": pool(phone),
        "normalize_email": pool(email),
        "normalize_url": pool(url),
        "normalize_address": pool(address),
    }


def _clear_caches() -> None:
    for obj in vars(nz).values():
        clear = getattr(obj, "cache_clear", None)
        if clear is not None:
            clear()
    nz._RESOLVE_CACHE.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--unique-ratio", type=float, default=0.3)
    args = parser.parse_args(argv)

    inputs = make_inputs(args.n, args.unique_ratio)
    gaz = nz._default_gazetteer()
    geocoder = Geocoder(gazetteer=gaz)
    # Warm-up: load the gazetteer and phonenumbers metadata outside the timings.
    nz.normalize_address(AddressIn(street="Kerkstraat 1", postcode="8400", city="Oostende"))
    nz.normalize_phone("050 36 91 11")
    _clear_caches()

    funcs: dict[str, Callable[[Any], Any]] = {
        "normalize_text": nz.normalize_text,
        "normalize_name": nz.normalize_name,
        "parse_kbo": nz.parse_kbo,
        "normalize_phone": nz.normalize_phone,
        "normalize_email": nz.normalize_email,
        "normalize_url": nz.normalize_url,
        "normalize_address": lambda a: nz.normalize_address(a, gazetteer=gaz),
    }
    result: dict[str, Any] = {"n": args.n, "unique_ratio": args.unique_ratio, "calls_per_s": {}}
    for name, fn in funcs.items():
        values = inputs[name]
        start = time.perf_counter()
        for v in values:
            fn(v)
        elapsed = time.perf_counter() - start
        result["calls_per_s"][name] = round(args.n / elapsed)
    # Geocoding of already-normalised addresses (gazetteer centroids, no network).
    addrs = [nz.normalize_address(a, gazetteer=gaz) for a in inputs["normalize_address"]]
    start = time.perf_counter()
    for a in addrs:
        geocoder.geocode(a)
    result["calls_per_s"]["geocode_centroid"] = round(args.n / (time.perf_counter() - start))
    geocoder.close()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

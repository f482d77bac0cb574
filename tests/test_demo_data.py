"""Checks on the committed fictional demo data in socialmap/data/demo/."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "socialmap" / "data" / "demo"
ELZ = DEMO / "elz-kust" / "services.json"
SK = DEMO / "sociale-kaart"
NOTICE_WORDS = (
    "FICTIEVE DEMODATA",
    "données de démonstration fictives",
    "fictional demo data",
)


def kbo_digits(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return "0" + digits if len(digits) == 9 else digits


def kbo_valid(text: str) -> bool:
    digits = kbo_digits(text)
    return len(digits) == 10 and 97 - int(digits[:8]) % 97 == int(digits[8:])


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111_320
    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def need_child_codes() -> list[str]:
    text = (REPO / "docs" / "taxonomy-codes.md").read_text(encoding="utf-8")
    needs = text.split("## Needs", 1)[1].split("## Target groups", 1)[0]
    codes = []
    for line in needs.splitlines():
        if line.startswith("- ") and ":" in line:
            codes += [c.strip() for c in line.split(":", 1)[1].split(",")]
    return codes


@pytest.fixture(scope="module")
def elz() -> list[dict[str, Any]]:
    data = json.loads(ELZ.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return data


@pytest.fixture(scope="module")
def sk_records() -> list[dict[str, Any]]:
    pages = sorted(SK.glob("health-offers-*.json"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    assert pages, "no saved health-offers pages"
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    total = None
    for n, path in enumerate(pages):
        page = json.loads(path.read_text(encoding="utf-8"))
        assert page["page"]["number"] == n
        assert page["page"]["size"] == 100
        total = page["page"]["totalElements"]
        assert page["page"]["totalPages"] == len(pages)
        for rec in page["content"]:
            if rec["id"]["id"] not in seen:  # the API repeats records across pages
                seen.add(rec["id"]["id"])
                records.append(rec)
    assert len(json.loads(pages[0].read_text(encoding="utf-8"))["content"]) == 100
    assert total == len(records)
    return records


@pytest.fixture(scope="module")
def leaflets(sk_records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for rec in sk_records:
        path = SK / f"leaflet-{rec['id']['id']}.json"
        leaflet = json.loads(path.read_text(encoding="utf-8"))
        assert leaflet["id"]["id"] == rec["id"]["id"]
        out[rec["id"]["id"]] = leaflet
    assert len(list(SK.glob("leaflet-*.json"))) == len(out)  # no stray leaflets
    return out


def sk_cbe(leaflet: dict[str, Any]) -> str | None:
    for item in leaflet["administrativeData"]:
        if item["type"] == "CBE_ID":
            return kbo_digits(item["value"])
    return None


def elz_orgs(elz: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["organization"]["id"]: s["organization"] for s in elz}


def elz_kbos(elz: list[dict[str, Any]]) -> set[str]:
    return {
        kbo_digits(i["identifier"])
        for org in elz_orgs(elz).values()
        for i in org.get("organization_identifiers", [])
        if i["identifier_scheme"] == "BE-BCE_KBO"
    }


def test_every_file_carries_the_fictional_notice(elz: list[dict[str, Any]]) -> None:
    files = [p for p in DEMO.rglob("*") if p.is_file()]
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8")
        for words in NOTICE_WORDS:
            assert words in text, f"{path.name} lacks {words!r}"
        if path.suffix == ".json":
            data = json.loads(text)
            if isinstance(data, dict):
                assert all(w in data["_notice"] for w in NOTICE_WORDS), path.name
    assert all(all(w in s["_notice"] for w in NOTICE_WORDS) for s in elz)


def test_at_least_320_distinct_services_across_both_sources(
    elz: list[dict[str, Any]], sk_records: list[dict[str, Any]], leaflets: dict[str, Any]
) -> None:
    elz_ids = {s["id"] for s in elz}
    assert len(elz_ids) == len(elz)
    known = elz_kbos(elz)
    sk_only = set()
    for rec in sk_records:
        cbe = sk_cbe(leaflets[rec["id"]["id"]])
        if cbe in known:
            continue
        owner = cbe or rec["id"]["id"]
        for act in rec["activities"]:
            sk_only.add((owner, act["name"]["description"]))
    total = len(elz_ids) + len(sk_only)
    assert total >= 320
    assert 0.6 <= len(elz_ids) / total <= 0.8  # ELZ Kust holds about 70% of all services


def test_every_need_child_code_is_used_at_least_three_times(elz: list[dict[str, Any]]) -> None:
    codes = need_child_codes()
    assert len(codes) > 40
    used: dict[str, int] = {}
    for svc in elz:
        for attr in svc["attributes"]:
            term = attr["taxonomy_term"]
            if term["taxonomy"] == "socialmap":
                used[term["code"]] = used.get(term["code"], 0) + 1
    assert set(used) <= set(codes), set(used) - set(codes)
    assert {c: used.get(c, 0) for c in codes if used.get(c, 0) < 3} == {}


def test_target_groups_use_the_documented_codes(elz: list[dict[str, Any]]) -> None:
    text = (REPO / "docs" / "taxonomy-codes.md").read_text(encoding="utf-8")
    groups = {g.strip() for g in text.split("## Target groups", 1)[1].replace("\n", " ").split(",")}
    used = {
        a["taxonomy_term"]["code"]
        for s in elz
        for a in s["attributes"]
        if a["taxonomy_term"]["taxonomy"] == "socialmap-target-group"
    }
    assert len(used) >= 10
    assert used <= groups, used - groups


def test_about_thirty_percent_of_organisations_overlap_by_kbo(
    elz: list[dict[str, Any]], sk_records: list[dict[str, Any]], leaflets: dict[str, Any]
) -> None:
    elz_side = elz_kbos(elz)
    sk_side = {sk_cbe(leaflets[r["id"]["id"]]) for r in sk_records} - {None}
    n_elz_orgs = len(elz_orgs(elz))
    sk_only_owners = {
        sk_cbe(leaflets[r["id"]["id"]]) or r["id"]["id"]
        for r in sk_records
        if sk_cbe(leaflets[r["id"]["id"]]) not in elz_side
    }
    all_orgs = n_elz_orgs + len(sk_only_owners)
    overlap = elz_side & sk_side
    assert 0.25 <= len(overlap) / all_orgs <= 0.35
    assert 0.5 <= (len(sk_side) + sum(1 for o in sk_only_owners if len(o) == 64)) / all_orgs <= 0.7


def test_all_kbo_numbers_pass_mod_97(
    elz: list[dict[str, Any]], leaflets: dict[str, dict[str, Any]]
) -> None:
    numbers = [
        i["identifier"]
        for org in elz_orgs(elz).values()
        for i in org.get("organization_identifiers", [])
    ]
    numbers += [
        item["value"]
        for leaflet in leaflets.values()
        for item in leaflet["administrativeData"]
        if item["type"] == "CBE_ID"
    ]
    assert len(numbers) > 150
    assert [n for n in numbers if not kbo_valid(n)] == []
    assert not kbo_valid("1990123456")  # the check itself can fail


def test_confidential_locations_hide_their_address(elz: list[dict[str, Any]]) -> None:
    confidential = {}
    for svc in elz:
        for sal in svc["service_at_locations"]:
            loc = sal["location"]
            if loc.get("x_socialmap", {}).get("confidential"):
                confidential[loc["id"]] = loc
    assert len(confidential) >= 3
    for loc in confidential.values():
        assert "059 99 00 00" in loc["x_socialmap"]["front_door"]
        assert "latitude" not in loc and "longitude" not in loc
        assert all(a["address_type"] == "postal" for a in loc["addresses"])


def test_overlapping_records_differ_only_slightly(
    elz: list[dict[str, Any]], sk_records: list[dict[str, Any]], leaflets: dict[str, Any]
) -> None:
    """Same KBO + same street and postcode: the SK point is within 30 m of the ELZ one."""
    elz_points: dict[tuple[str, str, str], tuple[float, float]] = {}
    for svc in elz:
        kbos = [kbo_digits(i["identifier"]) for i in svc["organization"].get(
            "organization_identifiers", [])]  # fmt: skip
        for sal in svc["service_at_locations"]:
            loc = sal["location"]
            if "latitude" not in loc:
                continue
            street = re.match(r"\D+", loc["addresses"][0]["address_1"]).group().strip()
            for kbo in kbos:
                elz_points[(kbo, loc["addresses"][0]["postal_code"], street)] = (
                    loc["latitude"],
                    loc["longitude"],
                )
    distances = []
    for rec in sk_records:
        cbe = sk_cbe(leaflets[rec["id"]["id"]])
        addr = rec["addresses"][0]
        key = (cbe, addr["municipality"]["postalCode"], addr["street"]["name"]["description"])
        if key in elz_points:
            lat, lon = elz_points[key]
            distances.append(metres(lat, lon, addr["location"]["lat"], addr["location"]["lon"]))
    assert len(distances) >= 40
    assert max(distances) <= 30
    assert min(distances) > 1  # jittered, not copied


def test_contact_data_uses_fictional_ranges(
    elz: list[dict[str, Any]], sk_records: list[dict[str, Any]]
) -> None:
    text = ELZ.read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in SK.glob("health-offers-*.json")
    )
    emails = re.findall(r"[\w.+-]+@[\w.-]+", text)
    assert len(emails) > 100
    assert [e for e in emails if not (e.endswith(".example") or e.endswith("@example.be"))] == []
    numbers = [p["number"] for s in elz for p in s["organization"]["phones"]]
    numbers += [p["value"].removeprefix("Fax ") for r in sk_records
                for p in r["contactInfo"]["phones"]]  # fmt: skip
    assert len(numbers) > 200
    for number in numbers:
        digits = re.sub(r"\D", "", number)
        digits = "0" + digits[2:] if digits.startswith("32") else digits
        digits = "0" + digits[4:] if digits.startswith("0032") else digits
        digits = digits.replace("00", "0", 1) if digits.startswith("00") else digits
        assert re.fullmatch(r"0(50|51|58|59)99\d{4}", digits), number
    assert len({re.sub(r"\d", "9", n) for n in numbers}) >= 5  # several notations
    websites = [r["contactInfo"]["websites"][0]["value"] for r in sk_records]
    assert all(w.rstrip("/").endswith(".example") for w in websites)


def test_mix_of_features_is_present(elz: list[dict[str, Any]]) -> None:
    n = len(elz)
    ext = [s["x_socialmap"] for s in elz]
    assert 0.5 <= sum(e["is_free"] for e in ext) / n <= 0.7
    assert 0.2 <= sum("translations" in e for e in ext) / n <= 0.4
    assert 0.35 <= sum(e["intake"]["accepts_referrals"] for e in ext) / n <= 0.65
    assert {e["capacity"]["status"] for e in ext} == {"available", "waitlist", "full", "unknown"}
    kinds = {a["kind"] for e in ext for a in e["service_areas"]}
    assert kinds == {"municipality", "postcode", "province", "region", "country", "text"}
    assert any(a["code"] == "VWV" for e in ext for a in e["service_areas"])
    assert any(a["code"] == "VLG" for e in ext for a in e["service_areas"])
    assert any(c["start"] == "2026-12-24" and c["end"] == "2026-12-26" for e in ext
               for c in e["closures"])  # fmt: skip
    assert all(s["languages"][0]["code"] == "nl" for s in elz)
    assert {lang["code"] for s in elz for lang in s["languages"]} >= {"fr", "en", "ar", "tr"}
    old = [s for s in elz if s["assured_date"] < "2025-11-01"]
    assert 0.1 <= len(old) / n <= 0.4
    # Two slots a day (morning and afternoon) and appointment-only free text both occur.
    assert any({"09:00", "13:30"} <= {x.get("opens_at") for x in s["schedules"]} for s in elz)
    assert any(x.get("description") == "Enkel op afspraak" for s in elz for x in s["schedules"])
    # Organisations with several services and several locations.
    per_org: dict[str, set[str]] = {}
    locs_per_org: dict[str, set[str]] = {}
    for s in elz:
        per_org.setdefault(s["organization"]["id"], set()).add(s["id"])
        locs_per_org.setdefault(s["organization"]["id"], set()).update(
            sal["location"]["id"] for sal in s["service_at_locations"]
        )
    assert sum(len(v) >= 3 for v in per_org.values()) >= 10
    assert sum(len(v) >= 3 for v in locs_per_org.values()) >= 3


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    script = REPO / "scripts" / "generate_demo.py"
    result = subprocess.run(
        [sys.executable, str(script), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(DEMO) for p in DEMO.rglob("*") if p.is_file())
    assert made == committed
    different = [p for p in made if (tmp_path / p).read_bytes() != (DEMO / p).read_bytes()]
    assert different == []

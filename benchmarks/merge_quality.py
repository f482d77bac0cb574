"""Measure site-matching quality on human-labelled duplicate pairs (dedupe.io training files).

Run from the repository root::

    python benchmarks/merge_quality.py [--labels-dir tests/data/labels] [--errors]

The files (see ``NOTICE.md``) are dedupe.io training sets from the Open Referral
"SiloBuster" 2022 event: ``{"match": [...], "distinct": [...]}``, each item
``{"__class__": "tuple", "__value__": [record_a, record_b]}``.

* ``names_orgs_training.json`` (Whatcom County): records have ``o_name`` (organisation),
  ``l_name`` (site name; in one source it is just the address), ``address_1``,
  ``address_2``, ``city``, ``postal_code``, ``latitude``/``longitude``, ``organization_id``.
* ``dedupe_io_addresses_training.json`` (King County): ``name``, ``address_1`` (often with
  ", suite 200" or a building name after a comma), ``address_2``, ``city``, ``postal_code``.

Every pair is scored with :func:`importers.matching.score_locations` at
:data:`importers.matching.DEFAULT_THRESHOLDS`; ``decision == "merge"`` is a predicted
match. The baseline predicts a match when
``rapidfuzz.fuzz.token_set_ratio(name + " " + address_1) >= 90`` (name = ``name`` in King
County, ``o_name`` in Whatcom). Prints one JSON document.

``label_audit`` (per file and combined) says what is attainable on these labels:

* counts of labels that contradict the site definition (a "match" whose house numbers
  differ; a "distinct" pair of one organisation at one address) and
  ``site_definition_ceiling``, the best precision/recall of a scorer that keeps it;
* ``min_labels_contradicting_any_site_definition``: "same site" is transitive, so a pair
  labelled both ways, or a "distinct" pair linked by a chain of "match" labels, contradicts
  *every* definition; ``any_site_definition`` is the best recall at precision 1.0 and
  >= 0.98 of any partition of the records into sites (an upper bound for any matcher);
* ``by_signature``: the same bound for rules that decide from site-level comparisons only
  (address, room/suite, organisation), in-sample.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz  # noqa: E402

from importers import keys  # noqa: E402
from importers.matching import DEFAULT_THRESHOLDS  # noqa: E402
from importers.matching import LocationProfile  # noqa: E402
from importers.matching import Thresholds  # noqa: E402
from importers.matching import score_locations  # noqa: E402
from importers.matching.common import names_conflict  # noqa: E402

LABEL_FILES = {
    "whatcom": "names_orgs_training.json",
    "king_county": "dedupe_io_addresses_training.json",
}
DEFAULT_LABELS_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "labels"
BASELINE_CUTOFF = 90

_LEADING_NUMBER_RE = re.compile(r"(\d+[a-z]?)\b\s*(.*)", re.IGNORECASE)
# A unit written into the street line ("600 lakeway dr suite 100") belongs in address_2.
_UNIT_IN_STREET_RE = re.compile(r"\s+(?=(?:suite|ste|room|rm|unit|apt|#)(?:\b|\d))", re.I)


def split_address_1(
    address_1: str | None, address_2: str | None
) -> tuple[str | None, str | None, str | None]:
    """Split a US "address_1" into (street, house number, address_2).

    The first comma-separated part that starts with a digit is "<number> <street>"; the
    other parts (building names, "suite 200", "w-280") join ``address_2``.
    """
    parts = [p.strip() for p in (address_1 or "").split(",") if p.strip()]
    extra: list[str] = []
    street = number = None
    index = next((i for i, p in enumerate(parts) if p[0].isdigit()), None)
    if index is None:
        street = parts[0] if parts else None
        extra = parts[1:]
    else:
        extra = parts[:index] + parts[index + 1 :]
        m = _LEADING_NUMBER_RE.match(parts[index])
        if m:
            number, rest = m.group(1), m.group(2)
            pieces = _UNIT_IN_STREET_RE.split(rest, maxsplit=1)
            street = pieces[0] or None
            if len(pieces) > 1:
                extra.insert(0, pieces[1])
    if address_2:
        extra.append(address_2)
    return street, number, ", ".join(extra) or None


def _float(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def to_profile(record: dict[str, Any], ref: str) -> LocationProfile:
    """Build the :class:`LocationProfile` the pipeline would build for a labelled record."""
    street, number, address_2 = split_address_1(record.get("address_1"), record.get("address_2"))
    return LocationProfile(
        id=ref,
        organization_id=record.get("organization_id") or None,
        org_name=record.get("o_name") or record.get("name") or None,
        name=record.get("l_name") or None,
        street=street,
        house_number=number,
        address_2=address_2,
        postcode=record.get("postal_code") or None,
        city=record.get("city") or None,
        lat=_float(record.get("latitude")),
        lon=_float(record.get("longitude")),
    )


def load_pairs(path: Path) -> list[tuple[dict[str, Any], dict[str, Any], bool]]:
    """Return (record_a, record_b, is_match) for every labelled pair of a dedupe.io file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    pairs = []
    for label, is_match in (("match", True), ("distinct", False)):
        for item in data.get(label, []):
            a, b = item["__value__"]
            pairs.append((a, b, is_match))
    return pairs


def baseline_predicts_match(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The naive rule: one fuzzy ratio over name and first address line."""

    def text(r: dict[str, Any]) -> str:
        return f"{r.get('name') or r.get('o_name') or ''} {r.get('address_1') or ''}"

    return fuzz.token_set_ratio(text(a), text(b)) >= BASELINE_CUTOFF


def metrics(predicted: list[bool], truth: list[bool]) -> dict[str, Any]:
    tp = sum(p and t for p, t in zip(predicted, truth, strict=True))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=True))
    fn = sum(t and not p for p, t in zip(predicted, truth, strict=True))
    tn = len(truth) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


def _site_rule(pa: LocationProfile, pb: LocationProfile) -> bool | None:
    """The site definition, or None where it is silent.

    Two street addresses (another street, or another house number on one street) are two
    sites -- the matcher vetoes the latter and weighs the former at -3. One organisation
    (same id, or the same normalised name) at one address is one site, as the matcher and
    its tests require.
    """
    number = keys.compare_house_numbers(
        keys.house_number_key(pa.house_number), keys.house_number_key(pb.house_number)
    )
    street = keys.compare_streets(keys.street_key(pa.street), keys.street_key(pb.street))
    if street == "different" or (number == "different" and street == "compatible"):
        return False
    if number == "different" and street == "same":
        return False
    same_org = (bool(pa.organization_id) and pa.organization_id == pb.organization_id) or (
        bool(keys.name_key(pa.org_name))
        and keys.name_key(pa.org_name) == keys.name_key(pb.org_name)
    )
    if same_org and number == "same" and street in ("same", "compatible"):
        return True
    return None


def _audit(a: dict[str, Any], b: dict[str, Any], is_match: bool) -> str | None:
    pa, pb = to_profile(a, "a"), to_profile(b, "b")
    number = keys.compare_house_numbers(
        keys.house_number_key(pa.house_number), keys.house_number_key(pb.house_number)
    )
    if is_match and number == "different":
        return "match_with_different_house_numbers"
    if is_match and (pa.street is None) != (pb.street is None):
        return "match_with_one_side_without_address"
    if not is_match and _site_rule(pa, pb):
        return "distinct_same_organization_same_address"
    return None


def _signature(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, str, str]:
    """What a site-level rule can see of a pair: (address, room/suite, organisation)."""
    pa, pb = to_profile(a, "a"), to_profile(b, "b")
    number = keys.compare_house_numbers(
        keys.house_number_key(pa.house_number), keys.house_number_key(pb.house_number)
    )
    street = keys.compare_streets(keys.street_key(pa.street), keys.street_key(pb.street))
    if street == "different" or number in ("different", "suffix"):
        address = "different"
    elif number == "same" and street in ("same", "compatible"):
        address = "same"
    else:
        address = "unknown"
    ua, ub = keys.unit_key(pa.address_2), keys.unit_key(pb.address_2)
    if ua is None and ub is None:
        unit = "none"
    elif ua == ub:
        unit = "same"
    elif ua is None or ub is None or ua <= ub or ub <= ua:
        unit = "one_missing_or_less_specific"
    else:
        unit = "different"
    oa, ob = keys.name_key(pa.org_name), keys.name_key(pb.org_name)
    if (pa.organization_id and pa.organization_id == pb.organization_id) or (oa and oa == ob):
        org = "same"
    elif not (oa and ob):
        org = "unknown"
    else:
        org = "conflicting" if names_conflict(oa, ob) else "compatible"
    return address, unit, org


def _best_recall(options: list[list[tuple[int, int]]], matches: int, min_precision: float) -> dict:
    """Pick one (fn, fp) option per group to maximise recall at precision >= min_precision.

    Exact dynamic programme over the total number of forced false positives.
    """
    best: dict[int, int] = {0: 0}  # forced fp -> least forced fn
    for group in options:
        nxt: dict[int, int] = {}
        for fp0, fn0 in best.items():
            for fn, fp in group:
                if fn0 + fn < nxt.get(fp0 + fp, matches + 1):
                    nxt[fp0 + fp] = fn0 + fn
        best = nxt
    result = {"precision": 1.0, "recall": 0.0, "fn": matches, "fp": 0}
    for fp, fn in sorted(best.items()):
        tp = matches - fn
        precision = tp / (tp + fp) if tp + fp else 1.0
        if precision >= min_precision and tp / matches > result["recall"]:
            result = {"precision": round(precision, 4), "recall": round(tp / matches, 4)}
            result |= {"fn": fn, "fp": fp}
    return result


def _partitions(items: list[int]) -> Iterator[list[list[int]]]:
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _partitions(rest):
        yield [[first], *part]
        for i in range(len(part)):
            yield [*part[:i], [first, *part[i]], *part[i + 1 :]]


def consistency(pairs: list[tuple[dict[str, Any], dict[str, Any], bool]]) -> dict[str, Any]:
    """How far the labels are from *any* site-level definition, and the best it can reach.

    A site definition is an equivalence relation ("same site" is transitive, and identical
    records are one site). Records linked by a chain of "match" labels must then be one
    site, so a "distinct" label inside such a chain, or a pair labelled both ways,
    contradicts every definition. The exact minimum of labels to give up is found by trying
    every partition of each chain (chains have at most a handful of records).

    A site-level *rule* sees less than the records: ``by_signature`` groups the pairs by
    what such a rule compares (address, room/suite, organisation; see :func:`_signature`),
    each group getting one decision, and reports the best in-sample recall at precision
    1.0 and >= 0.98 -- an upper bound for any rule built on those comparisons.
    """
    ids: dict[str, int] = {}

    def node(record: dict[str, Any]) -> int:
        return ids.setdefault(json.dumps(record, sort_keys=True), len(ids))

    edges = [(node(a), node(b), m) for a, b, m in pairs]
    matches = sum(m for _, _, m in edges)
    labels: dict[frozenset[int], set[bool]] = {}
    for x, y, m in edges:
        labels.setdefault(frozenset((x, y)), set()).add(m)
    parent = list(range(len(ids)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y, m in edges:
        if m:
            parent[root(x)] = root(y)
    chains: dict[int, list[tuple[int, int, bool]]] = {}
    for x, y, m in edges:
        if root(x) == root(y):
            chains.setdefault(root(x), []).append((x, y, m))
    options = []
    min_flips = 0
    for chain in chains.values():
        members = sorted({v for x, y, _ in chain for v in (x, y)})
        seen = set()
        for part in _partitions(members):
            cluster = {v: i for i, block in enumerate(part) for v in block}
            fn = sum(m and cluster[x] != cluster[y] for x, y, m in chain)
            fp = sum(not m and cluster[x] == cluster[y] for x, y, m in chain)
            seen.add((fn, fp))
        options.append(sorted(seen))
        min_flips += min(fn + fp for fn, fp in seen)
    cells: dict[tuple[str, str, str], list[int]] = {}
    for a, b, m in pairs:
        cell = cells.setdefault(_signature(a, b), [0, 0])
        cell[0 if m else 1] += 1
    # Per signature: call it "same" (its distinct pairs become fp) or not (matches -> fn).
    cell_options = [[(tp, 0), (0, fp)] for tp, fp in cells.values()]
    return {
        "pairs_labelled_both_ways": sum(len(v) > 1 for v in labels.values()),
        "distinct_inside_match_chain": sum(
            not m and root(x) == root(y) for x, y, m in edges if len(labels[frozenset((x, y))]) == 1
        ),
        "min_labels_contradicting_any_site_definition": min_flips,
        "any_site_definition": {
            "best_recall_at_precision_1": _best_recall(options, matches, 1.0),
            "best_recall_at_precision_0.98": _best_recall(options, matches, 0.98),
        },
        "by_signature": {
            "best_recall_at_precision_1": _best_recall(cell_options, matches, 1.0),
            "best_recall_at_precision_0.98": _best_recall(cell_options, matches, 0.98),
            "cells": {
                "/".join(sig): {"match": tp, "distinct": fp}
                for sig, (tp, fp) in sorted(cells.items())
            },
        },
    }


def label_audit(pairs: list[tuple[dict[str, Any], dict[str, Any], bool]]) -> dict[str, Any]:
    """Labels against the site rules and against any site definition (see :func:`consistency`).

    ``site_definition_ceiling``: the best any scorer can do while keeping the site
    definition (:func:`_site_rule`): the matches it calls two sites are lost, the distinct
    pairs it calls one site are false merges, every other pair is assumed right.
    """
    counts: dict[str, int] = {}
    forced_fn = forced_fp = 0
    for a, b, is_match in pairs:
        note = _audit(a, b, is_match)
        if note:
            counts[note] = counts.get(note, 0) + 1
        rule = _site_rule(to_profile(a, "a"), to_profile(b, "b"))
        forced_fn += is_match and rule is False
        forced_fp += not is_match and rule is True
    matches = sum(m for _, _, m in pairs)
    tp = matches - forced_fn
    return {
        **counts,
        "site_definition_ceiling": {
            "precision": round(tp / (tp + forced_fp), 4) if tp + forced_fp else 1.0,
            "recall": round(tp / matches, 4) if matches else 1.0,
            "fn": forced_fn,
            "fp": forced_fp,
        },
        **consistency(pairs),
    }


def evaluate(
    labels_dir: Path, thresholds: Thresholds = DEFAULT_THRESHOLDS, with_errors: bool = False
) -> dict[str, Any]:
    """Score every labelled pair; return per-file and combined metrics for ours and baseline."""
    report: dict[str, Any] = {
        "thresholds": {"auto_merge": thresholds.auto_merge, "review": thresholds.review},
        "baseline": f"rapidfuzz token_set_ratio(name + ' ' + address_1) >= {BASELINE_CUTOFF}",
        "files": {},
    }
    all_truth: list[bool] = []
    all_ours: list[bool] = []
    all_ours_or_review: list[bool] = []
    all_base: list[bool] = []
    all_pairs: list[tuple[dict[str, Any], dict[str, Any], bool]] = []
    for label, filename in LABEL_FILES.items():
        pairs = load_pairs(labels_dir / filename)
        truth, ours, ours_or_review, base = [], [], [], []
        errors = []
        for n, (a, b, is_match) in enumerate(pairs):
            result = score_locations(
                to_profile(a, f"{label}:{n}:a"), to_profile(b, f"{label}:{n}:b"), thresholds
            )
            truth.append(is_match)
            ours.append(result.decision == "merge")
            ours_or_review.append(result.decision != "distinct")
            base.append(baseline_predicts_match(a, b))
            if with_errors and (result.decision == "merge") != is_match:
                errors.append(
                    {
                        "label": "match" if is_match else "distinct",
                        "decision": result.decision,
                        "score": round(result.score, 3),
                        "reasons": result.reasons,
                        "a": _brief(a),
                        "b": _brief(b),
                    }
                )
        entry = {
            "pairs": len(pairs),
            "labelled_match": sum(truth),
            "labelled_distinct": len(truth) - sum(truth),
            "ours": metrics(ours, truth),
            "ours_merge_or_review_recall": metrics(ours_or_review, truth)["recall"],
            "baseline": metrics(base, truth),
            "label_audit": label_audit(pairs),
        }
        if with_errors:
            entry["errors"] = errors
        report["files"][label] = entry
        all_truth += truth
        all_ours += ours
        all_ours_or_review += ours_or_review
        all_base += base
        all_pairs += pairs
    report["combined"] = {
        "pairs": len(all_truth),
        "ours": metrics(all_ours, all_truth),
        "ours_merge_or_review_recall": metrics(all_ours_or_review, all_truth)["recall"],
        "baseline": metrics(all_base, all_truth),
        "label_audit": label_audit(all_pairs),
    }
    return report


def _brief(r: dict[str, Any]) -> str:
    fields = ("o_name", "name", "l_name", "address_1", "address_2", "city", "postal_code")
    return " | ".join(str(r[f]) for f in fields if r.get(f))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels-dir", type=Path, default=DEFAULT_LABELS_DIR)
    parser.add_argument("--errors", action="store_true", help="list misclassified pairs")
    args = parser.parse_args(argv)
    print(json.dumps(evaluate(args.labels_dir, with_errors=args.errors), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

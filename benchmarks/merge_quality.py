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

``label_audit`` counts labelled pairs that contradict the site-level definition the
matcher implements (a "match" whose house numbers differ; a "distinct" pair of one
organisation at one address), so the numbers can be read against what is attainable.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz  # noqa: E402

from importers import keys  # noqa: E402
from importers.matching import DEFAULT_THRESHOLDS  # noqa: E402
from importers.matching import LocationProfile  # noqa: E402
from importers.matching import Thresholds  # noqa: E402
from importers.matching import score_locations  # noqa: E402

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


def _audit(a: dict[str, Any], b: dict[str, Any], is_match: bool) -> str | None:
    pa, pb = to_profile(a, "a"), to_profile(b, "b")
    number = keys.compare_house_numbers(
        keys.house_number_key(pa.house_number), keys.house_number_key(pb.house_number)
    )
    same_org = bool(pa.organization_id) and pa.organization_id == pb.organization_id
    street = keys.compare_streets(keys.street_key(pa.street), keys.street_key(pb.street))
    if is_match and number == "different":
        return "match_with_different_house_numbers"
    if is_match and (pa.street is None) != (pb.street is None):
        return "match_with_one_side_without_address"
    if not is_match and same_org and number == "same" and street in ("same", "compatible"):
        return "distinct_same_organization_same_address"
    return None


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
    for label, filename in LABEL_FILES.items():
        pairs = load_pairs(labels_dir / filename)
        truth, ours, ours_or_review, base = [], [], [], []
        errors = []
        audit: dict[str, int] = {}
        for n, (a, b, is_match) in enumerate(pairs):
            result = score_locations(
                to_profile(a, f"{label}:{n}:a"), to_profile(b, f"{label}:{n}:b"), thresholds
            )
            truth.append(is_match)
            ours.append(result.decision == "merge")
            ours_or_review.append(result.decision != "distinct")
            base.append(baseline_predicts_match(a, b))
            note = _audit(a, b, is_match)
            if note:
                audit[note] = audit.get(note, 0) + 1
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
            "label_audit": audit,
        }
        if with_errors:
            entry["errors"] = errors
        report["files"][label] = entry
        all_truth += truth
        all_ours += ours
        all_ours_or_review += ours_or_review
        all_base += base
    audit_total: dict[str, int] = {}
    for entry in report["files"].values():
        for note, count in entry["label_audit"].items():
            audit_total[note] = audit_total.get(note, 0) + count
    matches = sum(all_truth)
    reachable = matches - audit_total.get("match_with_different_house_numbers", 0)
    forced_fp = audit_total.get("distinct_same_organization_same_address", 0)
    report["combined"] = {
        "pairs": len(all_truth),
        "ours": metrics(all_ours, all_truth),
        "ours_merge_or_review_recall": metrics(all_ours_or_review, all_truth)["recall"],
        "baseline": metrics(all_base, all_truth),
        "label_audit": audit_total,
        # Best any scorer can do while keeping the site rules (different house number ->
        # distinct; one organisation at one address -> same site).
        "ceiling_under_site_rules": {
            "recall": round(reachable / matches, 4) if matches else 1.0,
            "precision": round(reachable / (reachable + forced_fp), 4) if reachable else 1.0,
        },
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

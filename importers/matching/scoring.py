"""Shared evaluation: a kind (:class:`_Kind`), its log-odds and the final :class:`PairScore`."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from importers.matching.common import _best_name_similarity
from importers.matching.common import _format_distance
from importers.matching.common import _interp
from importers.matching.profiles import PairScore
from importers.matching.profiles import Thresholds
from importers.matching.weights import HOLD_LOG_ODDS
from importers.matching.weights import PRIOR
from importers.matching.weights import VETO_LOG_ODDS
from importers.matching.weights import Blocking
from importers.matching.weights import Evidence


@dataclass(frozen=True)
class _Kind:
    name: str
    prepare: Callable[[Any], Any]
    veto: Callable[[Any, Any], bool]  # cheap test of the hard evidence
    features: Callable[[Any, Any], dict[str, float | None]]  # all but the name
    # All but the name: (evidence, veto reason, hold reason); see _evaluate.
    evidence: Callable[[dict[str, Any]], tuple[Evidence, str | None, str | None]]
    name_knots: tuple[tuple[float, float], ...]
    blocking: Callable[[Any], Blocking]
    # The name similarity of a pair; by default the best pair among ``names``. Sites
    # override it: which of their names may be compared depends on the organisations.
    similarity: Callable[[Any, Any], float | None] | None = None

    @property
    def prior(self) -> float:
        return PRIOR[self.name]

    @property
    def name_max(self) -> float:
        """The most the name evidence can add (the bound used to skip candidates)."""
        return max(w for _, w in self.name_knots)


def _evaluate(
    kind: _Kind, a: Any, b: Any, floor: float = -math.inf
) -> tuple[float, dict[str, float | None], Evidence, str | None] | None:
    """Return (log_odds, features, evidence, veto), or None when it cannot reach ``floor``.

    The name similarity is computed last, and only when the best name weight could still
    lift the pair to ``floor``. A veto caps the log-odds at :data:`VETO_LOG_ODDS`, a hold
    at :data:`HOLD_LOG_ODDS`; either reason is returned as ``veto`` (the reason on top).
    """
    features = kind.features(a, b)
    evidence, veto, hold = kind.evidence(features)
    log_odds = kind.prior + sum(w for w, _, _ in evidence)
    if floor > -math.inf:
        best = log_odds + kind.name_max
        if veto is not None or min(best, HOLD_LOG_ODDS if hold else best) < floor:
            return None
    if kind.similarity is None:
        sim = _best_name_similarity(a.names, b.names)
    else:
        sim = kind.similarity(a, b)
    if sim is not None:
        features["name"] = sim
        weight = _interp(sim, kind.name_knots)
        evidence.append((weight, "name similarity {:.2f}", sim))
        log_odds += weight
    if veto is not None:
        log_odds = min(log_odds, VETO_LOG_ODDS)
    elif hold is not None:
        log_odds = min(log_odds, HOLD_LOG_ODDS)
    return log_odds, features, evidence, veto or hold


def _pair_score(
    log_odds: float,
    features: dict[str, float | None],
    evidence: Evidence,
    veto: str | None,
    th: Thresholds,
) -> PairScore:
    reasons = []
    for _, template, value in sorted(evidence, key=lambda e: -abs(e[0])):
        if not template:
            reasons.append(_format_distance(value))  # the only template-less reason
        else:
            reasons.append(template.format(value) if value is not None else template)
    if veto is not None:
        reasons.insert(0, veto)
    score = 1.0 / (1.0 + math.exp(-log_odds))
    return PairScore(score=score, features=features, decision=th.decide(score), reasons=reasons)


def _score(kind: _Kind, a: Any, b: Any, th: Thresholds) -> PairScore:
    result = _evaluate(kind, a, b)
    assert result is not None  # no floor given: never pruned
    return _pair_score(*result, th)

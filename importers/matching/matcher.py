"""The :class:`Matcher`: an incremental blocking index that finds likely duplicates fast."""

from __future__ import annotations

from collections import Counter
from itertools import chain
from typing import Any

from importers.matching.common import _logit
from importers.matching.locations import _LOCATION
from importers.matching.organizations import _ORG
from importers.matching.profiles import DEFAULT_THRESHOLDS
from importers.matching.profiles import PairScore
from importers.matching.profiles import Thresholds
from importers.matching.scoring import _evaluate
from importers.matching.scoring import _pair_score
from importers.matching.services import _SERVICE
from importers.matching.weights import CANDIDATE_COUNT_RATIO
from importers.matching.weights import MAX_BLOCK
from importers.matching.weights import MIN_SHARED_HITS
from importers.matching.weights import QUERY_BLOCK_LIMIT
from importers.matching.weights import SCORED_CANDIDATES
from importers.matching.weights import Blocking

_KINDS = {kind.name: kind for kind in (_ORG, _LOCATION, _SERVICE)}


_DROPPED: tuple[str, ...] = ()


def _by_hits(item: tuple[str, int]) -> int:
    return item[1]


#: A profile's comparison keys and blocking keys (see :func:`prepare_keys`).
Keys = tuple[Any, Blocking]


def prepare_keys(kind: str, profile: Any) -> Keys:
    """The keys :class:`Matcher` derives from ``profile``; pure, so they can be computed
    ahead of time (in another process: they pickle) and given to ``*_keys`` methods."""
    k = _KINDS[kind]
    prepared = k.prepare(profile)
    return prepared, k.blocking(prepared)


class Matcher:
    """An incremental index of profiles of one kind that finds likely duplicates fast.

    Blocking keys (a profile is filed under each; candidates share at least one):

    * organisations: KBO, each phone, each e-mail, each non-generic web/e-mail domain, the
      exact name key, postcode + each name token, ~1 km geo cell + each of the 3 longest
      name tokens (found from the 4 cells around the point, i.e. within ~500 m);
    * locations: postcode (and city) + street + house number, each phone, postcode + each
      name token, geo cell + name token, geo cell alone;
    * services: organisation id + exact name key, organisation id + each name token
      (services only ever match inside one organisation, after organisations are merged).

    Profiles are treated as immutable once passed in: keys are computed once per profile
    object (``best_match(p)`` followed by ``add(p)`` computes them once).

    A key whose block grows beyond ``max_block`` members (a generic token in a big city,
    an umbrella organisation's domain or switchboard) is dropped for good: it would make
    everybody a candidate of everybody and say nothing.

    Candidates are ranked by shared keys (a strong key -- KBO, phone, e-mail, address --
    counts 1 + :data:`STRONG_BONUS` times, an exact name 1 + :data:`EXACT_NAME_BONUS`).
    Only candidates with at least :data:`MIN_SHARED_HITS` hits and at least
    1/:data:`CANDIDATE_COUNT_RATIO` of the best candidate's hits are evaluated, at most
    :data:`SCORED_CANDIDATES` of them, with the exact bound described in the module
    docstring.
    """

    def __init__(
        self,
        kind: str,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        max_block: int = MAX_BLOCK,
    ) -> None:
        if kind not in _KINDS:
            raise ValueError(f"unknown kind {kind!r}: expected one of {sorted(_KINDS)}")
        self.kind = kind
        self.thresholds = thresholds
        self.max_block = max_block
        self.query_block_limit = QUERY_BLOCK_LIMIT
        self._kind = _KINDS[kind]
        self._items: dict[str, Any] = {}  # id -> prepared keys
        # Tuples, not sets/lists: millions of them, and the garbage collector skips tuples
        # of strings (with sets a 100k import spent ~40% of its time in collections).
        self._filed: dict[str, tuple[str, ...]] = {}  # id -> keys it is filed under
        # key -> ids filed under it; () marks a key dropped for being too common (one
        # look-up tells both, and a dropped key stays dropped).
        self._blocks: dict[str, tuple[str, ...]] = {}
        self._dropped = 0
        # One-slot cache: best_match(p) then add(p) prepare the keys once.
        self._last: tuple[Any, Any, Blocking] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, profile_id: object) -> bool:
        return profile_id in self._items

    @property
    def dropped_keys(self) -> int:
        """How many blocking keys grew too big and were dropped."""
        return self._dropped

    def _keys_of(self, profile: Any) -> Keys:
        last = self._last
        if last is not None and last[0] is profile:
            return last[1], last[2]
        prepared = self._kind.prepare(profile)
        blocking = self._kind.blocking(prepared)
        self._last = (profile, prepared, blocking)
        return prepared, blocking

    def add(self, profile: Any) -> None:
        """File a profile (replacing an earlier one with the same id)."""
        self.add_keys(self._keys_of(profile))

    def add_keys(self, keys: Keys) -> None:
        """File a profile by its prepared keys (:func:`prepare_keys`)."""
        prepared, (insert, _, _) = keys
        pid = prepared.id
        if pid in self._items:
            self.remove(pid)
        filed = []
        blocks, limit = self._blocks, self.max_block
        for key in insert:
            block = blocks.get(key)
            if block is None:
                blocks[key] = (pid,)
            elif not block:
                continue  # dropped
            elif len(block) >= limit:
                # Too common to tell anything: drop the key for good.
                blocks[key] = _DROPPED
                self._dropped += 1
                for member in block:
                    self._filed[member] = tuple(x for x in self._filed[member] if x != key)
                continue
            else:
                blocks[key] = block + (pid,)
            filed.append(key)
        self._items[pid] = prepared
        self._filed[pid] = tuple(filed)

    def remove(self, profile_id: str) -> None:
        """Forget a profile (no-op for an unknown id)."""
        if self._items.pop(profile_id, None) is None:
            return
        blocks = self._blocks
        for key in self._filed.pop(profile_id):
            block = blocks.get(key)
            if block:
                rest = tuple(x for x in block if x != profile_id)
                if rest:
                    blocks[key] = rest
                else:
                    del blocks[key]
        if self._last is not None and self._last[0].id == profile_id:
            self._last = None

    def _counts(self, keys: Keys) -> tuple[Any, Counter[str]]:
        """Prepared keys of a profile and, per filed id, its shared-key hits."""
        prepared, (_, query, strong) = keys
        get = self._blocks.get
        # One C-level pass over the blocks found; the few strong keys add their bonus.
        # Blocks bigger than query_block_limit (a common word in a city, a switchboard
        # number) are not read: being one of 20+ sharing a key says little.
        limit = self.query_block_limit
        counts = Counter(chain.from_iterable([b for b in map(get, query) if b and len(b) <= limit]))
        for key, bonus in strong:
            block = get(key)
            if block and len(block) <= limit:
                for pid in block:
                    counts[pid] += bonus
        counts.pop(prepared.id, None)
        return prepared, counts

    def candidates(self, profile: Any) -> list[str]:
        """Ids of filed profiles sharing a blocking key with ``profile``, most hits first."""
        return [pid for pid, _ in self._counts(self._keys_of(profile))[1].most_common()]

    def best_match(self, profile: Any) -> tuple[str, PairScore] | None:
        """The best-scoring filed profile that is not "distinct" from ``profile``, if any.

        Never returns ``profile``'s own id (a profile is not its own duplicate).
        """
        return self.best_match_keys(self._keys_of(profile))

    def best_match_keys(self, keys: Keys) -> tuple[str, PairScore] | None:
        """:meth:`best_match` of a profile given by its prepared keys."""
        prepared, counts = self._counts(keys)
        if not counts:
            return None
        kind, items = self._kind, self._items
        floor = _logit(self.thresholds.review)
        best = None
        # Most candidates share one weak key; drop them before sorting.
        ranked = [(pid, hits) for pid, hits in counts.items() if hits >= MIN_SHARED_HITS]
        if not ranked:
            return None
        ranked.sort(key=_by_hits, reverse=True)
        min_hits = ranked[0][1] / CANDIDATE_COUNT_RATIO
        evaluated = 0
        for pid, hits in ranked:
            if hits < min_hits or evaluated >= SCORED_CANDIDATES:
                break
            other = items[pid]
            if kind.veto(prepared, other):
                continue  # capped below review: can never be the answer
            evaluated += 1
            result = _evaluate(kind, prepared, other, floor)
            if result is None or result[0] < floor:
                continue
            if best is None or result[0] > best[1][0]:
                best = (pid, result)
                floor = result[0]
        if best is None:
            return None
        pid, result = best
        return pid, _pair_score(*result, self.thresholds)

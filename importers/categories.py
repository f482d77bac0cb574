"""Map source categories (rubrics, AIRS codes, free labels) to our need and target-group codes.

Each :class:`~importers.records.CategoryIn` is mapped on its own, by scheme:

- ``socialmap``: the code is already ours (an unknown code, or a code of the other taxonomy,
  stays unmapped);
- ``sk-rubric``: the longest De Sociale Kaart rubric prefix listed in a term's ``sk_rubrics``
  (``"14.04.01."``, also read from a label such as ``"14.04.01. Woonzorgcentra (WZC)"``).
  A rubric that only matches through a broader chapter prefix (``"06."``) is refined by its
  label; a rubric that matches no prefix is mapped by its label;
- ``airs``: the longest AIRS/211 code prefix in a term's ``airs`` (``"BD-1800"`` matches
  ``"BD-1800.2000-180"``), else the label;
- ``open-eligibility``: a term's ``open_eligibility`` names (compared folded), else the label;
- anything else: the label (or the code when there is no label) against every term's labels
  and synonyms in all languages.

Label matching works on folded text (:func:`socialmap.taxonomy.fold`): the whole label equal to
a label/synonym wins; otherwise every synonym/label found as whole words inside the label
counts (a phrase inside a longer matched phrase is ignored, and a term is dropped when one of
its descendants also matched, so the most specific terms are kept). A label may therefore map
to several terms: ``"Schulden en budgetbeheer"`` -> debt-counselling + budget-management.
Long words also match a compound that starts with them (``"schuldbemiddelingsdienst"``) when
nothing else matched.

Lookup structures are built once per process; results are cached per
(taxonomy, scheme, code, label), so a call costs a dictionary lookup after warm-up.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from importers.records import CategoryIn
from socialmap.taxonomy import Taxonomy
from socialmap.taxonomy import fold
from socialmap.taxonomy import needs
from socialmap.taxonomy import target_groups

# "14.04.01. Woonzorgcentra (WZC)" -> "14.04.01." (also "14.04.01 Woonzorgcentra", "06.");
# at least one dot, so a label such as "1712" or "2 kinderen" is not taken for a rubric
_SK_CODE = re.compile(r"^\s*(\d{1,2}\.(?:\d{1,2}\.)*(?:\d{1,2})?)(?=\s|$)")
_SK_BARE = re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})*\.?\s*$")  # a code field "14" / "14.04.01"
# AIRS codes are cut into prefixes at these separators ("BD-1800.2000-180")
_AIRS_SEPARATORS = re.compile(r"[-.]")
# Compound-prefix matching only for words at least this long (avoids "alleen" in "alleenstaand")
_MIN_COMPOUND_PREFIX = 7
_CACHE_SIZE = 65536


@dataclass(frozen=True)
class _Index:
    """Lookup tables for one taxonomy, built once."""

    taxonomy: Taxonomy
    phrases: dict[str, frozenset[str]]  # folded label/synonym/OE name -> codes
    singular: dict[str, frozenset[str]]  # the same keys with each word's plural "s" cut
    max_words: int  # longest phrase, in words
    long_words: dict[str, frozenset[str]]  # one-word phrases >= _MIN_COMPOUND_PREFIX chars
    sk: dict[str, str]  # rubric prefix ("14.04.01.") -> code
    airs: dict[str, str]  # AIRS prefix, upper case -> code
    open_eligibility: dict[str, frozenset[str]]  # folded OE name -> codes
    codes: frozenset[str]
    ancestors: dict[str, frozenset[str]]


def _add(table: dict[str, set[str]], key: str, code: str) -> None:
    if key:
        table.setdefault(key, set()).add(code)


def _freeze(table: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    return {key: frozenset(codes) for key, codes in table.items()}


def _build(taxonomy: Taxonomy) -> _Index:
    phrases: dict[str, set[str]] = {}
    oe: dict[str, set[str]] = {}
    sk: dict[str, str] = {}
    airs: dict[str, str] = {}
    for term in taxonomy.all():
        _add(phrases, fold(term.code), term.code)
        for text in term.labels.values():
            _add(phrases, fold(text), term.code)
        for words in term.synonyms.values():
            for text in words:
                _add(phrases, fold(text), term.code)
        for name in term.open_eligibility:
            _add(oe, fold(name), term.code)
            _add(phrases, fold(name), term.code)  # English category names, good labels too
        # A prefix claimed twice keeps the first term in file order (the parent).
        for prefix in term.sk_rubrics:
            sk.setdefault(_sk_normal(prefix), term.code)
        for prefix in term.airs:
            airs.setdefault(prefix.strip().upper(), term.code)
    frozen = _freeze(phrases)
    singular: dict[str, set[str]] = {}
    for key, codes in frozen.items():
        for code in codes:
            _add(singular, _singular(key.split(" ")), code)
    return _Index(
        taxonomy=taxonomy,
        phrases=frozen,
        singular=_freeze(singular),
        max_words=max((key.count(" ") + 1 for key in frozen), default=1),
        long_words={
            key: codes
            for key, codes in frozen.items()
            if " " not in key and len(key) >= _MIN_COMPOUND_PREFIX and not key.isdigit()
        },
        sk=sk,
        airs=airs,
        open_eligibility=_freeze(oe),
        codes=frozenset(term.code for term in taxonomy.all()),
        ancestors={term.code: frozenset(taxonomy.ancestors(term.code)) for term in taxonomy.all()},
    )


@functools.cache
def _index(kind: str) -> _Index:
    return _build(needs() if kind == "need" else target_groups())


# -- scheme-specific lookups ---------------------------------------------------------------------


def _sk_normal(code: str) -> str:
    """``"14.4.1"`` / ``"14.04.01."`` -> ``"14.04.01."`` (two-digit parts, trailing dot)."""
    parts = [part for part in code.strip().split(".") if part]
    return "".join(part.zfill(2) + "." for part in parts)


def _sk_code(code: str | None, label: str | None) -> str | None:
    if code and _SK_BARE.match(code):
        return _sk_normal(code)
    for text in (code, label):
        if text:
            match = _SK_CODE.match(text)
            if match:
                return _sk_normal(match.group(1))
    return None


def _longest(prefixes: Iterable[str], table: dict[str, str]) -> tuple[str, str] | None:
    """The (prefix, code) of the longest candidate prefix present in ``table``."""
    best = None
    for prefix in prefixes:
        code = table.get(prefix)
        if code is not None and (best is None or len(prefix) > len(best[0])):
            best = (prefix, code)
    return best


def _sk_prefixes(code: str) -> list[str]:
    parts = code.split(".")[:-1]
    return [".".join(parts[: i + 1]) + "." for i in range(len(parts))]


def _airs_prefixes(code: str) -> list[str]:
    """``"BD-1800.2000"`` -> ``["B", "BD", "BD-1800", "BD-1800.2000"]``."""
    code = code.strip().upper().split("*")[0].strip()  # "BD-1800 * YB-8000" combinations
    if not code:
        return []
    out = []
    head = _AIRS_SEPARATORS.split(code, maxsplit=1)[0]
    out.extend(head[: i + 1] for i in range(len(head)))  # "B", "BD"
    out.extend(code[: m.start()] for m in _AIRS_SEPARATORS.finditer(code))
    out.append(code)
    return out


# -- label matching ----------------------------------------------------------------------------


def _singular_word(word: str) -> str:
    # English/French plurals ("pantries" stays apart, "centers" -> "center"); applied to
    # both sides, so a Dutch word that merely ends in "s" ("thuis") still matches itself
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _singular(words: list[str]) -> str:
    return " ".join(_singular_word(word) for word in words)


def _strip_rubric_code(label: str) -> str:
    match = _SK_CODE.match(label)
    return label[match.end() :] if match else label


def _specific(index: _Index, codes: Iterable[str]) -> set[str]:
    """Drop every code that is an ancestor of another code in the set."""
    found = set(codes)
    covered: set[str] = set()
    for code in found:
        covered |= index.ancestors.get(code, frozenset())
    return found - covered


def _match_label(index: _Index, label: str) -> set[str]:
    folded = fold(_strip_rubric_code(label))
    if not folded:
        return set()
    words = folded.split(" ")
    singular = [_singular_word(word) for word in words]
    exact = index.phrases.get(folded) or index.singular.get(" ".join(singular))
    if exact:
        return set(exact)
    spans: list[tuple[int, int, frozenset[str]]] = []
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + index.max_words) + 1):
            codes = index.phrases.get(" ".join(words[start:end])) or index.singular.get(
                " ".join(singular[start:end])
            )
            if codes:
                spans.append((start, end, codes))
    found: set[str] = set()
    for start, end, codes in spans:
        # a phrase inside a longer matched phrase ("ziekenhuis" in "psychiatrisch ziekenhuis")
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans):
            found |= codes
    if not found:
        found = _match_compounds(index, words)
    return _specific(index, found)


def _match_compounds(index: _Index, words: list[str]) -> set[str]:
    """Words starting with a long one-word synonym (``"schuldbemiddelingsdienst"``)."""
    found: set[str] = set()
    for word in words:
        for size in range(len(word) - 1, _MIN_COMPOUND_PREFIX - 1, -1):
            codes = index.long_words.get(word[:size])
            if codes:
                found |= codes
                break
    return found


# -- one category ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _map_one(kind: str, scheme: str, code: str | None, label: str | None) -> tuple[str, ...]:
    index = _index(kind)
    scheme = (scheme or "").strip().lower()
    text = label or code
    if scheme == "socialmap":
        value = (code or label or "").strip()
        return (value,) if value in index.codes else ()
    if scheme == "sk-rubric":
        rubric = _sk_code(code, label)
        hit = _longest(_sk_prefixes(rubric), index.sk) if rubric else None
        if hit is not None:
            prefix, mapped = hit
            found = {mapped}
            if prefix != rubric and label:
                # only a broader chapter matched: let the rubric label be more specific
                found |= _match_label(index, label)
            return tuple(sorted(_specific(index, found)))
    elif scheme == "airs" and code:
        hit = _longest(_airs_prefixes(code), index.airs)
        if hit is not None:
            return (hit[1],)
        text = label  # an AIRS code alone is not a label
    elif scheme == "open-eligibility":
        name = fold(label or code or "")
        codes = index.open_eligibility.get(name)
        if codes:
            return tuple(sorted(codes))
    if not text:
        return ()
    return tuple(sorted(_match_label(index, text)))


def _map(kind: str, categories: Iterable[CategoryIn]) -> tuple[list[str], list[CategoryIn]]:
    found: set[str] = set()
    unmapped: list[CategoryIn] = []
    for category in categories:
        codes = _map_one(kind, category.scheme, category.code, category.label)
        if codes:
            found.update(codes)
        else:
            unmapped.append(category)
    return sorted(found), unmapped


def map_needs(categories: list[CategoryIn]) -> tuple[list[str], list[CategoryIn]]:
    """(sorted unique need codes, the categories that mapped to no need)."""
    return _map("need", categories)


def map_target_groups(categories: list[CategoryIn]) -> tuple[list[str], list[CategoryIn]]:
    """(sorted unique target-group codes, the categories that mapped to no target group)."""
    return _map("target_group", categories)


def clear_caches() -> None:
    """Forget the built indexes and cached results (after the taxonomy files changed)."""
    _map_one.cache_clear()
    _index.cache_clear()

"""The project's two taxonomies (needs and target groups), loaded from the shipped JSON files.

Pure Python (no Flask, no ORM) so importers, the web app and scripts can all use it.  The files
live in ``socialmap/data/taxonomy/``; each term carries multilingual labels, descriptions,
search synonyms and crosswalks to other classifications (De Sociale Kaart rubrics, FHIR SDOH
categories, AIRS/211 codes, Open Eligibility names).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data" / "taxonomy"
LANGUAGES = ("nl", "fr", "en")
FALLBACK_LANGUAGE = "nl"

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# letters NFKD does not decompose into a base letter plus accents
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})


def fold(text: str) -> str:
    """Fold text for matching: lowercase, accents stripped, non-alphanumerics -> single spaces.

    ``"Personnes  âgées!"`` -> ``"personnes agees"``.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped).strip()


@dataclass(frozen=True)
class Term:
    """One taxonomy term; list-valued fields are tuples so terms stay hashable."""

    code: str
    parent: str | None
    labels: dict[str, str] = field(hash=False, compare=False)
    descriptions: dict[str, str] = field(hash=False, compare=False)
    synonyms: dict[str, tuple[str, ...]] = field(hash=False, compare=False)
    sk_rubrics: tuple[str, ...] = ()
    fhir_sdoh: tuple[str, ...] = ()
    airs: tuple[str, ...] = ()
    open_eligibility: tuple[str, ...] = ()
    kind: str = "need"  # need | target_group
    notes: str = field(default="", hash=False, compare=False)

    def label(self, lang: str) -> str:
        """The label in ``lang``, else the Dutch one, else the code."""
        return self.labels.get(lang) or self.labels.get(FALLBACK_LANGUAGE) or self.code


class TaxonomyError(ValueError):
    """The taxonomy file is inconsistent (duplicate code, unknown parent, cycle)."""


class Taxonomy:
    """A tree of terms kept in file order (parents are listed before their children)."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self._terms: dict[str, Term] = {}
        for term in terms:
            if term.code in self._terms:
                raise TaxonomyError(f"duplicate code {term.code!r}")
            self._terms[term.code] = term
        self._children: dict[str | None, list[Term]] = {}
        for term in self._terms.values():
            if term.parent is not None and term.parent not in self._terms:
                raise TaxonomyError(f"{term.code!r} has unknown parent {term.parent!r}")
            self._children.setdefault(term.parent, []).append(term)
        self._order = self._ordered()

    def _ordered(self) -> list[Term]:
        """Depth-first from the roots in file order; terms left over are part of a cycle."""
        out: list[Term] = []
        stack = list(reversed(self._children.get(None, [])))
        while stack:
            term = stack.pop()
            out.append(term)
            stack.extend(reversed(self._children.get(term.code, [])))
        if len(out) != len(self._terms):
            missing = sorted(set(self._terms) - {t.code for t in out})
            raise TaxonomyError(f"cycle in the taxonomy involving {missing}")
        return out

    def __contains__(self, code: object) -> bool:
        return code in self._terms

    def __len__(self) -> int:
        return len(self._terms)

    def __iter__(self) -> Iterator[Term]:
        return iter(self._order)

    def get(self, code: str) -> Term | None:
        """The term with this code, or None."""
        return self._terms.get(code)

    def children(self, code: str) -> list[Term]:
        """Direct children of ``code`` in file order (empty for unknown codes)."""
        return list(self._children.get(code, [])) if code in self._terms else []

    def descendants(self, code: str) -> list[str]:
        """``code`` itself followed by all codes below it (empty for unknown codes)."""
        if code not in self._terms:
            return []
        out = [code]
        for child in self._children.get(code, []):
            out.extend(self.descendants(child.code))
        return out

    def ancestors(self, code: str) -> list[str]:
        """Codes above ``code``, nearest first (the code itself is not included)."""
        out: list[str] = []
        term = self._terms.get(code)
        while term is not None and term.parent is not None:
            out.append(term.parent)
            term = self._terms.get(term.parent)
        return out

    def roots(self) -> list[Term]:
        """Top-level terms in file order."""
        return list(self._children.get(None, []))

    def all(self) -> list[Term]:
        """Every term, each parent directly followed by its subtree, in file order."""
        return list(self._order)

    def label(self, code: str, lang: str) -> str:
        """The label of ``code`` in ``lang``, falling back to Dutch, then to the code itself."""
        term = self._terms.get(code)
        return term.label(lang) if term is not None else code


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def _term(obj: dict[str, Any], kind: str) -> Term:
    return Term(
        code=obj["code"],
        parent=obj.get("parent"),
        labels=dict(obj.get("labels") or {}),
        descriptions=dict(obj.get("descriptions") or {}),
        synonyms={lang: _strings(words) for lang, words in (obj.get("synonyms") or {}).items()},
        sk_rubrics=_strings(obj.get("sk_rubrics")),
        fhir_sdoh=_strings(obj.get("fhir_sdoh")),
        airs=_strings(obj.get("airs")),
        open_eligibility=_strings(obj.get("open_eligibility")),
        kind=kind,
        notes=obj.get("notes") or "",
    )


def load(path: Path, kind: str) -> Taxonomy:
    """Read one taxonomy file (a JSON list of term objects)."""
    with path.open(encoding="utf-8") as fh:
        items = json.load(fh)
    return Taxonomy(_term(obj, kind) for obj in items)


@functools.lru_cache(maxsize=1)
def needs() -> Taxonomy:
    """The needs taxonomy (what a person needs help with)."""
    return load(DATA_DIR / "needs.json", "need")


@functools.lru_cache(maxsize=1)
def target_groups() -> Taxonomy:
    """The target-group taxonomy (who a service is for)."""
    return load(DATA_DIR / "target_groups.json", "target_group")

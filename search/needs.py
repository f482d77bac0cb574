"""Understanding needs in free text: "eenzaam" -> the social-contact need.

Every label and synonym of every need term (NL/FR/EN) is analysed like indexed text
(folded, stop words dropped, stemmed in its own language). A query is matched against
those phrases: multi-word phrases in any word order over a window of the query, single
words also with typo tolerance (edit distance 1 from 5 letters, 2 from 9). What is left
over stays plain text. Hierarchy: asking for a need includes every need below it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from search.text import analyze
from search.text import query_words
from search.text import words

LANGS = ("nl", "fr", "en")
MAX_PHRASE_WORDS = 4


@dataclass(frozen=True)
class NeedTerm:
    """The part of a taxonomy term the search needs."""

    code: str
    parent: str | None
    labels: dict[str, str] = field(hash=False, compare=False)
    synonyms: dict[str, tuple[str, ...]] = field(hash=False, compare=False)


@dataclass
class Interpretation:
    """How a free-text query was understood."""

    words: list[str]
    needs: list[str]  # codes recognised, in query order
    residual: list[str]  # words not part of a recognised need phrase


class NeedVocabulary:
    """Need phrases of a taxonomy, ready to match queries."""

    def __init__(self, terms: Iterable[NeedTerm]) -> None:
        self.terms = {t.code: t for t in terms}
        self._children: dict[str, list[str]] = {}
        for term in self.terms.values():
            if term.parent:
                self._children.setdefault(term.parent, []).append(term.code)
        # (lang, frozenset of stems) -> codes; the longest phrases are tried first.
        self._phrases: dict[tuple[str, frozenset[str]], set[str]] = {}
        self._single_words: dict[str, set[str]] = {}  # folded single-word phrase -> codes
        for term in self.terms.values():
            for lang in LANGS:
                texts = [term.labels.get(lang, "")] + list(term.synonyms.get(lang, ()))
                for text in texts:
                    stems = analyze(text, lang)
                    if not stems or len(stems) > MAX_PHRASE_WORDS:
                        continue
                    self._phrases.setdefault((lang, frozenset(stems)), set()).add(term.code)
                    folded = words(text)
                    if len(folded) == 1 and len(folded[0]) >= 5:
                        self._single_words.setdefault(folded[0], set()).add(term.code)
        self._word_list = list(self._single_words)

    def __contains__(self, code: object) -> bool:
        return code in self.terms

    def expand(self, codes: Iterable[str]) -> list[str]:
        """``codes`` and every code below them, each once, in a stable order."""
        out: dict[str, None] = {}
        stack = list(codes)[::-1]
        while stack:
            code = stack.pop()
            if code in out:
                continue
            out[code] = None
            stack.extend(reversed(self._children.get(code, [])))
        return list(out)

    def label(self, code: str, lang: str = "nl") -> str:
        term = self.terms.get(code)
        if term is None:
            return code
        return term.labels.get(lang) or term.labels.get("nl") or code

    def interpret(self, text: str | None) -> Interpretation:
        """Split a query into recognised needs and residual words."""
        query = query_words(text)
        used = [False] * len(query)
        needs: dict[str, None] = {}
        for size in range(min(MAX_PHRASE_WORDS, len(query)), 0, -1):
            for start in range(len(query) - size + 1):
                if any(used[start : start + size]):
                    continue
                window = query[start : start + size]
                codes = self._match_window(window)
                if codes:
                    for i in range(start, start + size):
                        used[i] = True
                    for code in sorted(codes):
                        needs.setdefault(code, None)
        residual = [w for w, u in zip(query, used, strict=True) if not u]
        return Interpretation(query, list(needs), residual)

    def _match_window(self, window: list[str]) -> set[str]:
        found: set[str] = set()
        for lang in LANGS:
            stems = frozenset(analyze(" ".join(window), lang))
            if stems and len(stems) == len(set(window)):
                found |= self._phrases.get((lang, stems), set())
        if found or len(window) != 1:
            return found
        return self._fuzzy_word(window[0])

    def _fuzzy_word(self, word: str) -> set[str]:
        if len(word) < 5 or not self._word_list:
            return set()
        limit = 1 if len(word) < 9 else 2
        best = process.extractOne(
            word, self._word_list, scorer=Levenshtein.distance, score_cutoff=limit
        )
        return set(self._single_words[best[0]]) if best else set()

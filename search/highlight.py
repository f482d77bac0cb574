"""Highlights for hits, the same for every backend.

A word of a document's text is marked when its stem (in the text's language) equals the
stem of a query word, or when the query word is a typo of it. Output is HTML-escaped text
with ``<mark>`` around matches, cut to a window around the first match.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from search.text import fold
from search.text import stem

_TOKEN = re.compile(r"\w+", re.UNICODE)
WINDOW = 160


def _typo_limit(word: str) -> int:
    return 0 if len(word) < 5 else (1 if len(word) < 9 else 2)


@lru_cache(maxsize=4096)
def _head_pattern(heads: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(h) for h in sorted(heads))
    return re.compile(rf"\b(?:{alternatives})\w*")


def highlight(
    text: str | None, lang: str, query_words: list[str], *, typos: bool = True
) -> tuple[str | None, set[str]]:
    """(marked-up snippet or None when nothing matched, query words found).

    With ``typos``, words not found as such are also matched at a small edit distance.
    """
    if not text or not query_words:
        return None, set()
    by_stem = {stem(w, lang): w for w in query_words}
    # Stemming every word of every hit costs more than the search: only words sharing their
    # first three letters with a query stem can have its stem (suffix-stripping stemmers).
    heads = frozenset(s[:3] for s in by_stem)
    matched: dict[int, tuple[int, str]] = {}  # start -> (end, query word)
    if text.isascii():  # lower() keeps offsets: find candidates with one regex scan
        for m in _head_pattern(heads).finditer(text.lower()):
            word = by_stem.get(stem(m.group(0), lang))
            if word is not None:
                matched[m.start()] = (m.end(), word)
        tokens = None
    else:
        tokens = [(m.start(), m.end(), fold(m.group(0))) for m in _TOKEN.finditer(text)]
        for begin, finish, form in tokens:
            if form[:3] in heads:
                word = by_stem.get(stem(form, lang))
                if word is not None:
                    matched[begin] = (finish, word)
    found = {word for _, word in matched.values()}
    missing = [w for w in query_words if w not in found and _typo_limit(w)] if typos else []
    if missing:
        if tokens is None:
            tokens = [(m.start(), m.end(), fold(m.group(0))) for m in _TOKEN.finditer(text)]
        forms = [form for _, _, form in tokens]
        for word in missing:
            limit = _typo_limit(word)
            for _, _, i in process.extract(
                word, forms, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
            ):
                matched.setdefault(tokens[i][0], (tokens[i][1], word))
    if not matched:
        return None, set()
    pieces: list[str] = []
    last = 0
    for begin in sorted(matched):
        finish = matched[begin][0]
        pieces.append(html.escape(text[last:begin]))
        pieces.append(f"<mark>{html.escape(text[begin:finish])}</mark>")
        last = finish
    pieces.append(html.escape(text[last:]))
    return _window("".join(pieces), text, min(matched)), {w for _, w in matched.values()}


def _window(marked: str, text: str, first: int) -> str:
    """Cut long texts to about WINDOW characters around the first match."""
    if len(text) <= WINDOW:
        return marked
    start = max(0, first - WINDOW // 4)
    # Work on the marked string: find the escaped prefix length of text[:start].
    prefix = html.escape(text[:start])
    body = marked[len(prefix) :] if marked.startswith(prefix) else marked
    cut = body
    if len(cut) > WINDOW:
        end = cut.find(" ", WINDOW)
        # Never cut inside a <mark> element.
        while end != -1 and cut.rfind("<mark>", 0, end) > cut.rfind("</mark>", 0, end):
            end = cut.find(" ", end + 1)
        cut = cut[:end] + " …" if end != -1 else cut
    return ("… " if start else "") + cut


def highlight_document(
    texts: dict[str, dict[str, str]], query_words: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Highlights per field (``name``, ``description``) and the query words found.

    Exact (stemmed) matches first over every text; typo matches only for words found
    nowhere, in the fields still without a highlight.
    """
    out: dict[str, str] = {}
    found: set[str] = set()
    for typos in (False, True):
        wanted = query_words if not typos else [w for w in query_words if w not in found]
        if not wanted:
            break
        for lang, fields in texts.items():
            for field_name, value in fields.items():
                key = "name" if field_name == "name" else "description"
                if key in out:
                    continue
                snippet, words_found = highlight(value, lang, wanted, typos=typos)
                if snippet:
                    out[key] = snippet
                    found |= words_found
    return out, [w for w in query_words if w in found]

"""Highlights for hits, the same for every backend.

A word of a document's text is marked when its stem (in the text's language) equals the
stem of a query word, or when the query word is a typo of it. Output is HTML-escaped text
with ``<mark>`` around matches, cut to a window around the first match.
"""

from __future__ import annotations

import html
import re

from rapidfuzz.distance import Levenshtein

from search.text import fold
from search.text import stem

_TOKEN = re.compile(r"\w+", re.UNICODE)
WINDOW = 160


def _typo_limit(word: str) -> int:
    return 0 if len(word) < 5 else (1 if len(word) < 9 else 2)


def _matches(token: str, lang: str, query_words: list[str], query_stems: set[str]) -> str | None:
    folded = fold(token)
    if stem(folded, lang) in query_stems:
        return next((w for w in query_words if stem(w, lang) == stem(folded, lang)), folded)
    for word in query_words:
        limit = _typo_limit(word)
        if limit and abs(len(word) - len(folded)) <= limit:
            if Levenshtein.distance(word, folded, score_cutoff=limit) <= limit:
                return word
    return None


def highlight(text: str | None, lang: str, query_words: list[str]) -> tuple[str | None, set[str]]:
    """(marked-up snippet or None when nothing matched, query words found)."""
    if not text or not query_words:
        return None, set()
    stems = {stem(w, lang) for w in query_words}
    pieces: list[str] = []
    found: set[str] = set()
    first = None
    last = 0
    for match in _TOKEN.finditer(text):
        word = _matches(match.group(0), lang, query_words, stems)
        if word is None:
            continue
        found.add(word)
        if first is None:
            first = match.start()
        pieces.append(html.escape(text[last : match.start()]))
        pieces.append(f"<mark>{html.escape(match.group(0))}</mark>")
        last = match.end()
    if first is None:
        return None, set()
    pieces.append(html.escape(text[last:]))
    marked = "".join(pieces)
    return _window(marked, text, first), found


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
    """Highlights per field (``name``, ``description``) and the query words found."""
    out: dict[str, str] = {}
    found: set[str] = set()
    for lang, fields in texts.items():
        for field_name, value in fields.items():
            key = "name" if field_name == "name" else "description"
            if key in out:
                continue
            snippet, words_found = highlight(value, lang, query_words)
            if snippet:
                out[key] = snippet
                found |= words_found
    return out, [w for w in query_words if w in found]

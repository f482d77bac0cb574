"""Text analysis shared by the embedded index, the need vocabulary and the highlighter.

Folding: casefold, accents and ligatures removed ("âgées" -> "agees"). Stemming: Snowball
(the classic Dutch "Porter" variant, which keeps "begeleiding" -> "begeleid" instead of
the newer variant's "beleid"; French; English), applied per text language, so a Dutch
query is compared with Dutch text. Stop words are dropped before stemming.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ß": "ss"})
_WORD = re.compile(r"[0-9a-z]+")
# Elided articles: "l'aide", "d'endettement".
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu)['’]", re.IGNORECASE)

STEMMERS = {"nl": "dutch_porter", "fr": "french", "en": "english"}

# Stems the algorithm gets wrong in this domain (like Lucene's Dutch stem dictionary):
# "ouderen" (the elderly) must not become "ouder" (a parent).
STEM_OVERRIDES: dict[str, dict[str, str]] = {
    "nl": {"ouderen": "oudere", "oudere": "oudere", "bejaarden": "bejaarde"},
}

STOPWORDS: dict[str, frozenset[str]] = {
    "nl": frozenset(
        "de het een en van in op te voor met aan door bij als dat die dit is er om of "
        "naar uit tot over ook zijn wordt worden maar niet wij we je jij u hun hij zij ze "
        "mijn mij me onze ons zich hem haar heeft hebben kan kunnen moet wil waar wat wie "
        "hoe dan nog al zo geen meer".split()
    ),
    "fr": frozenset(
        "le la les un une des du de d l et en au aux a à pour par sur dans avec ou qui que "
        "est sont ce ces cette son sa ses leur leurs nous vous il elle ils elles je tu ne pas "
        "plus se s y".split()
    ),
    "en": frozenset(
        "the a an and or of in on at to for with by from is are be as that this it its "
        "not no our your their we you they he she i me my".split()
    ),
}


def fold(text: str) -> str:
    """Casefold and strip accents; keeps every other character."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str | None) -> list[str]:
    """Folded words of ``text`` (elided French articles removed)."""
    if not text:
        return []
    return _WORD.findall(fold(_ELISION.sub(" ", text)))


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str) -> str:
    """The stem of a folded word in ``lang`` (nl/fr/en)."""
    override = STEM_OVERRIDES.get(lang, {}).get(word)
    return override or _stemmer(lang).stemWord(word)


@lru_cache(maxsize=8)
def _stemmer(lang: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(STEMMERS.get(lang, "dutch_porter"))


def analyze(text: str | None, lang: str) -> list[str]:
    """Stems of ``text`` in ``lang`` without stop words, in order (duplicates kept)."""
    stop = STOPWORDS.get(lang, frozenset())
    return [stem(w, lang) for w in words(text) if w not in stop and (len(w) > 1 or w.isdigit())]


def query_words(text: str | None) -> list[str]:
    """Distinct folded words of a query, in order, without stop words of any language:
    "hulp bij schulden" -> hulp, schulden ("bij" would be required in French text, where it
    is no stop word, and so exclude every Dutch service)."""
    seen: dict[str, None] = {}
    for w in words(text):
        if (len(w) < 2 and not w.isdigit()) or any(w in stop for stop in STOPWORDS.values()):
            continue
        seen.setdefault(w, None)
    return list(seen)

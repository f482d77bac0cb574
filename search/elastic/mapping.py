"""The Elasticsearch index: settings, mappings and the document representation.

Text is analysed in Python, not by Elasticsearch language analyzers: every ``name_<lang>``
and ``body_<lang>`` field holds the space-separated stems :func:`search.text.analyze`
produces (folded, stop words dropped, Snowball Dutch-Porter/French/English), indexed with
a whitespace analyzer. Why:

* both backends then stem, fold and drop stop words with the very same code, so a word
  matches the same documents in either (the embedded backend and the need vocabulary use
  :mod:`search.text`; Lucene's Dutch and French stemmers differ from it in places);
* osmem (the in-memory test engine) indexes an empty token for every word through its
  ``snowball``/``Dutch`` and ``stemmer``/``light_french`` filters, so real language
  analyzers would make every query match every document there.

Search-time synonyms: a ``synonym_graph`` filter per language, generated from the taxonomy
labels and synonyms (stemmed the same way, so they meet the indexed stems). osmem ignores
synonym filters with a warning; the app maps need phrases to codes in Python anyway.

Opening hours: ``hours`` is an ``integer_range`` field holding the weekly intervals in
minutes since Monday 00:00 Brussels time (``lt`` = exclusive end), and ``closures`` a
``date_range`` field of inclusive closure-date ranges; "open at t" is then a ``term``
query on the minute of the week plus a ``must_not`` ``term`` query on the local date.
Both engines answer ``term`` on range fields with "range contains value", so nothing
depends on the build date (no precomputed open slots or closed-day lists).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from search.document import TEXT_LANGUAGES
from search.document import IndexDocument
from search.document import cost_bucket
from search.needs import NeedVocabulary
from search.text import analyze
from search.text import fold

#: Fields holding Python-analysed stems, per language.
NAME_FIELD = "name_{lang}"
BODY_FIELD = "body_{lang}"
#: Where the embedded backend counts name words three times, so do we.
NAME_BOOST = 3.0
#: Longest completion input kept (Elasticsearch's default is 50 characters too).
SUGGEST_MAX_INPUT = 50

#: ``_source`` fields needed to build a :class:`search.query.Hit` and highlight it.
HIT_SOURCE: tuple[str, ...] = (
    "id",
    "service_id",
    "location_id",
    "organization_id",
    "name",
    "organization_name",
    "texts",
    "location",
    "needs",
    "municipality",
    "capacity",
    "free",
)


def synonym_rules(vocabulary: NeedVocabulary, lang: str) -> list[str]:
    """Equivalence rules, one per need: its label and synonyms in ``lang``, as stems.

    Stems only contain ``[0-9a-z]`` and spaces, so no rule can contain the ``,`` or
    ``=>`` of the Solr synonym syntax; :func:`_escape` is a safety net all the same.
    """
    rules: list[str] = []
    for term in vocabulary.terms.values():
        phrases: dict[str, None] = {}
        for text in (term.labels.get(lang, ""), *term.synonyms.get(lang, ())):
            stems = " ".join(analyze(text, lang))
            if stems:
                phrases.setdefault(_escape(stems), None)
        if len(phrases) > 1:  # a rule with one phrase says nothing
            rules.append(", ".join(phrases))
    return rules


def _escape(phrase: str) -> str:
    return phrase.replace("\\", "\\\\").replace(",", "\\,").replace("=>", "\\=>")


def index_settings(vocabulary: NeedVocabulary) -> dict[str, Any]:
    """Index settings: one shard, the stem analyzers and the per-language synonyms."""
    filters: dict[str, Any] = {}
    analyzers: dict[str, Any] = {
        # Index side: the stems are already analysed; only split them.
        "stems": {"type": "custom", "tokenizer": "whitespace", "filter": []},
        # Completion inputs and prefixes are folded in Python; keep them whole.
        "suggest": {"type": "custom", "tokenizer": "keyword", "filter": ["lowercase"]},
    }
    for lang in TEXT_LANGUAGES:
        chain: list[str] = []
        rules = synonym_rules(vocabulary, lang)
        if rules:
            filters[f"synonyms_{lang}"] = {
                "type": "synonym_graph",
                "synonyms": rules,
                "lenient": True,
            }
            chain.append(f"synonyms_{lang}")
        analyzers[f"stems_search_{lang}"] = {
            "type": "custom",
            "tokenizer": "whitespace",
            "filter": chain,
        }
    return {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "analysis": {"filter": filters, "analyzer": analyzers},
    }


def index_mappings() -> dict[str, Any]:
    """Field mappings; ``dynamic: strict`` so a typo in a field name fails loudly."""
    keyword = {"type": "keyword"}
    properties: dict[str, Any] = {
        "id": keyword,
        "service_id": keyword,
        "location_id": keyword,
        "organization_id": keyword,
        "name": keyword,  # display and tie-break sort
        "organization_name": {"type": "keyword", "index": False},
        # Original texts for the highlighter; stored, never searched.
        "texts": {"type": "object", "enabled": False},
        "location": {"type": "geo_point"},
        "municipality": keyword,
        "areas": keyword,
        "needs": keyword,
        "target_groups": keyword,
        "languages": keyword,
        "capacity": keyword,
        "cost": keyword,
        "free": {"type": "boolean"},
        "accepts_referrals": {"type": "boolean"},
        "age_min": {"type": "float"},
        "age_max": {"type": "float"},
        "updated": {"type": "date"},
        "hours": {"type": "integer_range"},
        "closures": {"type": "date_range", "format": "date"},
        "suggest": {
            "type": "completion",
            "analyzer": "suggest",
            "max_input_length": SUGGEST_MAX_INPUT,
        },
    }
    for lang in TEXT_LANGUAGES:
        for pattern in (NAME_FIELD, BODY_FIELD):
            properties[pattern.format(lang=lang)] = {
                "type": "text",
                "analyzer": "stems",
                "search_analyzer": f"stems_search_{lang}",
            }
    return {"dynamic": "strict", "properties": properties}


def suggestion_keys(label: str) -> list[str]:
    """The folded label from each of its words on: "CAW Oost" -> "caw oost", "oost".

    The embedded backend offers an organisation when any word of its name starts with
    the prefix; completion inputs only match from their start, hence one per word.
    """
    words = fold(label).split()
    return [" ".join(words[i:]) for i in range(len(words))]


def to_source(doc: IndexDocument) -> dict[str, Any]:
    """The ``_source`` of a document (absent values are left out, not null)."""
    source: dict[str, Any] = {
        "id": doc.id,
        "service_id": doc.service_id,
        "organization_id": doc.organization_id,
        "name": doc.name,
        "organization_name": doc.organization_name,
        "texts": doc.texts,
        "areas": list(doc.areas),
        "needs": list(doc.needs),
        "target_groups": list(doc.target_groups),
        "languages": list(doc.languages),
        "capacity": doc.capacity,
        "cost": cost_bucket(doc.free),
        "accepts_referrals": bool(doc.accepts_referrals),
    }
    optional = {
        "location_id": doc.location_id,
        "municipality": doc.municipality,
        "free": doc.free,
        "age_min": doc.age_min,
        "age_max": doc.age_max,
        "updated": _iso(doc.updated),
    }
    source.update({k: v for k, v in optional.items() if v is not None})
    if doc.lat is not None and doc.lon is not None:
        source["location"] = {"lat": doc.lat, "lon": doc.lon}
    for lang in TEXT_LANGUAGES:
        fields = doc.texts.get(lang) or {}
        for key, pattern in (("name", NAME_FIELD), ("body", BODY_FIELD)):
            stems = analyze(fields.get(key), lang)
            if stems:
                source[pattern.format(lang=lang)] = " ".join(stems)
    # An empty range is invalid in Elasticsearch; (start, end) with end <= start is none.
    hours = [{"gte": start, "lt": end} for start, end in doc.hours if end > start]
    if hours:
        source["hours"] = hours
    closures = [
        {"gte": start.isoformat(), "lte": end.isoformat()}
        for start, end in doc.closures
        if end >= start
    ]
    if closures:
        source["closures"] = closures
    keys = suggestion_keys(doc.organization_name)
    inputs = list(dict.fromkeys(key[:SUGGEST_MAX_INPUT] for key in keys))
    if inputs:
        # Shorter names first, as the embedded backend orders them.
        weight = max(1, 1000 - len(doc.organization_name))
        source["suggest"] = {"input": inputs, "weight": weight}
    return source


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    # A naive timestamp is taken as UTC (the database stores UTC).
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()

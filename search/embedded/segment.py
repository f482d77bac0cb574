"""A segment: an immutable, columnar slice of the embedded index.

Documents of a segment are numbered 0..n-1. Scalar fields are numpy columns; every
multi-valued field and every text stem is a *posting list* (sorted document numbers),
keyed by a term string:

* ``w:<lang>:<stem>`` — text, with a BM25 impact per document (name words count 3x);
* ``n:<code>`` needs, ``t:<code>`` target groups, ``l:<lang>`` languages,
  ``a:<area code>`` service areas.

The base segment is stored in the index file and its postings are read lazily; the small
segment of documents changed since the last rebuild is built in memory.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from search.document import TEXT_LANGUAGES
from search.document import IndexDocument
from search.text import analyze

NAME_BOOST = 3
BM25_K1 = 1.2
BM25_B = 0.75
CAPACITY_CODES = {"available": 0, "waitlist": 1, "full": 2, "unknown": 3}
CAPACITY_NAMES = {v: k for k, v in CAPACITY_CODES.items()}
FREE_CODES = {None: 0, True: 1, False: 2}  # 0 unknown, 1 free, 2 paid
COST_NAMES = {0: "unknown", 1: "free", 2: "paid"}
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

#: Scalar columns: name -> numpy dtype.
COLUMNS: dict[str, str] = {
    "lat": "float64",
    "lon": "float64",
    "has_coords": "bool",
    "age_min": "float32",
    "age_max": "float32",
    "free": "int8",
    "capacity": "int8",
    "accepts": "bool",
    "updated": "float64",  # days since 1970 (NaN = unknown)
    "municipality": "int32",  # index into Segment.municipalities, -1 = none
    "organization": "int32",  # index into Segment.organizations
    "has_target_groups": "bool",
    "has_areas": "bool",
    "hours_start": "int32",  # opening intervals, all documents concatenated
    "hours_end": "int32",
    "hours_doc": "int32",
    "closed_from": "int32",  # closure days as date ordinals
    "closed_to": "int32",
    "closed_doc": "int32",
    "facet_doc": "int32",  # (document, facet tag) pairs for needs/target groups/languages,
    "facet_tag": "int32",  # sorted by document; tag = index into Segment.facet_tags
}
FACET_PREFIXES = ("n:", "t:", "l:")

Postings = tuple[np.ndarray, np.ndarray | None]  # (document numbers, impacts or None)


@dataclass
class Segment:
    """Columns, posting lookup and the few tables a query needs."""

    n: int
    columns: dict[str, np.ndarray]
    municipalities: list[str]
    organizations: list[str]
    facet_tags: list[str]
    avgdl: float
    lookup: Callable[[str], Postings | None]
    list_terms: Callable[[str], list[str]]  # all terms with a prefix

    def __post_init__(self) -> None:
        self.organization_index = {org: i for i, org in enumerate(self.organizations)}
        self._cache: dict[str, Postings | None] = {}
        self._prefixed: dict[str, list[str]] = {}
        self._facet_ptr: np.ndarray | None = None

    def facet_rows(self, docs: np.ndarray) -> np.ndarray:
        """Row numbers of ``docs`` in the (document-sorted) facet pair columns."""
        ptr = self._facet_ptr
        if ptr is None:
            ptr = self._facet_ptr = np.searchsorted(
                self.columns["facet_doc"], np.arange(self.n + 1, dtype=np.int32)
            )
        starts = ptr[docs]
        lengths = ptr[docs + 1] - starts
        total = int(lengths.sum())
        return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)

    def terms(self, prefix: str) -> list[str]:
        """Every term starting with ``prefix`` (cached; for facets and typo correction)."""
        found = self._prefixed.get(prefix)
        if found is None:
            found = self._prefixed[prefix] = self.list_terms(prefix)
        return found

    def postings(self, term: str) -> Postings | None:
        """The posting list of ``term`` (cached), or None."""
        try:
            return self._cache[term]
        except KeyError:
            found = self._cache[term] = self.lookup(term)
            return found

    def mask(self, terms: Iterable[str]) -> np.ndarray:
        """Documents having any of ``terms``."""
        out = np.zeros(self.n, dtype=bool)
        for term in terms:
            found = self.postings(term)
            if found is not None:
                out[found[0]] = True
        return out


def _days(value: dt.datetime | None) -> float:
    if value is None:
        return float("nan")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return (value - EPOCH).total_seconds() / 86400


def text_terms(doc: IndexDocument) -> dict[str, float]:
    """Weighted term frequencies of a document's texts (name words count NAME_BOOST times)."""
    tf: dict[str, float] = {}
    for lang in TEXT_LANGUAGES:
        fields = doc.texts.get(lang)
        if not fields:
            continue
        for field_name, boost in (("name", NAME_BOOST), ("body", 1)):
            for s in analyze(fields.get(field_name), lang):
                key = f"w:{lang}:{s}"
                tf[key] = tf.get(key, 0.0) + boost
    return tf


def tag_terms(doc: IndexDocument) -> list[str]:
    """The non-text terms of a document."""
    out = [f"n:{c}" for c in doc.needs]
    out += [f"t:{c}" for c in doc.target_groups]
    out += [f"l:{c}" for c in doc.languages]
    out += [f"a:{c}" for c in doc.areas]
    return list(dict.fromkeys(out))


class SegmentBuilder:
    """Accumulates documents, then produces columns and posting lists."""

    def __init__(self) -> None:
        self.n = 0
        self.ids: list[str] = []
        self.cols: dict[str, array] = {name: array(_typecode(t)) for name, t in COLUMNS.items()}
        self.municipalities: dict[str, int] = {}
        self.organizations: dict[str, int] = {}
        self.facet_tags: dict[str, int] = {}
        self._term_ids: dict[str, int] = {}
        self._post_term = array("i")
        self._post_doc = array("i")
        self._post_tf = array("f")
        self._doc_len = array("f")

    def add(self, doc: IndexDocument) -> None:
        i = self.n
        self.n += 1
        self.ids.append(doc.id)
        c = self.cols
        coords = doc.lat is not None and doc.lon is not None
        c["lat"].append(doc.lat if coords else 0.0)
        c["lon"].append(doc.lon if coords else 0.0)
        c["has_coords"].append(coords)
        c["age_min"].append(float("nan") if doc.age_min is None else doc.age_min)
        c["age_max"].append(float("nan") if doc.age_max is None else doc.age_max)
        c["free"].append(FREE_CODES[doc.free])
        c["capacity"].append(CAPACITY_CODES.get(doc.capacity, 3))
        c["accepts"].append(bool(doc.accepts_referrals))
        c["updated"].append(_days(doc.updated))
        c["municipality"].append(
            self.municipalities.setdefault(doc.municipality, len(self.municipalities))
            if doc.municipality
            else -1
        )
        c["organization"].append(
            self.organizations.setdefault(doc.organization_id, len(self.organizations))
        )
        c["has_target_groups"].append(bool(doc.target_groups))
        c["has_areas"].append(bool(doc.areas))
        for start, end in doc.hours:
            c["hours_start"].append(start)
            c["hours_end"].append(end)
            c["hours_doc"].append(i)
        for start, end in doc.closures:
            c["closed_from"].append(start.toordinal())
            c["closed_to"].append(end.toordinal())
            c["closed_doc"].append(i)
        tf = text_terms(doc)
        self._doc_len.append(sum(tf.values()))
        ids = self._term_ids
        for term, freq in tf.items():
            self._post_term.append(ids.setdefault(term, len(ids)))
            self._post_doc.append(i)
            self._post_tf.append(freq)
        for term in tag_terms(doc):
            self._post_term.append(ids.setdefault(term, len(ids)))
            self._post_doc.append(i)
            self._post_tf.append(0.0)
            if term.startswith(FACET_PREFIXES):
                c["facet_doc"].append(i)
                c["facet_tag"].append(self.facet_tags.setdefault(term, len(self.facet_tags)))

    def finish(
        self, corpus: tuple[int, float, Callable[[str], int]] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Postings], float]:
        """(columns, postings, avgdl). ``corpus`` = (documents, avgdl, df) of a larger
        segment whose statistics the impacts should use (for the small change segment)."""
        columns = {
            name: np.frombuffer(self.cols[name], dtype=_numpy_type(COLUMNS[name])).astype(
                COLUMNS[name]
            )
            if len(self.cols[name])
            else np.zeros(0, dtype=COLUMNS[name])
            for name in COLUMNS
        }
        doc_len = np.frombuffer(self._doc_len, dtype=np.float32)
        avgdl = float(doc_len.mean()) if self.n and doc_len.sum() else 1.0
        n_docs, stats_avgdl, extra_df = self.n, avgdl, None
        if corpus is not None:
            n_docs, stats_avgdl, extra_df = corpus[0] + self.n, corpus[1], corpus[2]
        term = np.frombuffer(self._post_term, dtype=np.int32)
        doc = np.frombuffer(self._post_doc, dtype=np.int32)
        tf = np.frombuffer(self._post_tf, dtype=np.float32)
        order = np.argsort(term, kind="stable")  # documents stay sorted within a term
        term, doc, tf = term[order], doc[order], tf[order]
        bounds = np.flatnonzero(np.diff(term)) + 1
        starts = np.concatenate(([0], bounds)) if len(term) else np.zeros(0, dtype=np.int64)
        ends = np.concatenate((bounds, [len(term)])) if len(term) else starts
        names = list(self._term_ids)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * doc_len / stats_avgdl)
        postings: dict[str, Postings] = {}
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            name = names[int(term[start])]
            docs = doc[start:end].copy()
            if name.startswith("w:"):
                df = (end - start) + (extra_df(name) if extra_df else 0)
                idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5))
                freq = tf[start:end]
                impacts = (idf * freq * (BM25_K1 + 1) / (freq + norm[docs])).astype(np.float32)
                postings[name] = (docs, impacts)
            else:
                postings[name] = (docs, None)
        return columns, postings, avgdl


def _typecode(dtype: str) -> str:
    return {"float64": "d", "float32": "f", "bool": "b", "int8": "b", "int32": "i"}[dtype]


def _numpy_type(dtype: str) -> str:
    return {"bool": "int8"}.get(dtype, dtype)


def memory_segment(
    docs: Iterable[IndexDocument], corpus: tuple[int, float, Callable[[str], int]] | None = None
) -> tuple[Segment, list[str]]:
    """A segment held in memory (and the ids of its documents, in order)."""
    builder = SegmentBuilder()
    for doc in docs:
        builder.add(doc)
    columns, postings, avgdl = builder.finish(corpus)
    segment = Segment(
        n=builder.n,
        columns=columns,
        municipalities=list(builder.municipalities),
        organizations=list(builder.organizations),
        facet_tags=list(builder.facet_tags),
        avgdl=avgdl,
        lookup=postings.get,
        list_terms=lambda prefix: [t for t in postings if t.startswith(prefix)],
    )
    return segment, builder.ids

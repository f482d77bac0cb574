"""The embedded search backend: one SQLite file, columnar segments, numpy evaluation.

Why not plain FTS5 + R*Tree: on this machine FTS5 needs ~130 ms to rank 40,000 matches of
a common word ("hulp") and every extra filter is a join; here a common word is one posting
list and every filter a vectorised mask, so the slowest query kinds stay within a few
milliseconds at 100,000 services (see benchmarks/search_bench.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from search.backend import Suggestion
from search.document import IndexDocument
from search.embedded import store
from search.embedded.engine import Plan
from search.embedded.engine import SegmentResult
from search.embedded.engine import evaluate
from search.embedded.engine import plan
from search.embedded.segment import Segment
from search.embedded.segment import SegmentBuilder
from search.embedded.segment import memory_segment
from search.highlight import highlight_document
from search.needs import NeedVocabulary
from search.query import Hit
from search.query import Query
from search.query import Results
from search.text import fold

BATCH = 5000


@dataclass
class _State:
    """What a process holds of one version of the index file."""

    conn: Any
    inode: int
    data_version: int
    base: Segment
    alive: np.ndarray | None
    changes: Segment | None
    change_docs: list[IndexDocument]
    pending: int


class EmbeddedBackend:
    """Search over the index file at ``path`` (see :mod:`search.embedded.store`)."""

    name = "embedded"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._state: _State | None = None
        self._vocabularies: dict[str, list[str]] = {}

    # ------------------------------------------------------------ writing

    def rebuild(self, documents: Iterable[IndexDocument], vocabulary: NeedVocabulary) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        start_seq = self._max_seq()
        tmp = self.path.with_name(f"{self.path.name}.new-{os.getpid()}")
        conn = store.create(tmp)
        builder = SegmentBuilder()
        seen: set[str] = set()
        rows: list[tuple[int, str, str]] = []
        suggestions: dict[str, str] = {}
        for doc in documents:
            if doc.id in seen:
                raise ValueError(f"duplicate document id {doc.id!r}")
            seen.add(doc.id)
            rows.append((builder.n, doc.id, store.encode(doc)))
            builder.add(doc)
            suggestions.setdefault(doc.organization_id, doc.organization_name)
            if len(rows) >= BATCH:
                conn.executemany("INSERT INTO doc VALUES (?, ?, ?)", rows)
                rows.clear()
        conn.executemany("INSERT INTO doc VALUES (?, ?, ?)", rows)
        conn.executemany(
            "INSERT INTO suggestion VALUES (?, ?, ?)",
            (
                (key, label, org)
                for org, label in suggestions.items()
                for key in _suggestion_keys(label)
            ),
        )
        columns, postings, avgdl = builder.finish()
        meta = {
            "documents": builder.n,
            "avgdl": avgdl,
            "municipalities": list(builder.municipalities),
            "organizations": list(builder.organizations),
            "facet_tags": list(builder.facet_tags),
            "built_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        store.write_segment(conn, columns, postings, meta)
        conn.commit()
        with store.write_lock(self.path):
            # Changes logged while we built would be lost by the rename: carry them over.
            if self.path.exists():
                old = store.connect(self.path, readonly=True)
                late = old.execute(
                    "SELECT id, body, at FROM change WHERE seq > ? ORDER BY seq", (start_seq,)
                ).fetchall()
                old.close()
                conn.executemany("INSERT INTO change (id, body, at) VALUES (?, ?, ?)", late)
                conn.commit()
            conn.close()
            os.replace(tmp, self.path)
        return builder.n

    def upsert(self, documents: Iterable[IndexDocument]) -> int:
        rows = [(doc.id, store.encode(doc)) for doc in documents]
        return self._log(rows)

    def delete(self, ids: Iterable[str]) -> int:
        return self._log([(doc_id, None) for doc_id in ids])

    def delete_services(self, service_ids: Iterable[str]) -> int:
        ids: set[str] = set()
        with self._lock:
            state = self._current()
            if state is None:
                return 0
            for service_id in service_ids:
                low, high = f"{service_id}:", f"{service_id};"
                ids.update(
                    r[0]
                    for r in state.conn.execute(
                        "SELECT id FROM doc WHERE id >= ? AND id < ?", (low, high)
                    )
                )
                ids.update(d.id for d in state.change_docs if d.service_id == service_id)
        return self.delete(sorted(ids))

    def _log(self, rows: list[tuple[str, str | None]]) -> int:
        if not rows:
            return 0
        if not self.path.exists():
            self.rebuild([], NeedVocabulary([]))
        now = dt.datetime.now(dt.UTC).isoformat()
        with store.write_lock(self.path):
            conn = store.connect(self.path)
            with conn:
                conn.executemany(
                    "INSERT INTO change (id, body, at) VALUES (?, ?, ?)",
                    [(doc_id, body, now) for doc_id, body in rows],
                )
            conn.close()
        return len(rows)

    def _max_seq(self) -> int:
        if not self.path.exists():
            return 0
        conn = store.connect(self.path, readonly=True)
        try:
            return store.max_seq(conn)
        finally:
            conn.close()

    # ------------------------------------------------------------ reading

    def _current(self) -> _State | None:
        """The loaded index, reloaded when the file was replaced or changes were logged."""
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            self._state = None
            return None
        state = self._state
        if state is None or state.inode != inode:
            if state is not None:
                state.conn.close()
            conn = store.connect(self.path, readonly=True)
            try:
                base = store.load_base(conn)
            except BaseException:
                conn.close()
                self._state = None
                raise
            state = _State(conn, inode, -1, base, None, None, [], 0)
            self._state = state
            self._vocabularies = {}
        data_version = state.conn.execute("PRAGMA data_version").fetchone()[0]
        if data_version != state.data_version:
            self._load_changes(state)
            state.data_version = data_version
        return state

    def _load_changes(self, state: _State) -> None:
        changes = store.latest_changes(state.conn)
        base = state.base
        alive = None
        if changes:
            alive = np.ones(base.n, dtype=bool)
            ids = list(changes)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rids = [
                    r[0]
                    for r in state.conn.execute(f"SELECT rid FROM doc WHERE id IN ({marks})", chunk)
                ]
                alive[rids] = False
        docs = [store.decode(body) for body in changes.values() if body is not None]

        def df(term: str) -> int:
            found = base.postings(term)
            return 0 if found is None else len(found[0])

        state.alive = alive
        state.change_docs = docs
        state.changes = memory_segment(docs, (base.n, base.avgdl, df))[0] if docs else None
        state.pending = len(changes)
        self._vocabularies = {}

    def search(self, query: Query) -> Results:
        with self._lock:
            state = self._current()
            if state is None:
                return Results(0, [], {}, query.page, query.per_page)
            segments = [state.base] + ([state.changes] if state.changes else [])
            p = plan(query, segments, self._vocabularies)
            results = [evaluate(state.base, p, state.alive)]
            if state.changes is not None:
                results.append(evaluate(state.changes, p, None))
            return self._page(state, p, results)

    def _page(self, state: _State, p: Plan, results: list[SegmentResult]) -> Results:
        q = p.query
        want = q.offset + q.per_page
        ranked: list[tuple[float, float, int, int, int]] = []
        for seg_no, r in enumerate(results):
            distance = np.where(np.isnan(r.distance), np.inf, r.distance)
            if q.sort == "distance":
                primary, secondary = distance, -r.score
            else:
                primary, secondary = -r.score, distance
            order = np.arange(len(r.docs))
            if len(order) > 4 * want and len(order) > 2000:
                order = np.argpartition(primary, want - 1)[:want] if want else order[:0]
            order = order[np.lexsort((r.docs[order], secondary[order], primary[order]))][:want]
            ranked.extend(
                (float(primary[i]), float(secondary[i]), seg_no, int(r.docs[i]), int(i))
                for i in order
            )
        ranked.sort()
        page = ranked[q.offset : want]
        base_rids = [doc for _, _, seg_no, doc, _ in page if seg_no == 0]
        base_docs: dict[int, IndexDocument] = {}
        if base_rids:
            marks = ",".join("?" * len(base_rids))
            for rid, body in state.conn.execute(
                f"SELECT rid, body FROM doc WHERE rid IN ({marks})", base_rids
            ):
                base_docs[rid] = store.decode(body)
        hits = []
        for _, _, seg_no, doc_no, i in page:
            doc = base_docs[doc_no] if seg_no == 0 else state.change_docs[doc_no]
            r = results[seg_no]
            hits.append(
                _hit(doc, q, float(r.score[i]), float(r.distance[i]), bool(r.by_distance[i]))
            )
        facets: dict[str, dict[str, int]] = {}
        if q.facets:
            for r in results:
                for name, counts in r.facets.items():
                    facets.setdefault(name, Counter()).update(counts)
            facets = {name: dict(counts.most_common()) for name, counts in facets.items()}
        total = sum(len(r.docs) for r in results)
        out = Results(total, hits, facets, q.page, q.per_page)
        out.corrections = dict(p.corrections)
        return out

    def suggest(self, prefix: str, lang: str = "nl", size: int = 8) -> list[Suggestion]:
        key = " ".join(fold(prefix).split())
        if not key:
            return []
        with self._lock:
            state = self._current()
            if state is None:
                return []
            rows = state.conn.execute(
                "SELECT label, organization_id FROM suggestion WHERE key >= ? AND key < ? "
                "ORDER BY length(label), label LIMIT ?",
                (key, key + "\uffff", size * 4),
            ).fetchall()
        out: dict[str, Suggestion] = {}
        for label, org in rows:
            out.setdefault(org, Suggestion("organization", label, organization_id=org))
        return list(out.values())[:size]

    def ids(self) -> set[str]:
        with self._lock:
            state = self._current()
            if state is None:
                return set()
            alive = state.alive
            out = {
                doc_id
                for rid, doc_id in state.conn.execute("SELECT rid, id FROM doc")
                if alive is None or alive[rid]
            }
            out.update(doc.id for doc in state.change_docs)
            return out

    def stats(self) -> dict[str, Any]:
        with self._lock:
            state = self._current()
            if state is None:
                return {"backend": self.name, "documents": 0, "path": str(self.path)}
            # Not read_meta(): the meta table also holds the (large) organisation list.
            built_at = state.conn.execute("SELECT value FROM meta WHERE key = 'built_at'")
            superseded = 0 if state.alive is None else int(state.base.n - state.alive.sum())
            last_change = state.conn.execute("SELECT max(at) FROM change").fetchone()[0]
            return {
                "backend": self.name,
                "path": str(self.path),
                "documents": state.base.n - superseded + len(state.change_docs),
                "built_at": json.loads(built_at.fetchone()[0]),
                "pending_changes": state.pending,
                "last_change_at": last_change,
                "size_bytes": self.path.stat().st_size,
            }


def _suggestion_keys(label: str) -> list[str]:
    """The folded label from each of its words on: "CAW Oost" -> "caw oost", "oost"."""
    words = fold(label).split()
    return [" ".join(words[i:]) for i in range(len(words))]


def _hit(doc: IndexDocument, q: Query, score: float, distance: float, by_distance: bool) -> Hit:
    wanted = list(dict.fromkeys(list(q.needs) + list(q.text_needs)))
    highlights, matched_terms = highlight_document(doc.texts, list(q.terms))
    return Hit(
        id=doc.id,
        service_id=doc.service_id,
        location_id=doc.location_id,
        organization_id=doc.organization_id,
        name=doc.name,
        organization_name=doc.organization_name,
        score=round(score, 4),
        distance_km=None if np.isnan(distance) else round(distance, 2),
        match=None if q.place is None else ("distance" if by_distance else "service_area"),
        matched_needs=[code for code in wanted if code in doc.needs],
        matched_terms=matched_terms,
        highlights=highlights,
        municipality=doc.municipality,
        capacity=doc.capacity,
        free=doc.free,
        lat=doc.lat,
        lon=doc.lon,
    )

"""The embedded index file (SQLite): the base segment and a change log.

Tables: ``meta`` (key/value), ``columns`` (numpy columns as blobs), ``posting`` (term ->
document numbers + impacts), ``doc`` (base documents as JSON, ``rid`` = document number),
``change`` (upserts/deletes since the rebuild, newest ``seq`` wins), ``suggestion``
(organisation names by folded word-prefix).

A rebuild writes a new file next to the old one and renames it over it, so readers never
see a half-built index; changes logged while it ran are carried over under a file lock.
The file uses a rollback journal (not WAL) because it is replaced by rename.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from search.backend import IndexUnavailable
from search.document import IndexDocument
from search.embedded.segment import COLUMNS
from search.embedded.segment import Postings
from search.embedded.segment import Segment

SCHEMA_VERSION = "3"
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE columns (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE posting (term TEXT PRIMARY KEY, docs BLOB NOT NULL, impacts BLOB) WITHOUT ROWID;
CREATE TABLE doc (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
CREATE TABLE change (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, body TEXT,
                     at TEXT NOT NULL);
CREATE INDEX change_id ON change (id);
CREATE TABLE suggestion (key TEXT NOT NULL, label TEXT NOT NULL, organization_id TEXT NOT NULL);
CREATE INDEX suggestion_key ON suggestion (key);
"""


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the pragmas the index needs."""
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=30
        )
    else:
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA cache_size=-65536")
    return conn


@contextlib.contextmanager
def write_lock(path: Path) -> Iterator[None]:
    """Serialise writers (change log appends and the rename of a rebuild)."""
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------- documents as JSON


def encode(doc: IndexDocument) -> str:
    data = dict(vars(doc))  # shallow: every field is JSON-ready but the two below
    data["updated"] = doc.updated.isoformat() if doc.updated else None
    data["closures"] = [[a.isoformat(), b.isoformat()] for a, b in doc.closures]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode(text: str) -> IndexDocument:
    data = json.loads(text)
    data["updated"] = dt.datetime.fromisoformat(data["updated"]) if data["updated"] else None
    data["closures"] = [
        (dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in data["closures"]
    ]
    data["hours"] = [tuple(h) for h in data["hours"]]
    return IndexDocument(**data)


# ---------------------------------------------------------------- writing a base segment


def create(path: Path) -> sqlite3.Connection:
    """A new, empty index file at ``path`` (replacing any file there)."""
    for suffix in ("", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")
    conn = connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.executescript(SCHEMA)
    return conn


def write_segment(
    conn: sqlite3.Connection,
    columns: dict[str, np.ndarray],
    postings: dict[str, Postings],
    meta: dict[str, Any],
) -> None:
    conn.executemany(
        "INSERT INTO columns VALUES (?, ?)",
        ((name, columns[name].tobytes()) for name in COLUMNS),
    )
    conn.executemany(
        "INSERT INTO posting VALUES (?, ?, ?)",
        (
            (term, docs.astype(np.int32).tobytes(), None if imp is None else imp.tobytes())
            for term, (docs, imp) in postings.items()
        ),
    )
    meta = {**meta, "schema": SCHEMA_VERSION}
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)", ((k, json.dumps(v)) for k, v in meta.items())
    )


# ---------------------------------------------------------------- reading


def read_meta(conn: sqlite3.Connection) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM meta")}


def load_base(conn: sqlite3.Connection) -> Segment:
    """The base segment of an open index file; postings are read on demand."""
    meta = read_meta(conn)
    if meta.get("schema") != SCHEMA_VERSION:
        raise IndexUnavailable(
            f"the search index file has format {meta.get('schema')!r}, this version reads "
            f"{SCHEMA_VERSION!r}: run `flask search reindex`"
        )
    columns = {
        name: np.frombuffer(data, dtype=COLUMNS[name])
        for name, data in conn.execute("SELECT name, data FROM columns")
    }

    def lookup(term: str) -> Postings | None:
        row = conn.execute("SELECT docs, impacts FROM posting WHERE term = ?", (term,)).fetchone()
        if row is None:
            return None
        docs = np.frombuffer(row[0], dtype=np.int32)
        return docs, None if row[1] is None else np.frombuffer(row[1], dtype=np.float32)

    def terms(prefix: str) -> list[str]:
        # "w:nl:" .. "w:nl;" : every term with the prefix, in key order.
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        rows = conn.execute(
            "SELECT term FROM posting WHERE term >= ? AND term < ?", (prefix, upper)
        )
        return [r[0] for r in rows]

    return Segment(
        n=int(meta.get("documents", 0)),
        columns=columns,
        municipalities=meta.get("municipalities", []),
        organizations=meta.get("organizations", []),
        facet_tags=meta.get("facet_tags", []),
        avgdl=float(meta.get("avgdl", 1.0)),
        lookup=lookup,
        list_terms=terms,
    )


def latest_changes(conn: sqlite3.Connection, after: int = 0) -> dict[str, str | None]:
    """id -> newest body (None = deleted) of changes with seq > ``after``."""
    out: dict[str, str | None] = {}
    for doc_id, body in conn.execute(
        "SELECT id, body FROM change WHERE seq > ? ORDER BY seq", (after,)
    ):
        out[doc_id] = body
    return out


def max_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(seq) FROM change").fetchone()
    return int(row[0] or 0)

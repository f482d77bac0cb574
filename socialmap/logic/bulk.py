"""Fast multi-row INSERTs for imports.

SQLAlchemy's generic executemany path processes every parameter of every row through the
compiled statement (about 15 µs a row here). Imports write hundreds of thousands of rows, so
this module compiles the INSERT once per column set, applies each column's bind processor
(JSON, dates, booleans: the same conversions SQLAlchemy would do) in a tight loop and hands the
rows to the driver's executemany (on PostgreSQL with psycopg: COPY). Same stored values on
every dialect.

On SQLite, an insert that at least doubles a table drops the table's plain secondary
indexes first and creates them again afterwards, in the same transaction (SQLite DDL is
transactional: a failed run rolls the drop back with everything else). Building an index
once from sorted keys is cheaper than updating it row by row. PostgreSQL keeps its indexes:
DROP INDEX would lock the table against readers until the import commits.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from contextlib import suppress
from typing import Any

from sqlalchemy import Table
from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

#: Inserts of fewer rows keep the indexes (rebuilding costs more than it saves).
DEFER_INDEXES_MIN_ROWS = 5000

_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def new_ids(count: int) -> list[str]:
    """``count`` random version 4 UUID strings (the format of ``models.base.new_id``), in
    ascending order.

    Bulk inserts that use them in this order append to the primary key (and foreign key)
    indexes instead of writing all over them; generating them in one go is also cheaper."""
    data = os.urandom(16 * count).hex()
    out = []
    for i in range(0, 32 * count, 32):
        h = data[i : i + 32]
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}")
    out.sort()
    return out


def insert_rows(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], batch_size: int = 1000
) -> None:
    """INSERT ``rows`` (dicts; missing keys take the column default) into ``table``."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    for keys, group in groups.items():
        insert_columns(session, table, {k: [row[k] for row in group] for k in keys}, batch_size)


def insert_columns(
    session: Session, table: Table, columns: dict[str, list[Any]], batch_size: int = 1000
) -> None:
    """INSERT rows given column by column (all lists equally long); columns not given take
    their default."""
    count = len(next(iter(columns.values()))) if columns else 0
    if not count:
        return
    conn = session.connection()
    dialect = conn.dialect
    cols = list(columns) + [
        c.name for c in table.columns if c.name not in columns and _default(c) is not None
    ]
    compiled = insert(table).compile(dialect=dialect, column_keys=cols)
    names = compiled.positiontup if compiled.positional else list(compiled.params)
    by_bind = {b.key: b for b in compiled.binds.values()}
    column_names = [by_bind[name].key if name in by_bind else name for name in names]
    values_by_column = []
    for column_name in column_names:
        col = table.c[column_name]
        if column_name in columns:
            values = columns[column_name]
        else:
            default = _default(col)
            values = [default() for _ in range(count)] if default else [None] * count
        proc = col.type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            values = _process(values, proc)
        values_by_column.append(values)
    params: list[Any] = list(zip(*values_by_column, strict=True))
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy(conn, table, column_names, params)
        return
    if not compiled.positional:
        params = [dict(zip(names, p, strict=True)) for p in params]
    sql = str(compiled)
    with deferred_indexes(conn, table, count):
        for i in range(0, len(params), batch_size):
            conn.exec_driver_sql(sql, params[i : i + batch_size])


@contextmanager
def deferred_indexes(conn: Connection, table: Table, count: int) -> Iterator[None]:
    """SQLite: without ``table``'s plain (non-unique) secondary indexes while ``count`` new
    rows go in, when that at least doubles the table; the indexes are created again on exit,
    from the same SQL, in the same transaction."""
    if conn.dialect.name != "sqlite" or count < DEFER_INDEXES_MIN_ROWS:
        yield
        return
    driver = conn.connection.driver_connection
    if not getattr(driver, "in_transaction", False):
        yield  # DDL outside a transaction would be committed at once: never
        return
    quote = conn.dialect.identifier_preparer.quote
    # max(rowid) instead of count(*): one index seek, and an upper bound is good enough.
    existing = conn.exec_driver_sql(f"SELECT max(rowid) FROM {quote(table.name)}").scalar()
    if (existing or 0) > count:
        yield
        return
    indexes = [
        (name, sql)
        for name, sql in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
            (table.name,),
        )
        # autoindexes (primary keys, UNIQUE constraints) have no SQL and cannot be dropped;
        # unique indexes stay so that a violation fails on the row that causes it
        if sql and sql.lstrip().upper().startswith("CREATE INDEX")
    ]
    for name, _ in indexes:
        conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
    try:
        yield
    except BaseException:
        # A caller that handles the error and commits must still have its indexes; if the
        # connection is unusable, the transaction (and the drop) is lost anyway.
        with suppress(Exception):
            for _, sql in indexes:
                conn.exec_driver_sql(sql)
        raise
    for _, sql in indexes:
        conn.exec_driver_sql(sql)


def _copy(conn: Any, table: Table, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY FROM STDIN, one round trip instead of one per row, in the same
    transaction as everything else the import writes."""
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _process(values: list[Any], proc: Any) -> list[Any]:
    """Apply a bind processor, once per distinct object: rows written together often share
    one timestamp or one provenance dict, whose JSON/date conversion is the costly part.
    Empty JSON containers (most translations, accessibility lists ...) are converted once."""
    out = []
    last_in: Any = None
    last_out: Any = None
    empty: dict[type, Any] = {}
    for value in values:
        if value is None:
            out.append(None)
        elif value is last_in:
            out.append(last_out)
        elif not value and (value.__class__ is dict or value.__class__ is list):
            cls = value.__class__
            if cls not in empty:
                empty[cls] = proc(value)
            out.append(empty[cls])
        else:
            last_in, last_out = value, proc(value)
            out.append(last_out)
    return out


def _default(column: Any) -> Any:
    """A Python-side default as a zero-argument callable, or None."""
    default = column.default
    if default is None or column.primary_key and column.autoincrement is True:
        return None
    if default.is_callable:
        fn = default.arg
        return lambda: fn(None)
    if default.is_scalar:
        value = default.arg
        return lambda: value
    return None

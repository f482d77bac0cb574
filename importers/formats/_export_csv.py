"""Strict CSV tables of the US exports (WA 211, Whatcom Airtable, SF 211).

Unlike :func:`importers.formats._csvutil.read_csv_rows`, header names are kept as written
(their case matters) and a row with the wrong number of fields is rejected, not padded.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from importers.formats._csvutil import decode_bytes
from importers.formats._csvutil import sniff_delimiter
from importers.records import Batch
from importers.records import MalformedSource

Row = dict[str, str]
Table = list[tuple[str, Row]]


def read_table(path: Path, required: tuple[str, ...], batch: Batch) -> Table:
    """Read one export file; a missing or unusable file raises MalformedSource."""
    if not path.is_file():
        raise MalformedSource(f"{path.name}: required file missing in {path.parent}")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = decode_bytes(data, name=path.name)
        batch.warn(path.name, "file is not UTF-8; decoded as a legacy encoding")
    return parse_table(text, path.name, required, batch)


def parse_table(text: str, name: str, required: tuple[str, ...], batch: Batch) -> Table:
    """Rows of CSV ``text`` as ``(ref, {column: value})``, header names as written.

    ``_csvutil`` picks the delimiter; the rows are read here because the header case and
    the field counts matter (short rows are rejected, not padded). Unusable text raises
    :class:`MalformedSource`.
    """
    text = text.removeprefix("\ufeff")
    delimiter = sniff_delimiter(text)
    try:
        # The lenient reader silently swallows the rest of a file cut inside a quoted cell;
        # strict mode is only used to notice that.
        for _record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise MalformedSource(f"{name}: unterminated quoted cell (file truncated?)") from exc
    header: list[str] | None = None
    out: Table = []
    number = 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            if header is None:
                if any(cell.strip() for cell in cells):
                    header = [cell.strip() for cell in cells]
                continue
            number += 1
            if not any(cell.strip() for cell in cells):
                continue
            ref = f"{name} row {number}"
            if len(cells) < len(header) or any(cell.strip() for cell in cells[len(header) :]):
                batch.reject(ref, f"has {len(cells)} fields, the header has {len(header)}")
                continue
            out.append((ref, dict(zip(header, cells, strict=False))))
    except csv.Error as exc:
        raise MalformedSource(f"{name}: not a readable CSV file ({exc})") from exc
    if header is None:
        raise MalformedSource(f"{name}: empty file")
    missing = [column for column in required if column not in header]
    if missing:
        raise MalformedSource(f"{name}: missing column(s) {', '.join(missing)}")
    return out

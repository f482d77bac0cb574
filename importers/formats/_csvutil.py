"""Read a CSV file whatever its encoding, delimiter and line endings.

Real-world exports come as UTF-8 with or without a byte-order mark, as Windows-1252 from
Excel, sometimes as UTF-16 ("Unicode text"), separated by ``,`` ``;`` TAB or ``|``, with
``\\r\\n``, ``\\n`` or old-Mac ``\\r`` line endings. :func:`read_csv_rows` hides all that:

>>> header, rows = read_csv_rows("services.csv")  # doctest: +SKIP
>>> header
['id', 'name', ...]
>>> rows[0]
{'id': '1', 'name': 'Foo', ..., '__row__': 1}

- the header is lower-cased and stripped (blank names become ``column_N``, repeated names
  get ``_2``, ``_3`` ...);
- every row is a ``dict`` header -> value (the text as written, ``""`` for a missing cell)
  plus :data:`ROW_KEY` = the 1-based data row number (header excluded; blank lines are
  skipped but counted, so "row N" is line N+1 of a file without multi-line cells);
- cells beyond the header are kept as a list under :data:`EXTRA_KEY`.

Values are not cleaned (no stripping, no ``""`` -> ``None``): that is the reader's job.
A file that cannot be read at all (missing, binary, broken quoting) raises
:class:`importers.records.MalformedSource` naming the file.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any

from importers.records import MalformedSource

ROW_KEY = "__row__"
EXTRA_KEY = "__extra__"
DELIMITERS = (",", ";", "\t", "|")

# Long free-text cells (descriptions, hostile 10k-char names) must not trip the csv
# module's default 128 KiB cell limit.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))

_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 50


def read_csv_rows(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Read ``path`` and return ``(header, rows)``; see the module docstring.

    ``encoding``/``delimiter`` override the detection (e.g. from a datapackage dialect);
    a declared encoding that does not decode the bytes falls back to detection.
    An empty file gives ``([], [])``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MalformedSource(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    return parse_csv_bytes(data, name=path.name, encoding=encoding, delimiter=delimiter)


def parse_csv_bytes(
    data: bytes, *, name: str = "<csv>", encoding: str | None = None, delimiter: str | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Like :func:`read_csv_rows` for bytes already in memory (``name`` is used in errors)."""
    text = decode_bytes(data, name=name, encoding=encoding)
    return parse_csv_text(text, name=name, delimiter=delimiter)


def parse_csv_text(
    text: str, *, name: str = "<csv>", delimiter: str | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Like :func:`read_csv_rows` for decoded text."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if delimiter is None or len(delimiter) != 1:
        delimiter = sniff_delimiter(text)
    # newline="" keeps \r, \n and \r\n as line ends for the csv module (CR-only files too)
    # and lets quoted cells contain line breaks.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[dict[str, Any]] = []
    number = 0
    try:
        for record in reader:
            if header is None:
                if not any(cell.strip() for cell in record):
                    continue  # blank lines before the header
                header = _header_names(record)
                continue
            number += 1
            if not any(cell.strip() for cell in record):
                continue
            row: dict[str, Any] = {}
            for index, column in enumerate(header):
                row[column] = record[index] if index < len(record) else ""
            if len(record) > len(header):
                extra = [cell for cell in record[len(header) :] if cell.strip()]
                if extra:
                    row[EXTRA_KEY] = extra
            row[ROW_KEY] = number
            rows.append(row)
    except csv.Error as exc:
        raise MalformedSource(
            f"{name}: not a readable CSV file (near line {reader.line_num}): {exc}"
        ) from exc
    return header or [], rows


def decode_bytes(data: bytes, *, name: str = "<file>", encoding: str | None = None) -> str:
    """Decode file bytes: declared encoding, BOMs, UTF-8, then Windows-1252, then a guess.

    Windows-1252 comes before guessing because it is what Excel writes on Belgian and US
    Windows machines and it decodes almost any byte string, while statistical detectors
    often misname short Western texts. ``charset-normalizer`` only gets the rare files
    that are valid in neither (e.g. UTF-16 without BOM, Central-European code pages).
    """
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common; detect instead
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                break
    if data[:4] == b"PK\x03\x04":
        raise MalformedSource(f"{name}: this is a ZIP/XLSX file, not CSV text")
    head = data[:4096]
    if head and head.count(0) > len(head) // 10:
        utf16 = _guess_utf16(data)
        if utf16 is None:
            raise MalformedSource(f"{name}: binary file, not CSV text")
        return utf16
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("latin-1")  # never fails: every byte is a character


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter among ``, ; TAB |`` that gives the most consistent table.

    Each candidate parses the first records of ``text``; the winner has the most rows with
    the header's column count (more than one column), then the widest header. Ties go to the
    earlier candidate, so a one-column file is comma-separated.
    """
    sample = text[:_SNIFF_CHARS]
    truncated = len(text) > _SNIFF_CHARS
    best = DELIMITERS[0]
    best_score: tuple[float, int] = (0.0, 0)
    for candidate in DELIMITERS:
        if candidate not in sample:
            continue
        records = []
        try:
            for record in csv.reader(io.StringIO(sample, newline=""), delimiter=candidate):
                if any(cell.strip() for cell in record):
                    records.append(record)
                if len(records) > _SNIFF_RECORDS:
                    break
        except csv.Error:
            continue
        if truncated and len(records) > 1:
            records = records[:-1]  # the last record may be cut off mid-way
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        body = records[1:]
        consistency = sum(len(r) == width for r in body) / len(body) if body else 1.0
        score = (consistency, width)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _header_names(record: list[str]) -> list[str]:
    names: list[str] = []
    used: set[str] = {ROW_KEY, EXTRA_KEY}
    for index, cell in enumerate(record):
        name = cell.replace("\ufeff", "").strip().strip('"').strip().lower()
        if not name:
            name = f"column_{index + 1}"
        unique_name, suffix = name, 2
        while unique_name in used:
            unique_name = f"{name}_{suffix}"
            suffix += 1
        used.add(unique_name)
        names.append(unique_name)
    return names


def _guess_utf16(data: bytes) -> str | None:
    """Decode BOM-less UTF-16 text (NUL bytes on even or odd positions), else ``None``."""
    head = data[:4096]
    even_nuls = head[0::2].count(0)
    odd_nuls = head[1::2].count(0)
    codec = "utf-16-le" if odd_nuls > even_nuls else "utf-16-be"
    if max(even_nuls, odd_nuls) < len(head) // 4:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None

"""File reading for the ``csv`` reader: CSV text or an XLSX sheet -> ``_csvutil`` rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
from pathlib import Path
from typing import Any

from importers.formats._csvutil import decode_bytes
from importers.formats._csvutil import parse_csv_text
from importers.formats._tabular_mapping import FileSettings
from importers.formats._tabular_mapping import Mapping
from importers.formats._textutil import unique
from importers.records import Batch
from importers.records import MalformedSource


def _header_key(name: str) -> str:
    """The key ``_csvutil`` gives a header cell (lower-cased, stripped)."""
    return name.replace("\ufeff", "").strip().strip('"').strip().lower()


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # postcodes typed as numbers: 9000.0 -> "9000"
    return str(value)


def _xlsx_text(path: Path, settings: FileSettings, batch: Batch) -> str:
    """The chosen sheet from its header row on, written as CSV text for ``_csvutil``."""
    import openpyxl

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken/non-xlsx file
            raise MalformedSource(f"{path.name}: not a readable XLSX file ({exc})") from exc
        try:
            if settings.sheet:
                if settings.sheet not in book.sheetnames:
                    raise MalformedSource(
                        f"{path.name}: no sheet {settings.sheet!r} "
                        f"(sheets: {', '.join(book.sheetnames)})"
                    )
                sheet = book[settings.sheet]
            else:
                sheet = book.worksheets[0]
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number >= settings.header_row:
                    writer.writerow([_xlsx_cell(value) for value in row])
        finally:
            book.close()
    for warning in caught:
        batch.warn(path.name, f"xlsx: {warning.message}")
    return out.getvalue()


def _csv_text(path: Path, settings: FileSettings) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MalformedSource(f"{path.name}: cannot read file ({exc.strerror or exc})") from exc
    encoding = None if settings.encoding.lower() == "auto" else settings.encoding
    text = decode_bytes(data, name=path.name, encoding=encoding)
    if settings.header_row > 1:
        # Title rows above the header: drop them line by line (\r, \n and \r\n all count).
        lines = io.StringIO(text, newline="").readlines()
        text = "".join(lines[settings.header_row - 1 :])
    return text


def read_table(path: Path, settings: FileSettings, batch: Batch) -> tuple[list[str], list[dict]]:
    """Header keys and data rows (``_csvutil`` shape) of a CSV or XLSX file."""
    if path.suffix.lower() == ".xls":
        raise MalformedSource(f"{path.name}: old .xls files are not supported; save as .xlsx")
    is_xlsx = path.suffix.lower() in {".xlsx", ".xlsm"}
    if not is_xlsx and path.is_file():
        with path.open("rb") as handle:
            is_xlsx = handle.read(4) == b"PK\x03\x04"
    if is_xlsx:
        header, rows = parse_csv_text(
            _xlsx_text(path, settings, batch), name=path.name, delimiter=","
        )
    else:
        delimiter = None if settings.delimiter == "auto" else settings.delimiter
        header, rows = parse_csv_text(
            _csv_text(path, settings), name=path.name, delimiter=delimiter
        )
    if not header:
        raise MalformedSource(
            f"{path.name}: no header row found (header_row = {settings.header_row})"
        )
    return header, rows[settings.skip_rows_after_header :]


def _check_columns(mapping: Mapping, header: list[str], file_name: str) -> None:
    wanted = [mapping.file.id_column] if mapping.file.id_column else []
    wanted += mapping.file.id_from
    for fields in mapping.sections.values():
        for spec in fields.values():
            wanted += spec.columns
    missing = unique([column for column in wanted if _header_key(column) not in header])
    if missing:
        hint = ""
        if len(header) == 1:
            hint = (
                " Only one column was found: is this a CSV file with , ; TAB or | between columns?"
            )
        raise MalformedSource(
            f"{file_name}: column(s) {', '.join(repr(c) for c in missing)} named in mapping "
            f"{mapping.source} not found (columns: {', '.join(header)}).{hint}"
        )

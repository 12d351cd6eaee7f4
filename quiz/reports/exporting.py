"""Report exports: xlsx and CSV responses whose memory stays flat however many rows there are.

Both spool the rows to an anonymous temporary file first (openpyxl's write-only workbook keeps
each sheet in its own temporary file; CSV is written line by line), then stream that file to the
browser in blocks. Spooling rather than generating inside the response keeps every database
read inside the request's transaction and turns a failure half-way into a clean error page
instead of a truncated download.

Every text cell goes through ``neutralise``: a spreadsheet must show a cadre's name or a unit's
title, never run it as a formula (=, +, -, @, tab, CR or NUL at the start). Numbers stay numbers.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any

from flask import Response, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from question_bank.formats import template_rows

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
FILTERS_SHEET = "筛选条件"
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_WRAP = Alignment(vertical="center", wrap_text=True)


def neutralise(value: Any) -> Any:
    """A value as written to an export cell: text that a spreadsheet would evaluate gets a leading ``'``.

    ``None`` stays empty; numbers, booleans and dates keep their type so Excel can sum and sort them.
    Control characters that xlsx cannot store are dropped.
    """
    if value is None or isinstance(value, (bool, int, float, Decimal, _dt.date, _dt.time)):
        return value
    text = value if isinstance(value, str) else str(value)
    text = template_rows.export_text(text)  # drops illegal controls, prefixes = + - @ tab NUL
    if text[:1] == "\r":
        text = "'" + text
    return text


def _xlsx_value(value: Any) -> Any:
    value = neutralise(value)
    if isinstance(value, _dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # Excel has no time zones; callers pass local times
    return value


def _header_cells(ws, headers: Sequence[str]) -> list[WriteOnlyCell]:
    cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=neutralise(text))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = _WRAP
        cells.append(cell)
    return cells


def default_widths(headers: Sequence[str]) -> list[int]:
    """A width per column from its header: CJK characters are about two columns wide."""
    return [max(8, min(40, sum(2 if ord(ch) > 0x2E80 else 1 for ch in h) + 4)) for h in headers]


def _formatted(ws, formats: Sequence[str | None]):
    """A row builder applying ``formats`` (Excel number formats such as ``0.0%``) to numeric cells."""
    def build(row: Sequence[Any]) -> list[Any]:
        out = []
        for index, value in enumerate(row):
            value = _xlsx_value(value)
            fmt = formats[index] if index < len(formats) else None
            if fmt and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = fmt
                value = cell
            out.append(value)
        return out
    return build


def write_xlsx(out: IO[bytes], sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
               filters: Sequence[tuple[str, str]] = (), widths: Sequence[int] | None = None,
               formats: Sequence[str | None] | None = None) -> int:
    """Write the workbook to ``out`` (a binary file); returns the number of data rows.
    ``formats``: an Excel number format per column (None: as is), e.g. ``0.0%`` for a rate."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title[:31] or "Sheet1")
    for index, width in enumerate(widths or default_widths(headers), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.append(_header_cells(ws, headers))
    build = _formatted(ws, formats) if formats else (lambda row: [_xlsx_value(v) for v in row])
    count = 0
    for row in rows:
        ws.append(build(row))
        count += 1
    fs = wb.create_sheet(title=FILTERS_SHEET)
    fs.column_dimensions["A"].width = 16
    fs.column_dimensions["B"].width = 48
    fs.append(_header_cells(fs, ["条件", "取值"]))
    for name, value in filters:
        fs.append([neutralise(name), neutralise(value)])
    wb.save(out)
    return count


def write_csv(out: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
              filters: Sequence[tuple[str, str]] = ()) -> int:
    """UTF-8 with BOM (so Excel opens it as Chinese); the filters follow the rows after a blank line."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    writer = csv.writer(text)
    writer.writerow([neutralise(h) for h in headers])
    count = 0
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
        count += 1
    if filters:
        writer.writerow([])
        writer.writerow([FILTERS_SHEET])
        for name, value in filters:
            writer.writerow([neutralise(name), neutralise(value)])
    text.flush()
    text.detach()  # leave ``out`` open for the caller
    return count


def _send(spool: IO[bytes], filename: str, mimetype: str) -> Response:
    size = spool.tell()
    spool.seek(0)
    # download_name with non-ASCII characters gets an RFC 5987 ``filename*=UTF-8''…`` parameter.
    response = send_file(spool, mimetype=mimetype, as_attachment=True, download_name=filename,
                         max_age=0, conditional=False, etag=False)
    response.content_length = size
    response.headers["Cache-Control"] = "no-store"
    return response


def xlsx_response(filename: str, sheet_title: str, headers: list[str], rows: Iterable[Sequence[Any]], *,
                  filters: Sequence[tuple[str, str]] = (), widths: list[int] | None = None,
                  formats: Sequence[str | None] | None = None) -> Response:
    """An xlsx download: frozen header row, column widths, and a sheet 筛选条件 of the filters used."""
    spool = tempfile.TemporaryFile()  # anonymous: removed when the response closes it
    try:
        write_xlsx(spool, sheet_title, headers, rows, filters=filters, widths=widths, formats=formats)
        spool.seek(0, io.SEEK_END)
        return _send(spool, filename, XLSX_MIMETYPE)
    except BaseException:
        spool.close()
        raise


def csv_response(filename: str, headers: list[str], rows: Iterable[Sequence[Any]], *,
                 filters: Sequence[tuple[str, str]] = ()) -> Response:
    """A CSV download in UTF-8 with BOM."""
    spool = tempfile.TemporaryFile()
    try:
        write_csv(spool, headers, rows, filters=filters)
        return _send(spool, filename, CSV_MIMETYPE)
    except BaseException:
        spool.close()
        raise

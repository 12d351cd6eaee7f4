"""The question import template saved as CSV: the same columns and rules as the xlsx template.

Encoding: UTF-8 with or without BOM, or GBK/GB18030 (what Chinese Excel writes for "CSV").
Delimiter: comma, or tab or semicolon — the one under which the header row names the most
template columns (csv.Sniffer, limited to those three, breaks ties). Row numbers count
records as Excel shows them: the header is row 1, a quoted cell spanning lines is still one row.
``write`` produces UTF-8 with BOM (so Excel opens it as Chinese), formula-neutralised.
"""
from __future__ import annotations

import csv as _csv
import io
from collections.abc import Iterable, Iterator

from question_bank.drafts import ParseResult, Problem, QuestionDraft
from question_bank.formats import template_rows
from question_bank.formats.textcodec import decode_text
from question_bank.messages import BankError, Message, N_

NAME = "csv"
LABEL = "CSV 题库导入模板（.csv）"
EXTENSIONS = (".csv",)

_DELIMITERS = (",", "\t", ";")
_SAMPLE_CHARS = 16 * 1024


def _header_fields(line: str, delimiter: str) -> set[str]:
    try:
        cells = next(_csv.reader([line], delimiter=delimiter), [])
    except _csv.Error:
        return set()
    return template_rows.header_fields(cells)


def _sniffed(sample: str) -> str | None:
    try:
        return _csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
    except _csv.Error:
        return None


def choose_delimiter(text: str) -> str:
    """The delimiter under which the header line names the most template columns."""
    header = text.split("\n", 1)[0]
    sniffed = _sniffed(text[:_SAMPLE_CHARS])
    best, best_key = ",", (-1, False, False)
    for delimiter in _DELIMITERS:
        key = (len(_header_fields(header, delimiter)), delimiter == sniffed, delimiter == ",")
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _guarded(reader: Iterator[list[str]], result: ParseResult) -> Iterator[list[str]]:
    line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except _csv.Error as exc:
            result.problems.append(Problem(line + 1, Message(N_("CSV 格式有误，从这一行起无法读取：%(error)s"), {"error": str(exc)})))
            return
        line += 1
        yield row


def read(data: bytes) -> ParseResult:
    result = ParseResult(format=NAME)
    try:
        text = decode_text(data)
    except BankError as exc:
        result.problems.append(Problem(None, exc.message))
        return result
    reader = _csv.reader(io.StringIO(text), delimiter=choose_delimiter(text))
    return template_rows.read_rows(_guarded(reader, result), result, first_line=1)


def sniff(data: bytes) -> int:
    """80 for a header naming 题型 and 题干, 40 for some template columns, 1 for any delimited text."""
    first = data[:_SAMPLE_CHARS].split(b"\n", 1)[0]
    if not first or b"\0" in first:
        return 0
    try:
        line = decode_text(first)
    except BankError:
        return 0
    fields = max((_header_fields(line, d) for d in _DELIMITERS), key=len)
    if "type" in fields and "stem" in fields:
        return 80
    if len(fields) >= 3:
        return 40
    if any(line.count(d) >= 2 for d in _DELIMITERS):
        return 1
    return 0


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def write(drafts: Iterable[QuestionDraft]) -> bytes:
    """The template as CSV: UTF-8 with BOM, CRLF rows, texts formula-neutralised."""
    out = io.StringIO()
    writer = _csv.writer(out, lineterminator="\r\n")
    writer.writerow(template_rows.header_row())
    for draft in drafts:
        writer.writerow([_cell(v) for v in template_rows.draft_to_row(draft)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")

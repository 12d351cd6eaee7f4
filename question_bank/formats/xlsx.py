"""The question import template as an Excel workbook (DESIGN.md, "Question import template").

One sheet, row 1 the header (题型 | 题干 | 选项A … 选项H | 答案 | 解析 | 难度 | 分值 | 科目 | 知识点 |
出处 | 关键词), one question per row; ``template_rows`` holds the column and cell rules shared with
the csv format. Reading takes the first sheet whose header names 题型 and 题干 (else the first
sheet) and streams it with openpyxl's read-only reader; ``write`` produces the same template, so
an export imports back unchanged; ``template_bytes`` is the blank template users download.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from question_bank.drafts import ParseResult, Problem, QuestionDraft
from question_bank.formats import safety, template_rows
from question_bank.messages import BankError, Message, N_

NAME = "xlsx"
LABEL = "Excel 题库导入模板（.xlsx）"
EXTENSIONS = (".xlsx",)

DATA_SHEET_TITLE = "题目"
NOTES_SHEET_TITLE = "填写说明"


# --- reading ----------------------------------------------------------------------------------

def open_workbook(data: bytes, result: ParseResult):
    """The workbook opened read-only, or None with a problem in ``result`` (bomb, not Excel, damaged)."""
    try:
        safety.check_zip(data)
    except BankError as exc:
        result.problems.append(Problem(None, exc.message))
        return None
    from openpyxl import load_workbook  # deferred: importing openpyxl costs time every sniff would pay

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign zip
        result.problems.append(Problem(None, Message(N_("无法作为 Excel 文件打开：文件已损坏，或不是 .xlsx 格式（旧版 .xls 请先另存为 .xlsx）"))))
        return None


def guarded_rows(rows: Iterable[Any], result: ParseResult) -> Iterator[Any]:
    """Yield ``rows``; a damaged sheet that breaks mid-way becomes a problem, not an exception."""
    iterator = iter(rows)
    line = 0
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except Exception:
            result.problems.append(Problem(line + 1, Message(N_("表格内容已损坏，从这一行起无法读取"))))
            return
        line += 1
        yield row


def sheet_rows(ws) -> Iterable[tuple]:
    """All rows of a read-only sheet as value tuples, row 1 first; a wrong stored size loses no row."""
    ws.reset_dimensions()
    return ws.iter_rows(values_only=True)


def _first_row(ws) -> tuple:
    try:
        ws.reset_dimensions()
        return next(iter(ws.iter_rows(min_row=1, max_row=1, values_only=True)), ())
    except Exception:
        return ()


def _data_sheet(wb):
    sheets = wb.worksheets
    for ws in sheets:
        fields = template_rows.header_fields(_first_row(ws))
        if "type" in fields and "stem" in fields:
            return ws
    return sheets[0] if sheets else None


def read(data: bytes) -> ParseResult:
    result = ParseResult(format=NAME)
    wb = open_workbook(data, result)
    if wb is None:
        return result
    try:
        ws = _data_sheet(wb)
        if ws is None:
            result.problems.append(Problem(None, Message(N_("文件中没有工作表"))))
            return result
        template_rows.read_rows(guarded_rows(sheet_rows(ws), result), result, first_line=1)
    finally:
        wb.close()
    return result


# --- sniffing ---------------------------------------------------------------------------------

_PEEK_BYTES = 256 * 1024
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _cell_column(ref: str) -> int:
    col = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            col = col * 26 + ord(ch) - 64
        else:
            break
    return col - 1


def _iter_complete(head: bytes, tags: tuple[str, ...]):
    """End events for ``tags`` in a possibly truncated XML head, safely (no entities, no DTD)."""
    from defusedxml.ElementTree import iterparse

    try:
        for _, elem in iterparse(io.BytesIO(head), events=("end",)):
            if _local(elem.tag) in tags:
                yield elem
    except Exception:  # truncated head, or hostile XML: stop at what was read
        return


def _read_head(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        with zf.open(name) as f:
            return f.read(_PEEK_BYTES)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError):
        return b""
    except Exception:  # zlib.error and friends for a damaged member
        return b""


def _resolve(target: str) -> str:
    target = target.replace("\\", "/")
    if target.startswith("/"):
        return target[1:]
    parts: list[str] = ["xl"]
    for part in target.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    return "/".join(parts)


def peek_rows(data: bytes, max_rows: int = 3) -> list[list[str]] | None:
    """The first rows of the first sheet as trimmed texts, reading only the heads of the parts.

    None when ``data`` is not an xlsx (no ``xl/workbook.xml``). Cheap enough for every upload's
    format detection: it never loads the whole shared-string table or sheet.
    """
    if not safety.is_zip(data):
        return None
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return None
    with zf:
        names = set(zf.namelist())
        if "xl/workbook.xml" not in names:
            return None
        first_rid = None
        for elem in _iter_complete(_read_head(zf, "xl/workbook.xml"), ("sheet",)):
            first_rid = elem.get(_REL_NS)
            break
        sheet_path, strings_path = "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"
        for rel in _iter_complete(_read_head(zf, "xl/_rels/workbook.xml.rels"), ("Relationship",)):
            kind = rel.get("Type", "")
            if first_rid is not None and rel.get("Id") == first_rid:
                sheet_path = _resolve(rel.get("Target", ""))
            elif kind.endswith("/sharedStrings"):
                strings_path = _resolve(rel.get("Target", ""))
        rows: list[list[Any]] = []
        wanted: set[int] = set()
        for row in _iter_complete(_read_head(zf, sheet_path), ("row",)):
            cells: list[Any] = []
            for c in row:
                if _local(c.tag) != "c":
                    continue
                col = _cell_column(c.get("r", "")) if c.get("r") else len(cells)
                if col < 0 or col > 200:
                    continue
                kind = c.get("t", "n")
                value: Any = None
                if kind == "inlineStr":
                    value = "".join(t.text or "" for t in c.iter() if _local(t.tag) == "t")
                else:
                    for v in c:
                        if _local(v.tag) == "v":
                            value = v.text or ""
                    if kind == "s" and value is not None:
                        try:
                            value = ("s", int(value))
                            wanted.add(value[1])
                        except ValueError:
                            value = None
                cells.extend([None] * (col + 1 - len(cells)))
                cells[col] = value
            rows.append(cells)
            if len(rows) >= max_rows:
                break
        strings: dict[int, str] = {}
        if wanted:
            top = max(wanted)
            for index, si in enumerate(_iter_complete(_read_head(zf, strings_path), ("si",))):
                if index in wanted:
                    parts = []
                    for child in si:
                        tag = _local(child.tag)
                        if tag == "t":
                            parts.append(child.text or "")
                        elif tag == "r":
                            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
                    strings[index] = "".join(parts)
                if index >= top:
                    break

    def text(value: Any) -> str:
        if isinstance(value, tuple):
            return strings.get(value[1], "").strip()
        return (value or "").strip()

    return [[text(v) for v in row] for row in rows]


def sniff(data: bytes) -> int:
    """90 for our template's header (题型 and 题干), 50 for some of its columns, 10 for any xlsx."""
    if not safety.is_zip(data):
        return 0
    rows = peek_rows(data, max_rows=1)
    if rows is None:
        return 0
    try:
        safety.check_zip(data)
    except BankError:
        return 10  # still ours to refuse, with the reason, when read
    fields = template_rows.header_fields(rows[0]) if rows else set()
    if "type" in fields and "stem" in fields:
        return 90
    if len(fields) >= 3:
        return 50
    return 10


# --- writing ----------------------------------------------------------------------------------

_WIDTHS = {"type": 8, "stem": 50, "answer": 16, "explanation": 36, "difficulty": 6, "points": 6,
           "subject": 10, "knowledge_points": 20, "source": 28, "keywords": 28}
_OPTION_WIDTH = 18


def _workbook(drafts: Iterable[QuestionDraft]) -> Any:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    drafts = list(drafts)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(DATA_SHEET_TITLE)
    # A streamed sheet has no stored size, and openpyxl's read-only reader then parses the whole
    # sheet once more just to look for it: state the size, known in advance, so imports stay fast.
    size = f"A1:{template_rows.column_letter(len(template_rows.FIELDS) - 1)}{len(drafts) + 1}"
    ws.calculate_dimension = lambda: size
    for index, field in enumerate(template_rows.FIELDS):
        letter = template_rows.column_letter(index)
        ws.column_dimensions[letter].width = _WIDTHS.get(field, _OPTION_WIDTH)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    header = []
    for title in template_rows.header_row():
        cell = WriteOnlyCell(ws, value=title)
        cell.font = bold
        cell.fill = fill
        header.append(cell)
    ws.append(header)
    for draft in drafts:
        ws.append(template_rows.draft_to_row(draft))

    notes = wb.create_sheet(NOTES_SHEET_TITLE)
    notes.column_dimensions["A"].width = 16
    notes.column_dimensions["B"].width = 16
    notes.column_dimensions["C"].width = 90
    notes.column_dimensions["D"].width = 36
    wrap = Alignment(wrap_text=True, vertical="top")
    notes.append([_styled(notes, t, bold) for t in ("列名", "是否必填", "填写说明", "示例")])
    for column, required, explanation, example in template_rows.COLUMN_NOTES:
        notes.append([_styled(notes, column, bold), required, _styled(notes, explanation, None, wrap),
                      _styled(notes, template_rows.export_text(example), None, wrap)])
    notes.append([])
    notes.append([_styled(notes, "注意事项", bold)])
    for n, note in enumerate(template_rows.GENERAL_NOTES, start=1):
        notes.append([f"{n}.", None, _styled(notes, note, None, wrap)])
    return wb


def _styled(ws, value: Any, font=None, alignment=None):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell


def write(drafts: Iterable[QuestionDraft]) -> bytes:
    """The drafts as the import template: bold frozen header, a 填写说明 sheet, texts formula-safe."""
    out = io.BytesIO()
    _workbook(drafts).save(out)
    return out.getvalue()


def example_drafts() -> list[QuestionDraft]:
    """One example of each type for the downloadable template (organization-work content)."""
    return [
        QuestionDraft(
            type="single", stem="党的最高领导机关是（  ）。",
            options=["党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处", "中央纪律检查委员会"],
            answer="A", explanation="党章规定，党的最高领导机关，是党的全国代表大会和它所产生的中央委员会。",
            difficulty=1, points=1, subject="理论", knowledge_points=["党的组织制度"],
            source="《中国共产党章程》第十条",
        ),
        QuestionDraft(
            type="multiple", stem="下列属于党的纪律的有（  ）。",
            options=["政治纪律", "组织纪律", "群众纪律", "宣传纪律"], answer=["A", "B", "C"],
            explanation="党的纪律主要包括政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律、生活纪律。",
            difficulty=2, points=2, subject="理论", knowledge_points=["党的纪律"],
            source="《中国共产党纪律处分条例》",
        ),
        QuestionDraft(
            type="true_false", stem="党的纪律处分有五种：警告、严重警告、撤销党内职务、留党察看、开除党籍。",
            answer=True, explanation="", difficulty=2, points=1, subject="理论",
            knowledge_points=["党的纪律"], source="《中国共产党章程》",
        ),
        QuestionDraft(
            type="fill_blank", stem="预备党员的预备期为（  ）年；党的最高领导机关是党的全国代表大会和它所产生的（  ）。",
            answer=[["一", "1"], ["中央委员会"]], explanation="党章规定，预备党员的预备期为一年。",
            difficulty=2, points=2, subject="理论", knowledge_points=["党员", "党的组织制度"],
            source="《中国共产党章程》",
        ),
        QuestionDraft(
            type="short_answer", stem="简述民主集中制“四个服从”的内容。",
            answer={
                "reference": "党员个人服从党的组织，少数服从多数，下级组织服从上级组织，全党各个组织和全体党员服从党的全国代表大会和中央委员会。",
                "keywords": [["个人服从组织", "党员个人服从党的组织"], ["少数服从多数"],
                             ["下级服从上级", "下级组织服从上级组织"], ["全党服从中央"]],
            },
            explanation="答出四个要点即可。", difficulty=3, points=5, subject="理论",
            knowledge_points=["民主集中制"], source="《中国共产党章程》第十条",
        ),
    ]


def template_bytes() -> bytes:
    """The template users download: header, one example row of each type, and 填写说明."""
    return write(example_drafts())

"""The Excel export (and import template) of 云帆 yf-exam, an open-source exam system many departments run.

Layout, as yf-exam's ``QuExportDTO`` and ``ExportExcel`` write it: row 1 a merged title
(``试题``), row 2 the header, then one row per option:

    题目序号 | 题目类型 | 题目内容 | 整体解析 | 题目图片 | 题目视频 | 所属题库 | 是否正确项 | 选项内容 | 选项解析 | 选项图片

Rows with the same 题目序号 form one question (they need not be adjacent); its first row carries
题目类型 (1 单选, 2 多选, 3 判断, 4 主观题), 题目内容, 整体解析 and 所属题库 — later rows leave them
empty or write type ``0``. 是否正确项 is 1 or 0. The header is found in the first five rows and
matched by name, so a file without the title row, or with columns moved, reads the same.

How it maps to drafts:
- 判断: the option marked correct must read as 正确/错误 (对/错, √/×...): that gives the key.
- 主观题 (4) becomes 简答: the reference answer is the text of the options marked correct (of all
  options if none is marked; empty if the question has no option rows); 整体解析 is the explanation.
- 选项解析 texts are appended to the explanation, one line per option (``A：…``), so nothing is lost.
- 所属题库 (repository ids or names, comma-separated) becomes the draft's category.
- A question with a 题目图片, 题目视频 or 选项图片 is skipped (listed, not imported): the bank holds no media.
- yf-exam's template explanation row (题目序号 “正式导入，请删除此说明行…”) is ignored; any other
  non-numeric 题目序号 is a problem on its row.
Read only: we do not export to this format.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from question_bank import answers
from question_bank.drafts import MAX_OPTIONS, OPTION_KEYS, ParseResult, Problem, QuestionDraft, Skipped
from question_bank.formats import xlsx
from question_bank.formats.template_rows import cell_text
from question_bank.messages import BankError, Message, N_

NAME = "yfexam"
LABEL = "云帆考试系统（yf-exam）导出的 Excel"
EXTENSIONS = (".xlsx",)

HEADERS = {
    "no": "题目序号", "type": "题目类型", "content": "题目内容", "analysis": "整体解析",
    "image": "题目图片", "video": "题目视频", "repos": "所属题库", "is_right": "是否正确项",
    "option": "选项内容", "option_analysis": "选项解析", "option_image": "选项图片",
}
REQUIRED = ("no", "type", "content", "is_right", "option")
_BY_HEADER = {v: k for k, v in HEADERS.items()}
HEADER_SEARCH_ROWS = 5

TYPE_CODES = {"1": "single", "2": "multiple", "3": "true_false", "4": "short_answer"}
_RIGHT = {"1", "是", "对", "正确", "TRUE", "Y", "YES", "√"}
_WRONG = {"0", "否", "错", "错误", "FALSE", "N", "NO", "×"}


def _header_name(value: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", cell_text(value)).split())


def _header_columns(row: Any) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(row):
        key = _BY_HEADER.get(_header_name(value))
        if key and key not in columns:
            columns[key] = index
    return columns


def _is_header(columns: dict[str, int]) -> bool:
    return "no" in columns and "is_right" in columns


def sniff(data: bytes) -> int:
    """95 for an xlsx whose header (in its first rows) has 题目序号 and 是否正确项."""
    rows = xlsx.peek_rows(data, max_rows=HEADER_SEARCH_ROWS) if data[:4] == b"PK\x03\x04" else None
    if not rows:
        return 0
    return 95 if any(_is_header(_header_columns(r)) for r in rows) else 0


@dataclass
class _Option:
    line: int
    is_right: str
    text: str
    analysis: str


@dataclass
class _Question:
    line: int
    no: str
    type: str | None
    content: str
    analysis: str
    repos: str
    has_media: bool = False
    ok: bool = True
    options: list[_Option] = field(default_factory=list)


def _problem(line: int | None, template: str, **params: Any) -> Problem:
    return Problem(line, Message(template, params))


def _number(text: str) -> str | None:
    """'3', '3.0' -> '3'; anything else -> None."""
    try:
        number = float(text)
    except ValueError:
        return None
    return str(int(number)) if number.is_integer() else None


def _question_type(text: str) -> str | None:
    code = _number(text)
    if code is not None:
        return TYPE_CODES.get(code)
    try:
        return answers.parse_question_type(text)
    except BankError:
        return None


def read(data: bytes) -> ParseResult:
    result = ParseResult(format=NAME)
    wb = xlsx.open_workbook(data, result)
    if wb is None:
        return result
    try:
        sheets = wb.worksheets
        if not sheets:
            result.problems.append(_problem(None, N_("文件中没有工作表")))
            return result
        questions = _scan(xlsx.guarded_rows(xlsx.sheet_rows(sheets[0]), result), result)
    finally:
        wb.close()
    if questions is not None:
        for question in questions:
            _build(question, result)
        if not result.drafts and not result.problems and not result.skipped:
            result.problems.append(_problem(None, N_("文件中没有找到题目：表头下面的行都是空的")))
    result.problems.sort(key=lambda p: (p.line is not None, p.line or 0))
    return result


def _scan(rows: Any, result: ParseResult) -> list[_Question] | None:
    problems = result.problems
    columns: dict[str, int] | None = None
    groups: dict[str, _Question] = {}
    for line, row in enumerate(rows, start=1):
        if columns is None:
            found = _header_columns(row)
            if _is_header(found):
                missing = [HEADERS[k] for k in REQUIRED if k not in found]
                if missing:
                    problems.append(_problem(line, N_("表头缺少：%(names)s"), names="、".join(missing)))
                    return None
                columns = found
            elif line >= HEADER_SEARCH_ROWS:
                break
            continue
        if not any(row):
            continue
        n = len(row)
        cells = {k: cell_text(row[i]) if i < n else "" for k, i in columns.items()}
        if not any(cells.values()):
            continue
        no_text = cells["no"]
        if not no_text:
            problems.append(_problem(line, N_("缺少题目序号（同一道题的各行填写相同的序号）")))
            continue
        no = _number(no_text)
        if no is None:
            if "说明" not in no_text:  # yf-exam's own template ships an instruction row: skip that one
                problems.append(_problem(line, N_("题目序号“%(raw)s”应为数字"), raw=no_text))
            continue
        question = groups.get(no)
        media = bool(cells.get("image") or cells.get("video") or cells.get("option_image"))
        if question is None:
            qtype = _question_type(cells["type"]) if cells["type"] else None
            question = groups[no] = _Question(
                line=line, no=no, type=qtype, content=cells["content"],
                analysis=cells.get("analysis", ""), repos=cells.get("repos", ""))
            if qtype is None:
                problems.append(_problem(
                    line, N_("题目类型“%(raw)s”无法识别，应为 1（单选）、2（多选）、3（判断）或 4（主观题）"),
                    raw=cells["type"]))
                question.ok = False
            if not question.content:
                problems.append(_problem(line, N_("缺少题目内容")))
                question.ok = False
        elif cells["content"] and cells["content"] != question.content:
            problems.append(_problem(
                line, N_("题目序号 %(no)s 已在第 %(first)d 行用于另一道题，请改用新的序号"),
                no=no, first=question.line))
            continue
        question.has_media = question.has_media or media
        if cells["is_right"] or cells["option"] or cells.get("option_analysis"):
            question.options.append(_Option(line, cells["is_right"], cells["option"], cells.get("option_analysis", "")))
    if columns is None:
        problems.append(_problem(None, N_(
            "找不到云帆试题表的表头：前 %(n)d 行中没有同时含“题目序号”“是否正确项”的一行"), n=HEADER_SEARCH_ROWS))
        return None
    return list(groups.values())


def _right(option: _Option, problems: list[Problem]) -> bool | None:
    flag = unicodedata.normalize("NFKC", option.is_right).strip().upper()
    number = _number(flag)
    flag = number if number is not None else flag
    if flag in _RIGHT:
        return True
    if flag in _WRONG:
        return False
    problems.append(_problem(option.line, N_("是否正确项“%(raw)s”应为 1（是）或 0（否）"), raw=option.is_right))
    return None


def _build(question: _Question, result: ParseResult) -> None:
    if not question.ok:
        return
    if question.has_media:
        result.skipped.append(Skipped(question.line, "media", Message(
            N_("题目序号 %(no)s：含有图片或视频，题库暂不支持，已跳过"), {"no": question.no})))
        return
    problems = result.problems
    before = len(problems)
    flags = [_right(o, problems) for o in question.options]
    if question.type == "short_answer":
        answer, texts, notes = _short_answer(question, flags)
    else:
        answer, texts, notes = _objective(question, flags, problems)
    if len(problems) > before:
        return
    explanation = "\n".join(t for t in (question.analysis, *notes) if t)
    result.drafts.append(QuestionDraft(
        type=question.type, stem=question.content, options=texts, answer=answer, explanation=explanation,
        line=question.line, category=question.repos,
    ))


def _short_answer(question: _Question, flags: list[bool | None]) -> tuple[Any, list[str], list[str]]:
    options = question.options
    marked = [o.text for o, f in zip(options, flags) if f and o.text]
    reference = "\n".join(marked or [o.text for o in options if o.text])
    notes = [o.analysis for o in options if o.analysis]
    return {"reference": reference, "keywords": []}, [], notes


def _objective(question: _Question, flags: list[bool | None],
               problems: list[Problem]) -> tuple[Any, list[str], list[str]]:
    """Answer, option texts and per-option notes of a 单选/多选/判断 question; problems name rows."""
    options = question.options
    no, line = question.no, question.line
    for option in options:
        if not option.text:
            problems.append(_problem(option.line, N_("选项内容为空")))
    texts = [o.text for o in options]
    right = [i for i, f in enumerate(flags) if f]
    if question.type == "true_false":
        notes = [f"{o.text}：{o.analysis}" for o in options if o.analysis]
        if len(right) != 1:
            problems.append(_problem(
                line, N_("题目序号 %(no)s：判断题应有且只有一个选项标为正确（是否正确项为 1）"), no=no))
            return None, [], notes
        try:
            return answers.parse_true_false(texts[right[0]]), [], notes
        except BankError:
            problems.append(_problem(
                line, N_("题目序号 %(no)s：判断题的选项应为“正确”“错误”（或 对/错），无法从“%(text)s”得出答案"),
                no=no, text=texts[right[0]]))
            return None, [], notes
    notes = [f"{OPTION_KEYS[i] if i < MAX_OPTIONS else i + 1}：{o.analysis}" for i, o in enumerate(options) if o.analysis]
    if len(options) < 2:
        problems.append(_problem(line, N_("题目序号 %(no)s：至少需要两个选项"), no=no))
    elif len(options) > MAX_OPTIONS:
        problems.append(_problem(line, N_("题目序号 %(no)s：有 %(n)d 个选项，最多 8 个"), no=no, n=len(options)))
    elif not right and None not in flags:
        problems.append(_problem(line, N_("题目序号 %(no)s：没有标为正确（是否正确项为 1）的选项"), no=no))
    elif question.type == "single" and len(right) > 1:
        problems.append(_problem(line, N_("题目序号 %(no)s：单选题却有 %(n)d 个正确项"), no=no, n=len(right)))
    letters = [OPTION_KEYS[i] for i in right if i < MAX_OPTIONS]
    if question.type == "single":
        return (letters[0] if letters else None), texts, notes
    return letters, texts, notes

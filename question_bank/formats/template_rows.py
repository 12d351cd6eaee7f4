"""The question import template's columns and rows, shared by the ``xlsx`` and ``csv`` formats.

Both formats hand this module the rows of one table (header first); it matches the header,
turns every later row into a draft or into problems naming that row, and turns drafts back
into rows for export.

Rules (also in the 填写说明 sheet of the template and in docs):
- Row 1 is the header. Header names are compared after full-width → half-width folding and
  removing spaces, ``*`` marks and a trailing note in brackets (``难度（1-5）`` is ``难度``).
  Columns may come in any order; only 题型, 题干 and 答案 are required. ``HEADER_ALIASES``
  lists the other spellings accepted for each column.
- A row whose template columns are all empty is skipped; every other row becomes one draft,
  or one or more problems that name its row number.
- 选项A–H are filled from A without gaps; the answer may only name filled options.
- 难度 is 1–5 or 易/较易/中/较难/难 (empty: 3); 分值 is a positive number (empty: the paper decides).
- 知识点: several separated by any of ``；;、,，``. 关键词 (简答 only): groups separated by
  ``；``, synonyms inside a group by ``/``.
- Formula injection: on export a text that begins with ``= + - @``, tab or NUL — possibly after
  some apostrophes — gets one extra leading ``'``; on import one leading ``'`` is removed when
  what follows it (after any further apostrophes) begins with one of those characters. So our
  own exports read back exactly, and a text such as ``'abc`` is left alone.
- Control characters that a spreadsheet cannot hold (NUL and the other C0 controls except
  tab, line feed and carriage return) are removed on export.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from question_bank import answers
from question_bank.drafts import OPTION_KEYS, ParseResult, Problem, QuestionDraft
from question_bank.messages import BankError, Message, N_

# Column keys in template order, with the header we write.
OPTION_FIELDS = tuple(f"option_{k}" for k in OPTION_KEYS)
FIELDS = ("type", "stem", *OPTION_FIELDS, "answer", "explanation", "difficulty", "points",
          "subject", "knowledge_points", "source", "keywords")
HEADERS = {
    "type": "题型", "stem": "题干", "answer": "答案", "explanation": "解析", "difficulty": "难度",
    "points": "分值", "subject": "科目", "knowledge_points": "知识点", "source": "出处", "keywords": "关键词",
    **{f"option_{k}": f"选项{k}" for k in OPTION_KEYS},
}
REQUIRED = ("type", "stem", "answer")

# Other header spellings organizers' existing sheets use (compared after ``normalize_header``).
HEADER_ALIASES = {
    "type": ("试题类型", "题目类型", "题型名称", "类型"),
    "stem": ("题目", "题目内容", "试题", "试题内容", "题干内容", "问题"),
    "answer": ("正确答案", "参考答案", "标准答案"),
    "explanation": ("答案解析", "试题解析", "题目解析", "解释"),
    "difficulty": ("难度等级", "难易程度", "难易度", "难度系数"),
    "points": ("分数", "题目分值", "试题分值"),
    "subject": ("所属科目", "科目分类", "学科"),
    "knowledge_points": ("所属知识点", "考点"),
    "source": ("来源", "题目来源", "试题来源", "依据"),
    "keywords": ("关键字", "得分要点", "评分要点"),
}

_HEADER_NOTE = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]$")
_HEADER_DROP = re.compile(r"[\s*＊]+")
_OPTION_HEADER = re.compile(r"^(?:选项([A-H])|([A-H])选项|([A-H]))$")


def normalize_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)) if value is not None else ""
    text = _HEADER_DROP.sub("", text)
    text = _HEADER_NOTE.sub("", text)
    return _HEADER_DROP.sub("", text)


def _build_header_index() -> dict[str, str]:
    index = {}
    for key, header in HEADERS.items():
        index[normalize_header(header)] = key
    for key, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            index[normalize_header(alias)] = key
    return index


_HEADER_INDEX = _build_header_index()


def header_field(value: Any) -> str | None:
    """The template column a header cell names, or None."""
    name = normalize_header(value)
    if not name:
        return None
    key = _HEADER_INDEX.get(name)
    if key:
        return key
    m = _OPTION_HEADER.match(name.upper())
    if m:
        return "option_" + (m.group(1) or m.group(2) or m.group(3))
    return None


def header_fields(cells: Iterable[Any]) -> set[str]:
    return {f for f in map(header_field, cells) if f}


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# --- formula injection ------------------------------------------------------------------------

_DANGEROUS_STARTS = frozenset("=+-@\t\0")


def _starts_dangerously(text: str) -> bool:
    first = text.lstrip("'")[:1]
    return first != "" and first in _DANGEROUS_STARTS


def neutralize(text: str) -> str:
    """Prefix ``'`` so a spreadsheet shows the text instead of running it as a formula."""
    return "'" + text if text and _starts_dangerously(text) else text


def unneutralize(text: str) -> str:
    """Undo ``neutralize``: drop the one apostrophe it added, nothing else."""
    if text[:1] == "'" and _starts_dangerously(text[1:]):
        return text[1:]
    return text


_ILLEGAL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def export_text(text: str) -> str:
    """A text as written to a cell: illegal control characters removed, then neutralised."""
    if not text:
        return ""
    return neutralize(_ILLEGAL_CHARS.sub("", text))


# --- cells ------------------------------------------------------------------------------------

def cell_text(value: Any) -> str:
    """A typed cell (text, number, date, boolean) as the text an organizer sees, trimmed."""
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        text = value.strip()
        if text[:1] == "'":
            text = unneutralize(text)
        return text
    if kind is int:
        return str(value)
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value).strip()


_DIFFICULTY_WORDS = {
    "易": 1, "容易": 1, "简单": 1, "较易": 2, "较容易": 2, "较简单": 2,
    "中": 3, "中等": 3, "一般": 3, "适中": 3, "较难": 4, "难": 5, "困难": 5,
}
DIFFICULTY_LABELS = {1: "易", 2: "较易", 3: "中", 4: "较难", 5: "难"}


def parse_difficulty(value: Any) -> int:
    if type(value) is int and 1 <= value <= 5:
        return value
    text = answers.fold(cell_text(value)).replace(" ", "")
    if not text:
        return 3
    if text in _DIFFICULTY_WORDS:
        return _DIFFICULTY_WORDS[text]
    try:
        number = float(text)
    except ValueError:
        number = 0.0
    if number.is_integer() and 1 <= number <= 5:
        return int(number)
    raise BankError(N_("难度“%(raw)s”无法识别，请填写 1–5 或 易/较易/中/较难/难"), raw=cell_text(value))


def parse_points(value: Any) -> float | None:
    kind = type(value)
    if kind is int or kind is float:
        number = float(value)
    else:
        text = answers.fold(cell_text(value)).replace(" ", "")
        if not text:
            return None
        if text.endswith("分"):
            text = text[:-1]
        try:
            number = float(text)
        except ValueError:
            number = -1.0
    if not (number > 0 and math.isfinite(number)):
        raise BankError(N_("分值“%(raw)s”应为大于 0 的数字"), raw=cell_text(value))
    return number


_LIST_SEPARATORS = re.compile(r"[；;、,，]")
_GROUP_SEPARATORS = re.compile(r"[；;]")
_SYNONYM_SEPARATORS = re.compile(r"[/／]")


def split_knowledge_points(text: str) -> list[str]:
    if not text:
        return []
    seen: dict[str, None] = {}
    for part in _LIST_SEPARATORS.split(text):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


def parse_keywords(text: str) -> list[list[str]]:
    groups = []
    for group in _GROUP_SEPARATORS.split(text):
        words = [w.strip() for w in _SYNONYM_SEPARATORS.split(group) if w.strip()]
        if words:
            groups.append(words)
    return groups


def format_keywords(groups: list[list[str]]) -> str:
    return "；".join("/".join(words) for words in groups)


# --- reading ----------------------------------------------------------------------------------

def _problem(line: int | None, template: str, **params: Any) -> Problem:
    return Problem(line, Message(template, params))


class RowReader:
    """Reads data rows once the header has fixed where each column is.

    Per row it only looks at the template's columns: their texts go into a list indexed by column,
    with one extra slot past the last column that stays empty and stands for every absent column.
    """

    def __init__(self, columns: dict[str, int]) -> None:
        self.columns = columns
        self.indexes = sorted(columns.values())
        self.width = (self.indexes[-1] + 1) if self.indexes else 0
        absent = self.width  # the always-empty slot

        def at(field: str) -> int:
            return columns.get(field, absent)

        self.i_type, self.i_stem, self.i_answer = at("type"), at("stem"), at("answer")
        option_indexes = [at(f) for f in OPTION_FIELDS]
        # The last option column present: option texts past it are never looked at.
        while option_indexes and option_indexes[-1] == absent:
            option_indexes.pop()
        self.option_indexes = option_indexes
        self.i_explanation, self.i_difficulty = at("explanation"), at("difficulty")
        self.i_points, self.i_subject = at("points"), at("subject")
        self.i_knowledge, self.i_source, self.i_keywords = at("knowledge_points"), at("source"), at("keywords")
        # Cells read as typed values (a number of points, a TRUE cell): None when the column is absent.
        self.raw_difficulty, self.raw_points = columns.get("difficulty"), columns.get("points")
        self.raw_answer = columns.get("answer")

    def read(self, row: Sequence[Any], line: int, result: ParseResult) -> None:
        """Append the row's draft, or its problems, to ``result``; an empty row adds nothing."""
        if not any(row):
            return
        n = len(row)
        texts = [""] * (self.width + 1)
        filled = False
        for i in self.indexes:
            if i < n:
                value = row[i]
                if value is not None:
                    cell = cell_text(value)
                    if cell:
                        texts[i] = cell
                        filled = True
        if not filled:
            return

        def raw(i: int | None) -> Any:
            return row[i] if i is not None and i < n else None

        problems = result.problems
        before = len(problems)
        type_text = texts[self.i_type]
        qtype = None
        if not type_text:
            problems.append(_problem(line, N_("缺少题型（单选/多选/判断/填空/简答）")))
        else:
            try:
                qtype = answers.parse_question_type(type_text)
            except BankError as exc:
                problems.append(Problem(line, exc.message))
        stem = texts[self.i_stem]
        if not stem:
            problems.append(_problem(line, N_("缺少题干")))
        options = [texts[i] for i in self.option_indexes]
        while options and not options[-1]:
            options.pop()
        gaps = [OPTION_KEYS[k] for k, o in enumerate(options) if not o]
        if gaps:
            problems.append(_problem(
                line, N_("选项%(gaps)s为空，但其后还有选项（选项须从 A 起连续填写）"), gaps="、".join(gaps)))
        answer_text = texts[self.i_answer]
        keywords_text = texts[self.i_keywords]
        try:
            difficulty = parse_difficulty(raw(self.raw_difficulty))
        except BankError as exc:
            problems.append(Problem(line, exc.message))
            difficulty = 3
        try:
            points = parse_points(raw(self.raw_points))
        except BankError as exc:
            problems.append(Problem(line, exc.message))
            points = None

        answer: Any = None
        if qtype is not None:
            try:
                answer, options = _answer_for(qtype, stem, options, answer_text, keywords_text, raw(self.raw_answer))
            except BankError as exc:
                problems.append(Problem(line, exc.message))
        if len(problems) > before:
            return
        result.drafts.append(QuestionDraft(
            type=qtype, stem=stem, options=options, answer=answer,
            explanation=texts[self.i_explanation], difficulty=difficulty, points=points,
            subject=texts[self.i_subject], knowledge_points=split_knowledge_points(texts[self.i_knowledge]),
            source=texts[self.i_source], line=line,
        ))


_LABEL = answers.TYPE_LABELS
# A type named inside a sentence: a message of its own, so English says "a single-choice question".
_NAMED = {"single": N_("单选题"), "multiple": N_("多选题"), "true_false": N_("判断题"),
          "fill_blank": N_("填空题"), "short_answer": N_("简答题")}


def _named(qtype: str) -> Message:
    return Message(_NAMED[qtype])


def _answer_for(qtype: str, stem: str, options: list[str], answer_text: str, keywords_text: str,
                answer_cell: Any) -> tuple[Any, list[str]]:
    """The canonical answer key for one row (and the options the draft keeps); raises BankError."""
    if not answer_text:
        raise BankError(N_("缺少答案"))
    if keywords_text and qtype != "short_answer":
        raise BankError(N_("只有简答题使用关键词列，本题是%(type)s"), type=_named(qtype))
    if qtype in ("single", "multiple"):
        if len(options) < 2:
            raise BankError(N_("%(type)s至少需要两个选项（选项A、选项B）"), type=_named(qtype))
        letters = answers.parse_choice_letters(answer_text, option_count=len(options))
        if qtype == "single":
            if len(letters) != 1:
                raise BankError(N_("单选题只能有一个答案，“%(raw)s”给出了 %(n)d 个"), raw=answer_text, n=len(letters))
            return letters[0], options
        return letters, options
    if qtype == "true_false":
        if type(answer_cell) is bool:
            return answer_cell, []
        if options:
            return _true_false_with_options(options, answer_text), []
        return answers.parse_true_false(answer_text), []
    if options:
        raise BankError(N_("%(type)s不使用选项列，请检查题型是否填错"), type=_named(qtype))
    if qtype == "fill_blank":
        blanks = answers.count_blanks(stem)
        if blanks == 0:
            raise BankError(N_("填空题的题干中没有空位，请用（ ）、___ 或【】标出要填的位置"))
        groups = answers.parse_fill_answers(answer_text)
        if len(groups) != blanks:
            raise BankError(
                N_("题干中有 %(blanks)d 个空，答案却有 %(answers)d 组（各空的答案用 | 分隔，同一空的几种答案用 / 分隔）"),
                blanks=blanks, answers=len(groups))
        return groups, []
    # short_answer
    return {"reference": answer_text, "keywords": parse_keywords(keywords_text)}, []


def _true_false_with_options(options: list[str], answer_text: str) -> bool:
    """A 判断 row that also fills 选项A/B with 正确/错误 (in either order): read a letter key through them."""
    meanings = []
    for option in options:
        try:
            meanings.append(answers.parse_true_false(option))
        except BankError:
            meanings.append(None)
    if len(options) != 2 or None in meanings or meanings[0] == meanings[1]:
        raise BankError(N_("判断题不需要填写选项；如果填写，只能是“正确”“错误”两项"))
    letter = answers.fold(answer_text).strip().upper()
    if letter in ("A", "B"):
        return meanings[OPTION_KEYS.index(letter)]
    return answers.parse_true_false(answer_text)


def match_header(cells: Sequence[Any], line: int = 1) -> tuple[dict[str, int], list[Problem]]:
    """Map template columns to their indexes in the header row; problems name what is missing."""
    columns: dict[str, int] = {}
    problems: list[Problem] = []
    for index, cell in enumerate(cells):
        key = header_field(cell)
        if key is None:
            continue
        if key in columns:
            problems.append(_problem(
                line, N_("表头“%(name)s”出现了两次（第 %(a)s 列和第 %(b)s 列），请删去一列"),
                name=HEADERS[key], a=column_letter(columns[key]), b=column_letter(index)))
            continue
        columns[key] = index
    missing = [HEADERS[k] for k in REQUIRED if k not in columns]
    if missing:
        problems.insert(0, _problem(
            line, N_("第一行表头缺少：%(names)s（请使用题库导入模板，第一行依次为 题型、题干、选项A…选项H、答案 等）"),
            names="、".join(missing)))
    return columns, problems


def read_rows(rows: Iterable[Sequence[Any]], result: ParseResult, *, first_line: int = 1) -> ParseResult:
    """Read a header row and the data rows after it into ``result``; row numbers start at ``first_line``."""
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None or not any(cell_text(c) for c in header):
        result.problems.append(_problem(first_line, N_("第一行应为表头（题型、题干、答案 等），但这一行是空的")))
        return result
    columns, problems = match_header(header, first_line)
    if problems:
        result.problems.extend(problems)
        return result
    reader = RowReader(columns)
    read = reader.read
    line = first_line
    for line, row in enumerate(iterator, start=first_line + 1):
        read(row, line, result)
    if not result.drafts and not result.problems:
        result.problems.append(_problem(None, N_("文件中没有找到题目：表头下面的行都是空的")))
    return result


# --- writing ----------------------------------------------------------------------------------

def _number(value: float | int | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def draft_to_row(draft: QuestionDraft) -> list[Any]:
    """One export row in ``FIELDS`` order: texts neutralised, 难度 and 分值 as numbers."""
    qtype = draft.type
    options = list(draft.options[: len(OPTION_KEYS)])
    options += [""] * (len(OPTION_KEYS) - len(options))
    keywords = ""
    answer = draft.answer
    if qtype == "single" or qtype == "multiple":
        answer_text = answers.format_choice_letters(answer if answer is not None else "")
    elif qtype == "true_false":
        answer_text = answers.format_true_false(bool(answer))
        options = [""] * len(OPTION_KEYS)
    elif qtype == "fill_blank":
        answer_text = answers.format_fill_answers(answer or [])
    else:
        answer = answer or {}
        if isinstance(answer, str):
            answer = {"reference": answer, "keywords": []}
        answer_text = answer.get("reference", "")
        keywords = format_keywords(answer.get("keywords") or [])
    texts = [
        _LABEL.get(qtype, qtype), draft.stem, *options, answer_text, draft.explanation,
    ]
    row: list[Any] = [export_text(t) or None for t in texts]
    row.append(draft.difficulty)
    row.append(_number(draft.points))
    for t in (draft.subject, "；".join(draft.knowledge_points), draft.source, keywords):
        row.append(export_text(t) or None)
    return row


def header_row() -> list[str]:
    return [HEADERS[f] for f in FIELDS]


# What the 填写说明 sheet says about each column: (column, required, explanation, example).
COLUMN_NOTES = (
    ("题型", "必填", "单选、多选、判断、填空、简答（也可写“单选题”“单项选择题”等）。", "单选"),
    ("题干", "必填", "题目内容。填空题用（ ）、___ 或【】标出每个空。", "党的最高领导机关是（  ）。"),
    ("选项A～选项H", "单选、多选必填", "从选项A起连续填写，至少两个，最多八个；判断、填空、简答题不填。", "中央委员会"),
    ("答案", "必填",
     "单选填一个字母，多选填几个字母，大小写、全角半角均可，可用逗号、顿号或空格隔开（如 B、ACD、A,C,D、A、C、D）；"
     "判断填 对/错、正确/错误、√/×、T/F 或 A/B（A 为对）；"
     "填空按空的顺序填写，各空之间用 | 隔开，同一空有几种正确答案时用 / 隔开（如 一/1|中央委员会）；"
     "简答填参考答案。", "A"),
    ("解析", "选填", "答案解析，答题结束后显示。", "见党章第十条。"),
    ("难度", "选填", "1～5 的整数（1 最易，5 最难），或 易、较易、中、较难、难；不填按 3（中）。", "3"),
    ("分值", "选填", "大于 0 的数字；不填时由试卷规则决定。", "2"),
    ("科目", "选填", "如 理论、政策、法律、科技、业务。", "理论"),
    ("知识点", "选填", "可填多个，用 ；、，或顿号隔开。", "民主集中制；党的组织制度"),
    ("出处", "选填", "题目依据的法规条款。", "《中国共产党章程》第十条"),
    ("关键词", "选填（简答题）", "简答题的评分要点：各要点之间用 ； 隔开，同一要点的几种说法用 / 隔开。",
     "个人服从组织/党员个人服从党的组织；少数服从多数"),
)

GENERAL_NOTES = (
    "第一行是表头，每行一道题，空行会被跳过；列的顺序可以调整，选填的列可以删去。",
    "表头也可写作：" + "；".join(
        f"{HEADERS[k]}：{'、'.join(v)}" for k, v in HEADER_ALIASES.items()) + "。",
    "导入时会逐行检查，任何一行有错都会指出行号，全部改正后才会导入，不会只导入一部分。",
    "以 = + - @ 开头的内容在导出时前面加了一个英文单引号 '，防止被当作公式；导入时会自动去掉这个单引号。",
)

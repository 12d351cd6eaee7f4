"""JSON question lists, as quiz apps, scrapers and database tools dump their banks (read only).

    [
      {"question": "党的最高领导机关是（ ）。", "answer": "党的全国代表大会和它所产生的中央委员会"},
      {"题干": "…", "选项": ["A. …", "B. …"], "答案": "B", "题型": "单选", "解析": "…"}
    ]

The top level is a list of objects, or an object holding one such list (``{"data": [...]}``,
Navicat's ``{"RECORDS": [...]}``). Field names are matched without regard to case, ``_`` or
spaces, in English or Chinese (``FIELDS``). Options may be a list (``A.`` marks are dropped), an
object keyed by letter, or fields ``A``…``H`` / ``optionA`` / ``选项A``. Each record then goes through
the Word layout's rules for keys and types (``wordlayout.finish_record``): a true/false word makes a
判断 question, a stem with blanks ``（ ）`` a 填空 question (several blanks: the key split at
whitespace, ``、``, ``；`` or ``，``), options a choice question, and so on.

Problems name the line where the record starts: a record without a stem or key, a key that is
not text, a key that is a JavaScript dump's placeholder (``[object Object]``, ``undefined``), a
choice stem whose options were lost. Records that are not objects, or objects with no field we
know, are problems too: a list of something else should not pass as an empty bank.
"""
from __future__ import annotations

import json
import re
from typing import Any

from question_bank.answers import fold
from question_bank.drafts import OPTION_KEYS, ParseResult, Problem
from question_bank.formats.safety import is_zip
from question_bank.formats.textcodec import decode_text
from question_bank.formats.wordlayout import finish_record
from question_bank.messages import BankError, Message, N_

NAME = "json"
LABEL = "JSON 题目列表"
EXTENSIONS = (".json",)

FIELDS: dict[str, tuple[str, ...]] = {
    "stem": ("question", "stem", "title", "content", "questiontext", "q", "题目", "题干", "试题", "题目内容", "问题"),
    "answer": ("answer", "answers", "key", "correct", "correctanswer", "rightanswer", "a", "答案", "正确答案", "参考答案", "标准答案"),
    "options": ("options", "choices", "option", "items", "选项"),
    "type": ("type", "qtype", "questiontype", "题型", "类型", "试题类型"),
    "explanation": ("explanation", "analysis", "explain", "解析", "答案解析", "试题解析"),
    "points": ("points", "score", "分值", "分数"),
    "difficulty": ("difficulty", "level", "难度"),
    "knowledge": ("knowledge", "knowledgepoints", "tags", "知识点", "考点"),
    "source": ("source", "出处", "来源"),
    "subject": ("subject", "category", "科目", "分类"),
}
_FIELD_OF = {alias: name for name, aliases in FIELDS.items() for alias in aliases}
_OPTION_FIELD = re.compile(r"^(?:option|choice|选项)?([a-h])$")
_OPTION_MARK = re.compile(r"^\s*[(（]?\s*[A-HＡ-Ｈa-h]\s*[)）.．、:：]\s*")
# What JavaScript writes for a value it could not turn into text: a dump's bug, not a key.
_PLACEHOLDERS = {"[object object]", "undefined", "null", "nan"}
_SNIFF_BYTES = 64 * 1024


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", fold(str(name)).lower())


def _records(value: Any) -> tuple[list | None, str | None]:
    """The list of records and the key it sits under: the top level itself (key None), or the one
    list of objects inside a top-level object."""
    if isinstance(value, list):
        return value, None
    if isinstance(value, dict):
        lists = [(k, v) for k, v in value.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(lists) == 1:
            return lists[0][1], lists[0][0]
    return None, None


def sniff(data: bytes) -> int:
    head = data[:_SNIFF_BYTES]
    if not head or is_zip(head) or b"\x00" in head:
        return 0
    try:
        text = decode_text(head).lstrip()
    except BankError:
        return 0
    if not text.startswith(("[", "{")):
        return 0
    # Known field names near the start: this is a question list (above the text layout's 60).
    keys = {_key(k) for k in re.findall(r'"([^"\\]{1,30})"\s*:', text[:4096])}
    return 90 if keys & {"question", "stem", "题目", "题干", "试题"} else 10


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "正确" if value else "错误"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return "|".join(str(v) for v in value)  # several answers: one per blank, or letters
    return None


def _options(fields: dict[str, Any], record: dict[str, Any]) -> list[str]:
    raw = fields.get("options")
    if isinstance(raw, list):
        return [_OPTION_MARK.sub("", str(v), count=1) for v in raw if str(v).strip()]
    if isinstance(raw, dict):
        by_letter = {fold(str(k)).strip().upper()[:1]: v for k, v in raw.items()}
        return [str(by_letter[k]) for k in OPTION_KEYS if k in by_letter and str(by_letter[k]).strip()]
    lettered = {}
    for name, value in record.items():
        match = _OPTION_FIELD.match(_key(name))
        if match and value not in (None, ""):
            lettered[match.group(1).upper()] = str(value)
    return [lettered[k] for k in OPTION_KEYS if k in lettered]


def _start_lines(text: str, records: list, key: str | None) -> list[int]:
    """The 1-based line where each record starts, found by decoding the list one element at a time."""
    decoder = json.JSONDecoder()
    separators = re.compile(r"[\s,]*")
    if key is None:
        position = text.index("[") + 1
    else:  # the list under "key" in a top-level object: walk its members, decoding each key as written
        position = text.index("{") + 1
        while True:
            position = separators.match(text, position).end()
            name, position = decoder.raw_decode(text, position)
            position = re.compile(r"\s*:\s*").match(text, position).end()
            if name == key:
                position += 1  # past the list's [
                break
            _, position = decoder.raw_decode(text, position)
    lines: list[int] = []
    line, counted = 1, 0
    for _ in records:
        position = separators.match(text, position).end()
        line += text.count("\n", counted, position)
        counted = position
        lines.append(line)
        _, position = decoder.raw_decode(text, position)
    return lines


def read(data: bytes) -> ParseResult:
    result = ParseResult(format=NAME)

    def problem(at: int | None, template: str, **params: Any) -> None:
        result.problems.append(Problem(at, Message(template, params)))

    try:
        text = decode_text(data)
    except BankError as exc:
        result.problems.append(Problem(None, exc.message))
        return result
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        problem(exc.lineno, N_("文件不是有效的 JSON（第 %(line)d 行第 %(col)d 列附近），请检查是否缺少逗号、引号或括号"),
                line=exc.lineno, col=exc.colno)
        return result
    records, key = _records(value)
    if records is None:
        problem(1, N_("JSON 文件的最外层应是题目列表（[ {…}, {…} ]），或只含一个题目列表的对象"))
        return result
    for line, record in zip(_start_lines(text, records, key), records):
        _read_record(result, line, record, problem)
    result.problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return result


def _read_record(result: ParseResult, line: int, record: Any, problem) -> None:
    if not isinstance(record, dict):
        problem(line, N_("这一项不是题目对象（应为 {\"question\": …, \"answer\": …}）"))
        return
    fields: dict[str, Any] = {}
    for name, value in record.items():
        field = _FIELD_OF.get(_key(name))
        if field is not None and field not in fields:
            fields[field] = value
    if "stem" not in fields:
        known = ", ".join(f'"{a}"' for a in FIELDS["stem"][:2] + FIELDS["stem"][6:8])
        problem(line, N_("这一项没有题干字段（如 %(names)s）"), names=known)
        return
    stem = _text(fields["stem"])
    if not stem or not stem.strip():
        problem(line, N_("题目没有题干"))
        return
    answer = _text(fields.get("answer"))
    if fields.get("answer") is not None and answer is None:
        problem(line, N_("答案不是文字或数字，无法读取"))
        return
    if answer is not None and answer.strip().lower() in _PLACEHOLDERS:
        problem(line, N_("答案“%(raw)s”是导出程序留下的占位值，不是答案；请补上正确答案"), raw=answer.strip())
        return
    finish_record(
        result, line, stem, _options(fields, record), answer,
        type_word=_text(fields.get("type")), explanation=_text(fields.get("explanation")) or "",
        points=_text(fields.get("points")), difficulty=_text(fields.get("difficulty")),
        knowledge=(_text(fields.get("knowledge")) or "").replace("|", "；"),
        source=_text(fields.get("source")) or "", subject=_text(fields.get("subject")) or "",
    )

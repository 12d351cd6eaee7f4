"""Aiken, Moodle's simplest text format (read only):

    中国共产党的最高领导机关是
    A. 党的全国代表大会和它所产生的中央委员会
    B) 中央纪律检查委员会
    ANSWER: A

A stem line (lines directly below it, before any option, continue the stem), options ``X)`` or
``X.`` (A–H, in order, the space after the mark optional), then ``ANSWER: X``. One letter gives a
``single`` question; several (``ANSWER: AC``, an extension Moodle lacks) a ``multiple`` one.
Full-width letters and colons are accepted. Lines are checked as Moodle's importer checks them: an
option or ANSWER line outside a question, a question with fewer than two options, and a question
left without its ANSWER line are Problems naming the line. The text is plain: ``<`` and ``&`` stay as
typed.

Sniffing: a Chinese "Word layout" bank also has ``A.`` options but marks answers ``答案：B``; it is
Aiken only if questions really end in ``ANSWER: X`` lines.
"""
from __future__ import annotations

import re

from question_bank.answers import fold, parse_choice_letters
from question_bank.drafts import OPTION_KEYS, ParseResult, Problem, QuestionDraft
from question_bank.formats.textcodec import decode_text
from question_bank.messages import BankError, Message, N_

NAME = "aiken"
LABEL = "Aiken (Moodle)"
EXTENSIONS = (".txt", ".aiken")

_OPTION = re.compile(r"^([A-Z])[).]")
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*)$", re.I)
_STRICT_ANSWER = re.compile(r"^ANSWER\s*:\s*[A-H]([\s,、]*[A-H])*\s*$")  # as Moodle writes it: upper case
_WORD_LAYOUT_ANSWER = re.compile(r"^\s*[【\[]?(答案|正确答案|参考答案)[】\]]?\s*[:：]")


def _classify(line: str) -> tuple[str, str, str]:
    """('option', letter, text) | ('answer', letters as typed, '') | ('text', line, '')."""
    match = _OPTION.match(fold(line[:2]))
    if match:
        return "option", match.group(1), line[2:].strip()
    folded = fold(line)
    answer = _ANSWER.match(folded)
    if answer:
        return "answer", answer.group(1).strip(), ""
    return "text", line, ""


class _Open:
    def __init__(self, line: int, stem: str) -> None:
        self.line = line
        self.stem = stem
        self.options: list[tuple[str, str, int]] = []  # (letter, text, line)


def read(data: bytes) -> ParseResult:
    result = ParseResult(format=NAME)
    try:
        text = decode_text(data)
    except BankError as exc:
        result.problems.append(Problem(None, exc.message))
        return result

    def problem(at: int, template: str, **params: object) -> None:
        result.problems.append(Problem(at, Message(template, params)))

    question: _Open | None = None
    previous_was_stem = False
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            previous_was_stem = False
            continue
        kind, value, option_text = _classify(line)
        if kind == "option":
            previous_was_stem = False
            if question is None:
                problem(number, N_("选项“%(option)s”之前没有题干（题目尚未开始）"), option=line)
                continue
            question.options.append((value, option_text, number))
        elif kind == "answer":
            previous_was_stem = False
            if question is None:
                problem(number, N_("ANSWER 行之前没有题干（题目尚未开始）"))
                continue
            draft = _finish(question, value, number, problem)
            if draft is not None:
                result.drafts.append(draft)
            question = None
        else:
            if question is not None and not question.options and previous_was_stem:
                question.stem += "\n" + line
            else:
                if question is not None:
                    problem(question.line, N_("题目没有 ANSWER 行：第 %(next)d 行已开始下一题"), next=number)
                question = _Open(number, line)
            previous_was_stem = True
    if question is not None:
        problem(question.line, N_("题目没有 ANSWER 行，文件就结束了"))
    if not result.drafts and not result.problems:
        result.problems.append(Problem(None, Message(N_("文件中没有找到任何题目"))))
    return result


def _finish(question: _Open, raw_answer: str, answer_line: int, problem) -> QuestionDraft | None:
    options = question.options
    ok = True
    if len(options) < 2:
        problem(question.line, N_("选择题至少需要两个选项，这里只有 %(n)d 个（第 %(answer_line)d 行是 ANSWER 行）"),
                n=len(options), answer_line=answer_line)
        return None
    if len(options) > len(OPTION_KEYS):
        problem(question.line, N_("选项最多 %(max)d 个，这里有 %(n)d 个"), max=len(OPTION_KEYS), n=len(options))
        ok = False
    for expected, (letter, text, line) in zip(OPTION_KEYS, options):
        if letter != expected:
            problem(line, N_("选项字母应为“%(expected)s”，这里是“%(letter)s”"), expected=expected, letter=letter)
            ok = False
            break
    for letter, text, line in options:
        if not text:
            problem(line, N_("选项 %(letter)s 的内容为空"), letter=letter)
            ok = False
    if not ok:
        return None
    try:
        letters = parse_choice_letters(raw_answer, option_count=len(options))
    except BankError as exc:
        problem(answer_line, exc.message.template, **exc.message.params)
        return None
    answer: str | list[str] = letters[0] if len(letters) == 1 else letters
    return QuestionDraft(
        type="single" if len(letters) == 1 else "multiple", stem=question.stem,
        options=[text for _, text, _ in options], answer=answer, line=question.line,
    )


def sniff(data: bytes) -> int:
    try:
        text = decode_text(data)
    except BankError:
        return 0
    if text.lstrip().startswith("<"):
        return 0
    answers = complete = word_layout = 0
    options = 0
    stem_open = False
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if _WORD_LAYOUT_ANSWER.match(line):
            word_layout += 1
            continue
        kind, value, _ = _classify(line)
        if kind == "option":
            options += 1
        elif kind == "answer":
            if _STRICT_ANSWER.match(fold(line)):
                answers += 1
                if stem_open and options >= 2:
                    complete += 1
            stem_open, options = False, 0
        else:
            if options:  # a new stem after options without ANSWER: not Aiken-shaped
                options = 0
            stem_open = True
    if not complete:
        return 0
    if word_layout:
        return 30 if complete > word_layout else 10
    return 90 if complete * 10 >= answers * 8 else 60

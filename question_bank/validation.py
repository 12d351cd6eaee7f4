"""Validating a question before it is stored: every reason it cannot be, at once.

``normalize_draft`` is the one gate every path into the bank goes through (the question form,
every import format, accepted material drafts): it returns a cleaned copy of the draft, with the
answer in its canonical form (``drafts`` module docstring), and the list of problems, so that a
preview can name them all. ``InvalidQuestion`` carries that list when a service refuses to store
a question.
"""
from __future__ import annotations

import copy
import math
from dataclasses import replace
from typing import Any

from question_bank import answers
from question_bank.drafts import MAX_OPTIONS, OPTION_KEYS, QUESTION_TYPES, QuestionDraft
from question_bank.messages import BankError, Message, N_
from question_bank.models import NAME_MAX, clean_name, normalize_name

MAX_STEM_CHARS = 5000
MAX_OPTION_CHARS = 1000


class InvalidQuestion(BankError):
    """A question that cannot be stored; ``problems`` lists every reason (the message is the first)."""

    def __init__(self, problems: list[Message]) -> None:
        first = problems[0]
        super().__init__(first.template, **first.params)
        self.problems = problems
        self.args = ("；".join(p.text for p in problems),)


def _letters(raw: Any) -> list[str] | None:
    """A choice answer as letters, from the canonical key or from a typed spelling; None if unreadable."""
    if isinstance(raw, str):
        try:
            return answers.parse_choice_letters(raw)
        except BankError:
            return None
    if isinstance(raw, (list, tuple)) and all(isinstance(x, str) for x in raw):
        letters = [answers.fold(x).strip().upper() for x in raw]
        return sorted(set(letters)) if all(len(x) == 1 and x in OPTION_KEYS for x in letters) and letters else None
    return None


def _check_choice(qtype: str, options: list[str], answer: Any, problems: list[Message]) -> Any:
    if len(options) < 2:
        problems.append(Message(N_("选择题至少需要 2 个选项，本题有 %(n)d 个"), {"n": len(options)}))
    if len(options) > MAX_OPTIONS:
        problems.append(Message(N_("选项最多 %(max)d 个，本题有 %(n)d 个"), {"max": MAX_OPTIONS, "n": len(options)}))
    for key, text in zip(OPTION_KEYS, options):
        if not text:
            problems.append(Message(N_("选项 %(key)s 的内容为空"), {"key": key}))
        elif len(text) > MAX_OPTION_CHARS:
            problems.append(Message(N_("选项 %(key)s 超过 %(n)d 个字"), {"key": key, "n": MAX_OPTION_CHARS}))
    letters = _letters(answer)
    if answer is None or answer == "" or answer == []:
        problems.append(Message(N_("缺少答案")))
        return answer
    if letters is None:
        problems.append(Message(N_("答案“%(raw)s”不是选项字母（A–H）"), {"raw": str(answer)}))
        return answer
    outside = [x for x in letters if OPTION_KEYS.index(x) >= len(options)]
    if outside:
        problems.append(Message(
            N_("答案 %(keys)s 不在选项中（本题只有 %(n)d 个选项）"), {"keys": "、".join(outside), "n": len(options)}
        ))
    if qtype == "single":
        if len(letters) != 1:
            problems.append(Message(N_("单选题只能有一个答案，收到 %(keys)s"), {"keys": "".join(letters)}))
            return letters
        return letters[0]
    return letters


def _check_fill(stem: str, answer: Any, problems: list[Message]) -> Any:
    if isinstance(answer, str):
        try:
            answer = answers.parse_fill_answers(answer)
        except BankError as exc:
            problems.append(exc.message)
            return answer
    if (
        not isinstance(answer, (list, tuple))
        or not answer
        or not all(isinstance(b, (list, tuple)) and all(isinstance(a, str) for a in b) for b in answer)
    ):
        problems.append(Message(N_("缺少填空题答案")))
        return answer
    blanks = [[a.strip() for a in b if a.strip()] for b in answer]
    for i, alternatives in enumerate(blanks, start=1):
        if not alternatives:
            problems.append(Message(N_("填空题第 %(n)d 个空的答案为空"), {"n": i}))
    expected = answers.count_blanks(stem)
    if expected == 0:
        problems.append(Message(N_("填空题的题干中没有空：请用（ ）、___ 或【】标出要填的位置")))
    elif expected != len(blanks):
        problems.append(Message(
            N_("题干中有 %(blanks)d 个空，答案却有 %(answers)d 个（各空答案用“|”分隔）"),
            {"blanks": expected, "answers": len(blanks)},
        ))
    return blanks


def _check_short(answer: Any, problems: list[Message]) -> Any:
    if answer is None:
        return {"reference": "", "keywords": []}
    if isinstance(answer, str):
        return {"reference": answer.strip(), "keywords": []}
    if isinstance(answer, dict):
        reference = answer.get("reference") or ""
        keywords = answer.get("keywords") or []
        if isinstance(reference, str) and isinstance(keywords, (list, tuple)) and all(
            isinstance(g, (list, tuple)) and all(isinstance(w, str) for w in g) for g in keywords
        ):
            groups = [[w.strip() for w in g if w.strip()] for g in keywords]
            return {"reference": reference.strip(), "keywords": [g for g in groups if g]}
    problems.append(Message(N_("简答题的参考答案或关键词格式不正确")))
    return answer


def _copy_answer(value: Any) -> Any:
    """A copy of an answer key sharing no list or dict with it (keys are JSON-like: far cheaper than deepcopy)."""
    kind = type(value)
    if kind is list or kind is tuple:
        return [_copy_answer(v) for v in value] if kind is list else tuple(_copy_answer(v) for v in value)
    if kind is dict:
        return {k: _copy_answer(v) for k, v in value.items()}
    if kind in (str, bool, int, float) or value is None:
        return value
    return copy.deepcopy(value)


def normalize_draft(draft: QuestionDraft) -> tuple[QuestionDraft, list[Message]]:
    """A cleaned copy of ``draft`` (canonical answer, trimmed texts, unique knowledge points) and
    every reason it cannot be stored; an empty list means it is valid."""
    problems: list[Message] = []
    qtype = draft.type
    stem = (draft.stem or "").strip()
    options = [(o if isinstance(o, str) else str(o)).strip() for o in (draft.options or [])]
    answer = draft.answer
    if qtype not in QUESTION_TYPES:
        problems.append(Message(N_("题型“%(type)s”无法识别，应为 单选/多选/判断/填空/简答"), {"type": qtype}))
    if not stem:
        problems.append(Message(N_("题干不能为空")))
    elif len(stem) > MAX_STEM_CHARS:
        problems.append(Message(N_("题干不能超过 %(n)d 个字"), {"n": MAX_STEM_CHARS}))
    if qtype in ("single", "multiple"):
        answer = _check_choice(qtype, options, answer, problems)
    else:
        options = []  # only choice questions keep options
        if qtype == "true_false":
            if isinstance(answer, str):
                try:
                    answer = answers.parse_true_false(answer)
                except BankError as exc:
                    problems.append(exc.message)
            elif not isinstance(answer, bool):
                problems.append(Message(N_("判断题的答案应为“对”或“错”")))
        elif qtype == "fill_blank":
            answer = _check_fill(stem, answer, problems)
        elif qtype == "short_answer":
            answer = _check_short(answer, problems)
    difficulty = draft.difficulty
    if isinstance(difficulty, bool) or not isinstance(difficulty, int) or not 1 <= difficulty <= 5:
        problems.append(Message(N_("难度应为 1 到 5 之间的整数，收到 %(value)s"), {"value": difficulty}))
    points = draft.points
    if points is not None:
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points) or points <= 0:
            problems.append(Message(N_("分值应为大于 0 的数，收到 %(value)s"), {"value": points}))
        else:
            points = float(points)
    subject = clean_name(draft.subject or "")
    if len(subject) > NAME_MAX:
        problems.append(Message(N_("科目名称不能超过 %(n)d 个字"), {"n": NAME_MAX}))
    knowledge_points: list[str] = []
    seen: set[str] = set()
    for raw in draft.knowledge_points or []:
        name = clean_name(raw)
        key = normalize_name(name)
        if not name or key in seen:
            continue
        if len(name) > NAME_MAX:
            problems.append(Message(N_("知识点“%(name)s”超过 %(n)d 个字"), {"name": name[:20], "n": NAME_MAX}))
        seen.add(key)
        knowledge_points.append(name)
    if answer is draft.answer:  # passed through unchanged: the cleaned draft must not share it (checks build new keys)
        answer = _copy_answer(answer)
    cleaned = replace(
        draft,
        stem=stem,
        options=options,
        answer=answer,
        explanation=(draft.explanation or "").strip(),
        points=points,
        subject=subject,
        knowledge_points=knowledge_points,
        source=(draft.source or "").strip(),
    )
    return cleaned, problems

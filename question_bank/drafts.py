"""Draft questions: what every format reader produces and every writer consumes.

A draft is a question as read from a file, before it is stored. Readers never raise on bad
content; they collect ``Problem``s (with the 1-based line or row that caused them) so that the
preview can name every one at once, and ``Skipped`` items for types the bank does not have.

Answer keys use one representation everywhere (also stored as JSON on question versions):
- single:       "B"                          (option letter, A..H)
- multiple:     ["A", "C"]                   (sorted, distinct letters)
- true_false:   True / False
- fill_blank:   [["alt1", "alt2"], ["x"]]    (one list of accepted alternatives per blank)
- short_answer: {"reference": "model answer text", "keywords": [["要点", "同义词"], ...]}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from question_bank.messages import Message

QUESTION_TYPES = ("single", "multiple", "true_false", "fill_blank", "short_answer")
OPTION_KEYS = "ABCDEFGH"
MAX_OPTIONS = len(OPTION_KEYS)


@dataclass
class QuestionDraft:
    type: str
    stem: str
    options: list[str] = field(default_factory=list)  # option texts; keys are A, B, ... by position
    answer: Any = None
    explanation: str = ""
    difficulty: int = 3  # 1 (easy) .. 5 (hard)
    points: float | None = None  # None: the paper decides
    subject: str = ""
    knowledge_points: list[str] = field(default_factory=list)
    source: str = ""  # 出处 as typed, e.g. 《中国共产党组织工作条例》第十二条
    line: int | None = None  # 1-based line (text formats) or row (spreadsheets) where it starts
    category: str = ""  # a category/section path from the file, if the format has one


@dataclass(frozen=True)
class Problem:
    """Something wrong with the input; importing refuses the whole file while any exist."""

    line: int | None
    message: Message

    def __str__(self) -> str:
        where = f"第 {self.line} 行：" if self.line is not None else ""
        return f"{where}{self.message.text}"


# Skipped kinds that are notes about the text, not questions: a title or remark between questions,
# a stem line that repeats an option.
NOTICE_KINDS = frozenset({"text", "repeated_line"})


@dataclass(frozen=True)
class Skipped:
    """An item the format has but the bank cannot hold (matching, numerical, cloze, ...), or a
    notice about text that is not a question (``NOTICE_KINDS``)."""

    line: int | None
    kind: str  # the format's own name for the item type, e.g. "matching"
    message: Message

    def __str__(self) -> str:
        where = f"第 {self.line} 行：" if self.line is not None else ""
        return f"{where}{self.message.text}"


@dataclass
class ParseResult:
    format: str
    drafts: list[QuestionDraft] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts_by_type(self) -> dict[str, int]:
        counts = {t: 0 for t in QUESTION_TYPES}
        for d in self.drafts:
            counts[d.type] = counts.get(d.type, 0) + 1
        return counts


# --- keeping a parse result ------------------------------------------------------------------

_RESULT_VERSION = 1


def _message_json(message: Message) -> list:
    """[template, params]; a parameter that is a Message (a type's name) is kept as {"message": …}."""
    return [message.template, {k: {"message": _message_json(v)} if isinstance(v, Message) else v
                               for k, v in message.params.items()}]


def _message_from_json(data: list) -> Message:
    template, params = data
    return Message(template, {k: _message_from_json(v["message"]) if isinstance(v, dict) and "message" in v else v
                              for k, v in params.items()})


def result_to_json(result: ParseResult) -> dict[str, Any]:
    """``result`` as plain JSON data (see ``result_from_json``), so a parsed upload can be kept
    with it instead of being parsed again for every page of its preview."""
    return {
        "v": _RESULT_VERSION,
        "format": result.format,
        "drafts": [
            [d.type, d.stem, d.options, d.answer, d.explanation, d.difficulty, d.points, d.subject,
             d.knowledge_points, d.source, d.line, d.category]
            for d in result.drafts
        ],
        "problems": [[p.line, _message_json(p.message)] for p in result.problems],
        "skipped": [[s.line, s.kind, _message_json(s.message)] for s in result.skipped],
    }


def result_from_json(data: dict[str, Any]) -> ParseResult:
    """The ParseResult ``result_to_json`` gave; raises ValueError for data of another shape or version."""
    try:
        if data.get("v") != _RESULT_VERSION:
            raise ValueError("another version")
        drafts = [
            QuestionDraft(type=t, stem=stem, options=options, answer=answer, explanation=explanation,
                          difficulty=difficulty, points=points, subject=subject, knowledge_points=points_list,
                          source=source, line=line, category=category)
            for t, stem, options, answer, explanation, difficulty, points, subject, points_list, source, line, category
            in data["drafts"]
        ]
        problems = [Problem(line, _message_from_json(message)) for line, message in data["problems"]]
        skipped = [Skipped(line, kind, _message_from_json(message)) for line, kind, message in data["skipped"]]
        return ParseResult(data["format"], drafts, problems, skipped)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a kept parse result: {exc}") from exc

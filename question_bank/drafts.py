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


@dataclass(frozen=True)
class Skipped:
    """An item the format has but the bank cannot hold (matching, numerical, cloze, ...)."""

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

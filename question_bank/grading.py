"""Grading: a cadre's response to a question, turned into points. Pure functions only.

Like Moodle's question types, each type grades its own response: one small function per type
(``GRADERS``) says what share of the question it earned and whether it is right; ``grade`` turns
the share into points. Nothing here touches Flask or the database, so submitting, regrading and
the tests all grade the same way.

Answer keys are the canonical keys documented in ``question_bank.drafts``. Responses are the
canonical responses of the attempt API, which ``normalize_response`` produces from what the JSON
API receives: single ``"B"``, multiple ``["A", "C"]``, true_false ``True``, fill_blank
``["…", "…"]`` (one string per blank, as typed), short_answer ``"…"``; ``None`` is unanswered.

Points are rounded half up to 0.01 (never half to even, never through binary floats, so 2.675
gives 2.68): scores are shown with two decimals and summed, and a total must equal the sum of
the scores the cadre sees. The share is kept exact until then.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from question_bank.answers import fold
from question_bank.drafts import MAX_OPTIONS, OPTION_KEYS, QUESTION_TYPES
from question_bank.messages import BankError, N_, listing

MAX_BLANK_CHARS = 500
MAX_SHORT_ANSWER_CHARS = 5000

MultipleMode = Literal["all_or_nothing", "partial", "per_option"]
MULTIPLE_MODES: tuple[str, ...] = ("all_or_nothing", "partial", "per_option")


@dataclass(frozen=True)
class Grade:
    """What a response earned, and enough detail for a results page to explain it.

    ``correct`` is None while the response awaits manual marking (``needs_marking``).
    ``detail`` by type: multiple ``{"missed": (...), "wrong": (...)}`` (letters);
    fill_blank ``{"blanks": (True, False, ...)}``; short_answer ``{"keywords": (...)}``, per
    keyword group the synonym found in the response, or None; single and true_false ``{}``.
    """

    points: float
    max_points: float
    correct: bool | None
    needs_marking: bool = False
    detail: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class MultiplePolicy:
    """How a multiple-choice question is scored; papers differ, so the contest chooses.

    - ``all_or_nothing``: exactly the right options, or nothing.
    - ``partial`` (少选得部分分、错选不得分): any wrong option gives 0; a non-empty part of the
      right options gives ``partial_fraction`` of the points.
    - ``per_option``: points × right options chosen / right options, 0 if any wrong option.
    """

    mode: MultipleMode = "all_or_nothing"
    partial_fraction: float = 0.5

    def __post_init__(self) -> None:
        if self.mode not in MULTIPLE_MODES:
            raise BankError(N_("多选题计分方式“%(mode)s”无法识别，应为 all_or_nothing、partial 或 per_option"),
                            mode=self.mode)
        fraction = self.partial_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
            raise BankError(N_("多选题少选得分比例应为 0 到 1 之间的数，收到 %(value)s"), value=fraction)


# ---------------------------------------------------------------------------------------------
# Text comparison (fill_blank, short_answer)

TRAILING_PUNCTUATION = "。.，,；;！!？?、：:"
ENCLOSING_PAIRS = {
    "“": "”", "‘": "’", '"': '"', "'": "'", "「": "」", "『": "』",
    "《": "》", "〈": "〉", "(": ")", "[": "]", "【": "】", "〔": "〕",
}


def normalize_text(text: str) -> str:
    """The form in which a typed answer and a key are compared; both sides get the same steps.

    1. NFKC (``fold``): full-width letters, digits and punctuation become half-width (２０２４ → 2024).
    2. casefold, so case never matters.
    3. remove all whitespace and invisible format characters (zero-width spaces pasted from Word
       or a phone): Chinese answers carry no meaning in spaces, and people type them anyway.
    4. repeatedly, until nothing changes: strip trailing punctuation (。.，,；;！!？?、：:), and
       strip one pair of quotes or brackets (“” ‘’ "" '' 「」 『』 《》 〈〉 () [] 【】 〔〕) when
       that pair encloses the whole answer: “《党章》。” → 党章, but 《党章》和《准则》 stays.
    Punctuation inside an answer is kept: it can change what the answer says.
    """
    text = fold(str(text)).casefold()
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
    while True:
        stripped = _unwrap(text.rstrip(TRAILING_PUNCTUATION))
        if stripped == text:
            return text
        text = stripped


def _unwrap(text: str) -> str:
    """Drop a quote or bracket pair around the whole text; leave anything else alone."""
    if len(text) < 2 or ENCLOSING_PAIRS.get(text[0]) != text[-1]:
        return text
    opening, closing, inner = text[0], text[-1], text[1:-1]
    if opening == closing:  # "…": the pair encloses the whole only if no quote of that kind is inside
        return inner if opening not in inner else text
    depth = 0
    for ch in inner:
        depth += (ch == opening) - (ch == closing)
        if depth < 0:  # 《a》和《b》: the first 》 closes the first 《
            return text
    return inner if depth == 0 else text


def _matches(response: Any, alternatives: Any) -> bool:
    """A blank is right if it equals any alternative, both normalised; an empty blank never is."""
    if isinstance(alternatives, str):  # a key stored as one string per blank
        alternatives = [alternatives]
    if not isinstance(response, str) or not isinstance(alternatives, (list, tuple)):
        return False
    typed = normalize_text(response)
    return bool(typed) and any(typed == normalize_text(a) for a in alternatives if isinstance(a, str))


def _found(normalised_response: str, synonyms: list[str]) -> str | None:
    """The first synonym (as written in the key) that the normalised response contains."""
    for synonym in synonyms:
        wanted = normalize_text(synonym)
        if wanted and wanted in normalised_response:
            return synonym
    return None


# ---------------------------------------------------------------------------------------------
# One grader per type: (key, response, policy) -> Share


@dataclass(frozen=True)
class Share:
    """What one type's grader decides: the share of the points earned, and the state."""

    earned: Fraction
    correct: bool | None
    needs_marking: bool = False
    detail: Mapping[str, Any] = field(default_factory=dict, hash=False)


def _letter(value: Any) -> str:
    return fold(value).strip().upper() if isinstance(value, str) else ""


def _letters(values: Any) -> set[str]:
    if isinstance(values, str):  # a stored key spelt "AC" is still two letters
        values = list(values)
    if not isinstance(values, (list, tuple, set, frozenset)):
        return set()
    return {_letter(v) for v in values} - {""}


def grade_single(key: Any, response: Any, policy: MultiplePolicy) -> Share:
    """Right if the letter is the key's, whatever its case or width."""
    right = bool(_letter(response)) and _letter(response) == _letter(key)
    return Share(Fraction(int(right)), right)


def grade_multiple(key: Any, response: Any, policy: MultiplePolicy) -> Share:
    """Scored by the contest's ``MultiplePolicy``; a wrong option always scores 0."""
    correct, chosen = _letters(key), _letters(response)
    detail = {"missed": tuple(sorted(correct - chosen)), "wrong": tuple(sorted(chosen - correct))}
    if not chosen or not correct or chosen - correct:
        return Share(Fraction(0), False, detail=detail)
    if chosen == correct:
        return Share(Fraction(1), True, detail=detail)
    if policy.mode == "partial":
        earned = Fraction(str(policy.partial_fraction))
    elif policy.mode == "per_option":
        earned = Fraction(len(chosen), len(correct))
    else:
        earned = Fraction(0)
    return Share(earned, False, detail=detail)


def grade_true_false(key: Any, response: Any, policy: MultiplePolicy) -> Share:
    """Right only for the same bool: 1, "true" or "对" are not responses (see normalize_response)."""
    right = isinstance(response, bool) and isinstance(key, bool) and response is key
    return Share(Fraction(int(right)), right)


def grade_fill_blank(key: Any, response: Any, policy: MultiplePolicy) -> Share:
    """Points split equally across blanks; missing blanks are wrong, extra responses ignored."""
    blanks = list(key) if isinstance(key, (list, tuple)) else []
    typed = list(response) if isinstance(response, (list, tuple)) else []
    typed += [None] * (len(blanks) - len(typed))
    results = tuple(_matches(t, alternatives) for t, alternatives in zip(typed, blanks))
    if not blanks:
        return Share(Fraction(0), False, detail={"blanks": ()})
    return Share(Fraction(sum(results), len(blanks)), all(results), detail={"blanks": results})


def grade_short_answer(key: Any, response: Any, policy: MultiplePolicy) -> Share:
    """Keyword groups share the points; with no keywords a person marks it (0 until then).

    A group with no usable synonym is ignored rather than making full points unreachable.
    """
    key = key if isinstance(key, Mapping) else {}
    groups = [
        [s for s in group if isinstance(s, str) and normalize_text(s)]
        for group in (key.get("keywords") or [])
        if isinstance(group, (list, tuple))
    ]
    groups = [g for g in groups if g]
    if not is_answered("short_answer", response):
        return Share(Fraction(0), False, detail={"keywords": (None,) * len(groups)})
    if not groups:
        return Share(Fraction(0), None, needs_marking=True, detail={"keywords": ()})
    typed = normalize_text(response)
    found = tuple(_found(typed, group) for group in groups)
    matched = sum(f is not None for f in found)
    return Share(Fraction(matched, len(groups)), matched == len(groups), detail={"keywords": found})


Grader = Callable[[Any, Any, MultiplePolicy], Share]

GRADERS: dict[str, Grader] = {
    "single": grade_single,
    "multiple": grade_multiple,
    "true_false": grade_true_false,
    "fill_blank": grade_fill_blank,
    "short_answer": grade_short_answer,
}


def grade(question: Any, response: Any, *, multiple_policy: MultiplePolicy = MultiplePolicy()) -> Grade:
    """Grade one response. ``question`` needs ``type``, ``answer`` (canonical key) and ``points``.

    Never raises for a strange response (stored data is graded as found: it simply earns 0);
    raises ``BankError`` for an unknown type and ``ValueError`` for points that are not a
    finite number ≥ 0.
    """
    grader = _by_type(GRADERS, question.type)
    max_points = _max_points(question.points)
    share = grader(question.answer, response, multiple_policy)
    return Grade(
        points=_award(max_points, share.earned),
        max_points=float(max_points),
        correct=share.correct,
        needs_marking=share.needs_marking,
        detail=share.detail,
    )


def _max_points(points: Any) -> Fraction:
    """Exact points (via ``str``, so 0.1 means one tenth, not its binary approximation)."""
    try:
        value = Fraction(str(points))
    except (TypeError, ValueError):
        raise ValueError(f"question points must be a finite number, not {points!r}") from None
    if value < 0:
        raise ValueError(f"question points must be >= 0, not {points!r}")
    return value


def _award(max_points: Fraction, earned: Fraction) -> float:
    """Points for a share, rounded half up to 0.01; full marks are exactly the question's points."""
    if earned >= 1:
        return float(max_points)
    if earned <= 0:
        return 0.0
    cents = math.floor(max_points * earned * 100 + Fraction(1, 2))  # exact, so half up really is
    return min(float(Decimal(cents).scaleb(-2)), float(max_points))


# ---------------------------------------------------------------------------------------------
# What the attempt API accepts


def is_answered(qtype: str, response: Any) -> bool:
    """Whether a response says anything; blank text, no options or no blanks filled is unanswered."""
    _by_type(GRADERS, qtype)
    if qtype == "true_false":
        return isinstance(response, bool)
    if qtype in ("single", "short_answer"):
        return isinstance(response, str) and bool(response.strip())
    if qtype == "multiple":
        return isinstance(response, (list, tuple)) and len(response) > 0
    return isinstance(response, (list, tuple)) and any(isinstance(t, str) and t.strip() for t in response)


def normalize_response(
    qtype: str, raw: Any, *, option_count: int | None = None, blank_count: int | None = None
) -> Any:
    """The canonical response for what the JSON API received, or ``BankError`` saying what is valid.

    ``None`` clears an answer for every type, and anything unanswered (``""``, ``[]``, all blanks
    empty) comes back as ``None``, so there is one way to store "no answer". Text is kept as
    typed (grading normalises it), so a marker sees what the cadre wrote.
    """
    normalizer = _by_type(_NORMALIZERS, qtype)
    if raw is None:
        return None
    response = normalizer(raw, option_count=option_count, blank_count=blank_count)
    return response if is_answered(qtype, response) else None


def _option_range(option_count: int | None) -> str:
    count = option_count if option_count else MAX_OPTIONS
    return f"A–{OPTION_KEYS[min(count, MAX_OPTIONS) - 1]}"


def _option_letter(raw: Any, option_count: int | None, problem: str) -> str:
    """One option letter of this question, in any case or width: 'b', 'Ｂ' -> 'B'."""
    letters = OPTION_KEYS[: option_count or MAX_OPTIONS]
    letter = _letter(raw)
    if not isinstance(raw, str) or len(letter) != 1 or letter not in OPTION_KEYS:
        raise BankError(problem, letters=_option_range(option_count))
    if letter not in letters:
        raise BankError(N_("“%(letter)s”不是本题的选项，本题的选项为 %(letters)s"), letter=letter,
                        letters=_option_range(option_count))
    return letter


def _normalize_single(raw: Any, *, option_count: int | None, **_: Any) -> str:
    if isinstance(raw, str) and not raw.strip():
        return ""
    return _option_letter(raw, option_count, N_("单选题的答案应为一个选项字母（%(letters)s），例如 \"B\""))


def _normalize_multiple(raw: Any, *, option_count: int | None, **_: Any) -> list[str]:
    problem = N_("多选题的答案应为选项字母（%(letters)s）的列表，例如 [\"A\", \"C\"]")
    if not isinstance(raw, list):
        raise BankError(problem, letters=_option_range(option_count))
    letters = [_option_letter(item, option_count, problem) for item in raw]
    for letter in letters:
        if letters.count(letter) > 1:
            raise BankError(N_("多选题的答案中“%(letter)s”出现了不止一次，每个选项只能选一次"), letter=letter)
    return sorted(letters)


def _normalize_true_false(raw: Any, **_: Any) -> bool:
    if not isinstance(raw, bool):
        raise BankError(N_("判断题的答案应为 true（对）或 false（错）"))
    return raw


def _checked_text(text: str, limit: int, too_long: str, **params: Any) -> str:
    if len(text) > limit:
        raise BankError(too_long, max=limit, got=len(text), **params)
    if "\x00" in text:  # PostgreSQL cannot store NUL in text or JSON
        raise BankError(N_("答案中含有无法保存的控制字符（NUL），请删除后重试"))
    return text


def _normalize_fill_blank(raw: Any, *, blank_count: int | None, **_: Any) -> list[str]:
    if not isinstance(raw, list):
        raise BankError(N_("填空题的答案应为文字的列表，每个空一项，例如 [\"…\", \"…\"]"))
    if blank_count is not None and len(raw) != blank_count:
        raise BankError(N_("本题有 %(expected)d 个空，答案应为 %(expected)d 项，收到 %(got)d 项"),
                        expected=blank_count, got=len(raw))
    blanks = []
    for n, item in enumerate(raw, start=1):
        if item is None:  # a blank the page never touched
            item = ""
        if not isinstance(item, str):
            raise BankError(N_("填空题第 %(n)d 个空的答案应为文字"), n=n)
        blanks.append(_checked_text(item, MAX_BLANK_CHARS,
                                    N_("填空题第 %(n)d 个空的答案最多 %(max)d 个字，收到 %(got)d 个字"), n=n))
    return blanks


def _normalize_short_answer(raw: Any, **_: Any) -> str:
    if not isinstance(raw, str):
        raise BankError(N_("简答题的答案应为一段文字"))
    return _checked_text(raw, MAX_SHORT_ANSWER_CHARS, N_("简答题的答案最多 %(max)d 个字，收到 %(got)d 个字"))


_NORMALIZERS: dict[str, Callable[..., Any]] = {
    "single": _normalize_single,
    "multiple": _normalize_multiple,
    "true_false": _normalize_true_false,
    "fill_blank": _normalize_fill_blank,
    "short_answer": _normalize_short_answer,
}


def _by_type(registry: dict[str, Any], qtype: str) -> Any:
    try:
        return registry[qtype]
    except (KeyError, TypeError):
        raise BankError(N_("未知题型“%(type)s”，应为 %(types)s 之一"), type=qtype,
                        types=listing(QUESTION_TYPES)) from None

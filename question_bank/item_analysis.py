"""Item analysis (试题分析): how each question of a paper behaved, from the graded attempts.

Pure functions over plain data: no Flask, no database. The measures follow Moodle's quiz
statistics report (question/classes/statistics/questions/calculator.php), so an organizer who
knows that report reads ours the same way:

- facility (难度系数 P): the mean of score / max over the attempts that had the question
  (1 = everyone full marks, 0 = nobody scored).
- discrimination (区分度, Moodle's "discrimination index"): the point-biserial (Pearson)
  correlation between the item's score and the rest-of-test score (the attempt's total minus
  this item), so the item does not correlate with itself. Range −1..1.
- discriminative efficiency (区分效率): cov(item, rest) / the largest covariance the same two
  sets of values could have (both sorted ascending and paired). It says how much of the
  discrimination the item's facility allows it actually reaches. 0..1 (Moodle shows it in %).
- upper/lower groups (高低分组区分度 D): the attempts ranked by total score; the top and bottom
  27 % (``round(0.27 n)``, at least one; ties broken by the order given); D = mean score / max
  in the upper group − the same in the lower group.
- option shares (选项分布), single and multiple choice: the share of attempts that chose each
  option (canonical letters, the bank's order), and of those that left it blank.
- the paper's internal consistency, Cronbach's α = k/(k−1) · (1 − Σ var(item) / var(total)),
  population variances of the points; and KR-20 = k/(k−1) · (1 − Σ p·q / var(total)) on 0/1 scores
  when every item is scored all-or-nothing with equal points, where the two are the same number.

A value that cannot be computed is ``None`` with a ``Message`` saying why (too few attempts,
nobody differs, answers waiting to be marked, a different paper per person): never a NaN and
never an exception.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from question_bank.drafts import OPTION_KEYS
from question_bank.messages import N_, Message

MIN_ATTEMPTS = 5  # fewer attempts than this: no correlation, groups or α (noise, not information)
GROUP_SHARE = 0.27
EFFICIENCY_FLOOR = 0.15
FACILITY_HIGH = 0.95
FACILITY_LOW = 0.10
CHOICE_TYPES = ("single", "multiple")
_EPSILON = 1e-12  # a variance below this is zero (float noise of equal values)


@dataclass(frozen=True, slots=True)  # slots: a contest of 100,000 attempts holds millions of these
class ItemScore:
    """One attempt's result on one question: points awarded (None while it waits for a marker),
    the question's points in that attempt, and the canonical option letters chosen (single
    ``"B"``, multiple ``["A", "C"]``, None when left blank or not a choice question)."""

    score: float | None
    max_score: float
    choice: Any = None


@dataclass(frozen=True)
class ItemSpec:
    """What the analysis needs to know of a question: its type, how many options, the key."""

    type: str
    option_count: int = 0
    key: Any = None


@dataclass(frozen=True)
class Value:
    """A measure: ``value``, or None and ``reason`` saying why it could not be computed."""

    value: float | None
    reason: Message | None = None

    @classmethod
    def missing(cls, template: str, **params: Any) -> Value:
        return cls(None, Message(template, params))


@dataclass(frozen=True)
class OptionShare:
    key: str  # canonical letter, the bank's order
    count: int
    share: float
    correct: bool


@dataclass
class ItemAnalysis:
    question_id: int
    type: str
    attempts: int  # attempts that had this question
    facility: Value
    discrimination: Value
    efficiency: Value
    upper_lower: Value
    options: list[OptionShare] = field(default_factory=list)
    blank_count: int = 0
    blank_share: float | None = None
    flags: list[Message] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass
class PaperAnalysis:
    attempts: int
    items: list[ItemAnalysis]
    alpha: Value
    kr20: Value

    @property
    def flagged(self) -> list[ItemAnalysis]:
        return [i for i in self.items if i.flags]


# --- small statistics ---------------------------------------------------------------------------

def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def variance(values: Sequence[float]) -> float:
    """Population variance (divide by n); below float noise it is exactly 0."""
    m = mean(values)
    v = math.fsum((x - m) ** 2 for x in values) / len(values)
    return 0.0 if v < _EPSILON else v


def covariance(xs: Sequence[float], ys: Sequence[float]) -> float:
    mx, my = mean(xs), mean(ys)
    return math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys)) / len(xs)


def _cannot_correlate(items: Sequence[float], rest: Sequence[float], min_attempts: int) -> Value | None:
    """Why item and rest scores cannot be correlated (too few, or one side constant), or None."""
    if len(items) < max(min_attempts, 2):
        return Value.missing(N_("作答人数少于 %(n)d 人，暂不计算"), n=max(min_attempts, 2))
    if variance(items) == 0:
        return Value.missing(N_("所有人本题得分相同，无法计算"))
    if variance(rest) == 0:
        return Value.missing(N_("所有人其余题目得分相同，无法计算"))
    return None


def point_biserial(items: Sequence[float], rest: Sequence[float], *, min_attempts: int = MIN_ATTEMPTS) -> Value:
    """Pearson correlation of item scores with rest-of-test scores (Moodle's discrimination index / 100)."""
    refused = _cannot_correlate(items, rest, min_attempts)
    if refused is not None:
        return refused
    return Value(_clamp(covariance(items, rest) / math.sqrt(variance(items) * variance(rest))))


def discriminative_efficiency(items: Sequence[float], rest: Sequence[float], *, min_attempts: int = MIN_ATTEMPTS) -> Value:
    """cov(item, rest) / cov(sorted item, sorted rest): Moodle's discriminative efficiency / 100.
    The sorted pairing gives the largest covariance two such sets of values can have, which is
    positive whenever neither side is constant."""
    refused = _cannot_correlate(items, rest, min_attempts)
    if refused is not None:
        return refused
    return Value(covariance(items, rest) / covariance(sorted(items), sorted(rest)))


def upper_lower(fractions: Sequence[float], totals: Sequence[float], *, share: float = GROUP_SHARE,
                min_attempts: int = MIN_ATTEMPTS) -> Value:
    """D = mean fraction in the top ``share`` of attempts by total − the same in the bottom ``share``."""
    n = len(fractions)
    if n < max(min_attempts, 2):
        return Value.missing(N_("作答人数少于 %(n)d 人，暂不计算"), n=max(min_attempts, 2))
    size = max(1, min(n // 2, round(share * n)))
    ranked = sorted(range(n), key=lambda i: -totals[i])  # stable: ties keep the given order
    upper = [fractions[i] for i in ranked[:size]]
    lower = [fractions[i] for i in ranked[-size:]]
    return Value(mean(upper) - mean(lower))


def cronbach_alpha(matrix: Sequence[Sequence[float]], *, min_attempts: int = MIN_ATTEMPTS) -> Value:
    """α over a complete matrix (one row per attempt, one column per item, points)."""
    n = len(matrix)
    k = len(matrix[0]) if matrix else 0
    if k < 2:
        return Value.missing(N_("试卷少于 2 道题，无法计算信度"))
    if n < max(min_attempts, 2):
        return Value.missing(N_("作答人数少于 %(n)d 人，暂不计算"), n=max(min_attempts, 2))
    total_variance = variance([math.fsum(row) for row in matrix])
    if total_variance == 0:
        return Value.missing(N_("所有人总分相同，无法计算信度"))
    item_variances = math.fsum(variance([row[j] for row in matrix]) for j in range(k))
    return Value(k / (k - 1) * (1 - item_variances / total_variance))


def kr20(matrix: Sequence[Sequence[int]], *, min_attempts: int = MIN_ATTEMPTS) -> Value:
    """KR-20 over a complete 0/1 matrix (1 = answered right)."""
    n = len(matrix)
    k = len(matrix[0]) if matrix else 0
    if k < 2:
        return Value.missing(N_("试卷少于 2 道题，无法计算信度"))
    if n < max(min_attempts, 2):
        return Value.missing(N_("作答人数少于 %(n)d 人，暂不计算"), n=max(min_attempts, 2))
    if any(x not in (0, 1) for row in matrix for x in row):
        return Value.missing(N_("有题目不是“全对得分、否则零分”，KR-20 不适用，请看 α"))
    total_variance = variance([sum(row) for row in matrix])
    if total_variance == 0:
        return Value.missing(N_("所有人总分相同，无法计算信度"))
    pq = math.fsum(p * (1 - p) for p in (mean([row[j] for row in matrix]) for j in range(k)))
    return Value(k / (k - 1) * (1 - pq / total_variance))


def _clamp(r: float) -> float:
    return max(-1.0, min(1.0, r))


# --- the analysis -------------------------------------------------------------------------------

def _letters(choice: Any) -> list[str]:
    if choice is None:
        return []
    if isinstance(choice, str):
        return [choice]
    return [c for c in choice if isinstance(c, str)]


def option_shares(spec: ItemSpec, choices: Sequence[Any]) -> tuple[list[OptionShare], int]:
    """Each option's count and share of ``choices`` (one per attempt that had the question), and
    the number left blank. Multiple choice: an attempt counts once for each option it chose."""
    n = len(choices)
    count = max(spec.option_count, 0)
    tally = dict.fromkeys(OPTION_KEYS[:count], 0)
    blank = 0
    for choice in choices:
        letters = _letters(choice)
        if not letters:
            blank += 1
        for letter in set(letters):
            if letter in tally:
                tally[letter] += 1
    key = set(_letters(spec.key))
    shares = [OptionShare(k, c, c / n if n else 0.0, k in key) for k, c in tally.items()]
    return shares, blank


def flags_for(facility: Value, discrimination: Value, efficiency: Value) -> list[Message]:
    """Why a question deserves a second look (only measures that could be computed can flag)."""
    found = []
    if discrimination.value is not None and discrimination.value < 0:
        found.append(Message(N_("区分度为负：总分高的人反而更容易答错，请检查答案是否有误、题干是否有歧义")))
    if efficiency.value is not None and efficiency.value < EFFICIENCY_FLOOR:
        found.append(Message(N_("区分效率低于 %(floor)d%%：本题几乎分不出掌握得好与不好的人"),
                             {"floor": round(EFFICIENCY_FLOOR * 100)}))
    if facility.value is not None and facility.value > FACILITY_HIGH:
        found.append(Message(N_("难度系数高于 %(limit)s：几乎人人答对，题目过易"), {"limit": f"{FACILITY_HIGH:g}"}))
    if facility.value is not None and facility.value < FACILITY_LOW:
        found.append(Message(N_("难度系数低于 %(limit)s：几乎没人答对，题目过难或答案有误"), {"limit": f"{FACILITY_LOW:g}"}))
    return found


def analyse_item(question_id: int, spec: ItemSpec, rows: Sequence[tuple[ItemScore, float]], *,
                 min_attempts: int = MIN_ATTEMPTS) -> ItemAnalysis:
    """One question from ``(its score in an attempt, that attempt's total)`` pairs."""
    n = len(rows)
    choices = [s.choice for s, _t in rows]
    shares, blank = option_shares(spec, choices) if spec.type in CHOICE_TYPES else ([], 0)
    item = ItemAnalysis(question_id, spec.type, n, Value(None), Value(None), Value(None), Value(None), shares, blank,
                        blank / n if n and spec.type in CHOICE_TYPES else None)
    pending = sum(1 for s, _t in rows if s.score is None)
    if n == 0:
        missing = Value.missing(N_("没有人作答本题"))
    elif pending:
        missing = Value.missing(N_("有 %(n)d 份作答待人工评分，评完后再统计"), n=pending)
    elif any(s.max_score <= 0 for s, _t in rows):
        missing = Value.missing(N_("本题分值为 0，不参与统计"))
    else:
        missing = None
    if missing is not None:
        item.facility = item.discrimination = item.efficiency = item.upper_lower = missing
        return item
    fractions = [s.score / s.max_score for s, _t in rows]
    points = [s.score for s, _t in rows]
    totals = [t for _s, t in rows]
    rest = [t - p for t, p in zip(totals, points)]
    item.facility = Value(mean(fractions))
    item.discrimination = point_biserial(fractions, rest, min_attempts=min_attempts)
    item.efficiency = discriminative_efficiency(fractions, rest, min_attempts=min_attempts)
    item.upper_lower = upper_lower(fractions, totals, min_attempts=min_attempts)
    item.flags = flags_for(item.facility, item.discrimination, item.efficiency)
    return item


def analyse(attempts: Sequence[Mapping[int, ItemScore]], specs: Mapping[int, ItemSpec], *,
            order: Sequence[int] | None = None, min_attempts: int = MIN_ATTEMPTS) -> PaperAnalysis:
    """Every question of ``specs`` over ``attempts`` (one mapping question_id -> ItemScore per
    counted attempt; a question an attempt did not have is simply absent), in ``order`` (default:
    the order of ``specs``). An attempt's total is the sum of its item scores (pending ones as 0)."""
    totals = [math.fsum(s.score or 0.0 for s in a.values()) for a in attempts]
    ids = [q for q in (order if order is not None else specs) if q in specs]
    listed = set(ids)
    ids += [q for q in specs if q not in listed]
    items = []
    for question_id in ids:
        rows = [(a[question_id], t) for a, t in zip(attempts, totals) if question_id in a]
        items.append(analyse_item(question_id, specs[question_id], rows, min_attempts=min_attempts))
    alpha, kr = _consistency(attempts, ids, min_attempts=min_attempts)
    return PaperAnalysis(len(attempts), items, alpha, kr)


def _consistency(attempts: Sequence[Mapping[int, ItemScore]], ids: Sequence[int], *, min_attempts: int) -> tuple[Value, Value]:
    """(α, KR-20) of the paper: only when everyone answered the same questions, all marked."""
    if not attempts:
        missing = Value.missing(N_("还没有已交的答卷"))
        return missing, missing
    if any(set(a) != set(ids) for a in attempts):
        missing = Value.missing(N_("每人试题不同（千人千卷），无法计算整卷信度"))
        return missing, missing
    if any(a[q].score is None for a in attempts for q in ids):
        missing = Value.missing(N_("尚有作答待人工评分，评完后再统计"))
        return missing, missing
    matrix = [[a[q].score for q in ids] for a in attempts]
    alpha = cronbach_alpha(matrix, min_attempts=min_attempts)
    dichotomous = all(
        a[q].score in (0, a[q].max_score) and a[q].max_score == attempts[0][q].max_score == attempts[0][ids[0]].max_score
        for a in attempts for q in ids
    )
    if not dichotomous:
        return alpha, Value.missing(N_("有题目不是“全对得分、否则零分”，KR-20 不适用，请看 α"))
    return alpha, kr20([[1 if a[q].score == a[q].max_score else 0 for q in ids] for a in attempts], min_attempts=min_attempts)

"""Practice figures, computed from the stored answers (``PracticeAnswer``) and attempts, never kept
as copies.

- ``yearly_practice(session, user_ids, year)``: what feeds the annual assessment (年度考核), per
  cadre per year: questions practised, accuracy, days active, mock exams taken. The assessment
  feature calls this one function; it reads the facts each time.
- ``progress(session, user, now=...)``: the personal progress page, in a fixed number of queries
  whatever the length of the cadre's history (each query is an aggregate whose rows are bounded by
  the chart's weeks, the subjects and the knowledge points, not by the answers).

Definitions (the same on the progress page and in the yearly figures):
- *questions practised*: practice answers given (a question answered twice counts twice); mock
  exam questions are not practice answers, they count as mock exams.
- *accuracy*: right answers / answers marked right or wrong (a short answer with no keywords to
  mark it automatically is neither); None when there are none.
- *days active*: calendar days in QUIZ_TIMEZONE with at least one practice answer
  (``PracticeAnswer.day``).
- *mock exams taken*: the cadre's finalised mock-exam attempts (``Attempt.kind == 'mock'``, submitted
  or expired) that ended within the year, the year's bounds taken in QUIZ_TIMEZONE.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from question_bank.models import KnowledgePoint, QuestionVersion, Subject, version_knowledge_points
from quiz.contests.models import Attempt
from quiz.practice.models import PracticeAnswer
from quiz.practice.services import BookSize, Streak, book_size, daily_streak, day_start_utc, local_day

IN_CHUNK = 500
CHART_WEEKS = 12
RECENT_DAYS = 28
WEAK_MIN_ANSWERS = 3  # a knowledge point needs this many marked answers before it can be called weak
WEAKEST = 5


def _accuracy(correct: int, graded: int) -> float | None:
    return round(correct / graded, 4) if graded else None


def _graded():
    return func.count(PracticeAnswer.correct)  # COUNT(column) skips NULL: answers marked right or wrong


def _right():
    return func.coalesce(func.sum(case((PracticeAnswer.correct.is_(True), 1), else_=0)), 0)


# --- the annual assessment's input ------------------------------------------------------------

@dataclass(frozen=True)
class PracticeYear:
    """One cadre's practice in one calendar year (see the module docstring for each figure)."""

    user_id: int
    year: int
    questions_practised: int = 0
    distinct_questions: int = 0
    graded: int = 0
    correct: int = 0
    days_active: int = 0
    mock_exams: int = 0

    @property
    def accuracy(self) -> float | None:
        return _accuracy(self.correct, self.graded)


def yearly_practice(session: Session, user_ids: Iterable[int], year: int, *, tz=None) -> dict[int, PracticeYear]:
    """{user id: PracticeYear} for every given user (zeros for a cadre who did not practise), for
    the calendar year ``year`` in ``tz`` (QUIZ_TIMEZONE). Two grouped queries per 500 users."""
    ids = sorted({int(u) for u in user_ids})
    first, last = date(year, 1, 1), date(year, 12, 31)
    start, end = day_start_utc(first, tz), day_start_utc(date(year + 1, 1, 1), tz)
    figures: dict[int, dict[str, int]] = {u: {} for u in ids}
    for i in range(0, len(ids), IN_CHUNK):
        chunk = ids[i:i + IN_CHUNK]
        for user_id, answers, questions, graded, right, days in session.execute(
            select(PracticeAnswer.user_id, func.count(), func.count(PracticeAnswer.question_id.distinct()), _graded(), _right(),
                   func.count(PracticeAnswer.day.distinct()))
            .where(PracticeAnswer.user_id.in_(chunk), PracticeAnswer.day.between(first, last))
            .group_by(PracticeAnswer.user_id)
        ):
            figures[user_id].update(questions_practised=answers, distinct_questions=questions, graded=graded,
                                    correct=int(right), days_active=days)
        for user_id, mocks in session.execute(
            select(Attempt.user_id, func.count())
            .where(Attempt.user_id.in_(chunk), Attempt.kind == "mock", Attempt.status != "in_progress",
                   Attempt.submitted_at >= start, Attempt.submitted_at < end)
            .group_by(Attempt.user_id)
        ):
            figures[user_id]["mock_exams"] = mocks
    return {u: PracticeYear(u, year, **f) for u, f in figures.items()}


# --- the progress page ------------------------------------------------------------------------

@dataclass
class Totals:
    answered: int
    graded: int
    correct: int
    days_active: int
    questions: int

    @property
    def accuracy(self) -> float | None:
        return _accuracy(self.correct, self.graded)


@dataclass
class Series:
    """One subject's weekly figures: ``points[i]`` is (answered, accuracy or None) of week i."""

    subject_id: int | None
    name: str
    points: list[tuple[int, float | None]]
    answered: int = 0
    graded: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float | None:
        return _accuracy(self.correct, self.graded)


@dataclass
class PointRow:
    """A knowledge point: overall, and over the last ``RECENT_DAYS`` days."""

    id: int
    name: str
    answered: int
    graded: int
    correct: int
    recent_graded: int
    recent_correct: int

    @property
    def accuracy(self) -> float | None:
        return _accuracy(self.correct, self.graded)

    @property
    def recent_accuracy(self) -> float | None:
        return _accuracy(self.recent_correct, self.recent_graded)

    @property
    def trend(self) -> str:
        """up / down / flat / "" : the last four weeks against all time (5 points either way is flat)."""
        if self.recent_accuracy is None or self.accuracy is None or self.recent_graded == self.graded:
            return ""
        delta = self.recent_accuracy - self.accuracy
        return "up" if delta > 0.05 else "down" if delta < -0.05 else "flat"


@dataclass
class Progress:
    totals: Totals
    streak: Streak
    book: BookSize
    mock_exams: int
    weeks: list[date]  # Mondays, oldest first
    weekly_answered: list[int]
    weekly_accuracy: list[float | None]
    subjects: list[Series]
    points: list[PointRow]
    weakest: list[PointRow] = field(default_factory=list)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def progress(session: Session, user, *, now: datetime, tz=None, weeks: int = CHART_WEEKS) -> Progress:
    """Everything the progress page shows, in eight queries whatever the history's length."""
    today = local_day(now, tz)
    mondays = [_monday(today) - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    since, recent = mondays[0], today - timedelta(days=RECENT_DAYS - 1)
    mine = PracticeAnswer.user_id == user.id

    answered, graded, right, days, questions = session.execute(
        select(func.count(), _graded(), _right(), func.count(PracticeAnswer.day.distinct()),
               func.count(PracticeAnswer.question_id.distinct())).where(mine)
    ).one()
    totals = Totals(answered, graded, int(right), days, questions)

    # per day and subject over the chart's weeks: at most weeks × 7 × subjects rows
    by_day = session.execute(
        select(PracticeAnswer.day, QuestionVersion.subject_id, func.count(), _graded(), _right())
        .join(QuestionVersion, QuestionVersion.id == PracticeAnswer.question_version_id)
        .where(mine, PracticeAnswer.day >= since).group_by(PracticeAnswer.day, QuestionVersion.subject_id)
    ).all()
    names = dict(session.execute(select(Subject.id, Subject.name).order_by(Subject.sort_order, Subject.id)).all())
    index = {monday: i for i, monday in enumerate(mondays)}
    cells: dict[int | None, list[list[int]]] = {}
    week_totals = [[0, 0, 0] for _ in mondays]
    for day, subject_id, n, g, r in by_day:
        i = index.get(_monday(day))
        if i is None:
            continue
        row = cells.setdefault(subject_id, [[0, 0, 0] for _ in mondays])
        for target in (row[i], week_totals[i]):
            target[0] += n
            target[1] += g
            target[2] += int(r)
    order = {sid: k for k, sid in enumerate(names)}
    subjects = []
    for subject_id in sorted(cells, key=lambda s: (order.get(s, len(order)), s or 0)):
        row = cells[subject_id]
        subjects.append(Series(subject_id, names.get(subject_id, ""), [(n, _accuracy(r, g)) for n, g, r in row],
                               sum(c[0] for c in row), sum(c[1] for c in row), sum(c[2] for c in row)))

    kp = version_knowledge_points
    is_recent = PracticeAnswer.day >= recent
    points = [
        PointRow(pid, name, n, g, int(r), rg, int(rr))
        for pid, name, n, g, r, rg, rr in session.execute(
            select(KnowledgePoint.id, KnowledgePoint.name, func.count(), _graded(), _right(),
                   func.count(case((is_recent, PracticeAnswer.correct))),
                   func.coalesce(func.sum(case((and_(is_recent, PracticeAnswer.correct.is_(True)), 1), else_=0)), 0))
            .select_from(PracticeAnswer)
            .join(kp, kp.c.version_id == PracticeAnswer.question_version_id)
            .join(KnowledgePoint, KnowledgePoint.id == kp.c.knowledge_point_id)
            .where(mine).group_by(KnowledgePoint.id, KnowledgePoint.name)
        )
    ]
    points.sort(key=lambda p: (-p.answered, p.name))
    weakest = sorted((p for p in points if p.graded >= WEAK_MIN_ANSWERS and p.correct < p.graded),
                     key=lambda p: (p.accuracy, -p.graded, p.name))[:WEAKEST]

    mock_exams = session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.user_id == user.id, Attempt.kind == "mock", Attempt.status != "in_progress")) or 0
    return Progress(
        totals=totals, streak=daily_streak(session, user.id, now=now, tz=tz), book=book_size(session, user, now=now),
        mock_exams=mock_exams, weeks=mondays, weekly_answered=[c[0] for c in week_totals],
        weekly_accuracy=[_accuracy(c[2], c[1]) for c in week_totals], subjects=subjects, points=points, weakest=weakest,
    )


# --- the chart --------------------------------------------------------------------------------

@dataclass
class Chart:
    """Geometry of the progress chart (an inline SVG drawn by the template, no script): weekly
    answers as bars, accuracy per subject as lines on a 0–100 % scale."""

    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    bars: list[tuple[float, float, float, float, int]]  # x, y, width, height, answered
    lines: list[tuple[int, str, str, list[tuple[float, float, float | None]]]]  # series no, name, polyline points, dots
    labels: list[tuple[float, str]]  # x, week label
    gridlines: list[tuple[float, str]]  # y, percent label
    max_answered: int


def chart(data: Progress, *, width: int = 360, height: int = 220) -> Chart:
    left, top, right, bottom = 34, 10, 8, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(data.weeks)
    step = plot_w / max(n, 1)
    peak = max(data.weekly_answered + [1])
    bars = []
    for i, answered in enumerate(data.weekly_answered):
        h = plot_h * answered / peak * 0.5  # bars use the lower half, under the lines
        bars.append((round(left + i * step + step * 0.2, 1), round(top + plot_h - h, 1), round(step * 0.6, 1), round(h, 1), answered))
    lines = []
    for k, series in enumerate(data.subjects):
        dots = []
        for i, (_n, accuracy) in enumerate(series.points):
            if accuracy is not None:
                dots.append((round(left + i * step + step / 2, 1), round(top + plot_h * (1 - accuracy), 1), accuracy))
        lines.append((k % 6, series.name, " ".join(f"{x},{y}" for x, y, _a in dots), dots))
    last = n - 1  # every other week is labelled, ending with this week, so labels never overlap on a phone
    labels = [(round(left + i * step + step / 2, 1), f"{m.month}/{m.day}") for i, m in enumerate(data.weeks) if (last - i) % 2 == 0]
    grid = [(round(top + plot_h * (1 - p / 100), 1), f"{p}%") for p in (0, 50, 100)]
    return Chart(width, height, left, top, plot_w, plot_h, bars, lines, labels, grid, peak)

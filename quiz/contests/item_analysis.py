"""Item analysis of a contest (试题分析): the counted attempts' graded responses, handed to the
pure functions of ``question_bank.item_analysis``.

Which attempts: each cadre's counted one, by the contest's rule (best or last), exactly as the
leaderboard and results pages count them (``leaderboard.counted_attempts``); mock exams,
attempts in progress and ungraded ones stay out. Reads only: after close, the caller first
finalises the attempts the deadline ended (``attempts.finalise_expired(..., how='close')``, as the
results page does), so an attempt that ran out unsubmitted counts with its saved answers.

Options: responses are stored with canonical option letters (``attempts.save_response`` maps the
attempt's shuffled display keys back through ``AttemptQuestion.option_order`` before storing),
so the shares here are already in the bank's option order: "B" means the bank's second option
whatever letter each cadre saw it under.

Cost, whatever the number of attempts: three SELECTs (every counted attempt's questions with
their responses, one outer join; the versions shown; the first drawn paper, for the question
order).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from question_bank.item_analysis import MIN_ATTEMPTS, ItemScore, ItemSpec, PaperAnalysis, analyse
from question_bank.models import Question, QuestionVersion
from quiz.contests.leaderboard import counted_attempts
from quiz.contests.models import AttemptQuestion, Contest, PaperVariant, Response


@dataclass(frozen=True)
class QuestionInfo:
    """What the page shows of a question: the stem and options of the version the attempts showed
    (the latest, if the contest showed several), its bank for the link."""

    question_id: int
    bank_id: int
    type: str
    stem: str
    options: list[str]
    key: object
    version_number: int


@dataclass
class ContestItemAnalysis:
    contest: Contest
    analysis: PaperAnalysis
    questions: dict[int, QuestionInfo]


def _score(points: float | None, override: float | None, needs_marking: bool, answered: bool) -> float | None:
    """The item's effective points; None while a marker still has to score it."""
    if override is not None:
        return override
    if not answered:
        return 0.0  # no response row: unanswered, graded as 0
    if needs_marking:
        return None
    return points or 0.0


def contest_item_analysis(session: Session, contest: Contest, *, min_attempts: int = MIN_ATTEMPTS) -> ContestItemAnalysis:
    counted = counted_attempts(contest)
    rows = session.execute(
        select(AttemptQuestion.attempt_id, AttemptQuestion.question_id, AttemptQuestion.question_version_id,
               AttemptQuestion.points, Response.attempt_id.label("answered"), Response.answer, Response.points.label("awarded"),
               Response.override_points, Response.needs_marking)
        .join(counted, counted.c.id == AttemptQuestion.attempt_id)
        .outerjoin(Response, (Response.attempt_id == AttemptQuestion.attempt_id)
                   & (Response.question_id == AttemptQuestion.question_id))
        .order_by(AttemptQuestion.attempt_id, AttemptQuestion.position)
    )
    attempts: dict[int, dict[int, ItemScore]] = {}
    for row in rows:
        answered = row.answered is not None
        attempts.setdefault(row.attempt_id, {})[row.question_id] = ItemScore(
            score=_score(row.awarded, row.override_points, bool(row.needs_marking), answered),
            max_score=float(row.points), choice=row.answer if answered else None,
        )
    shown = (
        select(AttemptQuestion.question_version_id)
        .join(counted, counted.c.id == AttemptQuestion.attempt_id).distinct()
    )
    versions = session.execute(
        select(QuestionVersion.id, QuestionVersion.question_id, QuestionVersion.number, QuestionVersion.type,
               QuestionVersion.stem, QuestionVersion.options, QuestionVersion.answer, Question.bank_id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(QuestionVersion.id.in_(shown))
        .order_by(QuestionVersion.question_id, QuestionVersion.number)
    ).all()
    questions: dict[int, QuestionInfo] = {}
    option_counts: dict[int, int] = {}
    for v in versions:  # ascending version number: the latest one wins
        questions[v.question_id] = QuestionInfo(v.question_id, v.bank_id, v.type, v.stem, list(v.options or []), v.answer, v.number)
        option_counts[v.question_id] = max(option_counts.get(v.question_id, 0), len(v.options or []))
    specs = {q: ItemSpec(info.type, option_counts[q], info.key) for q, info in questions.items()}
    first = session.scalar(
        select(PaperVariant.items).where(PaperVariant.contest_id == contest.id).order_by(PaperVariant.number).limit(1)
    )
    order = [item[0] for item in (first or []) if item[0] in specs]
    listed = set(order)
    order += sorted(q for q in specs if q not in listed)
    analysis = analyse(list(attempts.values()), specs, order=order, min_attempts=min_attempts)
    return ContestItemAnalysis(contest, analysis, questions)


def export_rows(result: ContestItemAnalysis, translate) -> list[list[object]]:
    """The page's table as spreadsheet rows (numbers stay numbers; a value that could not be computed
    is an empty cell and its reason goes to the last column). ``translate(Message) -> str``.

    Columns: number, question id, type, stem, attempts, facility, discrimination, efficiency,
    D, option shares ("A 50%✓；B 0%…", blank last), flags, reasons."""
    rows: list[list[object]] = []
    for number, item in enumerate(result.analysis.items, start=1):
        info = result.questions[item.question_id]
        measures = (item.facility, item.discrimination, item.efficiency, item.upper_lower)
        reasons = list(dict.fromkeys(translate(m.reason) for m in measures if m.value is None and m.reason is not None))
        shares = "；".join(f"{o.key} {o.share:.0%}{'✓' if o.correct else ''}" for o in item.options)
        if item.options and item.blank_count:
            shares += f"；— {item.blank_share:.0%}"
        rows.append([
            number, item.question_id, item.type, info.stem, item.attempts,
            *(None if m.value is None else round(m.value, 4) for m in measures),
            shares, "；".join(translate(f) for f in item.flags), "；".join(reasons),
        ])
    return rows

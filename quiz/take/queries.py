"""Read-only queries behind the cadre's contest pages: my contests by state, a contest's size, the
attempt that counts, my rank, and the review of a finished attempt.

Nothing here writes. The pages call the services (``quiz.contests.attempts``) for start, submit
and finalisation; the attempt page itself talks to the JSON API.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from question_bank.drafts import OPTION_KEYS
from question_bank.models import QuestionVersion
from quiz.contests.attempts import CHOICE_TYPES, to_display
from quiz.contests.leaderboard import can_view_leaderboard, counted_attempts
from quiz.contests.models import Attempt, AttemptQuestion, Contest, PaperVariant, Response
from quiz.contests.services import contests_for


@dataclass
class ContestRow:
    """One contest on the cadre's list, with my state in it."""

    contest: Contest
    phase: str  # upcoming / running / closed
    attempts_used: int
    in_progress_attempt_id: int | None
    can_start: bool
    results_visible: bool
    counted: Attempt | None = None  # the finished attempt that counts (best or last)
    latest: Attempt | None = None  # my latest finished attempt (the result link)

    @property
    def attempts_left(self) -> int:
        return max(0, self.contest.attempts_allowed - self.attempts_used)

    @property
    def review_open(self) -> bool:
        return review_allowed(self.contest, self.phase, self.results_visible)


@dataclass
class MyContests:
    open: list[ContestRow] = field(default_factory=list)
    upcoming: list[ContestRow] = field(default_factory=list)
    done: list[ContestRow] = field(default_factory=list)


def review_allowed(contest: Contest, phase: str, results_visible: bool) -> bool:
    """Answers, keys and explanations: after close, when the contest allows review and the
    results are released (the review shows what was right, so it would reveal the score)."""
    return contest.review_after_close and phase in ("closed", "archived") and results_visible


def counted_of(contest: Contest, finished: list[Attempt]) -> Attempt | None:
    """The attempt that counts among finished ones: the best (score, then less time, then the
    earlier), or the last, as the contest says; the same choice as ``leaderboard.counted_attempts``."""
    graded = [a for a in finished if a.score is not None]
    if not graded:
        return None
    if contest.counts == "last":
        return max(graded, key=lambda a: a.number)
    return min(graded, key=lambda a: (-a.score, a.time_used_seconds or 0, a.submitted_at or datetime.max, a.number))


def my_contests(session: Session, user, *, now: datetime) -> MyContests:
    """The contests open to ``user``, split into open now, upcoming and done (closed, or every
    attempt used). Two queries besides ``contests_for``."""
    rows = contests_for(session, user, now=now)
    out = MyContests()
    if not rows:
        return out
    attempts: dict[int, list[Attempt]] = {}
    for attempt in session.scalars(
        select(Attempt).where(Attempt.user_id == user.id, Attempt.kind == "contest",
                              Attempt.contest_id.in_([c.id for c, _m in rows])).order_by(Attempt.number)
    ):
        attempts.setdefault(attempt.contest_id, []).append(attempt)
    for contest, mine in rows:
        finished = [a for a in attempts.get(contest.id, []) if a.status != "in_progress"]
        visible = contest.results_visible(now)
        row = ContestRow(
            contest=contest, phase=mine["phase"], attempts_used=mine["attempts_used"],
            in_progress_attempt_id=mine["in_progress_attempt_id"], can_start=mine["can_start"], results_visible=visible,
            counted=counted_of(contest, finished), latest=finished[-1] if finished else None,
        )
        if row.phase == "upcoming":
            out.upcoming.append(row)
        elif row.phase == "running" and row.can_start:
            out.open.append(row)
        else:
            out.done.append(row)
    out.open.sort(key=lambda r: (r.in_progress_attempt_id is None, r.contest.closes_at))
    out.done.sort(key=lambda r: r.contest.closes_at, reverse=True)
    return out


@dataclass
class PaperSize:
    questions: int
    points: float


def paper_size(session: Session, contest: Contest) -> PaperSize | None:
    """How many questions and points an attempt at this contest shows (every variant drawn by the
    same rules has the same count and points); None before the papers are drawn."""
    variant = session.scalar(select(PaperVariant).where(PaperVariant.contest_id == contest.id).order_by(PaperVariant.number).limit(1))
    if variant is None:
        return None
    return PaperSize(len(variant.items), round(sum(float(item[2]) for item in variant.items), 2))


@dataclass
class Rank:
    rank: int
    of: int
    attempt_id: int


def my_rank(session: Session, contest: Contest, user_id: int) -> Rank | None:
    """My place on the contest's leaderboard (the attempt that counts), as ``contest_leaderboard``
    ranks: score desc, time used asc, submission time asc; equals share a rank. Two queries."""
    counted = counted_attempts(contest)
    mine = session.execute(select(counted.c.id, counted.c.score, counted.c.time_used_seconds, counted.c.submitted_at)
                           .where(counted.c.user_id == user_id)).first()
    if mine is None:
        return None
    used = func.coalesce(counted.c.time_used_seconds, 0)
    my_used = mine.time_used_seconds or 0
    ahead = or_(
        counted.c.score > mine.score,
        and_(counted.c.score == mine.score, used < my_used),
        and_(counted.c.score == mine.score, used == my_used, counted.c.submitted_at < mine.submitted_at),
    )
    before, total = session.execute(
        select(func.coalesce(func.sum(case((ahead, 1), else_=0)), 0), func.count()).select_from(counted)
    ).one()
    return Rank(int(before) + 1, int(total), mine.id)


def rank_visible(session: Session, contest: Contest, user, *, now: datetime) -> bool:
    return contest.results_visible(now) and can_view_leaderboard(session, contest, user, now=now)


# --- the review of a finished attempt ---------------------------------------------------------

@dataclass
class ReviewOption:
    key: str
    text: str
    chosen: bool
    correct: bool


@dataclass
class ReviewItem:
    position: int
    type: str
    stem: str
    points: float
    awarded: float | None
    correct: bool | None
    needs_marking: bool
    options: list[ReviewOption]
    answer: Any  # mine, in display keys (None: unanswered)
    key: Any  # in display keys (fill_blank: alternatives per blank; short_answer: {"reference","keywords"})
    explanation: str
    source: str
    article: dict[str, str] | None  # {"material", "ref", "text"} when the 出处 resolves to an article


def _article(session: Session, article_id: int | None) -> dict[str, str] | None:
    """The cited article's text, when the materials feature resolved the 出处 to one."""
    if article_id is None:
        return None
    try:
        from question_bank.materials.models import MaterialArticle, MaterialEdition
    except ImportError:  # pragma: no cover - the materials tables are not part of this build
        return None
    article = session.get(MaterialArticle, article_id)
    if article is None:
        return None
    edition = session.get(MaterialEdition, article.edition_id)
    title = ""
    if edition is not None:
        title = edition.title or (edition.material.title if edition.material is not None else "")
    return {"material": title, "ref": article.ref, "text": article.text}


def review_items(session: Session, attempt: Attempt) -> list[ReviewItem]:
    """Each question of a finished attempt as it was shown (its version, its option order), with my
    answer, the key and the explanation, all in the attempt's display keys."""
    article_column = getattr(QuestionVersion, "source_article_id", None)
    columns = [AttemptQuestion.position, AttemptQuestion.points, AttemptQuestion.option_order, QuestionVersion.type,
               QuestionVersion.stem, QuestionVersion.options, QuestionVersion.answer, QuestionVersion.explanation,
               QuestionVersion.source, Response.answer.label("mine"), Response.points.label("awarded"),
               Response.override_points, Response.correct, Response.needs_marking]
    if article_column is not None:
        columns.append(article_column)
    rows = session.execute(
        select(*columns)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .outerjoin(Response, and_(Response.attempt_id == AttemptQuestion.attempt_id, Response.question_id == AttemptQuestion.question_id))
        .where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)
    ).all()
    items = []
    for row in rows:
        order = row.option_order
        key = to_display(row.type, row.answer, order) if row.type in CHOICE_TYPES else row.answer
        mine = to_display(row.type, row.mine, order)
        options = []
        if row.type in CHOICE_TYPES:
            shown = [row.options[i] for i in order] if order else list(row.options or [])
            keys = set([key] if isinstance(key, str) else key or [])
            chosen = set([mine] if isinstance(mine, str) else mine or [])
            options = [ReviewOption(OPTION_KEYS[i], text, OPTION_KEYS[i] in chosen, OPTION_KEYS[i] in keys) for i, text in enumerate(shown)]
        awarded = row.override_points if row.override_points is not None else row.awarded
        items.append(ReviewItem(
            position=row.position, type=row.type, stem=row.stem, points=row.points,
            awarded=0.0 if awarded is None and row.mine is None else awarded,
            correct=row.correct, needs_marking=bool(row.needs_marking), options=options, answer=mine, key=key,
            explanation=row.explanation or "", source=row.source or "",
            article=_article(session, getattr(row, "source_article_id", None)) if article_column is not None else None,
        ))
    return items

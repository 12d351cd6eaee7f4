"""Mock exams (模拟考试) in practice: a timed paper drawn from a contest's rules or an organizer's
practice paper, with only questions open to practice, taken as a contest attempt of kind ``mock``
(graded by the contest code, never in contest results), whose answers reach the review book once
it is finalised; and the organizer's side, the practice papers offered for it.

Functions take ``(session, actor, ...)``, flush, raise ``PracticeError`` and never commit, as in
``quiz.practice.services``, whose rule of what practice may show they share.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from question_bank.messages import N_
from question_bank.models import Question, QuestionVersion
from quiz.contests.models import Contest, Paper
from quiz.contests.services import begin_write_first
from quiz.practice import review
from quiz.practice.models import PracticeSet

from quiz.practice.services import PracticeError, _not_found, cited_articles, hidden_bank_ids, practisable_clause

DEFAULT_MOCK_MINUTES = 60


def _rng(rng: random.Random | None) -> random.Random:
    return rng or random.Random()


def draw_mock_items(session: Session, actor, paper: Paper, *, now: datetime, rng: random.Random | None = None) -> list[list[Any]]:
    """A mock paper drawn from ``paper`` with only questions open to practice: a rules paper draws
    each rule's count at random (fewer when fewer remain), a fixed paper keeps its practisable
    questions; items are ``[question_id, version_id, points, option_count]`` (as ``PaperVariant``)."""
    from quiz.contests.papers import rule_pool_stmt

    rng = _rng(rng)
    clause = practisable_clause(actor, hidden_bank_ids(session, now))
    chosen: list[tuple[int, int, float]] = []
    if paper.mode == "fixed":
        ids = [item.question_id for item in paper.items]
        current = dict(session.execute(select(Question.id, Question.current_version_id).where(Question.id.in_(ids or [-1]), clause)).all())
        chosen = [(item.question_id, current[item.question_id], float(item.points)) for item in paper.items if item.question_id in current]
    else:
        used: set[int] = set()
        for rule in paper.rules:
            pool = [(q, v) for q, v in session.execute(rule_pool_stmt(rule).where(clause)) if q not in used]
            picks = sorted(rng.sample(pool, min(rule.count, len(pool))))
            used.update(q for q, _v in picks)
            chosen += [(q, v, float(rule.points_each)) for q, v in picks]
    if not chosen:
        raise PracticeError(N_("这份试卷目前没有可以用于模拟考试的题目"), "empty")
    shapes = {vid: len(options or []) if qtype in ("single", "multiple") else 0 for vid, qtype, options in session.execute(
        select(QuestionVersion.id, QuestionVersion.type, QuestionVersion.options).where(QuestionVersion.id.in_([v for _q, v, _p in chosen])))}
    return [[q, v, p, shapes[v]] for q, v, p in chosen]


def mock_contests(session: Session, actor, *, now: datetime) -> list[Contest]:
    """Contests whose rules a cadre may take a mock exam on: published (upcoming, running or closed)
    contests the cadre is eligible for."""
    from quiz.contests.services import contests_for

    return [contest for contest, _mine in contests_for(session, actor, now=now)]


def mock_papers(session: Session, actor) -> list[Any]:
    """Active practice papers (模拟试卷) offered to the actor's unit or a unit above it."""
    from quiz.practice.models import MockPaper

    ancestors = [int(p) for p in actor.org_unit.path.strip("/").split("/") if p]
    return list(session.scalars(select(MockPaper).where(MockPaper.active.is_(True), MockPaper.org_unit_id.in_(ancestors))
                                .order_by(MockPaper.created_at.desc(), MockPaper.id.desc())))


def open_mock(session: Session, actor, *, now: datetime) -> PracticeSet | None:
    """The cadre's mock exam still in progress (before its deadline), if any."""
    from quiz.contests.models import Attempt

    return session.scalar(
        select(PracticeSet).join(Attempt, Attempt.id == PracticeSet.attempt_id)
        .where(PracticeSet.user_id == actor.id, PracticeSet.mode == "mock", Attempt.status == "in_progress", Attempt.deadline > now)
        .order_by(PracticeSet.id.desc()).limit(1)
    )


def start_mock(session: Session, actor, *, now: datetime, contest: Contest | None = None, mock_paper=None,
               rng: random.Random | None = None) -> PracticeSet:
    """模拟考试 from a contest's rules or from a practice paper: a contest attempt of kind ``mock``
    (``quiz.contests.attempts.start_mock_attempt``), timed by the contest's time limit (or
    ``DEFAULT_MOCK_MINUTES``) or the practice paper's. A mock still in progress is returned instead
    of starting a second one."""
    from quiz.contests.attempts import start_mock_attempt

    begin_write_first(session)
    current = open_mock(session, actor, now=now)
    if current is not None:
        return current
    if contest is not None:
        paper, minutes, title, params = contest.paper, contest.time_limit_minutes or DEFAULT_MOCK_MINUTES, contest.title, {"contest_id": contest.id}
    elif mock_paper is not None:
        paper, minutes, title, params = session.get(Paper, mock_paper.paper_id), mock_paper.time_limit_minutes, mock_paper.title, {"mock_paper_id": mock_paper.id}
    else:
        raise PracticeError(N_("请选择一份模拟试卷"))
    items = draw_mock_items(session, actor, paper, now=now, rng=rng)
    attempt = start_mock_attempt(session, actor, paper, items, time_limit_minutes=minutes, now=now, rng=rng)
    return _mock_set(session, actor, attempt, title, params, len(items), now)


def _mock_set(session: Session, actor, attempt, title: str, params: dict, size: int, now: datetime) -> PracticeSet:
    practice_set = PracticeSet(user_id=actor.id, mode="mock", title=title[:200], params=params, attempt_id=attempt.id,
                               size=size, position=0, answered=0, correct=0, created_at=now)
    session.add(practice_set)
    session.flush()
    return practice_set


def get_mock(session: Session, actor, attempt_id: int):
    """(attempt, its practice set) of the actor's own mock exam, or ``not_found``."""
    from quiz.contests.models import Attempt

    attempt = session.scalar(select(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == actor.id, Attempt.kind == "mock"))
    if attempt is None:
        raise _not_found()
    practice_set = session.scalar(select(PracticeSet).where(PracticeSet.attempt_id == attempt.id))
    return attempt, practice_set


def absorb_mock(session: Session, actor, attempt, *, now: datetime) -> int:
    """Once a mock exam is finalised, its graded answers reach the review book like practice answers
    (a wrong or missing answer adds the question; a right answer at a due review counts), exactly
    once: the mock's practice set is marked finished. Returns how many questions were added."""
    from quiz.contests.models import AttemptQuestion, Response

    if attempt.status == "in_progress":
        return 0
    begin_write_first(session)
    practice_set = session.scalar(select(PracticeSet).where(PracticeSet.attempt_id == attempt.id))
    if practice_set is None:
        practice_set = _mock_set(session, actor, attempt, "", {}, 0, now)
    if practice_set.finished_at is not None:
        return 0
    done = session.execute(
        update(PracticeSet).where(PracticeSet.id == practice_set.id, PracticeSet.finished_at.is_(None)).values(finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        return 0
    session.refresh(practice_set)
    rows = session.execute(
        select(AttemptQuestion.question_id, QuestionVersion.type, Response.correct, Response.needs_marking)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .outerjoin(Response, and_(Response.attempt_id == AttemptQuestion.attempt_id, Response.question_id == AttemptQuestion.question_id))
        .where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)
    ).all()
    added = right = 0
    for question_id, qtype, correct, needs_marking in rows:
        verdict = None if needs_marking else bool(correct)  # no response: not answered, so wrong
        outcome = review.record_answer(session, user_id=actor.id, question_id=question_id, qtype=qtype, correct=verdict,
                                       duration_ms=None, now=now, source="mock")
        added += outcome.added
        right += verdict is True
    practice_set.size, practice_set.answered, practice_set.correct, practice_set.position = len(rows), len(rows), right, len(rows)
    session.flush()
    return added


def mock_history(session: Session, actor, *, limit: int = 20):
    """The cadre's mock exams, newest first: (practice set, attempt)."""
    from quiz.contests.models import Attempt

    return list(session.execute(
        select(PracticeSet, Attempt).join(Attempt, Attempt.id == PracticeSet.attempt_id)
        .where(PracticeSet.user_id == actor.id, PracticeSet.mode == "mock")
        .order_by(Attempt.started_at.desc(), Attempt.id.desc()).limit(limit)
    ).all())


@dataclass
class MockReviewItem:
    """A question of a finished mock exam as the cadre saw it: ``shown`` is the version with its
    options in the attempt's order and the key in the letters shown; ``answer`` in those letters."""

    position: int
    version: QuestionVersion
    shown: Any
    points: float
    answer: Any
    earned: float | None
    correct: bool | None
    article: Any = None


def mock_review(session: Session, attempt) -> list[MockReviewItem]:
    """Every question of a finalised mock exam with the cadre's answer, points, the key and the cited
    article, in the order and option letters the cadre saw: mock exams show everything once over."""
    from types import SimpleNamespace

    from quiz.contests.attempts import to_display
    from quiz.contests.models import AttemptQuestion, Response

    rows = session.execute(
        select(AttemptQuestion.position, AttemptQuestion.points, AttemptQuestion.option_order, QuestionVersion, Response.answer,
               Response.points, Response.correct)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .outerjoin(Response, and_(Response.attempt_id == AttemptQuestion.attempt_id, Response.question_id == AttemptQuestion.question_id))
        .where(AttemptQuestion.attempt_id == attempt.id).order_by(AttemptQuestion.position)
    ).all()
    articles = cited_articles(session, [r[3].id for r in rows])
    items = []
    for position, points, order, version, answer, earned, correct in rows:
        options = [version.options[i] for i in order] if order else list(version.options or [])
        shown = SimpleNamespace(type=version.type, stem=version.stem, options=options, answer=to_display(version.type, version.answer, order),
                                explanation=version.explanation, source=version.source)
        items.append(MockReviewItem(position, version, shown, points, to_display(version.type, answer, order), earned, correct,
                                    articles.get(version.id)))
    return items


# --- practice papers (the organizer's side of mock exams) --------------------------------------

def manageable_mock_papers(session: Session, actor) -> list[Any]:
    """Practice papers owned in the organizer's subtree, newest first."""
    from quiz.accounts.models import OrgUnit
    from quiz.practice.models import MockPaper

    low, high = actor.org_unit.subtree_range
    return list(session.scalars(
        select(MockPaper).where(MockPaper.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path >= low, OrgUnit.path < high)))
        .order_by(MockPaper.created_at.desc(), MockPaper.id.desc())
    ))


def manageable_papers(session: Session, actor) -> list[Paper]:
    """Contest papers owned in the organizer's subtree (what may be offered for mock exams)."""
    from quiz.accounts.models import OrgUnit

    low, high = actor.org_unit.subtree_range
    return list(session.scalars(select(Paper).where(Paper.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path >= low, OrgUnit.path < high)))
                                .order_by(Paper.id.desc())))


def create_mock_paper(session: Session, actor, *, paper: Paper, title: str, time_limit_minutes: int, org_unit_id: int,
                      now: datetime, audit=None):
    """Offer ``paper`` for mock exams to ``org_unit_id``'s subtree (both within the organizer's reach)."""
    from quiz.contests.papers import paper_problems
    from quiz.contests.services import can_manage
    from quiz.practice.models import MockPaper

    if not can_manage(session, actor, paper.org_unit_id) or not can_manage(session, actor, org_unit_id):
        raise _not_found()
    title = (title or "").strip()
    if not title:
        raise PracticeError(N_("请输入名称"))
    if not isinstance(time_limit_minutes, int) or not 1 <= time_limit_minutes <= 600:
        raise PracticeError(N_("限时应在 1 到 600 分钟之间"))
    problems = paper_problems(session, paper)
    if problems:
        raise PracticeError(problems[0].template, **problems[0].params)
    mock_paper = MockPaper(title=title[:200], paper_id=paper.id, org_unit_id=org_unit_id, time_limit_minutes=time_limit_minutes,
                           active=True, created_by=actor.id, created_at=now)
    session.add(mock_paper)
    session.flush()
    if audit is not None:
        audit("practice.mock_paper.create", target=mock_paper, org_unit_id=org_unit_id, summary=title,
              after={"paper_id": paper.id, "time_limit_minutes": time_limit_minutes})
    return mock_paper


def get_manageable_mock_paper(session: Session, actor, mock_paper_id: int):
    from quiz.contests.services import can_manage
    from quiz.practice.models import MockPaper

    mock_paper = session.get(MockPaper, mock_paper_id)
    if mock_paper is None or not can_manage(session, actor, mock_paper.org_unit_id):
        raise _not_found()
    return mock_paper


def set_mock_paper_active(session: Session, actor, mock_paper, active: bool, *, audit=None):
    before = mock_paper.active
    mock_paper.active = bool(active)
    session.flush()
    if audit is not None and before != mock_paper.active:
        audit("practice.mock_paper.active", target=mock_paper, org_unit_id=mock_paper.org_unit_id, summary=mock_paper.title,
              before={"active": before}, after={"active": mock_paper.active})
    return mock_paper

"""Demo practice history for ``quiz seed-demo``: so that every practice page, the progress chart and
the review book show real figures the first time someone opens them.

Each cadre's history is simulated with the real rules -- grading (``grade_practice``), the review
book (``review.apply_answer``, FSRS), days in Asia/Shanghai -- over the last weeks, with explicit
times in the past, and written in a few batched inserts (going through the services answer by
answer would cost seconds per cadre on every ``seed-demo``). The rows are what real use would
leave. The mock exams go through the services. A seeded generator makes every run the same.

- ``cadre1`` … ``cadre8`` practised on about half of the last five weeks' days, each with their own
  accuracy (stronger in some subjects than others): 每日一练, and sometimes a 随机练习 set after it;
  ``cadre1`` to ``cadre4`` did the daily set on each of the last days, so they have a streak.
- Wrong answers are in their review books, some due today.
- A practice paper (模拟试卷) over the demo bank is offered to the whole province, and ``cadre1``
  to ``cadre3`` took a mock exam on it last week.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from question_bank.db import utcnow
from question_bank.grading import normalize_response
from question_bank.models import Bank, Question, QuestionVersion, mark_used
from quiz.accounts.models import User
from quiz.practice import mock_exams, review, services as svc
from quiz.practice.models import MockPaper, PracticeAnswer, PracticeItem, PracticeSet, ReviewEntry

SEED = 2026
DAYS = 35
CADRES = 8
STREAK_CADRES = 4
DAILY = 10
DEMO_BANK_NAME = "组织工作基础知识题库"
TZ = "Asia/Shanghai"


def _answer(version: QuestionVersion, right: bool, rng: random.Random) -> Any:
    """A response in the attempt API's shapes: the key, or a plausible wrong answer."""
    key = version.answer
    if version.type == "single":
        if right:
            return key
        return rng.choice([k for k in "ABCDEFGH"[: len(version.options or [])] if k != key] or [key])
    if version.type == "multiple":
        if right:
            return list(key)
        return list(key)[:1] if len(key) > 1 else [k for k in "ABCD" if k not in key][:1]
    if version.type == "true_false":
        return key if right else (not key)
    if version.type == "fill_blank":
        return [alts[0] if right else "不清楚" for alts in key]
    keywords = (key or {}).get("keywords") or []
    return "；".join(group[0] for group in keywords if group) if right else "不清楚"


def _at(day_offset: int, hour: int, minute: int, today: datetime) -> datetime:
    """Naive UTC for ``hour:minute`` Shanghai time, ``day_offset`` days before ``today`` (a UTC moment)."""
    day = svc.local_day(today, TZ) - timedelta(days=day_offset)
    return svc.day_start_utc(day, TZ) + timedelta(hours=hour, minutes=minute)


class _Cadre:
    """One demo cadre's practice, simulated in memory with the real rules (grading, ``review.apply_answer``,
    days in QUIZ_TIMEZONE), then written in a few batched inserts."""

    def __init__(self, user: User, versions: dict[int, QuestionVersion], rng: random.Random, skill: dict):
        self.user, self.versions, self.rng, self.skill = user, versions, rng, skill
        self.book: dict[int, ReviewEntry] = {}
        self.seen: set[int] = set()
        self.sets: list[tuple[PracticeSet, list[tuple[PracticeItem, PracticeAnswer | None]]]] = []

    def _draw(self, start: datetime, size: int, reviews: int) -> list[int]:
        due = sorted((e for e in self.book.values() if e.status == "active" and e.due <= start), key=lambda e: e.due)
        picked = [e.question_id for e in due[:reviews]]
        fresh = [q for q in self.versions if q not in self.seen and q not in picked]
        picked += self.rng.sample(fresh, min(size - len(picked), len(fresh)))
        rest = [q for q in self.versions if q not in picked]
        picked += self.rng.sample(rest, size - len(picked)) if len(picked) < size else []
        return picked

    def practise(self, mode: str, start: datetime, questions: list[int], *, day=None, stop_after: int | None = None) -> datetime:
        practice_set = PracticeSet(user_id=self.user.id, mode=mode, title="", params={}, size=len(questions), position=0,
                                   answered=0, correct=0, created_at=start, day=day)
        rows, moment = [], start
        for position, question_id in enumerate(questions, start=1):
            version = self.versions[question_id]
            item = PracticeItem(position=position, question_id=question_id, question_version_id=version.id, skipped=False)
            if stop_after is not None and position > stop_after:
                rows.append((item, None))
                continue
            item.shown_at = moment
            seconds = self.rng.randint(6, 70)
            moment += timedelta(seconds=seconds)
            right = self.rng.random() < self.skill.get(version.subject_id, self.skill[None])
            response = normalize_response(version.type, _answer(version, right, self.rng),
                                          option_count=len(version.options or []) or None)
            grade = svc.grade_practice(version, response)
            outcome = review.apply_answer(self.book.get(question_id), user_id=self.user.id, question_id=question_id,
                                          qtype=version.type, correct=grade.correct, duration_ms=seconds * 1000, now=moment)
            if outcome.entry is not None:
                self.book[question_id] = outcome.entry
            self.seen.add(question_id)
            answer = PracticeAnswer(
                user_id=self.user.id, question_id=question_id, question_version_id=version.id, position=position, mode=mode,
                answer=response, correct=grade.correct, points_fraction=grade.points, answered_at=moment,
                day=svc.local_day(moment, TZ), duration_ms=seconds * 1000, due_review=outcome.due_review,
                rating=int(outcome.rating) if outcome.rating is not None else None,
            )
            rows.append((item, answer))
            practice_set.position = practice_set.answered = position
            practice_set.correct += 1 if grade.correct else 0
            moment += timedelta(seconds=self.rng.randint(2, 15))
        if practice_set.position == practice_set.size:
            practice_set.finished_at = moment
        self.sets.append((practice_set, rows))
        return moment

    def save(self, session: Session) -> None:
        session.add_all(s for s, _rows in self.sets)
        session.flush()
        answers = []
        for practice_set, rows in self.sets:
            for _item, answer in rows:
                if answer is not None:
                    answer.set_id = practice_set.id
                    answers.append(answer)
        session.add_all(answers)
        session.flush()
        for practice_set, rows in self.sets:
            for item, answer in rows:
                item.set_id = practice_set.id
                item.answer_id = answer.id if answer is not None else None
                session.add(item)
        session.add_all(self.book.values())
        session.flush()


def seed_demo_practice(session: Session, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    rng = random.Random(SEED)
    users = {u.username: u for u in session.scalars(select(User).where(User.username.like("cadre%")))}
    cadres = [users[f"cadre{i}"] for i in range(1, CADRES + 1) if f"cadre{i}" in users]
    bank = session.scalar(select(Bank).where(Bank.name == DEMO_BANK_NAME))
    if not cadres or bank is None:
        return
    versions = {v.question_id: v for v in session.scalars(
        select(QuestionVersion).join(Question, Question.current_version_id == QuestionVersion.id)
        .where(Question.bank_id == bank.id, Question.status == "active", Question.needs_review.is_(False))
        .order_by(Question.id)
    )}
    subject_ids = [None] + sorted({v.subject_id for v in versions.values() if v.subject_id is not None})
    for n, user in enumerate(cadres, start=1):
        base = 0.55 + 0.3 * rng.random()
        skill = {sid: min(0.97, max(0.25, base + rng.uniform(-0.2, 0.15))) for sid in subject_ids}
        skill[None] = base
        cadre = _Cadre(user, versions, rng, skill)
        streak = n <= STREAK_CADRES
        for offset in range(DAYS - 1, -1, -1):
            if offset == 0 and n % 2 == 0:
                continue  # some have not practised yet today
            if not (streak and offset < 6 + n) and rng.random() < 0.45:
                continue
            start = _at(offset, rng.choice((7, 8, 12, 20, 21)), rng.randint(0, 59), now)
            if start >= now - timedelta(minutes=30):
                continue
            moment = cadre.practise("daily", start, cadre._draw(start, DAILY, svc.DAILY_REVIEW_SHARE), day=svc.local_day(start, TZ))
            if rng.random() < 0.25 and moment < now - timedelta(hours=1):
                later = moment + timedelta(minutes=5)
                cadre.practise("random", later, rng.sample(list(versions), 5))
        cadre.save(session)
    mark_used(session, [v.id for v in versions.values()])
    _seed_mock(session, cadres[:3], bank, now, rng)
    session.flush()


def _seed_mock(session: Session, cadres: list[User], bank: Bank, now: datetime, rng: random.Random) -> None:
    from quiz.contests import attempts
    from quiz.contests.services import RuleSpec, create_paper

    organizer = session.scalar(select(User).where(User.username == "organizer"))
    if organizer is None:
        return
    paper = create_paper(session, organizer, title="组织工作基础知识模拟卷", org_unit_id=bank.org_unit_id, mode="rules",
                         rules=[RuleSpec(bank_ids=[bank.id], count=10, points_each=5, type="single"),
                                RuleSpec(bank_ids=[bank.id], count=5, points_each=6, type="true_false"),
                                RuleSpec(bank_ids=[bank.id], count=4, points_each=5, type="multiple")],
                         multiple_mode="partial")
    mock_paper = MockPaper(title="组织工作基础知识模拟卷（30 分钟）", paper_id=paper.id, org_unit_id=bank.org_unit_id,
                           time_limit_minutes=30, active=True, created_by=organizer.id, created_at=now - timedelta(days=20))
    session.add(mock_paper)
    session.flush()
    for k, user in enumerate(cadres):
        start = _at(6 - k, 20, 10, now)
        practice_set = mock_exams.start_mock(session, user, now=start, mock_paper=mock_paper, rng=rng)
        attempt = session.get(attempts.Attempt, practice_set.attempt_id)
        moment = start
        shown = {q: (order, version) for q, order, version in session.execute(
            select(attempts.AttemptQuestion.question_id, attempts.AttemptQuestion.option_order, QuestionVersion)
            .join(QuestionVersion, QuestionVersion.id == attempts.AttemptQuestion.question_version_id)
            .where(attempts.AttemptQuestion.attempt_id == attempt.id))}
        for question_id, (order, version) in shown.items():
            moment += timedelta(seconds=rng.randint(20, 60))
            value = attempts.to_display(version.type, _answer(version, rng.random() < 0.7, rng), order)
            attempts.save_response(session, user, attempt, question_id, value, now=moment)
        attempts.submit_attempt(session, user, attempt, now=moment + timedelta(seconds=30))
        mock_exams.absorb_mock(session, user, attempt, now=moment + timedelta(seconds=31))

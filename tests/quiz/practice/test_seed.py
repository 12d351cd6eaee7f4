"""The demo practice history (quiz.practice.seed): made with the real rules, consistent with them."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from quiz.contests.models import Attempt
from quiz.practice import services as svc, stats
from quiz.practice.models import PracticeAnswer, PracticeItem, PracticeSet, ReviewEntry
from quiz.practice.seed import DEMO_BANK_NAME, seed_demo_practice
from tests.factories import make_bank, make_question, make_user
from tests.quiz.practice.conftest import T0, TZ


def test_the_demo_history_follows_the_rules(session, world):
    bank = make_bank(session, world.units["省"], DEMO_BANK_NAME, actor=world.organizer)
    for qtype, n in (("single", 12), ("true_false", 6), ("multiple", 5)):
        for _ in range(n):
            make_question(session, bank, qtype)
    make_user(session, "organizer", world.units["省"], ("organizer", "cadre"))
    cadres = [make_user(session, f"cadre{i}", world.units["金水"]) for i in range(1, 4)]
    session.commit()
    seed_demo_practice(session, now=T0)
    session.commit()
    first = cadres[0]
    data = stats.progress(session, first, now=T0, tz=TZ)
    assert data.totals.answered > 50 and data.streak.days >= 6 and data.mock_exams == 1
    assert sum(data.weekly_answered) > 0 and data.points == [] and data.subjects
    # every answer is linked from its item, in a set of its cadre, on the Shanghai day of its time
    for answer in session.scalars(select(PracticeAnswer).where(PracticeAnswer.user_id == first.id)):
        item = session.get(PracticeItem, (answer.set_id, answer.position))
        assert item.answer_id == answer.id and item.shown_at < answer.answered_at
        assert session.get(PracticeSet, answer.set_id).user_id == first.id
        assert answer.day == svc.local_day(answer.answered_at, TZ)
    # the review book holds exactly the questions whose latest counted answer left them in it
    wrong = set(session.scalars(select(PracticeAnswer.question_id).where(PracticeAnswer.user_id == first.id,
                                                                         PracticeAnswer.correct.is_(False))))
    entries = session.scalars(select(ReviewEntry).where(ReviewEntry.user_id == first.id)).all()
    practice_entries = {e.question_id for e in entries if e.source == "practice"}
    assert practice_entries <= wrong and wrong - practice_entries <= {e.question_id for e in entries}
    assert all(e.due > e.last_review for e in entries)
    daily_days = session.scalars(select(PracticeSet.day).where(PracticeSet.user_id == first.id, PracticeSet.mode == "daily")).all()
    assert len(daily_days) == len(set(daily_days))  # one daily set a day
    mock = session.scalar(select(Attempt).where(Attempt.user_id == first.id, Attempt.kind == "mock"))
    assert mock.status == "submitted" and mock.contest_id is None and mock.submitted_at < T0
    assert session.scalar(select(func.count()).select_from(Attempt).where(Attempt.kind == "contest")) == 0
    assert svc.book_size(session, first, now=T0 + timedelta(days=1)).active == len([e for e in entries if e.status == "active"])

"""每日一练 and its streak across time zones: days are Asia/Shanghai calendar days (QUIZ_TIMEZONE)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from question_bank.models import QuestionVersion
from quiz.practice import services as svc
from quiz.practice.models import PracticeAnswer
from tests.quiz.practice.conftest import TZ, right


def finish_daily(session, user, when: datetime, tz=TZ):
    """Open the day's set at ``when`` and answer all of it within a few minutes."""
    practice_set = svc.start_daily(session, user, now=when, tz=tz)
    moment = when
    while (item := svc.current_item(session, user, practice_set, now=moment)) is not None:
        moment += timedelta(seconds=10)
        svc.answer_item(session, user, practice_set, item.position, right(session.get(QuestionVersion, item.question_version_id)),
                        now=moment, tz=tz)
    assert practice_set.finished
    return practice_set


@pytest.mark.parametrize("utc, day", [
    (datetime(2026, 3, 1, 15, 59, 59), date(2026, 3, 1)),  # 23:59:59 in Shanghai
    (datetime(2026, 3, 1, 16, 0, 0), date(2026, 3, 2)),  # midnight in Shanghai
    (datetime(2026, 3, 1, 23, 30), date(2026, 3, 2)),  # 07:30 the next morning in Shanghai
    (datetime(2026, 12, 31, 16, 30), date(2027, 1, 1)),  # a new year in Shanghai, not yet in UTC
])
def test_local_day_is_the_shanghai_calendar_day(utc, day):
    assert svc.local_day(utc, TZ) == day


def test_an_answer_at_2330_utc_counts_for_the_next_shanghai_day(session, world):
    late = datetime(2026, 3, 1, 23, 30)
    practice_set = finish_daily(session, world.cadre, late)
    assert practice_set.day == date(2026, 3, 2)
    assert {a.day for a in session.query(PracticeAnswer)} == {date(2026, 3, 2)}
    streak = svc.daily_streak(session, world.cadre.id, now=late + timedelta(minutes=5), tz=TZ)
    assert (streak.days, streak.done_today, streak.today) == (1, True, date(2026, 3, 2))
    # with QUIZ_TIMEZONE=UTC the same moment is still 1 March
    assert finish_daily(session, world.other, late, tz="UTC").day == date(2026, 3, 1)
    assert svc.daily_streak(session, world.other.id, now=late, tz="UTC").today == date(2026, 3, 1)


def test_two_utc_days_can_be_one_shanghai_day_and_one_utc_day_two(session, world):
    first = finish_daily(session, world.cadre, datetime(2026, 3, 1, 23, 30))  # 3/2 07:30 Shanghai
    again = svc.start_daily(session, world.cadre, now=datetime(2026, 3, 2, 15, 50), tz=TZ)  # 3/2 23:50 Shanghai
    assert again.id == first.id  # the same day's set, not a second one
    finish_daily(session, world.cadre, datetime(2026, 3, 2, 16, 10))  # 3/3 00:10 Shanghai, same UTC day
    streak = svc.daily_streak(session, world.cadre.id, now=datetime(2026, 3, 2, 16, 20), tz=TZ)
    assert (streak.days, streak.today) == (2, date(2026, 3, 3))


def test_the_streak_continues_until_a_whole_day_is_missed(session, world):
    for day in (1, 2, 3):  # 21:00 Shanghai on 1, 2 and 3 March
        finish_daily(session, world.cadre, datetime(2026, 3, day, 13, 0))
    morning_4th = datetime(2026, 3, 4, 1, 0)  # 09:00 on 4 March, today's set not done yet
    streak = svc.daily_streak(session, world.cadre.id, now=morning_4th, tz=TZ)
    assert (streak.days, streak.done_today) == (3, False)  # still alive: today can continue it
    finish_daily(session, world.cadre, morning_4th)
    assert svc.daily_streak(session, world.cadre.id, now=morning_4th, tz=TZ).days == 4
    # nothing on 5 March: on 6 March (Shanghai) the streak is broken
    assert svc.daily_streak(session, world.cadre.id, now=datetime(2026, 3, 5, 15, 59), tz=TZ).days == 4
    assert svc.daily_streak(session, world.cadre.id, now=datetime(2026, 3, 5, 16, 0), tz=TZ).days == 0
    finish_daily(session, world.cadre, datetime(2026, 3, 6, 2, 0))
    assert svc.daily_streak(session, world.cadre.id, now=datetime(2026, 3, 6, 3, 0), tz=TZ).days == 1


def test_an_unfinished_daily_set_does_not_count(session, world):
    practice_set = svc.start_daily(session, world.cadre, now=datetime(2026, 3, 1, 2, 0), tz=TZ)
    item = svc.current_item(session, world.cadre, practice_set, now=datetime(2026, 3, 1, 2, 0))
    svc.answer_item(session, world.cadre, practice_set, item.position, "A", now=datetime(2026, 3, 1, 2, 1), tz=TZ)
    assert svc.daily_streak(session, world.cadre.id, now=datetime(2026, 3, 1, 3, 0), tz=TZ).days == 0


def test_a_set_begun_before_midnight_and_finished_after_counts_for_the_day_it_was_begun(session, world):
    practice_set = svc.start_daily(session, world.cadre, now=datetime(2026, 3, 1, 15, 55), tz=TZ)  # 23:55 Shanghai
    moment = datetime(2026, 3, 1, 15, 55)
    while (item := svc.current_item(session, world.cadre, practice_set, now=moment)) is not None:
        moment += timedelta(minutes=1)
        svc.answer_item(session, world.cadre, practice_set, item.position, "A", now=moment, tz=TZ)
    assert practice_set.day == date(2026, 3, 1) and practice_set.finished_at > datetime(2026, 3, 1, 16, 0)
    streak = svc.daily_streak(session, world.cadre.id, now=moment, tz=TZ)
    assert (streak.days, streak.done_today) == (1, False)  # 1 March counts; 2 March's set is still to do
    assert svc.start_daily(session, world.cadre, now=moment, tz=TZ).id != practice_set.id


def test_the_daily_set_puts_due_review_questions_first(session, world):
    from tests.quiz.practice.conftest import answer_one

    missed = world.questions[3]
    answer_one(session, world.cadre, missed, False, datetime(2026, 3, 1, 2, 0))
    due = session.query(svc.ReviewEntry).one().due
    practice_set = svc.start_daily(session, world.cadre, now=due + timedelta(hours=1), tz=TZ)
    assert practice_set.items[0].question_id == missed.id
    assert practice_set.size == len(world.questions)

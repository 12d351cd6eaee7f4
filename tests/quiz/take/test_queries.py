"""The cadre pages' read-only queries: my rank agrees with the leaderboard, ties included; the
attempt that counts; the paper's size."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from quiz.contests.attempts import start_attempt, submit_attempt
from quiz.contests.leaderboard import contest_leaderboard
from quiz.contests.models import Attempt
from quiz.take.queries import counted_of, my_contests, my_rank, paper_size
from tests.factories import make_contest, make_paper, make_user
from tests.quiz.contests.conftest import T0


def _finished(session, contest, user, *, score, used, at_minute):
    attempt, _ = start_attempt(session, user, contest, now=T0)
    submit_attempt(session, user, attempt, now=T0 + timedelta(minutes=at_minute))
    session.execute(update(Attempt).where(Attempt.id == attempt.id).values(score=score, time_used_seconds=used))
    session.flush()
    return attempt


def test_my_rank_is_the_leaderboards_rank_with_ties(session, world):
    contest = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0)
    people = world.zz + [make_user(session, f"extra{i}", world.units["金水"]) for i in range(3)]
    figures = [(10, 300, 5), (10, 200, 6), (10, 200, 6), (8, 100, 7), (10, 300, 8), (0, 50, 9)]
    for person, (score, used, minute) in zip(people, figures):
        _finished(session, contest, person, score=score, used=used, at_minute=minute)
    session.commit()
    board = {row["user_id"]: row["rank"] for row in contest_leaderboard(session, contest)}
    assert sorted(board.values()) == [1, 1, 3, 4, 5, 6]
    for person in people:
        rank = my_rank(session, contest, person.id)
        assert (rank.rank, rank.of) == (board[person.id], 6), person.username
    assert my_rank(session, contest, world.ly[0].id) is None


def test_the_counted_attempt_is_the_best_or_the_last(session, world):
    paper = make_paper(session, world.bank, questions=world.questions)
    best = make_contest(session, paper, now=T0, attempts_allowed=3, counts="best")
    last = make_contest(session, paper, now=T0, attempts_allowed=3, counts="last")
    user = world.zz[0]
    for contest in (best, last):
        tries = [_finished(session, contest, user, score=s, used=100, at_minute=m) for s, m in ((6, 1), (9, 2), (7, 3))]
        assert counted_of(contest, tries).score == (9 if contest is best else 7)
    session.commit()
    rows = {r.contest.id: r for r in my_contests(session, user, now=T0 + timedelta(minutes=5)).done}
    assert rows[best.id].counted.score == 9 and rows[last.id].counted.score == 7 and rows[best.id].attempts_left == 0


def test_paper_size_counts_the_drawn_paper(session, world):
    contest = make_contest(session, make_paper(session, world.bank, questions=world.questions, points=2.5), now=T0)
    size = paper_size(session, contest)
    assert (size.questions, size.points) == (5, 12.5)
    draft = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, publish=False)
    assert paper_size(session, draft) is None

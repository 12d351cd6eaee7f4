"""``quiz seed-demo`` is reproducible: two seeds into fresh databases give the same figures."""
from __future__ import annotations

from sqlalchemy import select

from quiz.accounts.models import User
from quiz.contests.models import Attempt, Contest
from quiz.seed import seed_demo
from tests.conftest import _empty_all_tables


def _figures(session) -> list[tuple]:
    """Every attempt's score, variant and shuffle seed, by cadre, contest and number (not ids)."""
    return sorted(session.execute(
        select(User.username, Contest.title, Attempt.kind, Attempt.number, Attempt.score, Attempt.max_score,
               Attempt.variant_number, Attempt.seed, Attempt.status)
        .join(User, User.id == Attempt.user_id).outerjoin(Contest, Contest.id == Attempt.contest_id)
        .where(Attempt.kind == "contest")
    ).all())


def test_two_demo_seeds_into_fresh_databases_give_identical_attempt_scores(db, session_factory):
    runs = []
    for _ in range(2):
        _empty_all_tables(db)
        with session_factory() as session:
            seed_demo(session)
            session.commit()
            runs.append(_figures(session))
    first, second = runs
    assert len(first) > 30 and len({row[4] for row in first}) > 5  # many attempts, varied scores
    assert len({row[6] for row in first if row[1] == "全省组工干部应知应会知识竞赛"}) > 3  # 千人千卷: several variants drawn
    assert first == second

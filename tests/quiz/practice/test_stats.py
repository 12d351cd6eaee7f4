"""Practice figures: the yearly query the annual assessment calls, on a hand-computed example, and
the progress page's cost, which must not grow with the history."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import event

from quiz.contests.models import Attempt
from quiz.practice import stats
from quiz.practice.models import PracticeAnswer
from tests.factories import make_paper, make_question
from tests.quiz.conftest import Auth
from tests.factories import PASSWORD
from tests.quiz.practice.conftest import T0, TZ, answer_one


def _mock(session, user, paper, submitted_at, status="submitted"):
    attempt = Attempt(kind="mock", contest_id=None, paper_id=paper.id, user_id=user.id, number=1, status=status, seed=1,
                      started_at=submitted_at - timedelta(minutes=20), deadline=submitted_at + timedelta(minutes=10),
                      submitted_at=None if status == "in_progress" else submitted_at, score=5, max_score=10)
    session.add(attempt)
    session.flush()


def test_yearly_practice_on_a_hand_computed_example(session, world):
    a, b, c = world.cadre, world.other, world.outsider
    q = world.questions
    essay = make_question(session, world.bank, "short_answer", answer={"reference": "参考答案", "keywords": []})
    # cadre a, times in UTC (Shanghai = UTC+8):
    answer_one(session, a, q[0], False, datetime(2025, 12, 31, 15, 30))  # 2025-12-31 23:30 SH: last year
    answer_one(session, a, q[0], True, datetime(2025, 12, 31, 16, 30))  # 2026-01-01 00:30 SH: counts
    answer_one(session, a, q[1], True, datetime(2026, 3, 2, 2, 0))  # 3/2
    answer_one(session, a, q[2], False, datetime(2026, 3, 2, 2, 1))  # 3/2 again: same day
    answer_one(session, a, q[1], True, datetime(2026, 3, 5, 2, 0))  # 3/5, a question already practised
    answer_one(session, a, essay, True, datetime(2026, 6, 1, 2, 0))  # 6/1, a short answer nobody can mark
    answer_one(session, a, q[3], False, datetime(2026, 12, 31, 16, 30))  # 2027-01-01 00:30 SH: next year
    answer_one(session, c, q[4], False, datetime(2026, 7, 1, 2, 0))
    paper = make_paper(session, world.bank, questions=q[:2])
    _mock(session, a, paper, datetime(2026, 6, 10, 2, 0))
    _mock(session, a, paper, datetime(2025, 12, 31, 16, 10))  # 2026-01-01 00:10 SH
    _mock(session, a, paper, datetime(2026, 12, 31, 17, 0))  # 2027 in Shanghai
    _mock(session, a, paper, datetime(2026, 8, 1, 2, 0), status="in_progress")  # not taken yet
    _mock(session, a, paper, datetime(2026, 8, 2, 2, 0), status="expired")  # time ran out: taken
    session.commit()

    figures = stats.yearly_practice(session, [a.id, b.id, c.id], 2026, tz=TZ)
    assert set(figures) == {a.id, b.id, c.id}
    mine = figures[a.id]
    # answers on 1/1, 3/2 (two), 3/5 and 6/1 (SH): five practised, four marked, three right, four days, four questions
    assert (mine.questions_practised, mine.graded, mine.correct, mine.days_active, mine.distinct_questions) == (5, 4, 3, 4, 4)
    assert mine.accuracy == 0.75
    assert mine.mock_exams == 3  # 1/1 00:10 SH, 6/10 and the expired one on 8/2
    assert figures[b.id] == stats.PracticeYear(b.id, 2026)
    assert figures[b.id].accuracy is None
    assert (figures[c.id].questions_practised, figures[c.id].correct, figures[c.id].accuracy, figures[c.id].days_active) == (1, 0, 0.0, 1)
    last_year = stats.yearly_practice(session, [a.id], 2025, tz=TZ)[a.id]
    assert (last_year.questions_practised, last_year.correct, last_year.days_active, last_year.mock_exams) == (1, 0, 1, 0)
    assert stats.yearly_practice(session, [a.id], 2027, tz=TZ)[a.id].questions_practised == 1
    assert stats.yearly_practice(session, [], 2026) == {}


def _history(session, world, answers: int):
    """``answers`` practice answers spread over many days, subjects and knowledge points."""
    subjects = ("理论", "政策", "法律", "科技", "业务")
    questions = [make_question(session, world.bank, "single", subject=subjects[i % 5], knowledge_points=[f"知识点{i % 7}", f"要点{i % 3}"])
                 for i in range(12)]
    for n in range(answers):
        answer_one(session, world.cadre, questions[n % len(questions)], n % 3 != 0, T0 - timedelta(days=n % 80, hours=n % 5))
    session.commit()


def _queries_for(app, client, path):
    engine = app.extensions["db_engine"]
    seen = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(seen), response.get_data(as_text=True)


def test_the_progress_page_costs_the_same_whatever_the_history(app, session, world):
    app.config["QUIZ_CLOCK"] = lambda: T0
    counts = []
    for answers in (6, 90):
        session.query(PracticeAnswer).delete()
        session.commit()
        _history(session, world, answers)
        client = app.test_client()
        Auth(client).login(world.cadre.username, PASSWORD)
        n, page = _queries_for(app, client, "/practice/progress")
        counts.append(n)
        assert "<svg" in page and "progress-chart" in page
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12  # the user, the session checks and eight aggregates


def test_progress_figures(session, world):
    q = world.questions
    answer_one(session, world.cadre, q[0], True, T0)
    answer_one(session, world.cadre, q[1], False, T0 + timedelta(minutes=1))
    answer_one(session, world.cadre, q[2], True, T0 - timedelta(days=10))
    data = stats.progress(session, world.cadre, now=T0 + timedelta(minutes=2), tz=TZ)
    assert (data.totals.answered, data.totals.correct, data.totals.days_active, data.book.active) == (3, 2, 2, 1)
    assert data.weeks[-1] == date(2026, 3, 2) and len(data.weeks) == stats.CHART_WEEKS
    assert data.weekly_answered[-1] == 2 and data.weekly_answered[-3] == 1  # 2/20 is two weeks before 3/2's week
    assert data.weekly_accuracy[-1] == 0.5
    chart = stats.chart(data)
    assert len(chart.bars) == stats.CHART_WEEKS and chart.max_answered == 2

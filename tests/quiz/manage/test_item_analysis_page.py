"""The organizer's item-analysis page (试题分析): figures, flags and bank links; who may open it; query count.

The answers are the hand-computed data set of tests/question_bank/test_item_analysis.py: question 4
discriminates negatively (−2/√82 ≈ −0.22, efficiency −2/7 ≈ −29 %) and is the one flagged.
"""
from __future__ import annotations

import re

import pytest
from tests.factories import make_bank, make_contest, make_paper, make_province, make_question, make_user
from tests.quiz.conftest import Auth
from tests.quiz.contests.conftest import T0, Clock
from tests.quiz.contests.test_item_analysis import MATRIX, answer_matrix
from tests.quiz.manage.test_views import _count_queries

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def world(app, session):
    app.config["QUIZ_CLOCK"] = Clock()
    units = make_province(session)
    w = {
        "units": units,
        "org_zz": make_user(session, "org_zz", units["郑州"], ("organizer", "cadre")),
        "org_ly": make_user(session, "org_ly", units["洛阳"], ("organizer",)),
        "cadres": [make_user(session, f"js{i}", units["金水"]) for i in range(6)],
    }
    w["bank"] = make_bank(session, units["郑州"], "郑州题库")
    w["singles"] = [make_question(session, w["bank"], "single") for _ in range(4)]
    session.commit()
    return w


def _contest(session, world):
    paper = make_paper(session, world["bank"], questions=world["singles"], points=1.0)
    contest = make_contest(session, paper, now=T0, org_unit_id=world["units"]["郑州"].id)
    session.commit()
    return contest


def _row(html: str, question_id: int) -> str:
    match = re.search(rf'<tr id="q{question_id}".*?</tr>', html, re.S)
    assert match, f"no row for question {question_id}"
    return match.group(0)


def _measure(row: str, name: str) -> str:
    return re.search(rf'data-measure="{name}">(.*?)</td>', row, re.S).group(1).strip()


def test_the_organizer_sees_each_questions_figures_flags_and_bank_link(auth, session, world):
    contest = _contest(session, world)
    answer_matrix(session, contest, world["cadres"], MATRIX)
    auth.login("org_zz")
    response = auth.client.get(f"/manage/contests/{contest.id}/items")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    q1, q2, q4 = (_row(html, world["singles"][i].id) for i in (0, 1, 3))
    # Q1: facility 5/6 = 0.83, r = 1/√40 = 0.16, efficiency 1/4 = 25 %, D = 0.50
    assert [_measure(q1, m) for m in ("facility", "discrimination", "efficiency", "upper_lower")] == ["0.83", "0.16", "25%", "0.50"]
    # Q4: facility 1/3 = 0.33, r = −2/√82 = −0.22, efficiency −2/7 = −29 %, D = 0.00: flagged twice
    assert [_measure(q4, m) for m in ("facility", "discrimination", "efficiency", "upper_lower")] == ["0.33", "-0.22", "-29%", "0.00"]
    assert 'class="flagged"' in q4 and 'class="flagged"' not in q1
    assert "区分度为负" in q4 and "区分效率低于 15%" in q4
    assert f"/bank/questions/{world['singles'][3].id}/versions" in q4
    # Q2's options: A (the key) 50 %, C 50 %, in the bank's order
    assert re.findall(r'data-option="([A-D])".*?option-share">(\d+)%', q2, re.S) == [("A", "50"), ("B", "0"), ("C", "50"), ("D", "0")]
    assert re.search(r'data-stat="alpha">\s*0\.33', html)  # 40/123 = 0.325
    assert re.search(r'data-stat="flagged">\s*1<', html)
    for sentence in ("本题平均得分占满分的比例", "本题得分与其余各题总分的相关系数", "可能达到的最大区分度的百分比", "整张试卷各题是否在测同一种能力"):
        assert sentence in html
    assert 'class="table-wrap"' in html  # the wide table scrolls sideways on a phone
    assert ' style="' not in html  # the bars are SVG: the Content-Security-Policy blocks inline styles
    results = auth.client.get(f"/manage/contests/{contest.id}/results").get_data(as_text=True)
    assert f"/manage/contests/{contest.id}/items" in results


def test_too_few_attempts_say_why_instead_of_showing_numbers(auth, session, world):
    contest = _contest(session, world)
    answer_matrix(session, contest, world["cadres"][:2], MATRIX[:2])
    auth.login("org_zz")
    html = auth.client.get(f"/manage/contests/{contest.id}/items").get_data(as_text=True)
    row = _row(html, world["singles"][1].id)
    assert _measure(row, "facility") == "1.00"
    assert "作答人数少于 5 人，暂不计算" in _measure(row, "discrimination")
    assert "nan" not in html.lower()


def test_an_empty_contest_says_so(auth, session, world):
    contest = _contest(session, world)
    auth.login("org_zz")
    html = auth.client.get(f"/manage/contests/{contest.id}/items").get_data(as_text=True)
    assert "还没有已交的答卷" in html


def test_a_cadre_is_refused_and_another_citys_organizer_sees_nothing(app, session, world):
    contest = _contest(session, world)
    answer_matrix(session, contest, world["cadres"], MATRIX)
    cadre = Auth(app.test_client())
    cadre.login("js0")
    assert cadre.client.get(f"/manage/contests/{contest.id}/items").status_code == 403
    other = Auth(app.test_client())
    other.login("org_ly")
    assert other.client.get(f"/manage/contests/{contest.id}/items").status_code == 404


def test_the_page_runs_the_same_queries_for_one_attempt_and_for_six(app, auth, session, world):
    few, many = _contest(session, world), _contest(session, world)
    answer_matrix(session, few, world["cadres"][:1], MATRIX[:1])
    answer_matrix(session, many, world["cadres"], MATRIX)
    auth.login("org_zz")
    auth.client.get(f"/manage/contests/{few.id}/items")  # warm up
    assert _count_queries(app, auth.client, f"/manage/contests/{few.id}/items") == \
        _count_queries(app, auth.client, f"/manage/contests/{many.id}/items")


def test_the_xlsx_export_holds_the_same_figures_as_the_page(auth, session, world):
    """Numbers stay numbers (Q1 facility 5/6 = 0.8333, Q4 r = −2/√82 = −0.2209), the flags and the
    settings sheet with α = 40/123 = 0.3252; a cadre cannot download it."""
    import io

    from openpyxl import load_workbook

    contest = _contest(session, world)
    answer_matrix(session, contest, world["cadres"], MATRIX)
    auth.login("org_zz")
    assert f"/manage/contests/{contest.id}/items.xlsx" in auth.client.get(f"/manage/contests/{contest.id}/items").get_data(as_text=True)
    response = auth.client.get(f"/manage/contests/{contest.id}/items.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("题号", "题目编号", "题型", "题干", "作答人数", "难度系数")
    assert [r[1] for r in rows[1:]] == [q.id for q in world["singles"]]
    assert rows[1][2] == "单选" and rows[1][4] == 6 and rows[1][5] == pytest.approx(0.8333)
    assert rows[4][6] == pytest.approx(-0.2209) and "区分度为负" in rows[4][10]
    assert rows[2][9] == "A 50%✓；B 0%；C 50%；D 0%"
    settings = dict(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert settings["整卷信度 α"] == "0.3252" and settings["计入统计的答卷"] == "6"
    cadre = Auth(auth.client.application.test_client())
    cadre.login("js0")
    assert cadre.client.get(f"/manage/contests/{contest.id}/items.xlsx").status_code == 403


def test_an_attempt_that_ran_out_unsubmitted_is_finalised_and_counted_after_close(app, auth, session, world):
    """As on the results page: after close, an attempt whose time ran out is graded with its saved
    answers before the statistics are computed (page and export alike)."""
    from datetime import timedelta

    from quiz.contests import attempts as svc
    from quiz.contests.models import Attempt

    contest = _contest(session, world)
    answer_matrix(session, contest, world["cadres"][:5], MATRIX[:5])
    late = world["cadres"][5]
    attempt, _created = svc.start_attempt(session, late, contest, now=T0)
    first = world["singles"][0].id
    layout = {q.question_id: q.option_order for q in attempt.questions}
    svc.save_response(session, late, attempt, first, svc.to_display("single", "C", layout[first]), now=T0 + timedelta(minutes=1))
    session.commit()  # saved one (wrong) answer, never submitted
    app.config["QUIZ_CLOCK"].now = contest.closes_at + timedelta(minutes=10)
    auth.login("org_zz")
    html = auth.client.get(f"/manage/contests/{contest.id}/items").get_data(as_text=True)
    assert re.search(r'data-stat="attempts">\s*6<', html)
    q1 = _row(html, first)
    assert _measure(q1, "facility") == "0.67"  # 4 of the first 5 right (MATRIX), the late cadre's C wrong: 4/6
    assert re.findall(r'data-option="([A-D])".*?option-share">(\d+)%', q1, re.S)[2] == ("C", "33")
    session.expire_all()
    finished = session.get(Attempt, attempt.id)
    assert (finished.status, finished.finalised_by, finished.score) == ("expired", "close", 0.0)

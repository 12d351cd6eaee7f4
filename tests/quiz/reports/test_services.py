"""Report figures against the hand-worked table in conftest.py."""
from __future__ import annotations

from datetime import datetime

import pytest

from quiz.reports import services as svc
from quiz.reports.services import ResultQuery
from tests.quiz.reports.conftest import add_attempt


def _names(page):
    return [(r.name, r.status, r.rank, r.score) for r in page.rows]


def test_results_list_every_eligible_cadre_of_the_subtree_with_contest_rank_and_status(session, report_world):
    w = report_world
    page = svc.contest_results(session, w.people["hr_zz"], w.contest, ResultQuery())
    assert _names(page) == [
        ("张三", "submitted", 2, 90.0),  # best of 70 and 90
        ("=1+2王五", "submitted", 4, 80.0),  # 洛阳乙 also has 80 but was faster: rank 3 is hers
        ("李四", "submitted", 5, 50.0),
        ("赵六", "in_progress", None, None),
        ("孙七", "absent", None, None),
    ]
    assert page.counts == {"eligible": 5, "submitted": 3, "in_progress": 1, "absent": 1}
    assert page.average_score == pytest.approx(73.33)  # (90 + 80 + 50) / 3
    assert page.pass_count == 2
    assert page.total == 5


def test_results_filters_by_unit_status_and_search_and_sorts(session, report_world):
    w = report_world
    hr = w.people["hr_zz"]
    jinshui = svc.contest_results(session, hr, w.contest, ResultQuery(unit=w.units["金水"]))
    assert [r.name for r in jinshui.rows] == ["张三", "=1+2王五", "赵六"]
    absent = svc.contest_results(session, hr, w.contest, ResultQuery(status="absent"))
    assert [r.name for r in absent.rows] == ["孙七"] and absent.total == 1
    found = svc.contest_results(session, hr, w.contest, ResultQuery(search="李"))
    assert [r.name for r in found.rows] == ["李四"]
    by_username = svc.contest_results(session, hr, w.contest, ResultQuery(search="zz_"))
    assert {r.name for r in by_username.rows} == {"张三", "=1+2王五", "赵六", "孙七"}
    lowest = svc.contest_results(session, hr, w.contest, ResultQuery(sort="score_asc"))
    assert [r.name for r in lowest.rows][:3] == ["李四", "=1+2王五", "张三"]
    fastest = svc.contest_results(session, hr, w.contest, ResultQuery(sort="time"))
    assert [r.name for r in fastest.rows][:3] == ["李四", "=1+2王五", "张三"]  # 100 s, 200 s, 300 s


def test_results_paginate(session, report_world):
    w = report_world
    first = svc.contest_results(session, w.people["hr_zz"], w.contest, ResultQuery(per_page=2))
    third = svc.contest_results(session, w.people["hr_zz"], w.contest, ResultQuery(per_page=2, page=3))
    assert [r.name for r in first.rows] == ["张三", "=1+2王五"]
    assert [r.name for r in third.rows] == ["孙七"]


def test_last_attempt_counts_when_the_contest_says_so(session, report_world):
    w = report_world
    w.contest.counts = "last"
    session.flush()
    page = svc.contest_results(session, w.people["hr_zz"], w.contest, ResultQuery(search="张三"))
    assert page.rows[0].score == 90.0  # the last attempt (number 2) is also the 90
    add_attempt(session, w.contest, w.people["zz_a"], 40, 100, number=3)
    page = svc.contest_results(session, w.people["hr_zz"], w.contest, ResultQuery(search="张三"))
    assert page.rows[0].score == 40.0


def test_histogram_counts_scores_in_tenths_of_full_marks(session, report_world):
    w = report_world
    page = svc.contest_results(session, w.people["hr_zz"], w.contest, ResultQuery())
    counts = {b["low"]: b["count"] for b in page.histogram}
    assert counts == {0: 0, 10: 0, 20: 0, 30: 0, 40: 0, 50: 1, 60: 0, 70: 0, 80: 1, 90: 1}
    add_attempt(session, w.contest, w.people["zz_self"], 100, 100)  # full marks fall in the last band
    page = svc.contest_results(session, w.people["hr_zz"], w.contest, ResultQuery())
    assert page.histogram[-1]["count"] == 2


def test_rollup_of_zhengzhou_per_child_unit_and_own_level(session, report_world):
    w = report_world
    rollup = svc.unit_rollup(session, w.people["hr_zz"], w.contest, w.units["郑州"])
    rows = [(r.unit.name if r.unit else "本级", r.eligible, r.participants, r.participation_rate, r.average_score, r.pass_rate, r.rank)
            for r in rollup.rows]
    assert rows == [
        ("金水区委组织部", 3, 2, 0.6667, 85.0, 1.0, 1),
        ("二七区委组织部", 1, 1, 1.0, 50.0, 0.0, 2),
        ("本级", 1, 0, 0.0, None, None, None),
    ]
    t = rollup.total
    assert (t.eligible, t.participants, t.average_score, t.pass_count) == (5, 3, 73.33, 2)


def test_rollup_from_the_province_drills_down(session, report_world):
    w = report_world
    hr = w.people["hr_prov"]
    top = svc.unit_rollup(session, hr, w.contest, w.units["省"])
    assert [(r.unit.name, r.eligible, r.participants, r.average_score, r.rank, r.has_children) for r in top.rows] == [
        ("郑州市委组织部", 5, 3, 73.33, 2, True),
        ("洛阳市委组织部", 2, 2, 87.5, 1, True),
    ]
    down = svc.unit_rollup(session, hr, w.contest, w.units["洛阳"])
    assert [(r.unit.name, r.average_score, r.has_children) for r in down.rows] == [("西工区委组织部", 95.0, False), ("洛龙区委组织部", 80.0, False)]


def test_rollup_export_rows_cover_the_subtree_with_sibling_ranks(session, report_world):
    w = report_world
    rows = svc.rollup_rows_for_export(session, w.people["hr_zz"], w.contest, w.units["郑州"])
    assert [(r.unit.name, parent, r.eligible, r.participants, r.average_score, r.rank) for r, parent in rows] == [
        ("郑州市委组织部", "河南省委组织部", 5, 3, 73.33, 1),
        ("金水区委组织部", "郑州市委组织部", 3, 2, 85.0, 1),
        ("二七区委组织部", "郑州市委组织部", 1, 1, 50.0, 2),
    ]


def test_hr_of_zhengzhou_reaches_no_luoyang_unit_and_no_contest_only_for_luoyang(session, report_world):
    from tests.factories import make_contest, make_paper

    w = report_world
    hr = w.people["hr_zz"]
    with pytest.raises(svc.NotInReach):
        svc.get_reachable_unit(session, hr, w.units["西工"].id)
    luoyang_only = make_contest(session, make_paper(session), title="洛阳专场", eligible_unit_ids=[w.units["洛阳"].id])
    session.commit()
    with pytest.raises(svc.NotInReach):
        svc.get_reportable_contest(session, hr, luoyang_only.id)
    assert [c.title for c in svc.reportable_contests(session, hr)] == ["全省组工知识竞赛"]


def test_trends_per_contest_and_per_year_for_a_unit(session, report_world):
    from tests.factories import make_bank, make_contest, make_paper

    w = report_world
    earlier = make_contest(session, make_paper(session, make_bank(session, w.units["省"])), title="2025年竞赛", pass_score=60)
    earlier.opens_at, earlier.closes_at, earlier.status = datetime(2025, 6, 1, 1), datetime(2025, 6, 1, 9), "closed"
    add_attempt(session, earlier, w.people["zz_a"], 60, 100, at=datetime(2025, 6, 1, 2))
    add_attempt(session, earlier, w.people["ly_a"], 100, 100, at=datetime(2025, 6, 1, 2))  # not in 金水
    w.contest.opens_at = datetime(2026, 6, 1, 1)
    session.commit()
    points = svc.unit_trends(session, w.people["hr_zz"], w.units["金水"])
    assert [(p.contest.title, p.eligible, p.participants, p.average_score, p.score_rate, p.pass_rate) for p in points] == [
        ("2025年竞赛", 3, 1, 60.0, 0.6, 1.0),
        ("全省组工知识竞赛", 3, 2, 85.0, 0.85, 1.0),
    ]
    years = svc.yearly(points)
    assert [(y.year, y.contests, y.eligible, y.participants, y.participation_rate, y.score_rate) for y in years] == [
        (2025, 1, 3, 1, 0.3333, 0.6), (2026, 1, 3, 2, 0.6667, 0.85)]


def test_a_cadre_who_moved_or_lost_the_role_after_the_contest_stays_in_the_results_like_on_the_leaderboard(session, report_world):
    """Who counts: a submitted attempt is never dropped; it is reported under the cadre's current
    unit. The results, their export, the roll-up and the leaderboard show the same people."""
    from quiz.contests.leaderboard import contest_leaderboard, unit_standings

    w = report_world
    p = w.people
    p["zz_b"].org_unit_id = w.units["二七"].id  # moved from 金水 to 二七 after sitting the contest
    p["eq_a"].set_roles(["hr"])  # no longer a cadre
    p["ly_a"].org_unit_id = w.units["郑州"].id  # moved from 洛阳 into 郑州 itself
    p["ly_b"].active = False  # left
    session.commit()
    zz = svc.contest_results(session, p["hr_zz"], w.contest, ResultQuery())
    assert [(r.name, r.status, r.rank, r.score) for r in zz.rows] == [
        ("洛阳甲", "submitted", 1, 95.0),
        ("张三", "submitted", 2, 90.0),
        ("=1+2王五", "submitted", 4, 80.0),
        ("李四", "submitted", 5, 50.0),
        ("赵六", "in_progress", None, None),
        ("孙七", "absent", None, None),
    ]
    assert [r.unit for r in zz.rows[:4]] == ["郑州市委组织部", "金水区委组织部", "二七区委组织部", "二七区委组织部"]
    assert zz.counts == {"eligible": 6, "submitted": 4, "in_progress": 1, "absent": 1}
    assert sum(b["count"] for b in zz.histogram) == 4
    erqi = svc.contest_results(session, p["hr_zz"], w.contest, ResultQuery(unit=w.units["二七"]))
    assert [r.name for r in erqi.rows] == ["=1+2王五", "李四"]
    assert [r.name for r in svc.contest_results(session, p["hr_zz"], w.contest, ResultQuery(search="李")).rows] == ["李四"]
    exported = list(svc.result_rows_for_export(session, p["hr_zz"], w.contest, ResultQuery()))
    assert [(r.name, r.rank) for r in exported] == [(r.name, r.rank) for r in zz.rows]

    province = svc.contest_results(session, p["hr_prov"], w.contest, ResultQuery(status="submitted"))
    board = contest_leaderboard(session, w.contest)
    assert [(r.user_id, r.rank, r.score, r.unit) for r in province.rows] == \
        [(r["user_id"], r["rank"], r["score"], r["unit"]) for r in board]
    assert len(board) == 5  # 洛阳乙 left, but sat the contest

    rollup = svc.unit_rollup(session, p["hr_zz"], w.contest, w.units["郑州"])
    assert [(r.unit.name if r.unit else "本级", r.eligible, r.participants) for r in rollup.rows] == [
        ("金水区委组织部", 2, 1), ("二七区委组织部", 2, 2), ("本级", 2, 1)]
    standings = {r["unit"]: (r["eligible"], r["participants"]) for r in unit_standings(session, w.contest)}
    assert standings["二七区委组织部"] == (2, 2) and standings["洛龙区委组织部"] == (1, 1)
    assert all(r["participation_rate"] <= 1 for r in unit_standings(session, w.contest))
    trend = svc.unit_trends(session, p["hr_zz"], w.units["二七"])
    assert [(t.eligible, t.participants) for t in trend] == [(2, 2)]


def test_a_contest_opening_just_after_new_year_in_beijing_belongs_to_the_new_year(app, session, report_world):
    """2026-01-01 00:30 in Beijing is 2025-12-31 16:30 UTC: the trends put it in 2026 (QUIZ_TIMEZONE);
    one opening at 23:30 on New Year's Eve in Beijing stays in 2025."""
    from tests.factories import make_bank, make_contest, make_paper

    w = report_world
    eve = make_contest(session, make_paper(session, make_bank(session, w.units["省"])), title="除夕竞赛")
    eve.opens_at, eve.closes_at, eve.status = datetime(2025, 12, 31, 15, 30), datetime(2025, 12, 31, 15, 50), "closed"
    w.contest.opens_at, w.contest.closes_at = datetime(2025, 12, 31, 16, 30), datetime(2026, 1, 1, 2)
    session.commit()
    hr = w.people["hr_zz"]
    with app.app_context():  # the app's QUIZ_TIMEZONE: Asia/Shanghai
        points = svc.unit_trends(session, hr, w.units["郑州"])
        assert [(p.contest.title, p.year) for p in points] == [("除夕竞赛", 2025), ("全省组工知识竞赛", 2026)]
        assert [(y.year, y.contests, y.participants) for y in svc.yearly(points)] == [(2025, 1, 0), (2026, 1, 3)]
        assert [p.contest.title for p in svc.unit_trends(session, hr, w.units["郑州"], year=2026)] == ["全省组工知识竞赛"]
        assert [p.contest.title for p in svc.unit_trends(session, hr, w.units["郑州"], year=2025)] == ["除夕竞赛"]
        app.config["QUIZ_TIMEZONE"] = "UTC"
        assert [y.year for y in svc.yearly(svc.unit_trends(session, hr, w.units["郑州"]))] == [2025]
    assert svc.contest_year(datetime(2025, 12, 31, 16, 30), "Asia/Shanghai") == 2026

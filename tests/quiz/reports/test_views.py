"""Report pages and exports through the app: scoping, neutralised cells, constant query counts."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import event

from tests.factories import make_user
from tests.quiz.conftest import Auth
from tests.quiz.reports.conftest import add_attempt

LUOYANG_WORDS = ("洛阳", "西工", "洛龙")


def _login(app, username: str) -> Auth:
    auth = Auth(app.test_client())
    assert auth.login(username).status_code == 302
    return auth


def _pages(w) -> list[str]:
    c, u = w.contest.id, w.units
    return [
        "/reports/", f"/reports/contests/{c}", f"/reports/contests/{c}?status=absent", f"/reports/contests/{c}?sort=unit&page=1",
        f"/reports/contests/{c}/units", f"/reports/contests/{c}/units?unit={u['金水'].id}",
        "/reports/trends", f"/reports/units/{u['金水'].id}/trends",
    ]


def _exports(w) -> list[str]:
    c = w.contest.id
    return [f"/reports/contests/{c}/export?format=xlsx", f"/reports/contests/{c}/export?format=csv",
            f"/reports/contests/{c}/units/export?format=xlsx", f"/reports/contests/{c}/units/export?format=csv"]


def _export_text(response) -> str:
    body = response.get_data()
    if response.mimetype == "text/csv":
        return body.decode("utf-8-sig")
    wb = load_workbook(io.BytesIO(body))
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)


def test_hr_of_zhengzhou_sees_no_luoyang_row_in_any_report_or_export(app, report_world):
    w = report_world
    hr = _login(app, "hr_zz")
    for path in _pages(w) + _exports(w):
        response = hr.client.get(path)
        assert response.status_code == 200, path
        text = _export_text(response) if "/export" in path else response.get_data(as_text=True)
        assert not [word for word in LUOYANG_WORDS if word in text], path
        if path.endswith(f"/contests/{w.contest.id}") or f"{w.contest.id}/export?" in path:
            assert "张三" in text, path  # the page does list 郑州's people
        if "/units" in path:
            assert "金水区委组织部" in text, path
    for path in (f"/reports/contests/{w.contest.id}?unit={w.units['西工'].id}", f"/reports/contests/{w.contest.id}/units?unit={w.units['洛阳'].id}",
                 f"/reports/contests/{w.contest.id}/export?unit={w.units['洛龙'].id}", f"/reports/units/{w.units['西工'].id}/trends"):
        assert hr.client.get(path).status_code == 404, path


def test_provincial_hr_sees_both_cities(app, report_world):
    w = report_world
    hr = _login(app, "hr_prov")
    page = hr.client.get(f"/reports/contests/{w.contest.id}").get_data(as_text=True)
    assert "洛阳甲" in page and "张三" in page
    units = hr.client.get(f"/reports/contests/{w.contest.id}/units").get_data(as_text=True)
    assert "洛阳市委组织部" in units and "郑州市委组织部" in units


def test_results_export_opens_in_excel_with_neutralised_cells_numbers_and_filters(app, report_world):
    w = report_world
    hr = _login(app, "hr_zz")
    response = hr.client.get(f"/reports/contests/{w.contest.id}/export?format=xlsx&status=submitted")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.get_data()))
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2"
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][:8] == ["名次", "姓名", "账号", "单位", "状态", "得分", "满分", "及格"]
    assert [r[:9] for r in rows[1:]] == [
        [2, "张三", "zz_a", "金水区委组织部", "已交卷", 90, 100, "是", 300],
        [4, "'=1+2王五", "zz_b", "金水区委组织部", "已交卷", 80, 100, "是", 200],
        [5, "李四", "eq_a", "二七区委组织部", "已交卷", 50, 100, "否", 100],
    ]
    filters = dict((r[0], r[1]) for r in wb["筛选条件"].iter_rows(min_row=2, values_only=True))
    assert filters["状态"] == "已交卷" and filters["竞赛"] == "全省组工知识竞赛"


def test_results_csv_has_a_bom_and_every_eligible_cadre(app, report_world):
    w = report_world
    hr = _login(app, "hr_zz")
    body = hr.client.get(f"/reports/contests/{w.contest.id}/export?format=csv").get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [(r[1], r[4]) for r in rows[1:6]] == [("张三", "已交卷"), ("'=1+2王五", "已交卷"), ("李四", "已交卷"), ("赵六", "进行中"), ("孙七", "未参加")]


def test_unit_export_lists_the_subtree_with_figures(app, report_world):
    w = report_world
    hr = _login(app, "hr_zz")
    wb = load_workbook(io.BytesIO(hr.client.get(f"/reports/contests/{w.contest.id}/units/export?format=xlsx").get_data()))
    rows = [list(r) for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert [r[:8] for r in rows] == [
        ["郑州市委组织部", "河南省委组织部", 1, 5, 3, 0.6, 73.33, 2],
        ["金水区委组织部", "郑州市委组织部", 2, 3, 2, 0.6667, 85, 2],
        ["二七区委组织部", "郑州市委组织部", 2, 1, 1, 1, 50, 0],
    ]


def test_pages_show_charts_with_a_table_alternative(app, report_world):
    w = report_world
    hr = _login(app, "hr_zz")
    results = hr.client.get(f"/reports/contests/{w.contest.id}").get_data(as_text=True)
    assert '<svg viewBox' in results and 'role="img"' in results and "分数分布表" in results
    units = hr.client.get(f"/reports/contests/{w.contest.id}/units").get_data(as_text=True)
    assert units.count('<svg viewBox') == 2 and "金水区委组织部" in units
    assert f'/reports/contests/{w.contest.id}/units?unit={w.units["金水"].id}' not in units  # 金水 has no children: no drill-down link


def test_hr_home_and_organizer_results_link_to_the_reports(app, report_world):
    hr = _login(app, "hr_zz")
    assert "/reports/" in hr.client.get("/hr").get_data(as_text=True)
    org = _login(app, "org_zz")
    menu = org.client.get("/organizer").get_data(as_text=True)
    assert 'href="/reports/"' in menu


def _count_queries(app, client, path: str) -> int:
    engine = app.extensions["db_engine"]
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200, path
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_report_pages_run_the_same_queries_for_few_and_many_rows(app, session, report_world):
    """Aggregated in SQL: adding cadres and attempts does not add queries."""
    w = report_world
    hr = _login(app, "hr_zz")
    paths = _pages(w) + _exports(w)
    hr.client.get(paths[0])  # warm up
    before = {path: _count_queries(app, hr.client, path) for path in paths}
    for i in range(30):
        cadre = make_user(session, f"more{i}", w.units["金水" if i % 2 else "二七"])
        if i % 3:
            add_attempt(session, w.contest, cadre, 40 + i, 100 + i)
            add_attempt(session, w.contest, cadre, 30 + i, 90 + i, number=2)
    session.commit()
    after = {path: _count_queries(app, hr.client, path) for path in paths}
    assert after == before


def test_a_closed_contest_finalises_expired_attempts_before_reporting(app, session, report_world):
    """After close nobody shows as 进行中: the expired attempt is finalised (as on the organizer's page)."""
    from datetime import timedelta

    from question_bank.db import utcnow
    from quiz.contests.models import Attempt

    w = report_world
    w.contest.closes_at = utcnow() - timedelta(minutes=5)
    w.contest.opens_at = w.contest.closes_at - timedelta(hours=3)
    running = session.query(Attempt).filter_by(user_id=w.people["zz_c"].id).one()
    running.started_at = w.contest.opens_at
    running.deadline = w.contest.closes_at
    session.commit()
    hr = _login(app, "hr_zz")
    body = hr.client.get(f"/reports/contests/{w.contest.id}/export?format=csv").get_data().decode("utf-8-sig")
    zhao = next(r for r in csv.reader(io.StringIO(body)) if len(r) > 1 and r[1] == "赵六")
    assert zhao[4] == "已交卷"
    session.expire_all()
    assert session.get(Attempt, running.id).status != "in_progress"


def test_a_unit_filter_that_is_not_a_number_is_ignored(app, report_world):
    hr = _login(app, "hr_zz")
    assert hr.client.get(f"/reports/contests/{report_world.contest.id}?unit=²&page=x").status_code == 200


EN = {"Accept-Language": "en"}


def test_english_exports_name_the_scope_in_one_english_phrase(app, report_world):
    """The scope row reads "郑州市委组织部 and its subunits", not a Chinese fragment glued to the unit."""
    w = report_world
    hr = _login(app, "hr_zz")
    for path in (f"/reports/contests/{w.contest.id}/export?format=xlsx", f"/reports/contests/{w.contest.id}/units/export?format=xlsx"):
        wb = load_workbook(io.BytesIO(hr.client.get(path, headers=EN).get_data()))
        filters = dict((r[0], r[1]) for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True))
        assert filters["Scope"] == "郑州市委组织部 and its subunits", path
    wb = load_workbook(io.BytesIO(hr.client.get(f"/reports/contests/{w.contest.id}/units/export?format=xlsx").get_data()))
    filters = dict((r[0], r[1]) for r in wb["筛选条件"].iter_rows(min_row=2, values_only=True))
    assert filters["范围"] == "郑州市委组织部及其下级单位"


def test_an_english_count_of_one_person_is_singular(app, session, report_world):
    w = report_world
    hr = _login(app, "hr_zz")
    page = hr.client.get(f"/reports/contests/{w.contest.id}?q=张三", headers=EN).get_data(as_text=True)
    assert "1 person, page 1 of 1" in page and "1 people" not in page
    page = hr.client.get(f"/reports/contests/{w.contest.id}", headers=EN).get_data(as_text=True)
    assert "5 people, page 1 of 1" in page


def test_the_trends_page_lists_a_contest_opening_just_after_new_year_in_beijing_under_the_new_year(app, session, report_world):
    """2026-01-01 00:30 in Beijing is 2025-12-31 16:30 UTC: clicking 2026 lists it, 2025 does not."""
    from datetime import datetime

    w = report_world
    w.contest.opens_at, w.contest.closes_at = datetime(2025, 12, 31, 16, 30), datetime(2026, 1, 1, 2)
    session.commit()
    hr = _login(app, "hr_zz")
    new_year = hr.client.get(f"/reports/units/{w.units['郑州'].id}/trends?year=2026").get_data(as_text=True)
    old_year = hr.client.get(f"/reports/units/{w.units['郑州'].id}/trends?year=2025").get_data(as_text=True)
    assert "全省组工知识竞赛" in new_year.split("2026 年各场竞赛", 1)[1]
    assert "全省组工知识竞赛" not in old_year.split("2025 年各场竞赛", 1)[1]

"""The organizer's contest pages: papers, contests, lifecycle, the live page, results, the demo contests.

Reach: an organizer of 洛阳 never opens a paper or contest owned by 郑州 (404) nor sees one in a
list; every write is audit-logged by the services with the organizer as actor.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

from question_bank.models import Subject, ensure_default_subjects
from quiz.audit.models import AuditEntry
from quiz.contests import attempts as svc
from quiz.contests.leaderboard import contest_leaderboard, unit_standings
from quiz.contests.models import Attempt, AttemptQuestion, Contest, Paper
from quiz.contests.services import RuleSpec, create_paper, is_eligible
from tests.factories import make_bank, make_contest, make_paper, make_province, make_question, make_user
from tests.quiz.conftest import Auth
from tests.quiz.contests.conftest import T0, Clock

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(app, session, clock):
    """郑州 owns a bank of 6 法律 singles, 4 理论 true/false and 3 multiples; cadres in 金水 and 二七."""
    app.config["QUIZ_CLOCK"] = clock
    app.config["CONTEST_GRACE_SECONDS"] = 5
    ensure_default_subjects(session)
    units = make_province(session)
    w = {
        "units": units,
        "org_zz": make_user(session, "org_zz", units["郑州"], ("organizer", "cadre"), name="郑州组织者"),
        "org_ly": make_user(session, "org_ly", units["洛阳"], ("organizer",), name="洛阳组织者"),
        "cadre": make_user(session, "cadre_zz", units["金水"], name="赵文静"),
    }
    bank = make_bank(session, units["郑州"], "郑州题库")
    w["bank"] = bank
    w["singles"] = [make_question(session, bank, "single", subject="法律", knowledge_points=["党章"]) for _ in range(6)]
    w["tfs"] = [make_question(session, bank, "true_false", subject="理论") for _ in range(4)]
    w["multiples"] = [make_question(session, bank, "multiple", subject="政策") for _ in range(3)]
    w["jinshui"] = [w["cadre"]] + [make_user(session, f"js{i}", units["金水"]) for i in range(2)]
    w["erqi"] = [make_user(session, f"eq{i}", units["二七"]) for i in range(2)]
    w["subjects"] = {s.name: s.id for s in session.scalars(select(Subject))}
    session.commit()
    return w


def _fresh(session):
    session.rollback()  # end the test session's read snapshot and see what the requests committed
    session.expire_all()


def _rule(index: int, bank_id: int, count: int, *, type: str = "", subject: int = 0, points: float = 5) -> dict:
    return {
        f"rules-{index}-bank_ids": str(bank_id), f"rules-{index}-type": type, f"rules-{index}-subject_id": str(subject),
        f"rules-{index}-difficulty_min": "1", f"rules-{index}-difficulty_max": "5", f"rules-{index}-count": str(count),
        f"rules-{index}-points_each": str(points), f"rules-{index}-position": str(index + 1),
    }


def _settings(**extra) -> dict:
    return {"title": "规则卷", "draw": "per_attempt", "pool_size": "5", "shuffle_questions": "y", "shuffle_options": "y",
            "multiple_mode": "partial", "multiple_fraction": "0.5", **extra}


def _new_rules_paper(auth, world) -> int:
    response = auth.post("/manage/papers/new", _settings(org_unit_id=str(world["units"]["郑州"].id), mode="rules"))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/manage/papers/(\d+)$", response.headers["Location"]).group(1))


def _audit(session, action: str) -> list[AuditEntry]:
    _fresh(session)
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# ---- papers ------------------------------------------------------------------------------------


def test_a_rules_paper_made_through_the_form_shows_how_many_questions_each_rule_can_draw(auth, session, world):
    auth.login("org_zz")
    paper_id = _new_rules_paper(auth, world)
    page = f"/manage/papers/{paper_id}"
    data = {**_settings(), **_rule(0, world["bank"].id, 4, type="single", subject=world["subjects"]["法律"]),
            **_rule(1, world["bank"].id, 2, type="true_false"), "action": "save"}
    response = auth.post(page, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    html = auth.client.get(page).get_data(as_text=True)
    assert "可抽取 6 道，需抽取 4 道" in html and "可抽取 4 道，需抽取 2 道" in html
    # the coverage preview: by subject and by knowledge point, of a sample draw
    assert re.search(r"<span>法律</span><span class=\"num\">4</span>", html)
    assert re.search(r"<span>理论</span><span class=\"num\">2</span>", html)
    assert re.search(r"<span>党章</span><span class=\"num\">4</span>", html)
    _fresh(session)
    paper = session.get(Paper, paper_id)
    assert [(r.type, r.count, r.points_each) for r in paper.rules] == [("single", 4, 5.0), ("true_false", 2, 5.0)]
    assert paper.draw == "per_attempt" and paper.multiple_mode == "partial" and paper.pool_size == 5
    assert [e.action for e in _audit(session, "paper.update")] == ["paper.update"]


def test_a_rule_the_banks_cannot_satisfy_is_refused_with_the_services_message(auth, session, world):
    auth.login("org_zz")
    paper_id = _new_rules_paper(auth, world)
    page = f"/manage/papers/{paper_id}"
    data = {**_settings(), **_rule(0, world["bank"].id, 2, type="true_false"), **_rule(1, world["bank"].id, 5, type="multiple"),
            "action": "save"}
    response = auth.post(page, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "第 2 条组卷规则（题型=多选）只有 3 道题可选，少于要抽取的 5 道；请减少题数或放宽条件" in html
    assert "可抽取 3 道，需抽取 5 道" in html and "可抽取 4 道，需抽取 2 道" in html
    _fresh(session)
    assert session.get(Paper, paper_id).rules == []  # nothing saved
    # 检查规则 shows the same without saving; a satisfiable set saves
    checked = auth.post(page, {**data, "rules-1-count": "3", "action": "check"}, token_from=page)
    assert checked.status_code == 200 and "可抽取 3 道，需抽取 3 道" in checked.get_data(as_text=True)
    _fresh(session)
    assert session.get(Paper, paper_id).rules == []


def test_a_bank_outside_reach_is_refused_in_a_rule(auth, session, world):
    luoyang_bank = make_bank(session, world["units"]["洛阳"], "洛阳题库")
    make_question(session, luoyang_bank)
    session.commit()
    auth.login("org_zz")
    paper_id = _new_rules_paper(auth, world)
    response = auth.post(f"/manage/papers/{paper_id}", {**_settings(), **_rule(0, luoyang_bank.id, 1), "action": "save"})
    assert response.status_code == 422
    assert "第 1 条组卷规则选择了不存在或无权使用的题库" in response.get_data(as_text=True)


def test_a_fixed_paper_picks_questions_by_search_with_points_and_order(auth, session, world):
    auth.login("org_zz")
    response = auth.post("/manage/papers/new", {**_settings(title="固定卷"), "org_unit_id": str(world["units"]["郑州"].id), "mode": "fixed"})
    paper_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = f"/manage/papers/{paper_id}"
    listing = auth.client.get(f"{page}?bank={world['bank'].id}&type=true_false").get_data(as_text=True)
    assert listing.count('name="question_id"') == 4  # the four true/false questions, each with 加入
    first, second = world["tfs"][0], world["multiples"][0]
    for question, points in ((first, "3"), (second, "4")):
        added = auth.post(f"{page}/questions", {"question_id": str(question.id), "points": points, "bank": str(world["bank"].id)}, token_from=page)
        assert added.status_code == 302
    # reorder and change points in the editor
    data = {**_settings(title="固定卷"), "items-0-question_id": str(first.id), "items-0-position": "2", "items-0-points": "3",
            "items-1-question_id": str(second.id), "items-1-position": "1", "items-1-points": "6", "action": "save"}
    assert auth.post(page, data).status_code == 302
    _fresh(session)
    paper = session.get(Paper, paper_id)
    assert [(i.question_id, i.points) for i in paper.items] == [(second.id, 6.0), (first.id, 3.0)]
    html = auth.client.get(page).get_data(as_text=True)
    assert "总分" in html and ">9<" in html


def test_a_paper_a_published_contest_uses_is_read_only_and_can_be_copied(auth, session, world):
    paper = make_paper(session, world["bank"], questions=world["tfs"][:2])
    make_contest(session, paper, now=T0, org_unit_id=world["units"]["郑州"].id)
    session.commit()
    auth.login("org_zz")
    page = f"/manage/papers/{paper.id}"
    html = auth.client.get(page).get_data(as_text=True)
    assert "不能再修改" in html and "disabled" in html
    refused = auth.post(page, {**_settings(title="改名"), "action": "save"})
    assert refused.status_code == 302
    copied = auth.post(f"{page}/copy", {}, token_from=page)
    assert copied.status_code == 302
    _fresh(session)
    assert session.get(Paper, paper.id).title != "改名"
    assert session.scalar(select(Paper.title).where(Paper.id != paper.id)) == f"{paper.title}（副本）"


# ---- contests ----------------------------------------------------------------------------------


def _contest_form(paper_id: int, **extra) -> dict:
    return {
        "title": "金水区知识竞赛", "paper": str(paper_id), "notice": "请独立作答", "opens_at": "2026-06-01T09:00",
        "closes_at": "2026-06-01T12:00", "time_limit_minutes": "30", "attempts_allowed": "2", "counts": "last",
        "pass_score": "60", "release": "manual", "review_after_close": "y", "leaderboard": "live",
        "count_tab_switches": "y", "count_pastes": "y", "auto_submit_after_switches": "5", "one_page": "y", **extra,
    }


def test_create_publish_and_close_a_contest(auth, session, world, clock):
    paper = make_paper(session, world["bank"], questions=world["singles"][:3])
    session.commit()
    auth.login("org_zz")
    form = _contest_form(paper.id, eligible_unit_ids=[str(world["units"]["金水"].id)], eligible_roles=["cadre"])
    response = auth.post("/manage/contests/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    contest_id = int(response.headers["Location"].rsplit("/", 1)[1])
    _fresh(session)
    contest = session.get(Contest, contest_id)
    # the window is entered in Asia/Shanghai and stored in UTC
    assert (contest.opens_at, contest.closes_at) == (datetime(2026, 6, 1, 1, 0), datetime(2026, 6, 1, 4, 0))
    assert (contest.status, contest.org_unit_id, contest.eligible_unit_ids) == ("draft", world["units"]["郑州"].id, [world["units"]["金水"].id])
    assert (contest.attempts_allowed, contest.counts, contest.release, contest.leaderboard, contest.auto_submit_after_switches,
            contest.one_page, contest.pass_score) == (2, "last", "manual", "live", 5, True, 60.0)
    page = f"/manage/contests/{contest_id}"
    html = auth.client.get(page).get_data(as_text=True)
    assert 'value="2026-06-01T09:00"' in html and "data-confirm" in html
    assert auth.post(f"{page}/publish", {}, token_from=page).status_code == 302
    _fresh(session)
    assert session.get(Contest, contest_id).status == "published"
    assert "进行中" in auth.client.get("/manage/contests").get_data(as_text=True)
    svc.start_attempt(session, world["cadre"], session.get(Contest, contest_id), now=T0)
    session.commit()
    clock.advance(minutes=5)
    assert auth.post(f"{page}/close", {}, token_from=page).status_code == 302
    _fresh(session)
    contest = session.get(Contest, contest_id)
    assert contest.status == "closed" and contest.closes_at == clock.now
    assert session.scalar(select(Attempt.deadline)) == clock.now  # the attempt in progress was cut short
    assert [e.actor_id for e in _audit(session, "contest.close")] == [world["org_zz"].id]
    assert [e.action for e in _audit(session, "contest.publish")] == ["contest.publish"]
    # release by hand, then archive
    assert auth.post(f"{page}/release", {}, token_from=page).status_code == 302
    assert auth.post(f"{page}/archive", {}, token_from=page).status_code == 302
    _fresh(session)
    contest = session.get(Contest, contest_id)
    assert contest.results_released and contest.status == "archived"
    assert "已归档" in auth.client.get("/manage/contests").get_data(as_text=True)


def test_a_refused_lifecycle_step_says_why_and_changes_nothing(auth, session, world):
    paper = create_paper(session, None, title="空规则卷", org_unit_id=world["units"]["郑州"].id, mode="rules",
                         rules=[RuleSpec([world["bank"].id], 50, type="single")])
    contest = make_contest(session, paper, now=T0, publish=False, org_unit_id=world["units"]["郑州"].id)
    session.commit()
    auth.login("org_zz")
    page = f"/manage/contests/{contest.id}"
    response = auth.post(f"{page}/publish", {}, token_from=page)
    assert response.status_code == 302
    assert "只有 6 道题可选，少于要抽取的 50 道" in auth.client.get(page).get_data(as_text=True)
    _fresh(session)
    assert session.get(Contest, contest.id).status == "draft"


def test_a_running_contest_changes_only_what_the_service_allows(auth, session, world, clock):
    paper = make_paper(session, world["bank"], questions=world["singles"][:3])
    contest = make_contest(session, paper, now=T0, org_unit_id=world["units"]["郑州"].id, title="旧名称")
    session.commit()
    auth.login("org_zz")
    page = f"/manage/contests/{contest.id}"
    html = auth.client.get(page).get_data(as_text=True)
    # locked fields are shown read-only with the reason, not as inputs
    assert 'name="time_limit_minutes"' not in html and 'name="paper"' not in html and 'name="opens_at"' not in html
    assert "不能再修改的设置" in html and "答题时长（分钟）" in html and "已开始的答卷按这些设置进行" in html
    assert 'name="title"' in html and 'name="closes_at"' in html
    new_close = contest.closes_at + timedelta(hours=1)
    local_close = (new_close + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")
    response = auth.post(page, {"title": "新名称", "closes_at": local_close, "time_limit_minutes": "5", "release": "immediately",
                                "leaderboard": "after_close", "notice": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    _fresh(session)
    changed = session.get(Contest, contest.id)
    assert (changed.title, changed.closes_at, changed.time_limit_minutes) == ("新名称", new_close, 30)
    [entry] = _audit(session, "contest.update")
    assert entry.before["title"] == "旧名称" and entry.after["title"] == "新名称" and entry.actor_id == world["org_zz"].id
    assert "time_limit_minutes" not in entry.after
    # after the end, the end time is locked too
    clock.advance(hours=5)
    html = auth.client.get(page).get_data(as_text=True)
    assert 'name="closes_at"' not in html and 'name="title"' in html


# ---- the live page -----------------------------------------------------------------------------


def _cells(html: str, unit_id: int) -> list[str]:
    row = re.search(rf'<tr data-unit="{unit_id}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def _running(session, world, **settings):
    paper = make_paper(session, world["bank"], questions=world["singles"][:3])
    return make_contest(session, paper, now=T0, org_unit_id=world["units"]["郑州"].id, **settings)


def test_the_live_page_counts_by_unit_and_shows_integrity_signals(auth, session, world):
    contest = _running(session, world)
    js = world["jinshui"]
    first, _ = svc.start_attempt(session, js[0], contest, now=T0)
    second, _ = svc.start_attempt(session, js[1], contest, now=T0)
    svc.submit_attempt(session, js[1], second, now=T0 + timedelta(minutes=3))
    third, _ = svc.start_attempt(session, world["erqi"][0], contest, now=T0)
    svc.record_integrity(session, js[0], first, tab_switches=5, pastes=0)
    svc.record_integrity(session, world["erqi"][0], third, tab_switches=1, pastes=1)
    session.commit()
    auth.login("org_zz")
    html = auth.client.get(f"/manage/contests/{contest.id}/live").get_data(as_text=True)
    # unit, eligible, started, in progress, submitted, not taken
    assert _cells(html, world["units"]["金水"].id) == ["金水区委组织部", "3", "2", "1", "1", "1"]
    assert _cells(html, world["units"]["二七"].id) == ["二七区委组织部", "2", "1", "1", "0", "1"]
    assert _cells(html, world["units"]["郑州"].id) == ["郑州市委组织部", "1", "0", "0", "0", "1"]  # the organizer is a cadre too
    assert 'data-total="eligible">6<' in html and 'data-total="started">3<' in html
    assert "data-refresh-seconds" in html and "js/manage.js" in html
    signals = html.split("诚信提示", 1)[1]
    assert world["jinshui"][0].name in signals and world["erqi"][0].name not in signals  # 1 switch is under the threshold
    assert world["erqi"][0].name in auth.client.get(f"/manage/contests/{contest.id}/live?threshold=1").get_data(as_text=True).split("诚信提示", 1)[1]


def test_extending_one_cadres_time_is_audited(auth, session, world):
    contest = _running(session, world)
    attempt, _ = svc.start_attempt(session, world["cadre"], contest, now=T0)
    session.commit()
    before = attempt.deadline
    auth.login("org_zz")
    page = f"/manage/contests/{contest.id}/live?q=赵文"
    html = auth.client.get(page).get_data(as_text=True)
    assert f'name="attempt_id" value="{attempt.id}"' in html
    response = auth.post(f"/manage/contests/{contest.id}/extend", {"attempt_id": str(attempt.id), "minutes": "10", "q": "赵文"},
                         token_from=page)
    assert response.status_code == 302 and "q=" in response.headers["Location"]
    _fresh(session)
    extended = session.get(Attempt, attempt.id)
    assert extended.deadline == before + timedelta(minutes=10) and extended.extra_seconds == 600
    [entry] = _audit(session, "attempt.extend")
    assert entry.actor_id == world["org_zz"].id and entry.after["extra_seconds"] == 600
    # an attempt of another contest is refused
    other = _running(session, world)
    foreign, _ = svc.start_attempt(session, world["erqi"][0], other, now=T0)
    session.commit()
    auth.post(f"/manage/contests/{contest.id}/extend", {"attempt_id": str(foreign.id), "minutes": "10"}, token_from=page)
    _fresh(session)
    assert session.get(Attempt, foreign.id).extra_seconds == 0


def test_a_luoyang_organizer_gets_404_on_a_zhengzhou_contest_and_paper(app, auth, session, world):
    contest = _running(session, world)
    session.commit()
    auth.login("org_ly")
    for path in (f"/manage/contests/{contest.id}", f"/manage/contests/{contest.id}/live", f"/manage/contests/{contest.id}/results",
                 f"/manage/papers/{contest.paper_id}"):
        assert auth.client.get(path).status_code == 404, path
    for action in ("publish", "close", "archive", "release"):
        assert auth.post(f"/manage/contests/{contest.id}/{action}", {}, token_from="/manage/contests").status_code == 404
    assert auth.post(f"/manage/papers/{contest.paper_id}/copy", {}, token_from="/manage/papers").status_code == 404
    assert contest.title not in auth.client.get("/manage/contests").get_data(as_text=True)
    assert f"/manage/papers/{contest.paper_id}" not in auth.client.get("/manage/papers").get_data(as_text=True)
    _fresh(session)
    assert session.get(Contest, contest.id).status == "published"
    cadre = Auth(app.test_client())
    cadre.login("cadre_zz")
    assert cadre.client.get("/manage/contests").status_code == 403
    assert cadre.client.get(f"/manage/contests/{contest.id}/live").status_code == 403


def _count_queries(app, client, path: str) -> int:
    engine = app.extensions["db_engine"]
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(statements)


def test_list_live_and_results_pages_run_the_same_queries_for_few_and_many_attempts(app, auth, session, world):
    """No N+1: the pages' query counts do not grow with the attempts."""
    few, many = _running(session, world, leaderboard="live"), _running(session, world, leaderboard="live")
    cadres = world["jinshui"] + world["erqi"]
    for contest, takers in ((few, cadres[:1]), (many, cadres)):
        for cadre in takers:
            attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
            svc.record_integrity(session, cadre, attempt, tab_switches=4)
            svc.submit_attempt(session, cadre, attempt, now=T0 + timedelta(minutes=2))
    session.commit()
    auth.login("org_zz")
    for page in ("live", "results"):
        auth.client.get(f"/manage/contests/{few.id}/{page}")  # warm up
        assert _count_queries(app, auth.client, f"/manage/contests/{few.id}/{page}") == \
            _count_queries(app, auth.client, f"/manage/contests/{many.id}/{page}"), page
    listing = _count_queries(app, auth.client, "/manage/contests")
    for cadre in cadres[1:]:
        attempt, _ = svc.start_attempt(session, cadre, few, now=T0)
    session.commit()
    assert _count_queries(app, auth.client, "/manage/contests") == listing


def test_results_rank_as_the_leaderboard_service_does(auth, session, world):
    contest = _running(session, world, pass_score=4)
    key = {q.id: q.current_version.answer for q in world["singles"][:3]}
    for index, cadre in enumerate(world["jinshui"]):
        attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
        rows = session.execute(select(AttemptQuestion.question_id, AttemptQuestion.option_order)
                               .where(AttemptQuestion.attempt_id == attempt.id)).all()
        for qid, order in rows[: 3 - index]:  # cadre 0 answers all three right, cadre 2 one
            shown = "ABCDEFGH"[order.index("ABCDEFGH".index(key[qid]))] if order else key[qid]
            svc.save_response(session, cadre, attempt, qid, shown, now=T0 + timedelta(minutes=1))
        svc.submit_attempt(session, cadre, attempt, now=T0 + timedelta(minutes=2 + index))
    session.commit()
    auth.login("org_zz")
    html = auth.client.get(f"/manage/contests/{contest.id}/results").get_data(as_text=True)
    expected = [r["name"] for r in contest_leaderboard(session, contest)]
    shown = re.findall(r'data-label="姓名">([^<]+)<', html.split("排行榜", 1)[1])
    assert shown == expected == [c.name for c in world["jinshui"]]
    assert _cells(html, world["units"]["金水"].id) == ["金水区委组织部", "3", "3", "100.0%", "4.0", "2"]


# ---- home and the demo data --------------------------------------------------------------------


def test_the_organizers_home_lists_their_contests(auth, session, world):
    contest = _running(session, world, title="郑州春季竞赛")
    session.commit()
    auth.login("org_zz")
    html = auth.client.get("/organizer").get_data(as_text=True)
    assert "郑州春季竞赛" in html and f"/manage/contests/{contest.id}" in html and "进行中" in html


def test_the_demo_seed_creates_three_contests_and_the_closed_one_has_a_leaderboard(app, session):
    from question_bank.db import utcnow
    from quiz.accounts.models import User
    from quiz.seed import seed_demo

    seed_demo(session)
    session.commit()
    moment = utcnow()
    contests = list(session.scalars(select(Contest).order_by(Contest.id)))
    assert [c.phase(moment) for c in contests] == ["running", "upcoming", "closed"]
    running, upcoming, closed = contests
    assert running.paper.draw == "per_attempt" and running.variant_count > 1
    assert sum(r.count for r in running.paper.rules) == 20 and running.closes_at - moment > timedelta(days=30)
    cadres = [u for u in session.scalars(select(User)) if u.has_role("cadre")]
    assert len(cadres) >= 30 and all(is_eligible(running, u) for u in cadres)
    assert upcoming.opens_at > moment
    board = contest_leaderboard(session, closed)
    assert len(board) >= 20 and len({r["score"] for r in board}) >= 5  # most cadres, varied correctness
    units = unit_standings(session, closed)
    assert len(units) >= 5 and all(u["participation_rate"] is not None for u in units)
    assert not session.scalar(select(Attempt.id).where(Attempt.status == "in_progress"))
    assert session.scalar(select(Attempt.id).where(Attempt.contest_id == closed.id, Attempt.status == "expired"))
    # the organizer sees it all on the pages
    from quiz.seed import DEMO_PASSWORD

    client = app.test_client()
    Auth(client).login("organizer", DEMO_PASSWORD)
    assert client.get(f"/manage/contests/{closed.id}/results").get_data(as_text=True).count('data-label="名次"') == len(board)
    assert client.get(f"/manage/contests/{running.id}/live").status_code == 200
    assert client.get(f"/manage/papers/{running.paper_id}").status_code == 200

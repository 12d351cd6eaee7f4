"""Leaderboards: tie-breaks, the attempt that counts, per-unit figures, visibility, the cache."""
from __future__ import annotations

from datetime import timedelta

import pytest

from quiz.contests import leaderboard as lb
from quiz.contests.models import Attempt
from tests.factories import make_contest, make_paper, make_user
from tests.quiz.contests.conftest import T0


def _finished(session, contest, user, score, seconds, submitted_minute, number=1, max_score=10.0):
    attempt = Attempt(kind="contest", contest_id=contest.id, user_id=user.id, number=number, status="submitted", seed=1,
                      started_at=T0, deadline=T0 + timedelta(minutes=30), submitted_at=T0 + timedelta(minutes=submitted_minute),
                      finalised_by="submit", score=score, max_score=max_score, time_used_seconds=seconds,
                      passed=score >= 6)
    session.add(attempt)
    session.flush()
    return attempt


@pytest.fixture
def contest(session, world):
    c = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, pass_score=6)
    session.commit()
    return c


def test_rank_by_score_then_time_used_then_submission_time(session, world, contest):
    a, b, c, d = world.zz[0], world.zz[1], world.zz[2], world.ly[0]
    _finished(session, contest, a, 10, 300, 10)
    _finished(session, contest, b, 10, 200, 20)
    _finished(session, contest, c, 10, 200, 15)
    _finished(session, contest, d, 8, 100, 5)
    rows = lb.contest_leaderboard(session, contest)
    assert [(r["user_id"], r["rank"]) for r in rows] == [(c.id, 1), (b.id, 2), (a.id, 3), (d.id, 4)]
    assert rows[0]["unit"] == "金水区委组织部" and rows[0]["submitted_at"] == "2026-06-01T02:15:00.000Z"
    assert [r["user_id"] for r in lb.contest_leaderboard(session, contest, limit=2)] == [c.id, b.id]


def test_rows_equal_on_every_tie_break_share_a_rank(session, world, contest):
    for user in world.zz[:2]:
        _finished(session, contest, user, 9, 100, 10)
    _finished(session, contest, world.zz[2], 7, 100, 10)
    assert [r["rank"] for r in lb.contest_leaderboard(session, contest)] == [1, 1, 3]


@pytest.mark.parametrize("counts, expected", [("best", 9.0), ("last", 6.0)])
def test_the_attempt_that_counts(session, world, contest, counts, expected):
    contest.counts = counts
    cadre = world.zz[0]
    _finished(session, contest, cadre, 9, 500, 10, number=1)
    _finished(session, contest, cadre, 6, 100, 20, number=2)
    rows = lb.contest_leaderboard(session, contest)
    assert [(r["user_id"], r["score"]) for r in rows] == [(cadre.id, expected)]


def test_in_progress_and_mock_attempts_stay_out(session, world, contest):
    _finished(session, contest, world.zz[0], 9, 100, 10)
    mock = _finished(session, contest, world.zz[1], 10, 100, 10)
    mock.kind = "mock"
    running = _finished(session, contest, world.zz[2], 10, 100, 10)
    running.status, running.score = "in_progress", None
    session.flush()
    assert [r["user_id"] for r in lb.contest_leaderboard(session, contest)] == [world.zz[0].id]


def test_unit_standings_average_and_participation(session, world, contest):
    extra = make_user(session, "zz9", world.units["金水"])
    make_user(session, "hr9", world.units["金水"], ("hr",))  # not a cadre: not eligible
    _finished(session, contest, world.zz[0], 10, 100, 10)
    _finished(session, contest, world.zz[1], 6, 100, 10)
    _finished(session, contest, world.ly[0], 4, 100, 10)
    rows = {r["unit"]: r for r in lb.unit_standings(session, contest)}
    jinshui = rows["金水区委组织部"]
    assert (jinshui["eligible"], jinshui["participants"], jinshui["participation_rate"], jinshui["average_score"], jinshui["pass_count"]) \
        == (4, 2, 0.5, 8.0, 2)
    xigong = rows["西工区委组织部"]
    assert (xigong["eligible"], xigong["participants"], xigong["participation_rate"], xigong["average_score"]) == (2, 1, 0.5, 4.0)
    assert list(rows)[0] == "金水区委组织部"  # best average first
    assert extra.id  # counted among the eligible


def test_live_summary_counts_and_integrity_signals(session, world, contest):
    _finished(session, contest, world.zz[0], 10, 100, 10)
    running = _finished(session, contest, world.zz[1], 0, 0, 0)
    running.status, running.score, running.tab_switches, running.pastes = "in_progress", None, 4, 1
    session.flush()
    summary = lb.live_summary(session, contest, now=T0)
    assert summary["phase"] == "running"
    assert summary["totals"] == {"eligible": 6, "started": 2, "in_progress": 1, "submitted": 1}  # 5 cadres + the organizer (also a cadre)
    assert [(s["user_id"], s["tab_switches"], s["pastes"]) for s in summary["integrity"]] == [(world.zz[1].id, 4, 1)]


@pytest.mark.parametrize("setting, running, closed", [("hidden", False, False), ("after_close", False, True), ("live", True, True)])
def test_visibility_follows_the_setting(session, world, contest, setting, running, closed):
    contest.leaderboard = setting
    cadre = world.zz[0]
    assert lb.can_view_leaderboard(session, contest, cadre, now=T0) is running
    assert lb.can_view_leaderboard(session, contest, cadre, now=contest.closes_at) is closed
    assert lb.can_view_leaderboard(session, contest, world.organizer, now=T0)  # the organizer always
    outsider = make_user(session, "outsider", world.units["洛阳"], ("organizer",))
    contest.eligible_unit_ids = [world.units["郑州"].id]
    assert not lb.can_view_leaderboard(session, contest, outsider, now=contest.closes_at)


@pytest.mark.parametrize("release", ["after_close", "manual"])
def test_a_live_board_waits_for_the_results_release(session, world, contest, release):
    """Ranks and unit averages come from scores: a cadre sees no board while the release setting
    still withholds results, however live the board setting is; the organizer always does."""
    contest.leaderboard, contest.release = "live", release
    cadre = world.zz[0]
    assert not lb.can_view_leaderboard(session, contest, cadre, now=T0)
    assert lb.can_view_leaderboard(session, contest, world.organizer, now=T0)
    assert lb.can_view_leaderboard(session, contest, cadre, now=contest.closes_at) is (release == "after_close")
    contest.results_released = True
    assert lb.can_view_leaderboard(session, contest, cadre, now=T0) is (release == "manual")


def test_the_per_process_cache_expires(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(lb.time, "monotonic", lambda: clock[0])
    cache, calls = lb.TTLCache(), []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    assert lb.cached(cache, "k", 3, compute) == {"n": 1}
    assert lb.cached(cache, "k", 3, compute) == {"n": 1}
    clock[0] += 3.5
    assert lb.cached(cache, "k", 3, compute) == {"n": 2}
    assert lb.cached(cache, "k", 3, compute, refresh=True) == {"n": 3}
    assert lb.cached(None, "k", 3, compute) == {"n": 4}


def test_a_cadre_who_moved_or_lost_the_role_after_submitting_stays_counted_under_the_current_unit(session, world, contest):
    """The reports' rule (quiz.reports.services): a submitted attempt always counts, under the
    cadre's unit now; eligible counts them, so no unit shows more participants than eligible."""
    moved, demoted = world.zz[0], world.zz[1]
    _finished(session, contest, moved, 10, 100, 10)
    _finished(session, contest, demoted, 6, 100, 10)
    moved.org_unit_id = world.units["西工"].id
    demoted.set_roles(["hr"])
    session.flush()
    assert {r["user_id"] for r in lb.contest_leaderboard(session, contest)} == {moved.id, demoted.id}
    standings = {r["unit"]: (r["eligible"], r["participants"]) for r in lb.unit_standings(session, contest)}
    assert standings["西工区委组织部"] == (3, 1) and standings["金水区委组织部"] == (2, 1)  # 金水: zz2 and the demoted one
    live = {r["unit"]: (r["eligible"], r["started"], r["submitted"]) for r in lb.live_summary(session, contest, now=T0)["units"]}
    assert live["西工区委组织部"] == (3, 1, 1) and live["金水区委组织部"] == (2, 1, 1)

"""Organizer operations: papers and contests, lifecycle, reach, audited changes."""
from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select

from quiz.audit.models import AuditEntry
from quiz.audit.services import record
from quiz.contests import attempts as svc
from quiz.contests import services as contests
from quiz.contests.errors import ContestError
from quiz.contests.models import PaperVariant
from tests.factories import make_contest, make_paper, make_user
from tests.quiz.contests.conftest import T0


def _audit(session, actor):
    return partial(record, session, actor)


def _actions(session):
    return [a for a in session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("contest.%")).order_by(AuditEntry.id))]


def test_create_and_publish_draws_the_papers_and_locks_the_versions(session, world):
    paper = make_paper(session, world.bank, questions=world.questions, actor=world.organizer)
    contest = contests.create_contest(session, world.organizer, title=" 全省竞赛 ", paper=paper, opens_at=T0,
                                      closes_at=T0 + timedelta(days=1), time_limit_minutes=20, audit=_audit(session, world.organizer))
    assert contest.status == "draft" and contest.title == "全省竞赛" and contest.org_unit_id == world.units["省"].id
    assert contest.phase(T0) == "draft"
    contests.publish_contest(session, world.organizer, contest, now=T0, audit=_audit(session, world.organizer))
    assert contest.status == "published" and contest.variant_count == 1 and contest.phase(T0) == "running"
    assert all(q.current_version.locked for q in world.questions)
    assert session.scalar(select(PaperVariant.items).where(PaperVariant.contest_id == contest.id))[0][:3] == [world.questions[0].id, world.questions[0].current_version_id, 2.0]
    assert _actions(session) == ["contest.create", "contest.publish"]
    with pytest.raises(ContestError):
        contests.publish_contest(session, world.organizer, contest, now=T0)


@pytest.mark.parametrize("settings, message", [
    ({"closes_at": T0}, "结束时间应晚于开始时间"),
    ({"title": "  "}, "名称不能为空"),
    ({"time_limit_minutes": 0}, "答题时长"),
    ({"counts": "first"}, "最高分或最后一次"),
    ({"pass_score": -1}, "及格分"),
])
def test_contest_settings_are_checked(session, world, settings, message):
    paper = make_paper(session, world.bank, questions=world.questions)
    values = {"title": "竞赛", "opens_at": T0, "closes_at": T0 + timedelta(hours=1), **settings}
    with pytest.raises(ContestError) as refused:
        contests.create_contest(session, world.organizer, paper=paper, **values)
    assert message in str(refused.value)


def test_an_organizer_reaches_only_their_subtree(session, world):
    county_organizer = make_user(session, "county_org", world.units["金水"], ("organizer",))
    paper = make_paper(session, world.bank, questions=world.questions)
    with pytest.raises(ContestError) as refused:
        contests.create_contest(session, county_organizer, title="越权", paper=paper, opens_at=T0, closes_at=T0 + timedelta(hours=1))
    assert refused.value.code == "forbidden"
    zz_paper = make_paper(session, world.bank, questions=world.questions, org_unit_id=world.units["金水"].id)
    with pytest.raises(ContestError) as wide:
        contests.create_contest(session, county_organizer, title="全省", paper=zz_paper, opens_at=T0, closes_at=T0 + timedelta(hours=1),
                                eligible_unit_ids=[world.units["洛阳"].id])
    assert "本单位及下级单位" in str(wide.value)
    own = contests.create_contest(session, county_organizer, title="区内", paper=zz_paper, opens_at=T0, closes_at=T0 + timedelta(hours=1))
    assert own.org_unit_id == world.units["金水"].id
    ids = [c.id for c in session.scalars(contests.manageable_contests_stmt(county_organizer))]
    assert ids == [own.id]
    with pytest.raises(ContestError):
        contests.get_manageable_contest(session, county_organizer, make_contest(session, paper, now=T0).id)


def test_rules_may_only_use_banks_the_organizer_may_use(session, world):
    from tests.factories import make_bank

    luoyang_bank = make_bank(session, world.units["洛阳"])
    county_organizer = make_user(session, "county_org2", world.units["金水"], ("organizer",))
    with pytest.raises(ContestError) as refused:
        contests.create_paper(session, county_organizer, title="卷", org_unit_id=world.units["金水"].id,
                              rules=[contests.RuleSpec([luoyang_bank.id], 1)])
    assert "无权使用的题库" in str(refused.value)
    paper = contests.create_paper(session, county_organizer, title="卷", org_unit_id=world.units["金水"].id,
                                  rules=[contests.RuleSpec([world.bank.id], 1)])  # the province's bank is shared down
    assert paper.rules[0].bank_ids == [world.bank.id]


def test_once_published_only_the_live_settings_change_and_each_change_is_audited(session, world):
    contest = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    audit = _audit(session, world.organizer)
    with pytest.raises(ContestError) as refused:
        contests.update_contest(session, world.organizer, contest, now=T0, time_limit_minutes=60, audit=audit)
    assert refused.value.code == "conflict"
    # Closing earlier than a running attempt's deadline re-caps it.
    contests.update_contest(session, world.organizer, contest, now=T0, closes_at=T0 + timedelta(minutes=10), notice="提前", audit=audit)
    session.refresh(attempt)
    assert attempt.deadline == T0 + timedelta(minutes=10)
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "contest.update"))
    assert entry.before["closes_at"] == (T0 + timedelta(hours=2)).isoformat() and entry.after["notice"] == "提前"
    with pytest.raises(ContestError):
        contests.update_contest(session, world.organizer, contest, now=T0, closes_at=T0 - timedelta(minutes=1))


def test_close_early_cuts_running_attempts_and_is_audited(session, world):
    contest = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0)
    attempt, _ = svc.start_attempt(session, world.zz[0], contest, now=T0)
    cut = contests.close_contest(session, world.organizer, contest, now=T0 + timedelta(minutes=2), audit=_audit(session, world.organizer))
    assert cut == 1 and contest.status == "closed" and contest.closes_at == T0 + timedelta(minutes=2)
    session.refresh(attempt)
    assert attempt.deadline == T0 + timedelta(minutes=2)
    assert "contest.close" in _actions(session)
    with pytest.raises(ContestError):
        svc.start_attempt(session, world.zz[1], contest, now=T0 + timedelta(minutes=3))
    with pytest.raises(ContestError):
        contests.close_contest(session, world.organizer, contest, now=T0 + timedelta(minutes=3))
    contests.archive_contest(session, world.organizer, contest, now=T0 + timedelta(minutes=3))
    assert contest.phase(T0) == "archived"


def test_a_running_contest_cannot_be_archived(session, world):
    contest = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0)
    with pytest.raises(ContestError):
        contests.archive_contest(session, world.organizer, contest, now=T0)


def test_a_paper_in_use_cannot_change_but_can_be_copied(session, world):
    paper = make_paper(session, world.bank, questions=world.questions)
    contests.update_paper(session, world.organizer, paper, title="改名", items=[(world.questions[0].id, 5.0)])
    assert [(i.question_id, i.points) for i in paper.items] == [(world.questions[0].id, 5.0)]
    make_contest(session, paper, now=T0)
    with pytest.raises(ContestError) as refused:
        contests.update_paper(session, world.organizer, paper, title="再改")
    assert "复制" in str(refused.value)
    copy = contests.copy_paper(session, world.organizer, paper)
    assert copy.title == "改名（副本）" and [(i.question_id, i.points) for i in copy.items] == [(world.questions[0].id, 5.0)]


def test_the_multiple_choice_policy_is_checked(session, world):
    with pytest.raises(ContestError) as refused:
        make_paper(session, world.bank, questions=world.questions, multiple_fraction=1.5)
    assert "0 到 1" in str(refused.value)


def test_contests_for_lists_what_i_may_take_with_my_status(session, world):
    paper = make_paper(session, world.bank, questions=world.questions)
    running = make_contest(session, paper, now=T0, title="进行中", release="after_close")
    upcoming = make_contest(session, paper, now=T0, title="未开始", opens_at=T0 + timedelta(days=1), closes_at=T0 + timedelta(days=2))
    make_contest(session, paper, now=T0, title="草稿", publish=False)
    make_contest(session, paper, now=T0, title="洛阳专场", eligible_unit_ids=[world.units["洛阳"].id])
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, running, now=T0)
    listed = contests.contests_for(session, cadre, now=T0)
    assert [(c.title, m["phase"]) for c, m in listed] == [("进行中", "running"), ("未开始", "upcoming")]
    mine = listed[0][1]
    assert mine["in_progress_attempt_id"] == attempt.id and mine["can_start"]
    svc.submit_attempt(session, cadre, attempt, now=T0)
    mine = contests.contests_for(session, cadre, now=T0)[0][1]
    assert mine["best_score"] is None and not mine["can_start"]  # results only after close
    assert contests.contests_for(session, cadre, now=running.closes_at)[0][1]["best_score"] == 0.0
    assert upcoming.phase(T0) == "upcoming"


def test_manual_release(session, world):
    contest = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, release="manual")
    assert not contest.results_visible(contest.closes_at)
    contests.release_results(session, world.organizer, contest, audit=_audit(session, world.organizer))
    assert contest.results_visible(T0) and "contest.release_results" in _actions(session)

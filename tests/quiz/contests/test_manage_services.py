"""The small services the organizer's pages use (quiz/manage): reach over papers, rules checked
before they are saved, counts per contest, the cadre search before extending time."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from question_bank.models import KnowledgePoint
from quiz.contests import attempts as svc
from quiz.contests import services as contests
from quiz.contests.errors import ContestError
from quiz.contests.models import Paper, PaperRule
from quiz.contests.services import RuleSpec
from tests.factories import make_bank, make_contest, make_paper, make_question, make_user
from tests.quiz.contests.conftest import T0


def test_papers_are_managed_within_the_subtree(session, world):
    province = make_paper(session, world.bank, questions=world.questions)
    county = make_paper(session, world.bank, questions=world.questions, org_unit_id=world.units["金水"].id)
    luoyang = make_paper(session, world.bank, questions=world.questions, org_unit_id=world.units["洛阳"].id)
    zz_organizer = make_user(session, "zz_org", world.units["郑州"], ("organizer",))
    assert [p.id for p in session.scalars(contests.manageable_papers_stmt(zz_organizer))] == [county.id]
    assert {p.id for p in session.scalars(contests.manageable_papers_stmt(world.organizer))} == {province.id, county.id, luoyang.id}
    assert contests.get_manageable_paper(session, zz_organizer, county.id) is county
    for paper_id in (luoyang.id, province.id, 10**6):
        with pytest.raises(ContestError) as hidden:
            contests.get_manageable_paper(session, zz_organizer, paper_id)
        assert hidden.value.code == "not_found"


def test_papers_in_use_are_those_of_published_contests(session, world):
    used, draft_only, unused = (make_paper(session, world.bank, questions=world.questions) for _ in range(3))
    make_contest(session, used, now=T0)
    make_contest(session, draft_only, now=T0, publish=False)
    assert contests.papers_in_use(session, [used.id, draft_only.id, unused.id]) == {used.id}
    assert contests.papers_in_use(session, []) == set()


def test_rules_are_checked_before_saving_without_writing_anything(session, world):
    for _ in range(3):
        make_question(session, world.bank, "true_false")
    result = contests.preview_rule_specs(session, world.organizer, [
        RuleSpec([world.bank.id], 2, type="true_false"), RuleSpec([world.bank.id], 3, type="multiple")])
    assert [(c.available, c.wanted, c.ok) for c in result.rules] == [(4, 2, True), (1, 3, False)]
    assert "只有 1 道题可选，少于要抽取的 3 道" in str(result.problems[0])
    ok = contests.preview_rule_specs(session, world.organizer, [RuleSpec([world.bank.id], 3, 2.5, type="true_false")])
    assert ok.ok and ok.question_count == 3 and ok.total_points == 7.5 and ok.by_type == {"true_false": 3}
    assert not session.new and not session.dirty
    assert session.scalar(select(PaperRule.id).limit(1)) is None and session.scalar(select(Paper.id).limit(1)) is None
    luoyang_bank = make_bank(session, world.units["洛阳"])
    county_organizer = make_user(session, "county_org", world.units["金水"], ("organizer",))
    with pytest.raises(ContestError) as refused:
        contests.preview_rule_specs(session, county_organizer, [RuleSpec([luoyang_bank.id], 1)])
    assert "无权使用的题库" in str(refused.value)


def test_attempt_counts_per_contest_in_one_query(session, world, db):
    contest = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, attempts_allowed=2)
    other = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0)
    first, _ = svc.start_attempt(session, world.zz[0], contest, now=T0)
    svc.submit_attempt(session, world.zz[0], first, now=T0 + timedelta(minutes=1))
    svc.start_attempt(session, world.zz[0], contest, now=T0 + timedelta(minutes=2))  # a second attempt: still one cadre
    svc.start_attempt(session, world.zz[1], contest, now=T0)
    session.commit()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db, "before_cursor_execute", listener)
    try:
        counts = contests.attempt_counts(session, [contest.id, other.id])
    finally:
        event.remove(db, "before_cursor_execute", listener)
    assert counts == {contest.id: {"started": 2, "submitted": 1}} and len([s for s in statements if s.startswith("SELECT")]) == 1


def test_find_attempts_searches_the_contests_cadres_by_name_or_account(session, world):
    contest = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0)
    world.zz[0].name = "赵文静"
    mine, _ = svc.start_attempt(session, world.zz[0], contest, now=T0)
    done, _ = svc.start_attempt(session, world.zz[1], contest, now=T0)
    svc.submit_attempt(session, world.zz[1], done, now=T0 + timedelta(minutes=1))
    assert [(a.id, u.username, unit) for a, u, unit in contests.find_attempts(session, contest, "文静")] == [(mine.id, "zz0", "金水区委组织部")]
    assert [a.id for a, _u, _n in contests.find_attempts(session, contest, "zz")] == [mine.id]  # in progress only
    assert [a.id for a, _u, _n in contests.find_attempts(session, contest, "zz", in_progress_only=False)] == [done.id, mine.id]
    assert contests.find_attempts(session, contest, "  ") == [] and contests.find_attempts(session, contest, "%") == []


def test_knowledge_points_in_banks_are_those_of_current_versions(session, world):
    make_question(session, world.bank, "single", knowledge_points=["党章", "民主集中制"])
    other = make_bank(session, world.units["洛阳"])
    make_question(session, other, "single", knowledge_points=["保密工作"])
    names = [name for _id, name in contests.knowledge_points_in_banks(session, [world.bank.id])]
    assert names == sorted(names) and {"党章", "民主集中制"} <= set(names) and "保密工作" not in names
    ids = dict(session.execute(select(KnowledgePoint.name, KnowledgePoint.id)).all())
    assert (ids["党章"], "党章") in contests.knowledge_points_in_banks(session, [world.bank.id, other.id])
    assert contests.knowledge_points_in_banks(session, []) == []

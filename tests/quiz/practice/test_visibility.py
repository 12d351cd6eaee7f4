"""What practice may show: never a 保密 bank's questions while a contest uses them, never 需复核,
retired or draft questions (quiz.practice.services, module docstring)."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest

from question_bank.services import set_status
from quiz.contests.services import RuleSpec, close_contest
from quiz.practice import mock_exams, services as svc
from quiz.practice.models import ReviewEntry
from tests.factories import make_bank, make_contest, make_paper, make_question
from tests.quiz.practice.conftest import T0, answer_one


def drawn(session, user, now=T0, **filters) -> set[int]:
    """Question ids a large random set draws (everything practisable that matches)."""
    practice_set = svc.start_random(session, user, svc.Filters(count=50, **filters), now=now)
    return {item.question_id for item in practice_set.items}


@pytest.fixture
def secret(session, world):
    """A 保密 bank at the province with three questions."""
    bank = make_bank(session, world.units["省"], "保密题库", actor=world.organizer, confidential=True)
    questions = [make_question(session, bank, "single") for _ in range(3)]
    session.commit()
    return bank, questions


def _paper(session, world, bank, questions, kind):
    if kind == "fixed":
        return make_paper(session, bank, questions=questions[:2])
    return make_paper(session, bank, rules=[RuleSpec(bank_ids=[bank.id], count=2)])


@pytest.mark.parametrize("kind", ["fixed", "rules"])
def test_a_confidential_bank_is_hidden_while_a_contest_uses_it(session, world, secret, kind):
    bank, questions = secret
    secret_ids = {q.id for q in questions}
    assert secret_ids <= drawn(session, world.cadre)  # no contest uses it: practice may show it
    contest = make_contest(session, _paper(session, world, bank, questions, kind), now=T0)
    session.commit()
    during = drawn(session, world.cadre)
    assert not (secret_ids & during)
    assert {q.id for q in world.questions} <= during  # the open bank is unaffected
    assert svc.hidden_bank_ids(session, T0) == {bank.id}
    after = contest.closes_at + timedelta(seconds=1)
    assert secret_ids <= drawn(session, world.cadre, now=after)  # closed: back in practice


def test_an_upcoming_published_contest_already_hides_it_and_an_early_close_releases_it(session, world, secret):
    bank, questions = secret
    contest = make_contest(session, _paper(session, world, bank, questions, "rules"), now=T0,
                           opens_at=T0 + timedelta(days=1), closes_at=T0 + timedelta(days=2))
    session.commit()
    assert svc.hidden_bank_ids(session, T0) == {bank.id}
    close_contest(session, None, contest, now=T0 + timedelta(hours=1))
    assert svc.hidden_bank_ids(session, T0 + timedelta(hours=1)) == set()


def test_a_draft_contest_hides_nothing_and_a_used_open_bank_stays(session, world, secret):
    bank, questions = secret
    make_contest(session, _paper(session, world, bank, questions, "fixed"), now=T0, publish=False)
    make_contest(session, make_paper(session, world.bank, questions=world.questions[:2]), now=T0)
    session.commit()
    assert svc.hidden_bank_ids(session, T0) == set()
    assert {q.id for q in questions + world.questions} <= drawn(session, world.cadre)


def test_needs_review_retired_and_draft_questions_are_never_shown(session, world):
    flagged, retired, draft = world.questions[0], world.questions[1], make_question(session, world.bank, status="draft")
    flagged.needs_review = True
    set_status(session, None, retired, "retired")
    session.commit()
    excluded = {flagged.id, retired.id, draft.id}
    assert not (excluded & drawn(session, world.cadre))
    daily = svc.start_daily(session, world.cadre, now=T0, size=50)
    ordered = svc.start_sequential(session, world.cadre, world.bank.id, now=T0, size=50)
    for practice_set in (daily, ordered):
        assert not (excluded & {i.question_id for i in practice_set.items})
    assert svc.practisable_ids(session, world.cadre, excluded, T0) == set()


def test_a_flagged_question_already_in_the_review_book_is_not_brought_back(session, world):
    question = world.questions[0]
    answer_one(session, world.cadre, question, False, T0)
    question.needs_review = True
    session.commit()
    entry = session.query(ReviewEntry).one()
    with pytest.raises(svc.PracticeError) as refused:
        svc.start_review(session, world.cadre, now=entry.due)
    assert refused.value.code == "empty"
    rows = svc.review_book(session, world.cadre, now=entry.due)
    assert [(r.question_id, r.visible, r.version) for r in rows] == [(question.id, False, None)]


def test_a_set_drawn_before_a_contest_started_using_the_bank_skips_its_questions(session, world, secret):
    bank, questions = secret
    practice_set = svc.start_random(session, world.cadre, svc.Filters(count=50, bank_id=bank.id), now=T0)
    assert practice_set.size == 3
    first = svc.current_item(session, world.cadre, practice_set, now=T0)
    make_contest(session, _paper(session, world, bank, questions, "rules"), now=T0)
    session.commit()
    with pytest.raises(svc.PracticeError) as refused:
        svc.answer_item(session, world.cadre, practice_set, first.position, "A", now=T0 + timedelta(seconds=10))
    assert refused.value.code == "hidden"
    assert svc.current_item(session, world.cadre, practice_set, now=T0 + timedelta(seconds=11)) is None
    assert practice_set.finished and practice_set.answered == 0
    views = svc.item_views(session, world.cadre, practice_set, now=T0)
    assert not any(v.visible for v in views)


def test_favourites_and_the_sequential_bank_of_a_hidden_bank(session, world, secret):
    bank, questions = secret
    svc.toggle_favourite(session, world.cadre, questions[0].id, now=T0)
    make_contest(session, _paper(session, world, bank, questions, "fixed"), now=T0)
    session.commit()
    assert [(r.question_id, r.visible) for r in svc.favourites(session, world.cadre, now=T0)] == [(questions[0].id, False)]
    with pytest.raises(svc.PracticeError):
        svc.start_favourites(session, world.cadre, now=T0)
    with pytest.raises(svc.PracticeError):
        svc.start_sequential(session, world.cadre, bank.id, now=T0)
    with pytest.raises(svc.PracticeError) as refused:  # a hidden question cannot be added
        svc.toggle_favourite(session, world.cadre, questions[1].id, now=T0)
    assert refused.value.code == "not_found"
    assert bank.id not in {b.id for b, _n in svc.practisable_banks(session, world.cadre, T0)}


def test_a_mock_exam_on_a_contests_rules_leaves_out_the_hidden_bank(session, world, secret):
    bank, questions = secret
    paper = make_paper(session, world.bank, rules=[RuleSpec(bank_ids=[bank.id, world.bank.id], count=6)], org_unit_id=world.units["省"].id)
    contest = make_contest(session, paper, now=T0)
    session.commit()
    items = mock_exams.draw_mock_items(session, world.cadre, paper, now=T0, rng=random.Random(1))
    assert len(items) == 6
    assert not ({q.id for q in questions} & {item[0] for item in items})
    assert contest.status == "published"


def test_banks_out_of_reach_are_never_shown(session, world):
    other = make_bank(session, world.units["洛阳"], "洛阳题库")
    question = make_question(session, other, "single")
    session.commit()
    assert question.id not in drawn(session, world.cadre)
    assert question.id in drawn(session, world.outsider)


def test_a_chapter_of_a_material_draws_the_questions_citing_its_articles(session, world):
    if not svc.materials_available():
        pytest.skip("the materials feature is not installed")
    from question_bank.materials.models import Material, MaterialArticle, MaterialEdition

    material = Material(title="测试条例", org_unit_id=world.units["省"].id)
    session.add(material)
    session.flush()
    edition = MaterialEdition(material_id=material.id, number=1, text="……", title="测试条例")
    session.add(edition)
    session.flush()
    articles = [MaterialArticle(edition_id=edition.id, position=i, ref=f"第{i + 1}条", number=i + 1, path=[chapter], text=f"条文{i}")
                for i, chapter in enumerate(("第一章", "第一章", "第二章"))]
    session.add_all(articles)
    session.flush()
    material.current_edition_id = edition.id
    for question, article in zip(world.questions, articles):
        question.current_version.source_article_id = article.id
    session.commit()
    rows = svc.focus_chapters(session, world.cadre, T0)
    assert [(r.chapter, r.questions) for r in rows] == [("第一章", 2), ("第二章", 1)]
    practice_set = svc.start_focus(session, world.cadre, now=T0, material_id=material.id, chapter="第一章")
    assert {i.question_id for i in practice_set.items} == {world.questions[0].id, world.questions[1].id}
    assert practice_set.title == "测试条例 第一章"
    with pytest.raises(svc.PracticeError) as refused:  # an unknown material
        svc.start_focus(session, world.cadre, now=T0, material_id=material.id + 99, chapter="第一章")
    assert refused.value.code == "not_found"

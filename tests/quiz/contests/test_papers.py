"""Papers against the banks: rule pools, validation naming the rule, per-attempt draws, coverage."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from question_bank.models import KnowledgePoint, QuestionVersion, Subject, ensure_default_subjects
from question_bank.services import edit_question, set_status, version_to_draft
from quiz.contests import attempts as svc
from quiz.contests import papers
from quiz.contests.errors import ContestError
from quiz.contests.models import PaperVariant
from quiz.contests.services import RuleSpec, create_paper
from tests.factories import make_bank, make_contest, make_paper, make_question, make_unit, make_user
from tests.quiz.contests.conftest import T0


@pytest.fixture
def stocked(session):
    """A bank with 6 法律 singles (difficulty 1-3, 党章 on half), 4 理论 true_false, 3 政策 multiples."""
    ensure_default_subjects(session)
    unit = make_unit(session, "河南省委组织部")
    bank = make_bank(session, unit)
    for i in range(6):
        make_question(session, bank, "single", subject="法律", difficulty=1 + i % 3, knowledge_points=["党章"] if i % 2 else ["条例"])
    for _ in range(4):
        make_question(session, bank, "true_false", subject="理论")
    for _ in range(3):
        make_question(session, bank, "multiple", subject="政策", difficulty=4)
    session.flush()
    subjects = {s.name: s.id for s in session.scalars(select(Subject))}
    points = {k.name: k.id for k in session.scalars(select(KnowledgePoint))}
    return bank, unit, subjects, points


def _paper(session, stocked, *rules, **fields):
    bank, unit, _s, _k = stocked
    return create_paper(session, None, title="规则卷", org_unit_id=unit.id, mode="rules", rules=rules, **fields)


def test_each_rule_shows_how_many_questions_it_can_draw(session, stocked):
    bank, _u, subjects, points = stocked
    paper = _paper(session, stocked,
                   RuleSpec([bank.id], 2, type="single", subject_id=subjects["法律"]),
                   RuleSpec([bank.id], 1, type="single", knowledge_point_ids=[points["党章"]]),
                   RuleSpec([bank.id], 1, type="single", difficulty_min=3, difficulty_max=3),
                   RuleSpec([bank.id], 2, subject_id=subjects["理论"]))
    checks = papers.check_rules(session, paper)
    assert [(c.available, c.wanted, c.ok) for c in checks] == [(6, 2, True), (3, 1, True), (2, 1, True), (4, 2, True)]


def test_a_rule_the_bank_cannot_satisfy_is_refused_naming_the_rule(session, stocked):
    bank, _u, subjects, _k = stocked
    paper = _paper(session, stocked, RuleSpec([bank.id], 2, type="true_false"), RuleSpec([bank.id], 5, type="multiple", subject_id=subjects["政策"]))
    checks = papers.check_rules(session, paper)
    assert checks[0].ok and not checks[1].ok
    text = checks[1].problem.text
    assert "第 2 条组卷规则" in text and "科目=政策" in text and "题型=多选" in text and "只有 3 道题" in text and "5 道" in text
    with pytest.raises(ContestError) as refused:
        papers.validate_paper(session, paper)
    assert refused.value.code == "invalid" and "第 2 条" in str(refused.value)


def test_overlapping_rules_that_cannot_both_be_filled_are_refused(session, stocked):
    bank, *_ = stocked
    paper = _paper(session, stocked, RuleSpec([bank.id], 3, type="true_false"), RuleSpec([bank.id], 2, type="true_false"))
    checks = papers.check_rules(session, paper)
    assert [c.available for c in checks] == [4, 4]
    assert any("重叠" in c.problem.text for c in checks if c.problem)


def test_retired_and_needs_review_questions_are_never_drawn(session, stocked):
    bank, *_ = stocked
    tf = [q for q in bank.questions if q.current_version.type == "true_false"]
    set_status(session, None, tf[0], "retired")
    tf[1].needs_review = True
    session.flush()
    paper = _paper(session, stocked, RuleSpec([bank.id], 2, type="true_false"))
    pool = {qid for qid, _v in papers.rule_pool(session, paper.rules[0])}
    assert pool == {tf[2].id, tf[3].id}
    bigger = _paper(session, stocked, RuleSpec([bank.id], 3, type="true_false"))
    assert "只有 2 道题" in papers.check_rules(session, bigger)[0].problem.text


def test_an_archived_bank_draws_nothing(session, stocked):
    bank, *_ = stocked
    bank.archived = True
    session.flush()
    paper = _paper(session, stocked, RuleSpec([bank.id], 1))
    assert papers.check_rules(session, paper)[0].available == 0


def test_per_attempt_draws_respect_every_rule_and_never_repeat_a_question(session, stocked):
    """千人千卷: every pre-drawn paper satisfies every rule, with no question twice."""
    bank, _u, subjects, points = stocked
    rules = [
        RuleSpec([bank.id], 2, points_each=2, type="single", subject_id=subjects["法律"], difficulty_min=1, difficulty_max=2),
        RuleSpec([bank.id], 1, points_each=3, type="single", knowledge_point_ids=[points["党章"]]),
        RuleSpec([bank.id], 3, points_each=1, type="true_false"),
        RuleSpec([bank.id], 2, points_each=4, type="multiple"),
    ]
    paper = _paper(session, stocked, *rules, draw="per_attempt", pool_size=30)
    contest = make_contest(session, paper, now=T0)
    variants = list(session.scalars(select(PaperVariant).where(PaperVariant.contest_id == contest.id)))
    assert len(variants) == contest.variant_count == 30
    versions = {v.id: v for v in session.scalars(select(QuestionVersion))}
    distinct = set()
    for variant in variants:
        qids = [item[0] for item in variant.items]
        assert len(qids) == len(set(qids)) == 8
        distinct.add(frozenset(qids))
        for rule, chunk in zip(paper.rules, _chunks(variant.items, [r.count for r in paper.rules])):
            for qid, vid, pts, option_count in chunk:
                version = versions[vid]
                assert version.question_id == qid and pts == rule.points_each
                assert rule.type is None or version.type == rule.type
                assert rule.subject_id is None or version.subject_id == rule.subject_id
                assert rule.difficulty_min <= version.difficulty <= rule.difficulty_max
                assert not rule.knowledge_point_ids or {k.id for k in version.knowledge_points} & set(rule.knowledge_point_ids)
                assert option_count == (len(version.options) if version.type in ("single", "multiple") else 0)
    assert len(distinct) > 1  # the draws differ
    # Attempts get their questions from a variant, shuffled; the rules still hold.
    cadre = make_user(session, unit=_u)
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    assert sorted(aq.question_id for aq in attempt.questions) in [sorted(i[0] for i in v.items) for v in variants]
    assert attempt.max_score == 2 * 2 + 3 + 3 * 1 + 2 * 4


def _chunks(items, counts):
    start = 0
    for n in counts:
        yield items[start:start + n]
        start += n


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sets(st.integers(0, 9), max_size=10), st.integers(1, 4)), min_size=1, max_size=5), st.integers())
def test_assignment_satisfies_every_rule_exactly_when_possible(rules, seed):
    pools = [sorted(p) for p, _c in rules]
    counts = [c for _p, c in rules]
    result = papers._assign(pools, counts, random.Random(seed))
    feasible = _feasible(pools, counts)
    if isinstance(result, int):
        assert not feasible
    else:
        assert feasible
        chosen = [q for picks in result for q in picks]
        assert len(chosen) == len(set(chosen))
        for picks, pool, count in zip(result, pools, counts):
            assert len(picks) == count and set(picks) <= set(pool)


def _feasible(pools, counts) -> bool:
    """Hall's condition: every set of rules together has at least as many questions as it wants."""
    from itertools import combinations

    rules = range(len(pools))
    return all(
        len(set().union(*(pools[i] for i in chosen))) >= sum(counts[i] for i in chosen)
        for size in range(1, len(pools) + 1) for chosen in combinations(rules, size)
    )


def test_a_fixed_paper_keeps_its_order_and_refuses_retired_questions(session):
    bank = make_bank(session)
    questions = [make_question(session, bank, t) for t in ("single", "true_false", "fill_blank")]
    paper = make_paper(session, bank, questions=questions, points=5.0)
    assert papers.paper_problems(session, paper) == []
    variant = papers.draw_variants(session, paper, 1, random.Random(0))[0]
    assert [q for q, _v, _p in variant] == [q.id for q in questions] and {p for *_x, p in variant} == {5.0}
    set_status(session, None, questions[1], "retired")
    with pytest.raises(ContestError) as refused:
        papers.validate_paper(session, paper)
    assert "第 2 题" in str(refused.value)


def test_coverage_preview_by_type_subject_and_knowledge_point(session, stocked):
    bank, _u, subjects, points = stocked
    paper = _paper(session, stocked, RuleSpec([bank.id], 3, type="single", knowledge_point_ids=[points["党章"]]),
                   RuleSpec([bank.id], 2, type="true_false", points_each=0.5))
    preview = papers.preview(session, paper)
    assert preview.ok and preview.question_count == 5 and preview.total_points == 4.0
    assert preview.by_type == {"single": 3, "true_false": 2}
    assert preview.by_subject == {"法律": 3, "理论": 2}
    assert preview.by_knowledge_point == {"党章": 3}
    assert [c.available for c in preview.rules] == [3, 4]
    empty = create_paper(session, None, title="空卷", org_unit_id=_u.id, mode="rules")
    assert not papers.preview(session, empty).ok


def test_an_attempt_keeps_the_version_it_showed_after_an_edit(session, stocked):
    """Invariant: a question any attempt has used is never changed in place."""
    bank, unit, *_ = stocked
    question = next(q for q in bank.questions if q.current_version.type == "true_false")
    paper = make_paper(session, bank, questions=[question])
    contest = make_contest(session, paper, now=T0)
    shown = question.current_version
    assert shown.locked  # publishing locked every version its papers show
    draft = version_to_draft(shown)
    draft.stem = draft.stem + "（修订）"
    edit_question(session, None, question, draft)
    session.flush()
    assert question.current_version_id != shown.id
    cadre = make_user(session, unit=unit)
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    assert attempt.questions[0].question_version_id == shown.id
    payload = svc.attempt_payload(session, attempt, now=T0)
    assert "（修订）" not in payload["questions"][0]["stem"]


def test_a_rule_is_described_in_the_language_of_whoever_reads_the_message(app, session, stocked):
    from quiz.i18n import translate

    bank, _u, subjects, _k = stocked
    paper = _paper(session, stocked, RuleSpec([bank.id], 5, type="multiple", subject_id=subjects["政策"], difficulty_min=2, difficulty_max=4))
    problem = papers.check_rules(session, paper)[0].problem
    assert "（科目=政策，题型=多选，难度 2–4）" in problem.text  # the CLI and logs: Chinese
    with app.test_request_context(headers={"Accept-Language": "en"}):
        shown = translate(problem)
    assert "(subject = 政策, type = Multiple choice, difficulty 2–4)" in shown, shown
    with app.test_request_context():
        assert "（科目=政策，题型=多选，难度 2–4）" in translate(problem)

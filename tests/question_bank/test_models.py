"""Bank models: stem normalisation, the lock that versioning rests on, subjects, relationships."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from question_bank.models import (
    DEFAULT_SUBJECTS,
    KnowledgePoint,
    Question,
    QuestionVersion,
    Subject,
    ensure_default_subjects,
    mark_used,
    normalize_name,
    normalize_stem,
    stem_hash,
)
from tests.factories import make_bank, make_question


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("党的最高领导机关是（ ）", "党的最高领导机关是___"),  # blank markers are punctuation
        ("党的最高领导机关是什么？", "党的最高领导机关是什么"),  # trailing punctuation
        ("党的 最高 领导机关", "党的最高领导机关"),  # whitespace, also inside
        ("ＡＢＣ是什么", "abc是什么"),  # full width and case
        ("“两学一做”学习教育", "两学一做学习教育"),  # quotes
        ("第一条\n党员", "第一条 党员"),  # line breaks
    ],
)
def test_stems_that_differ_only_in_width_spacing_punctuation_or_case_are_the_same(a, b):
    assert normalize_stem(a) == normalize_stem(b)
    assert stem_hash(a) == stem_hash(b)


def test_different_stems_hash_differently():
    assert stem_hash("党的最高领导机关是（ ）") != stem_hash("党的最高监督机关是（ ）")
    assert len(stem_hash("x")) == 32


def test_knowledge_point_names_compare_without_width_case_or_outer_spaces():
    assert normalize_name("  ＰＤＣＡ  循环 ") == normalize_name("pdca 循环")


def test_default_subjects_are_added_once(session):
    first = ensure_default_subjects(session)
    again = ensure_default_subjects(session)
    assert [s.name for s in first] == list(DEFAULT_SUBJECTS)
    assert [s.id for s in again] == [s.id for s in first]


def test_mark_used_locks_versions_in_one_update(session, db):
    """Invariant: a question that any attempt has used is never changed in place -- the lock it rests on."""
    bank = make_bank(session)
    versions = [make_question(session, bank).current_version for _ in range(3)]
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db, "before_cursor_execute", listener)
    try:
        locked = mark_used(session, [v.id for v in versions[:2]] + [versions[0].id])
    finally:
        event.remove(db, "before_cursor_execute", listener)
    assert locked == 2
    assert len([s for s in statements if s.lstrip().upper().startswith("UPDATE")]) == 1
    assert [v.locked for v in versions] == [True, True, False]
    assert mark_used(session, [versions[0].id]) == 0  # already locked: nothing to do
    assert mark_used(session, []) == 0


def test_versions_knowledge_points_and_current_version_relate_both_ways(session):
    question = make_question(session, knowledge_points=["党章", "组织工作条例"], subject="理论")
    version = question.current_version
    assert version.question is question
    assert question.versions == [version]
    assert {kp.name for kp in version.knowledge_points} == {"党章", "组织工作条例"}
    kp = session.scalar(select(KnowledgePoint).where(KnowledgePoint.name == "党章"))
    assert kp.versions == [version]
    assert version.subject.name == "理论"
    assert question.bank.questions == [question]


def test_difficulty_outside_1_to_5_is_refused_by_the_database(session):
    question = make_question(session)
    session.add(QuestionVersion(question_id=question.id, number=2, type="single", stem="x", options=["a", "b"], answer="A", difficulty=6))
    with pytest.raises(IntegrityError):
        session.flush()


def test_version_numbers_are_unique_per_question(session):
    question = make_question(session)
    session.add(QuestionVersion(question_id=question.id, number=1, type="true_false", stem="x", answer=True))
    with pytest.raises(IntegrityError):
        session.flush()


def test_subject_names_are_unique(session):
    ensure_default_subjects(session)
    session.add(Subject(name="理论"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_question_records_the_hash_of_its_stem(session):
    question = make_question(session, stem="党的最高领导机关是（ ）")
    assert session.scalar(select(Question.stem_hash).where(Question.id == question.id)) == stem_hash("党的最高领导机关是___")

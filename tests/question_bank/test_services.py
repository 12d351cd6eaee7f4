"""Bank services: versioned edits, validation, the sharing rule, bulk actions, search."""
from __future__ import annotations

from functools import partial

import pytest
from sqlalchemy import event, func, select

from question_bank import services
from question_bank.messages import BankError
from question_bank.models import Question, QuestionVersion, mark_used, stem_hash
from question_bank.services import (
    banks_managed_by,
    banks_visible_to,
    bulk_move,
    bulk_retire,
    bulk_tag,
    can_manage_bank,
    can_use_bank,
    create_bank,
    create_question,
    edit_question,
    search_questions,
    set_status,
    update_bank,
    version_to_draft,
    versions_of,
)
from question_bank.validation import InvalidQuestion
from quiz.audit.models import AuditEntry
from quiz.audit.services import record
from tests.factories import make_bank, make_draft, make_province, make_question, make_user


class AuditLog(list):
    """An ``audit`` callback that keeps what it was told."""

    def __call__(self, action, **kwargs):
        self.append((action, kwargs))

    @property
    def actions(self):
        return [a for a, _ in self]


# --- versioning -------------------------------------------------------------------------------

def test_editing_a_locked_version_makes_version_2_and_keeps_version_1(session_factory):
    """Invariant: a question that any attempt has used is never changed in place; old versions stay readable."""
    with session_factory() as s, s.begin():
        question = make_question(s, stem="党章规定，党员必须履行（ ）项义务。", options=["六", "八", "十"], answer="B")
        qid, v1_id = question.id, question.current_version_id
        mark_used(s, [v1_id])  # an attempt showed it
    with session_factory() as s, s.begin():
        question = s.get(Question, qid)
        v2 = edit_question(s, None, question, make_draft("single", stem="党章规定，党员必须履行（ ）项义务。", options=["六", "八", "十"], answer="B", explanation="第三条"))
        assert v2.number == 2
        assert v2.id != v1_id
    with session_factory() as s:
        question = s.get(Question, qid)
        assert question.current_version.number == 2
        assert question.current_version.explanation == "第三条"
        v1 = s.get(QuestionVersion, v1_id)
        assert (v1.number, v1.locked, v1.explanation, v1.answer) == (1, True, "", "B")
        assert [v.number for v in versions_of(s, question)] == [1, 2]


def test_editing_an_unlocked_version_changes_it_in_place(session):
    question = make_question(session, answer="A")
    v1 = question.current_version
    draft = version_to_draft(v1)
    draft.answer = "C"
    version = edit_question(session, None, question, draft)
    assert version is v1
    assert (version.number, version.answer) == (1, "C")
    assert session.scalar(select(func.count()).select_from(QuestionVersion).where(QuestionVersion.question_id == question.id)) == 1
    session.expire_all()
    assert session.get(QuestionVersion, v1.id).answer == "C"


def test_an_edit_that_changes_nothing_writes_nothing(session):
    question = make_question(session, knowledge_points=["党章"])
    mark_used(session, [question.current_version_id])
    audit = AuditLog()
    version = edit_question(session, None, question, version_to_draft(question.current_version), audit=audit)
    assert version.number == 1
    assert audit == []


def test_a_version_locked_after_it_was_loaded_is_still_not_overwritten(session_factory):
    """Invariant (race): the in-place write is guarded by locked = false in the same UPDATE."""
    editor = session_factory()
    with editor.begin():
        question = make_question(editor, answer="A")
    with editor.begin():  # a fresh transaction, but the editor's copy still says "unlocked"
        assert question.current_version.locked is False
        with session_factory() as contest, contest.begin():
            mark_used(contest, [question.current_version_id])
        draft = version_to_draft(question.current_version)
        draft.answer = "D"
        version = edit_question(editor, None, question, draft)
        assert version.number == 2
    editor.close()
    with session_factory() as s:
        assert [(v.number, v.answer, v.locked) for v in versions_of(s, s.get(Question, question.id))] == [(1, "A", True), (2, "D", False)]


def test_an_edit_updates_the_stem_hash_and_knowledge_points(session):
    question = make_question(session, stem="旧题干（ ）", knowledge_points=["甲"])
    draft = version_to_draft(question.current_version)
    draft.stem, draft.knowledge_points = "新题干（ ）", ["乙", "丙"]
    version = edit_question(session, None, question, draft)
    assert {k.name for k in version.knowledge_points} == {"乙", "丙"}
    assert question.stem_hash == stem_hash("新题干")


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": "single", "options": ["只有一个"], "answer": "A"}, "选择题至少需要 2 个选项，本题有 1 个"),
        ({"type": "single", "options": ["甲", "乙"], "answer": "C"}, "答案 C 不在选项中（本题只有 2 个选项）"),
        ({"type": "single", "options": ["甲", "乙"], "answer": ["A", "B"]}, "单选题只能有一个答案，收到 AB"),
        ({"type": "single", "options": ["甲", "乙"], "answer": None}, "缺少答案"),
        ({"type": "multiple", "options": ["甲", "乙", "丙"], "answer": ["A", "E"]}, "答案 E 不在选项中（本题只有 3 个选项）"),
        ({"type": "multiple", "options": ["甲", "", "丙"], "answer": ["A"]}, "选项 B 的内容为空"),
        ({"type": "multiple", "options": [str(i) for i in range(9)], "answer": ["A"]}, "选项最多 8 个，本题有 9 个"),
        ({"type": "true_false", "answer": "也许"}, "判断题答案“也许”无法识别"),
        ({"type": "fill_blank", "stem": "党的（ ）和（ ）", "answer": [["甲"]]}, "题干中有 2 个空，答案却有 1 个"),
        ({"type": "fill_blank", "stem": "没有空的题干", "answer": [["甲"]]}, "填空题的题干中没有空"),
        ({"type": "single", "stem": "  "}, "题干不能为空"),
        ({"type": "single", "difficulty": 6}, "难度应为 1 到 5 之间的整数，收到 6"),
        ({"type": "single", "points": 0}, "分值应为大于 0 的数，收到 0"),
        ({"type": "single", "points": -2.5}, "分值应为大于 0 的数，收到 -2.5"),
        ({"type": "matching"}, "题型“matching”无法识别"),
    ],
)
def test_invalid_questions_are_refused_with_a_message_naming_the_fault(session, fields, message):
    bank = make_bank(session)
    qtype = fields.pop("type")
    draft = make_draft(qtype if qtype != "matching" else "single", **fields)
    draft.type = qtype
    with pytest.raises(InvalidQuestion) as caught:
        create_question(session, None, bank, draft)
    assert any(message in p.text for p in caught.value.problems), caught.value.problems
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_every_problem_of_a_question_is_listed_at_once(session):
    draft = make_draft("single", options=["甲"], answer="C", difficulty=9, points=-1)
    with pytest.raises(InvalidQuestion) as caught:
        create_question(session, None, make_bank(session), draft)
    assert len(caught.value.problems) == 4
    assert "；" in str(caught.value)


@pytest.mark.parametrize(
    ("qtype", "answer", "stored"),
    [
        ("single", "ｂ", "B"),
        ("multiple", "C、A", ["A", "C"]),
        ("multiple", ["c", "a", "a"], ["A", "C"]),
        ("true_false", "×", False),
        ("fill_blank", "民主集中制|党管干部/党管人才", [["民主集中制"], ["党管干部", "党管人才"]]),
        ("short_answer", "参考答案", {"reference": "参考答案", "keywords": []}),
        ("short_answer", None, {"reference": "", "keywords": []}),
    ],
)
def test_answers_are_stored_as_canonical_keys(session, qtype, answer, stored):
    question = make_question(session, type=qtype, answer=answer)
    assert question.current_version.answer == stored


def test_non_choice_questions_keep_no_options(session):
    question = make_question(session, type="true_false", options=["对", "错"])
    assert question.current_version.options == []


# --- banks and the sharing rule ---------------------------------------------------------------

@pytest.fixture
def tree(session):
    units = make_province(session)
    people = {
        "省组织者": make_user(session, "org_sheng", units["省"], ("organizer", "cadre")),
        "郑州组织者": make_user(session, "org_zz", units["郑州"], ("organizer",)),
        "金水干部": make_user(session, "cadre_js", units["金水"]),
        "郑州人事": make_user(session, "hr_zz", units["郑州"], ("hr",)),
    }
    banks = {name: make_bank(session, units[name], f"{name}题库") for name in ("省", "郑州", "金水", "二七", "洛阳")}
    return units, people, banks


def _names(banks):
    return sorted(b.name for b in banks)


def test_an_organizer_uses_the_banks_above_and_manages_the_banks_below(session, tree):
    """Invariant: a user sees and touches only what their roles and unit subtree allow."""
    _units, people, banks = tree
    zz = people["郑州组织者"]
    assert _names(banks_visible_to(session, zz)) == ["二七题库", "省题库", "郑州题库", "金水题库"]
    assert _names(banks_managed_by(session, zz)) == ["二七题库", "郑州题库", "金水题库"]
    assert can_manage_bank(session, zz, banks["金水"])
    assert not can_manage_bank(session, zz, banks["省"])
    assert can_use_bank(session, zz, banks["省"])
    assert not can_use_bank(session, zz, banks["洛阳"])


def test_a_cadre_uses_the_banks_of_their_unit_and_its_ancestors_only(session, tree):
    _units, people, banks = tree
    cadre = people["金水干部"]
    assert _names(banks_visible_to(session, cadre)) == ["省题库", "郑州题库", "金水题库"]
    assert banks_managed_by(session, cadre) == []
    assert not can_manage_bank(session, cadre, banks["金水"])
    assert not can_use_bank(session, cadre, banks["二七"])


def test_hr_does_not_manage_banks(session, tree):
    _units, people, banks = tree
    assert not can_manage_bank(session, people["郑州人事"], banks["郑州"])
    assert _names(banks_visible_to(session, people["郑州人事"])) == ["省题库", "郑州题库"]


def test_confidential_and_archived_banks_can_be_left_out(session, tree):
    _units, people, banks = tree
    update_bank(session, None, banks["省"], confidential=True)
    update_bank(session, None, banks["郑州"], archived=True)
    cadre = people["金水干部"]
    assert _names(banks_visible_to(session, cadre)) == ["省题库", "金水题库"]
    assert _names(banks_visible_to(session, cadre, include_confidential=False)) == ["金水题库"]
    assert _names(banks_visible_to(session, cadre, include_archived=True)) == ["省题库", "郑州题库", "金水题库"]


def test_an_organizer_cannot_create_or_change_a_bank_above_their_unit(session, tree):
    units, people, banks = tree
    zz = people["郑州组织者"]
    with pytest.raises(BankError, match="无权为该单位建立题库"):
        create_bank(session, zz, name="新题库", org_unit_id=units["省"].id)
    with pytest.raises(BankError, match="无权管理题库“省题库”"):
        update_bank(session, zz, banks["省"], name="改名")
    bank = create_bank(session, zz, name="新题库", org_unit_id=units["金水"].id)
    assert bank.created_by == zz.id


def test_bank_names_are_unique_within_a_unit(session, tree):
    units, _people, _banks = tree
    with pytest.raises(BankError, match="本单位已有名为“郑州题库”的题库"):
        create_bank(session, None, name=" 郑州题库 ", org_unit_id=units["郑州"].id)
    assert create_bank(session, None, name="郑州题库", org_unit_id=units["洛阳"].id).id


def test_bank_changes_are_audit_logged_through_quiz_record(session, tree):
    _units, people, banks = tree
    zz = people["郑州组织者"]
    update_bank(session, zz, banks["金水"], description="2026 年度", audit=partial(record, session, zz))
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.update"))
    assert (entry.actor_id, entry.org_unit_id, entry.target_type) == (zz.id, banks["金水"].org_unit_id, "Bank")
    assert entry.after["description"] == "2026 年度"


# --- status and bulk actions ------------------------------------------------------------------

def test_retire_and_activate_are_audit_logged(session):
    question = make_question(session)
    audit = AuditLog()
    set_status(session, None, question, "retired", audit=audit)
    assert question.status == "retired"
    set_status(session, None, question, "active", audit=audit)
    assert audit.actions == ["question.retired", "question.active"]
    with pytest.raises(BankError, match="题目状态“gone”无法识别"):
        set_status(session, None, question, "gone")


def test_bulk_retire_logs_once_per_bank(session):
    bank = make_bank(session)
    ids = [make_question(session, bank).id for _ in range(3)]
    audit = AuditLog()
    assert bulk_retire(session, None, ids, audit=audit) == 3
    assert bulk_retire(session, None, ids, audit=audit) == 0
    assert audit.actions == ["question.bulk_retired"]
    assert audit[0][1]["after"]["question_ids"] == ids


def test_bulk_tag_adds_a_knowledge_point_and_versions_locked_questions(session):
    bank = make_bank(session)
    free, used, tagged = (make_question(session, bank) for _ in range(3))
    mark_used(session, [used.current_version_id])
    bulk_tag(session, None, [tagged.id], "党章")
    audit = AuditLog()
    assert bulk_tag(session, None, [free.id, used.id, tagged.id], " 党章 ", audit=audit) == 2
    assert free.current_version.number == 1
    assert used.current_version.number == 2
    assert [k.name for k in used.versions[0].knowledge_points] == []
    for q in (free, used, tagged):
        assert [k.name for k in q.current_version.knowledge_points] == ["党章"]
    assert audit.actions == ["question.bulk_tag"]


def test_bulk_move_needs_both_banks_managed(session, tree):
    units, people, banks = tree
    zz = people["郑州组织者"]
    q_js = make_question(session, banks["金水"])
    q_sheng = make_question(session, banks["省"])
    with pytest.raises(BankError, match="无权管理题库“省题库”"):
        bulk_move(session, zz, [q_js.id], banks["省"])
    with pytest.raises(BankError, match="无权管理题库“省题库”"):
        bulk_move(session, zz, [q_sheng.id], banks["二七"])
    audit = AuditLog()
    assert bulk_move(session, zz, [q_js.id], banks["二七"], audit=audit) == 1
    assert q_js.bank_id == banks["二七"].id
    assert audit[0][1]["before"] == {"bank_id": banks["金水"].id}


def test_bulk_actions_name_missing_questions(session):
    with pytest.raises(BankError, match="题目不存在：999"):
        bulk_retire(session, None, [999])
    with pytest.raises(BankError, match="请先选择题目"):
        bulk_retire(session, None, [])


# --- search -----------------------------------------------------------------------------------

@pytest.fixture
def searchable(session):
    bank = make_bank(session)
    other = make_bank(session)
    make_question(session, other, stem="别的题库里的党章题（ ）")
    made = {
        "party": make_question(session, bank, stem="党章规定的党员义务有（ ）", type="multiple", subject="理论", knowledge_points=["党章"], difficulty=2, source="《中国共产党章程》第三条"),
        "cadre": make_question(session, bank, stem="干部选拔任用工作条例适用于（ ）", subject="政策", knowledge_points=["干部工作"], difficulty=4, source="《党政领导干部选拔任用工作条例》第四条"),
        "tf": make_question(session, bank, type="true_false", stem="50%的党员应当参加培训。", subject="理论", difficulty=2),
        "fill": make_question(session, bank, type="fill_blank", stem="党章总纲规定（ ）是党的根本组织原则。", answer=[["民主集中制"]], status="draft"),
    }
    return bank, made


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["party", "cadre", "tf", "fill"]),
        ({"q": "党章"}, ["party", "fill"]),
        ({"q": "50%"}, ["tf"]),  # % is a literal, not a wildcard
        ({"q": "_"}, []),
        ({"type": "multiple"}, ["party"]),
        ({"difficulty": 2}, ["party", "tf"]),
        ({"status": "draft"}, ["fill"]),
        ({"source": "选拔任用"}, ["cadre"]),
        ({"knowledge_point": "党章"}, ["party"]),
        ({"knowledge_point": "没有这个"}, []),
        ({"needs_review": True}, []),
        ({"needs_review": False, "difficulty": 4}, ["cadre"]),
    ],
)
def test_search_filters(session, searchable, filters, expected):
    bank, made = searchable
    page = search_questions(session, bank, **filters)
    assert page.questions == [made[k] for k in expected]
    assert page.total == len(expected)


def test_search_by_subject_and_knowledge_point_objects(session, searchable):
    bank, made = searchable
    subject = made["party"].current_version.subject
    kp = made["cadre"].current_version.knowledge_points[0]
    assert search_questions(session, bank, subject=subject).questions == [made["party"], made["tf"]]
    assert search_questions(session, bank, subject=subject.id, knowledge_point=kp.id).questions == []
    assert search_questions(session, bank.id, knowledge_point=kp).questions == [made["cadre"]]


def test_search_finds_the_current_version_only(session, searchable):
    bank, made = searchable
    question = made["cadre"]
    mark_used(session, [question.current_version_id])
    draft = version_to_draft(question.current_version)
    draft.stem = "公务员法适用于（ ）"
    edit_question(session, None, question, draft)
    assert search_questions(session, bank, q="选拔任用").questions == []
    assert search_questions(session, bank, q="公务员法").questions == [question]


def test_search_pages(session):
    bank = make_bank(session)
    ids = [make_question(session, bank).id for _ in range(7)]
    pages = [search_questions(session, bank, page=n, per_page=3) for n in (1, 2, 3, 4)]
    assert [[q.id for q in p.questions] for p in pages] == [ids[:3], ids[3:6], ids[6:], []]
    assert {(p.total, p.pages) for p in pages} == {(7, 3)}
    assert search_questions(session, bank, page=0, per_page=10_000).per_page == services.MAX_PER_PAGE


def test_listing_50_questions_runs_a_fixed_number_of_queries(session_factory, db):
    """No N+1: versions, subjects and knowledge points of a page load in a few queries, whatever its size."""
    with session_factory() as s, s.begin():
        bank = make_bank(s)
        for i in range(50):
            make_question(s, bank, type=("single", "true_false")[i % 2], subject=("理论", "政策")[i % 2], knowledge_points=[f"知识点{i % 7}", "党章"])
        bank_id = bank.id
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    with session_factory() as s:
        event.listen(db, "before_cursor_execute", listener)
        try:
            page = search_questions(s, bank_id, per_page=50)
            shown = [
                (q.current_version.stem, q.current_version.subject.name, [k.name for k in q.current_version.knowledge_points])
                for q in page.questions
            ]
        finally:
            event.remove(db, "before_cursor_execute", listener)
    assert len(shown) == 50
    assert len(statements) <= 5, statements

"""Import plans and commits (all or nothing, duplicates by line), and export -> import round trips."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from question_bank import formats
from question_bank.drafts import ParseResult, Problem, QuestionDraft, Skipped
from question_bank.importing import (
    allocate_ids,
    bank_drafts,
    commit_import,
    export_bank,
    plan_import,
    read_for_import,
    resolve_format,
)
from question_bank.messages import BankError, Message
from question_bank.models import KnowledgePoint, Question, QuestionVersion, Subject, mark_used
from question_bank.services import bulk_retire, version_to_draft
from tests.factories import make_bank, make_draft, make_question, make_unit, make_user


def _result(*drafts, problems=(), skipped=(), fmt="xlsx") -> ParseResult:
    for line, draft in enumerate(drafts, start=2):
        if draft.line is None:
            draft.line = line
    return ParseResult(fmt, list(drafts), list(problems), list(skipped))


def _count(session, model=Question) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- planning ---------------------------------------------------------------------------------

def test_a_plan_names_each_invalid_question_by_its_line(session):
    bank = make_bank(session)
    plan = plan_import(session, bank, _result(
        make_draft("single"),
        make_draft("single", options=["甲", "乙"], answer="D"),
        make_draft("fill_blank", stem="没有空", answer=[["x"]]),
    ))
    assert not plan.ok
    assert [(p.line, p.message.text) for p in plan.problems] == [
        (3, "答案 D 不在选项中（本题只有 2 个选项）"),
        (4, "填空题的题干中没有空：请用（ ）、___ 或【】标出要填的位置"),
    ]
    assert str(plan.problems[0]) == "第 3 行：答案 D 不在选项中（本题只有 2 个选项）"


def test_a_plan_keeps_the_readers_problems_first(session):
    bank = make_bank(session)
    plan = plan_import(session, bank, _result(make_draft("single", answer="Z"), problems=[Problem(None, Message("无法打开")), Problem(9, Message("第九行坏了"))]))
    assert [p.line for p in plan.problems] == [None, 2, 9]


def test_duplicates_in_the_file_are_named_by_both_lines(session):
    bank = make_bank(session)
    plan = plan_import(session, bank, _result(
        make_draft("single", stem="党的最高领导机关是（ ）"),
        make_draft("true_false", stem="别的题"),
        make_draft("single", stem="党的最高领导机关是___？"),
        make_draft("single", stem="党的 最高领导机关是"),
    ))
    assert plan.ok
    first, _other, second, third = plan.items
    assert first.repeated_at == [3, 4]
    assert second.duplicate_reason().text == "与第 2 行的题目题干相同"
    assert third.duplicate_reason().text == "与第 2 行的题目题干相同"
    assert [i.line for i in plan.duplicates] == [4, 5]


def test_duplicates_in_the_bank_are_named_by_question_id(session):
    bank = make_bank(session)
    existing = make_question(session, bank, stem="党的最高领导机关是（ ）")
    make_question(session, make_bank(session), stem="别的题库里的题（ ）")  # other banks do not count
    plan = plan_import(session, bank, _result(make_draft("single", stem="党的最高领导机关是："), make_draft("single", stem="别的题库里的题（ ）")))
    assert plan.items[0].existing_question_id == existing.id
    assert plan.items[0].duplicate_reason().text == f"与题库中已有的题目（编号 {existing.id}）题干相同"
    assert not plan.items[1].is_duplicate


def test_a_plan_without_line_numbers_names_duplicates_by_position(session):
    bank = make_bank(session)
    drafts = [make_draft("true_false", stem="同一题"), make_draft("true_false", stem="同一题")]
    plan = plan_import(session, bank, ParseResult("gift", drafts))
    assert plan.items[1].duplicate_reason().text == "与文件中第 1 题题干相同"


# --- committing -------------------------------------------------------------------------------

def test_commit_writes_every_question_with_counts_by_type(session):
    bank = make_bank(session)
    types = ["single", "single", "multiple", "true_false", "fill_blank", "short_answer"]
    plan = plan_import(session, bank, _result(*(make_draft(t) for t in types), skipped=[Skipped(20, "matching", Message("匹配题不支持，已跳过"))]))
    outcome = commit_import(session, None, bank, plan)
    assert outcome.counts == {"single": 2, "multiple": 1, "true_false": 1, "fill_blank": 1, "short_answer": 1}
    assert (outcome.created, outcome.new_versions, outcome.total) == (6, 0, 6)
    assert [str(s) for s in outcome.skipped] == ["第 20 行：匹配题不支持，已跳过"]
    questions = list(session.scalars(select(Question).where(Question.bank_id == bank.id).order_by(Question.id)))
    assert [q.current_version.type for q in questions] == types
    assert all(q.current_version.number == 1 and not q.current_version.locked for q in questions)
    assert [version_to_draft(q.current_version).stem for q in questions] == [i.draft.stem for i in plan.items]


def test_a_plan_with_one_problem_writes_nothing(session):
    """Invariant: bad input gets a clear error naming the row, and nothing is half-imported."""
    bank = make_bank(session)
    plan = plan_import(session, bank, _result(make_draft("single"), make_draft("single", answer="H"), make_draft("true_false", knowledge_points=["新知识点"], subject="新科目")))
    with pytest.raises(BankError, match="文件中有 1 处问题，未导入任何题目"):
        commit_import(session, None, bank, plan)
    assert (_count(session), _count(session, QuestionVersion), _count(session, KnowledgePoint)) == (0, 0, 0)
    assert session.scalar(select(Subject).where(Subject.name == "新科目")) is None


def test_an_xlsx_file_with_one_bad_row_among_good_ones_imports_nothing_and_names_that_row(session):
    pytest.importorskip("question_bank.formats.xlsx")
    bank = make_bank(session)
    drafts = [make_draft("single") for _ in range(4)] + [make_draft("true_false")]
    drafts[2].answer = "F"  # row 4 (the third question): an answer its four options do not have
    data = formats.write("xlsx", drafts)
    plan = plan_import(session, bank, read_for_import(data, "bank.xlsx"))
    assert [p.line for p in plan.problems] == [4]
    with pytest.raises(BankError):
        commit_import(session, None, bank, plan)
    assert _count(session) == 0


def test_skip_leaves_duplicates_out_and_says_why(session):
    bank = make_bank(session)
    existing = make_question(session, bank, stem="已有的题（ ）")
    plan = plan_import(session, bank, _result(make_draft("single", stem="新题（ ）"), make_draft("single", stem="已有的题___"), make_draft("single", stem="新题（）")))
    outcome = commit_import(session, None, bank, plan, "skip")
    assert (outcome.created, outcome.new_versions) == (1, 0)
    assert [str(s) for s in outcome.skipped] == [
        f"第 3 行：与题库中已有的题目（编号 {existing.id}）题干相同，已跳过",
        "第 4 行：与第 2 行的题目题干相同，已跳过",
    ]
    assert _count(session) == 2


def test_new_version_adds_duplicates_as_versions_of_the_question_they_repeat(session):
    bank = make_bank(session)
    existing = make_question(session, bank, stem="已有的题（ ）", answer="A")
    mark_used(session, [existing.current_version_id])
    plan = plan_import(session, bank, _result(
        make_draft("single", stem="已有的题（ ）", answer="B", line=2),
        make_draft("single", stem="新题（ ）", answer="A", line=3),
        make_draft("single", stem="新题（ ）", answer="C", line=4),
        make_draft("single", stem="已有的题（ ）", answer="D", line=5),
    ))
    outcome = commit_import(session, None, bank, plan, "new_version")
    assert (outcome.created, outcome.new_versions, outcome.skipped) == (1, 3, [])
    session.expire_all()
    existing = session.get(Question, existing.id)
    assert [(v.number, v.answer, v.locked) for v in existing.versions] == [(1, "A", True), (2, "B", False), (3, "D", False)]
    assert existing.current_version.number == 3
    new = session.scalar(select(Question).where(Question.bank_id == bank.id, Question.id != existing.id))
    assert [(v.number, v.answer) for v in new.versions] == [(1, "A"), (2, "C")]
    assert new.current_version.answer == "C"


def test_new_versions_of_new_and_existing_questions_keep_every_question_whole(session):
    """New questions, their later versions in the file and new versions of the bank's questions,
    interleaved: each question ends up with all its versions in file order, pointing at the last."""
    bank = make_bank(session)
    existing = make_question(session, bank, stem="已有的题（ ）", answer="A")
    plan = plan_import(session, bank, _result(
        make_draft("single", stem="甲题（ ）", answer="A", knowledge_points=["甲"]),
        make_draft("single", stem="乙题（ ）", answer="A"),
        make_draft("single", stem="已有的题（ ）", answer="B"),
        make_draft("single", stem="丙题（ ）", answer="A"),
        make_draft("single", stem="甲题（ ）", answer="C", knowledge_points=["甲", "乙"]),
        make_draft("single", stem="已有的题（ ）", answer="D"),
        make_draft("single", stem="丙题（ ）", answer="B"),
    ))
    outcome = commit_import(session, None, bank, plan, "new_version")
    assert (outcome.created, outcome.new_versions) == (3, 4)
    session.expire_all()
    questions = list(session.scalars(select(Question).where(Question.bank_id == bank.id).order_by(Question.id)))
    assert [q.id for q in questions][0] == existing.id
    assert [[(v.number, v.answer) for v in q.versions] for q in questions] == [
        [(1, "A"), (2, "B"), (3, "D")], [(1, "A"), (2, "C")], [(1, "A")], [(1, "A"), (2, "B")],
    ]
    assert [q.current_version.answer for q in questions] == ["D", "C", "A", "B"]
    assert [sorted(k.name for k in q.current_version.knowledge_points) for q in questions] == [[], ["乙", "甲"], [], []]


def test_a_broken_current_version_is_refused_by_the_import_not_later_at_the_commit(session):
    """On PostgreSQL the key to the current version is deferred while the rows stream in: it must
    be checked again before the import returns, so nothing after it runs on a broken bank."""
    from sqlalchemy.exc import IntegrityError

    from question_bank.importing import QUESTION_COLUMNS, insert_questions_and_versions
    from question_bank.models import utcnow

    bank = make_bank(session)
    [qid] = allocate_ids(session, Question, 1)
    now = utcnow()
    row = dict(id=qid, bank_id=bank.id, status="active", needs_review=False, review_reason="", current_version_id=10**9,
               stem_hash="x", created_at=now, updated_at=now)
    with pytest.raises(IntegrityError):
        insert_questions_and_versions(session, [tuple(row[c] for c in QUESTION_COLUMNS)], [], now)


def test_subjects_and_knowledge_points_are_created_by_name_once(session):
    bank = make_bank(session)
    make_question(session, bank, subject="理论", knowledge_points=["党章"])
    plan = plan_import(session, bank, _result(
        make_draft("single", subject="理论", knowledge_points=["ＰＤＣＡ", "党章"]),
        make_draft("true_false", subject="时政", knowledge_points=["pdca", "党 章"]),
    ))
    commit_import(session, None, bank, plan)
    assert sorted(session.scalars(select(Subject.name))) == ["时政", "理论"]
    assert sorted(session.scalars(select(KnowledgePoint.name))) == ["PDCA", "党 章", "党章"]
    versions = list(session.scalars(select(QuestionVersion).order_by(QuestionVersion.id)))
    assert [sorted(k.name for k in v.knowledge_points) for v in versions] == [["党章"], ["PDCA", "党章"], ["PDCA", "党 章"]]


def test_a_files_category_is_kept_as_a_knowledge_point_of_its_questions(session):
    bank = make_bank(session)
    plan = plan_import(session, bank, _result(
        make_draft("single", category="党章/总纲", knowledge_points=["组织制度"]),
        make_draft("true_false", category="组织制度", knowledge_points=["组织制度"]),  # already one: not twice
        make_draft("fill_blank"),  # no category: nothing added
    ))
    assert [item.draft.knowledge_points for item in plan.items] == [["组织制度", "党章/总纲"], ["组织制度"], []]
    commit_import(session, None, bank, plan)
    versions = list(session.scalars(select(QuestionVersion).order_by(QuestionVersion.id)))
    assert [sorted(k.name for k in v.knowledge_points) for v in versions] == [["党章/总纲", "组织制度"], ["组织制度"], []]


def test_a_moodle_category_survives_the_import(session):
    bank = make_bank(session)
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><quiz>'
        '<question type="category"><category><text>$course$/top/党章/第一章 党员</text></category></question>'
        '<question type="truefalse"><name><text>t</text></name><questiontext format="html"><text>预备党员的预备期为一年。</text></questiontext>'
        '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question>'
        '</quiz>'
    ).encode("utf-8")
    plan = plan_import(session, bank, read_for_import(xml, "bank.xml"))
    commit_import(session, None, bank, plan)
    version = session.scalars(select(QuestionVersion)).one()
    assert [k.name for k in version.knowledge_points] == ["党章/第一章 党员"]


def test_a_category_too_long_for_a_name_keeps_its_last_segments():
    from question_bank.importing import category_point

    assert category_point("  党章 / 总纲  ") == "党章 / 总纲"
    assert category_point("甲" * 60 + "/" + "乙" * 30 + "/" + "丙" * 30) == "乙" * 30 + "/" + "丙" * 30
    assert category_point("丁" * 150) == "丁" * 100
    assert category_point("/") == ""
    assert category_point("1285466238433140738,1285466238433140739") == ""  # yf-exam repository ids


def test_commit_checks_the_plan_belongs_to_the_bank_and_the_actor_manages_it(session):
    unit = make_unit(session)
    bank, other = make_bank(session, unit), make_bank(session, unit)
    plan = plan_import(session, bank, _result(make_draft("single")))
    with pytest.raises(BankError, match="导入预览属于另一个题库"):
        commit_import(session, None, other, plan)
    cadre = make_user(session, unit=unit)
    with pytest.raises(BankError, match="无权管理题库"):
        commit_import(session, cadre, bank, plan)
    with pytest.raises(BankError, match="重复题目的处理方式“keep”无法识别"):
        commit_import(session, None, bank, plan, "keep")


def test_commit_records_the_actor_and_one_audit_entry(session):
    unit = make_unit(session)
    organizer = make_user(session, unit=unit, roles=("organizer",))
    bank = make_bank(session, unit)
    entries = []
    plan = plan_import(session, bank, _result(make_draft("single"), make_draft("single")))
    commit_import(session, organizer, bank, plan, audit=lambda action, **kw: entries.append((action, kw)))
    assert session.scalars(select(QuestionVersion.created_by)).all() == [organizer.id, organizer.id]
    assert [a for a, _ in entries] == ["bank.import"]
    assert entries[0][1]["after"]["created"] == 2


def test_allocated_ids_follow_the_existing_ones(session):
    question = make_question(session)
    ids = allocate_ids(session, Question, 3)
    assert len(set(ids)) == 3 and min(ids) > question.id
    assert allocate_ids(session, Question, 0) == []


def test_a_large_import_is_written_in_a_few_statements(session, db):
    from sqlalchemy import event

    bank = make_bank(session)
    plan = plan_import(session, bank, _result(*(make_draft(("single", "fill_blank")[i % 2], knowledge_points=["党章"], subject="理论") for i in range(300))))
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db, "before_cursor_execute", listener)
    try:
        outcome = commit_import(session, None, bank, plan)
    finally:
        event.remove(db, "before_cursor_execute", listener)
    assert outcome.created == 300
    assert len(statements) < 15, statements


# --- export and round trips -------------------------------------------------------------------

ROUND_TRIP_FIELDS = ("type", "stem", "options", "answer", "explanation")
FULL_FIELDS = ROUND_TRIP_FIELDS + ("difficulty", "points", "subject", "knowledge_points", "source")


def _every_type(session, bank, *, multi_blank: bool = True):
    make_question(session, bank, "single", explanation="见党章第十条", difficulty=2, points=1, subject="理论", knowledge_points=["党章"], source="《中国共产党章程》第十条")
    make_question(session, bank, "multiple", explanation="三项都是", difficulty=4, points=2.5, subject="政策", knowledge_points=["干部工作", "选拔任用"])
    make_question(session, bank, "true_false", answer=False, explanation="应为战斗堡垒")
    if multi_blank:
        make_question(session, bank, "fill_blank", explanation="两空")
    else:
        make_question(session, bank, "fill_blank", stem="党的根本组织原则是（ ）。", answer=[["民主集中制", "民主集中"]])
    make_question(session, bank, "short_answer", subject="业务")


def _fields(drafts, names):
    return [tuple(getattr(d, n) for n in names) for d in drafts]


@pytest.mark.parametrize(("fmt", "fields", "multi_blank"), [("xlsx", FULL_FIELDS, True), ("gift", ROUND_TRIP_FIELDS, False), ("xml", ROUND_TRIP_FIELDS, True)])
def test_export_then_import_gives_back_the_same_questions(session, fmt, fields, multi_blank):
    pytest.importorskip(f"question_bank.formats.{resolve_format(fmt)}")
    source = make_bank(session)
    _every_type(session, source, multi_blank=multi_blank)
    data = export_bank(session, source, fmt)
    assert formats.detect(data) == resolve_format(fmt)
    target = make_bank(session)
    plan = plan_import(session, target, read_for_import(data, f"bank.{fmt}"))
    assert plan.ok, plan.problems
    outcome = commit_import(session, None, target, plan)
    assert outcome.total == 5 and outcome.skipped == []
    assert _fields(bank_drafts(session, target), fields) == _fields(bank_drafts(session, source), fields)


def test_export_leaves_out_retired_questions_unless_asked(session):
    bank = make_bank(session)
    kept, retired = make_question(session, bank), make_question(session, bank)
    bulk_retire(session, None, [retired.id])
    assert [d.stem for d in bank_drafts(session, bank)] == [kept.current_version.stem]
    assert len(bank_drafts(session, bank, include_retired=True)) == 2


def test_export_refuses_formats_that_cannot_be_written(session):
    with pytest.raises(BankError, match="不能导出为 docx 格式"):
        export_bank(session, make_bank(session), "docx")


@pytest.mark.parametrize(("typed", "name"), [("xml", "moodle_xml"), ("XML", "moodle_xml"), ("auto", "auto"), ("", "auto"), ("gift", "gift"), ("yf-exam", "yfexam")])
def test_format_names_users_type(typed, name):
    assert resolve_format(typed) == name


def test_export_uses_the_current_version(session):
    bank = make_bank(session)
    question = make_question(session, bank, answer="A")
    mark_used(session, [question.current_version_id])
    draft = version_to_draft(question.current_version)
    draft.answer = "B"
    from question_bank.services import edit_question

    edit_question(session, None, question, draft)
    assert [d.answer for d in bank_drafts(session, bank)] == ["B"]
    assert isinstance(bank_drafts(session, bank)[0], QuestionDraft)


def test_a_parse_result_kept_as_json_comes_back_the_same():
    import json

    from question_bank.drafts import result_from_json, result_to_json

    result = _result(
        make_draft("single", points=2.5, knowledge_points=["党章"], source="《党章》", category="党章/总纲"),
        make_draft("fill_blank"), make_draft("short_answer"), make_draft("true_false", answer=False),
        problems=[Problem(7, Message("答案“%(raw)s”无法识别", {"raw": "Z"}))],
        skipped=[Skipped(9, "matching", Message("匹配题不支持，已跳过"))],
    )
    back = result_from_json(json.loads(json.dumps(result_to_json(result), ensure_ascii=False)))
    assert back == result
    assert [str(p) for p in back.problems] == ["第 7 行：答案“Z”无法识别"]
    with pytest.raises(ValueError):
        result_from_json({"v": 0})

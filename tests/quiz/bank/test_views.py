"""The organizer's bank pages: banks, questions, the question form, versions, import, export, bulk actions.

Reach: an organizer of 郑州 never opens, edits or imports into a bank owned by 洛阳 (404) and never
sees one in a list; a cadre gets 403 on every bank page.
"""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import event, func, select

from question_bank.drafts import QuestionDraft
from question_bank.importing import read_for_import
from question_bank.models import Bank, Question, QuestionVersion, Subject, ensure_default_subjects, mark_used
from question_bank.services import create_bank, create_question
from quiz.audit.models import AuditEntry
from quiz.uploads.models import PendingUpload
from tests.factories import make_province, make_user
from tests.quiz.conftest import csrf_token

CSV_HEADER = "题型,题干,选项A,选项B,选项C,选项D,答案,解析,难度,分值,科目,知识点,出处\n"


@pytest.fixture
def world(session):
    ensure_default_subjects(session)
    units = make_province(session)
    people = {
        "org_zz": make_user(session, "org_zz", units["郑州"], ("organizer", "cadre"), name="郑州组织者"),
        "org_ly": make_user(session, "org_ly", units["洛阳"], ("organizer",), name="洛阳组织者"),
        "cadre": make_user(session, "cadre_zz", units["金水"]),
    }
    banks = {
        "郑州": create_bank(session, None, name="郑州题库", org_unit_id=units["郑州"].id),
        "洛阳": create_bank(session, None, name="洛阳题库", org_unit_id=units["洛阳"].id),
        "省": create_bank(session, None, name="全省题库", org_unit_id=units["省"].id),
        "金水": create_bank(session, None, name="金水题库", org_unit_id=units["金水"].id),
    }
    session.commit()
    return units, people, banks


def _question(session, bank, stem="党的最高领导机关是（ ）。", **kwargs):
    fields = {"type": "single", "options": ["党的全国代表大会和它所产生的中央委员会", "中央纪律检查委员会"], "answer": "A"}
    fields.update(kwargs)
    return create_question(session, None, bank, QuestionDraft(stem=stem, **fields))


def _bank_questions(session, bank) -> list[Question]:
    session.rollback()  # end the test session's read snapshot (SQLite WAL) ...
    session.expire_all()  # ... and forget what it loaded: see what the requests committed
    return list(session.scalars(select(Question).where(Question.bank_id == bank.id).order_by(Question.id)))


def _form(**fields) -> dict:
    """A question form's fields, all eight option inputs included."""
    data = {"type": "single", "stem": "", "answer": "", "explanation": "", "difficulty": "3", "points": "",
            "subject_id": "0", "knowledge_points": "", "source": "", "status": "active", "reference": "", "keywords": ""}
    options = fields.pop("options", [])
    data.update({f"options-{i}": (options[i] if i < len(options) else "") for i in range(8)})
    data.update(fields)
    return data


def _upload(client, bank, data: bytes, filename: str, fmt: str = "auto"):
    """Upload a file on the import page; returns the preview response (after the redirect)."""
    token = csrf_token(client, f"/bank/{bank.id}/import")
    return client.post(
        f"/bank/{bank.id}/import",
        data={"csrf_token": token, "format": fmt, "text": "", "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data", follow_redirects=True,
    )


def _confirm(client, preview_html: str, bank, duplicates: str = "skip"):
    """Press 确认导入 on a preview page."""
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview_html).group(1)
    fmt = re.search(r'name="format" type="hidden" value="([^"]*)"', preview_html).group(1)
    return client.post(f"/bank/{bank.id}/import/confirm", data={
        "csrf_token": csrf_token(client, f"/bank/{bank.id}/import"), "token": token, "format": fmt, "duplicates": duplicates,
    })


# ---- reach ---------------------------------------------------------------------------------------


def test_a_cadre_gets_403_on_every_bank_page(client, auth, world):
    _, _, banks = world
    auth.login("cadre_zz")
    for path in ("/bank/", f"/bank/{banks['金水'].id}/questions", f"/bank/{banks['金水'].id}/import",
                 f"/bank/{banks['金水'].id}/export?format=xlsx", "/bank/template.xlsx"):
        assert client.get(path).status_code == 403, path


def test_zhengzhou_never_sees_or_touches_a_luoyang_bank(client, auth, session, world):
    _, _, banks = world
    ly = banks["洛阳"]
    q = _question(session, ly)
    session.commit()
    auth.login("org_zz")
    listing = client.get("/bank/").get_data(as_text=True)
    assert "郑州题库" in listing and "金水题库" in listing and "全省题库" in listing
    assert "洛阳题库" not in listing
    assert "洛阳题库" not in client.get("/organizer").get_data(as_text=True)
    for path in (f"/bank/{ly.id}/questions", f"/bank/{ly.id}/edit", f"/bank/{ly.id}/import", f"/bank/{ly.id}/questions/new",
                 f"/bank/{ly.id}/export?format=xlsx", f"/bank/questions/{q.id}/edit", f"/bank/questions/{q.id}/versions"):
        assert client.get(path).status_code == 404, path
    token = csrf_token(client, "/bank/")
    assert client.post(f"/bank/{ly.id}/edit", data={"csrf_token": token, "name": "改名"}).status_code == 404
    assert client.post(f"/bank/{ly.id}/import", data={"csrf_token": token, "text": "1. 题（A）\nA. 甲\nB. 乙"}).status_code == 404
    assert client.post(f"/bank/{ly.id}/import/confirm", data={"csrf_token": token, "token": "x"}).status_code == 404
    assert client.post(f"/bank/questions/{q.id}/edit", data={"csrf_token": token, **_form(stem="改了", options=["甲", "乙"], answer="A")}).status_code == 404
    own = banks["郑州"]
    client.post(f"/bank/{own.id}/questions/bulk", data={"csrf_token": token, "ids": [q.id], "action": "retire"})
    assert _bank_questions(session, ly)[0].status == "active"
    assert session.scalar(select(Bank.name).where(Bank.id == ly.id)) == "洛阳题库"


def test_a_bank_shared_from_above_is_readable_but_not_changeable(client, auth, session, world):
    _, _, banks = world
    q = _question(session, banks["省"])
    session.commit()
    auth.login("org_zz")
    page = client.get(f"/bank/{banks['省'].id}/questions")
    assert page.status_code == 200 and "党的最高领导机关" in page.get_data(as_text=True)
    assert client.get(f"/bank/questions/{q.id}/versions").status_code == 200
    for path in (f"/bank/{banks['省'].id}/edit", f"/bank/{banks['省'].id}/import", f"/bank/questions/{q.id}/edit",
                 f"/bank/{banks['省'].id}/export?format=xlsx"):
        assert client.get(path).status_code == 403, path


# ---- banks ---------------------------------------------------------------------------------------


def test_create_a_confidential_bank_for_a_unit_below(client, auth, session, world):
    units, _, _ = world
    auth.login("org_zz")
    response = auth.post("/bank/", {"name": "保密竞赛题库", "org_unit_id": units["二七"].id, "description": "年度竞赛", "confidential": "y"})
    assert response.status_code == 302
    bank = session.scalar(select(Bank).where(Bank.name == "保密竞赛题库"))
    assert bank.org_unit_id == units["二七"].id and bank.confidential and bank.description == "年度竞赛"
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.create")).ip_address
    listing = client.get("/bank/").get_data(as_text=True)
    assert "保密竞赛题库" in listing and "二七区委组织部" in listing and "保密" in listing


def test_a_bank_cannot_be_created_for_a_unit_outside_the_subtree(client, auth, session, world):
    units, _, _ = world
    auth.login("org_zz")
    response = auth.post("/bank/", {"name": "越权题库", "org_unit_id": units["洛阳"].id})
    assert response.status_code == 422
    assert session.scalar(select(Bank).where(Bank.name == "越权题库")) is None


def test_a_duplicate_bank_name_is_refused_with_a_message(client, auth, session, world):
    units, _, _ = world
    auth.login("org_zz")
    response = auth.post("/bank/", {"name": "郑州题库", "org_unit_id": units["郑州"].id})
    assert response.status_code == 422
    assert "本单位已有名为“郑州题库”的题库" in response.get_data(as_text=True)


def test_edit_a_bank(client, auth, session, world):
    _, _, banks = world
    auth.login("org_zz")
    path = f"/bank/{banks['郑州'].id}/edit"
    assert auth.post(path, {"name": "郑州市题库", "description": "新说明", "confidential": "y"}).status_code == 302
    session.rollback()  # end the test session's read snapshot (SQLite WAL) ...
    session.expire_all()  # ... and forget what it loaded: see what the requests committed
    bank = session.get(Bank, banks["郑州"].id)
    assert (bank.name, bank.description, bank.confidential) == ("郑州市题库", "新说明", True)


# ---- the question form ---------------------------------------------------------------------------

EACH_TYPE = [
    ("single", _form(type="single", stem="党的最高领导机关是（ ）。", options=["党的全国代表大会和它所产生的中央委员会", "中央纪律检查委员会", "国务院"], answer="ａ"),
     "A", ["党的全国代表大会和它所产生的中央委员会", "中央纪律检查委员会", "国务院"]),
    ("multiple", _form(type="multiple", stem="党的纪律包括（ ）。", options=["政治纪律", "组织纪律", "廉洁纪律", "天气纪律"], answer="A、B、C"),
     ["A", "B", "C"], ["政治纪律", "组织纪律", "廉洁纪律", "天气纪律"]),
    ("true_false", _form(type="true_false", stem="民主集中制是党的根本组织原则。", true_false="true", options=["不该保存"]), True, []),
    ("fill_blank", _form(type="fill_blank", stem="党的最高领导机关是党的（ ）和它所产生的（ ）。", answer="全国代表大会/全国党代会|中央委员会"),
     [["全国代表大会", "全国党代会"], ["中央委员会"]], []),
    ("short_answer", _form(type="short_answer", stem="简述“四个服从”的内容。", reference="个人服从组织……", keywords="个人服从组织；少数服从多数/少数服从多数原则"),
     {"reference": "个人服从组织……", "keywords": [["个人服从组织"], ["少数服从多数", "少数服从多数原则"]]}, []),
]


@pytest.mark.parametrize(("qtype", "form", "answer", "options"), EACH_TYPE, ids=[t[0] for t in EACH_TYPE])
def test_add_a_question_of_each_type_through_the_form(client, auth, session, world, qtype, form, answer, options):
    _, _, banks = world
    bank = banks["郑州"]
    auth.login("org_zz")
    page = client.get(f"/bank/{bank.id}/questions/new").get_data(as_text=True)
    assert page.count('name="options-') == 8  # without JS every option input shows
    subject = session.scalar(select(Subject).where(Subject.name == "法律"))
    form = dict(form, subject_id=str(subject.id), knowledge_points="党章，组织原则、党章", difficulty="4", points="2", source="《中国共产党章程》第十条", explanation="见党章。")
    response = auth.post(f"/bank/{bank.id}/questions/new", form, token_from=f"/bank/{bank.id}/questions/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    (question,) = _bank_questions(session, bank)
    v = question.current_version
    assert (v.type, v.answer, v.options, v.number) == (qtype, answer, options, 1)
    assert (v.difficulty, v.points, v.subject.name, v.source, v.explanation) == (4, 2.0, "法律", "《中国共产党章程》第十条", "见党章。")
    assert sorted(k.name for k in v.knowledge_points) == ["党章", "组织原则"]
    listing = client.get(f"/bank/{bank.id}/questions").get_data(as_text=True)
    assert form["stem"][:10] in listing and "第 1 版" in listing


def test_an_invalid_question_names_every_problem_and_saves_nothing(client, auth, session, world):
    _, _, banks = world
    bank = banks["郑州"]
    auth.login("org_zz")
    response = auth.post(f"/bank/{bank.id}/questions/new", _form(type="single", stem="只有两个选项", options=["甲", "乙"], answer="E"),
                         token_from=f"/bank/{bank.id}/questions/new")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "题目未保存" in text and "答案 E 不在选项中（本题只有 2 个选项）" in text
    assert 'value="甲"' in text  # the organizer's input is kept
    assert _bank_questions(session, bank) == []


def test_editing_a_question_used_by_an_attempt_makes_a_new_version(client, auth, session, world):
    _, _, banks = world
    bank = banks["郑州"]
    q = _question(session, bank, explanation="旧解析")
    mark_used(session, [q.current_version_id])
    session.commit()
    auth.login("org_zz")
    edit = f"/bank/questions/{q.id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert "此题已被答卷使用，保存后将生成新版本，原版本保留" in page
    assert 'value="党的全国代表大会和它所产生的中央委员会"' in page and 'value="A"' in page
    response = auth.post(edit, _form(stem="党的最高领导机关是什么？（ ）", options=["党的全国代表大会和它所产生的中央委员会", "中央纪律检查委员会"],
                                     answer="A", explanation="新解析"))
    assert response.status_code == 302
    session.rollback()  # end the test session's read snapshot (SQLite WAL) ...
    session.expire_all()  # ... and forget what it loaded: see what the requests committed
    versions = list(session.scalars(select(QuestionVersion).where(QuestionVersion.question_id == q.id).order_by(QuestionVersion.number)))
    assert [v.number for v in versions] == [1, 2]
    assert (versions[0].stem, versions[0].explanation, versions[0].locked) == ("党的最高领导机关是（ ）。", "旧解析", True)
    assert (versions[1].stem, versions[1].explanation) == ("党的最高领导机关是什么？（ ）", "新解析")
    assert session.get(Question, q.id).current_version_id == versions[1].id

    history = client.get(f"/bank/questions/{q.id}/versions").get_data(as_text=True)
    assert "第 1 版" in history and "第 2 版" in history
    assert "党的最高领导机关是（ ）。" in history and "党的最高领导机关是什么？（ ）" in history
    assert "旧解析" in history and "新解析" in history
    assert "郑州组织者" in history  # the author of version 2
    assert re.search(r"改动：\s*题干、解析", history)
    assert history.count('class="changed"') == 2  # stem and explanation of version 2


def test_editing_an_unused_question_corrects_it_in_place(client, auth, session, world):
    _, _, banks = world
    q = _question(session, banks["郑州"])
    session.commit()
    auth.login("org_zz")
    edit = f"/bank/questions/{q.id}/edit"
    assert "此题已被答卷使用" not in client.get(edit).get_data(as_text=True)
    assert auth.post(edit, _form(stem="党的最高领导机关是（  ）", options=["全国代表大会和中央委员会", "中央纪律检查委员会"], answer="A", status="draft")).status_code == 302
    session.rollback()  # end the test session's read snapshot (SQLite WAL) ...
    session.expire_all()  # ... and forget what it loaded: see what the requests committed
    question = session.get(Question, q.id)
    assert [v.number for v in question.versions] == [1]
    assert question.current_version.options[0] == "全国代表大会和中央委员会" and question.status == "draft"


# ---- the question list ---------------------------------------------------------------------------


def _many(session, bank, n: int):
    subjects = ["理论", "政策", "法律", "科技", "业务"]
    for i in range(n):
        if i % 3 == 0:
            draft = QuestionDraft(type="true_false", stem=f"判断第{i}题：党员有表决权。", answer=True)
        else:
            draft = QuestionDraft(type="single", stem=f"单选第{i}题：下列说法正确的是（ ）。", options=["甲", "乙", "丙"], answer="B")
        draft.subject = subjects[i % 5]
        draft.knowledge_points = [f"知识点{i % 4}", "党章"]
        draft.difficulty = 1 + i % 5
        draft.source = "《中国共产党章程》" if i % 2 else "《组织工作条例》"
        create_question(session, None, bank, draft)
    session.commit()


def test_search_filter_and_paginate_the_question_list(client, auth, session, world):
    _, _, banks = world
    bank = banks["郑州"]
    _many(session, bank, 60)
    auth.login("org_zz")
    base = f"/bank/{bank.id}/questions"
    first = client.get(base).get_data(as_text=True)
    assert first.count('name="ids"') == 50 and "第 1 / 2 页，共 60 条" in first
    second = client.get(base + "?page=2").get_data(as_text=True)
    assert second.count('name="ids"') == 10
    assert client.get(base + "?q=单选第7题").get_data(as_text=True).count('name="ids"') == 1
    assert client.get(base + "?type=true_false").get_data(as_text=True).count('name="ids"') == 20
    law = session.scalar(select(Subject).where(Subject.name == "法律"))
    assert client.get(base + f"?subject={law.id}").get_data(as_text=True).count('name="ids"') == 12
    assert client.get(base + "?kp=知识点1").get_data(as_text=True).count('name="ids"') == 15
    assert client.get(base + "?difficulty=5").get_data(as_text=True).count('name="ids"') == 12
    assert client.get(base + "?source=章程").get_data(as_text=True).count('name="ids"') == 30
    assert client.get(base + "?review=1").get_data(as_text=True).count('name="ids"') == 0
    combined = client.get(base + "?type=single&source=章程&page=1").get_data(as_text=True)
    assert combined.count('name="ids"') == 20  # odd i, not divisible by 3
    assert "type=single" in client.get(base + "?type=single").get_data(as_text=True)  # pager keeps the filters


def test_the_question_list_runs_the_same_queries_for_5_and_60_questions(app, client, auth, session, world):
    """No N+1: the page loads versions, subjects and knowledge points in a fixed number of queries."""
    units, _, banks = world
    small = banks["郑州"]  # both banks belong to the same unit, so reach costs the same on both pages
    large = create_bank(session, None, name="郑州题库二", org_unit_id=units["郑州"].id)
    _many(session, small, 5)
    _many(session, large, 60)
    auth.login("org_zz")
    engine = app.extensions["db_engine"]

    def count(path: str) -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    client.get(f"/bank/{small.id}/questions")  # warm up whatever a first request loads once
    assert count(f"/bank/{small.id}/questions") == count(f"/bank/{large.id}/questions")


def test_bulk_retire_tag_and_move(client, auth, session, world):
    _, _, banks = world
    bank, other = banks["郑州"], banks["金水"]
    _many(session, bank, 4)
    ids = [q.id for q in _bank_questions(session, bank)]
    auth.login("org_zz")
    page = f"/bank/{bank.id}/questions"
    listing = client.get(page).get_data(as_text=True)
    assert 'data-confirm="' in listing  # the bulk form asks before it is sent
    response = auth.post(f"/bank/{bank.id}/questions/bulk", {"ids": ids[:2], "action": "retire", "back": "type=single&evil=1"}, token_from=page)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/bank/{bank.id}/questions?type=single")
    assert [q.status for q in _bank_questions(session, bank)] == ["retired", "retired", "active", "active"]
    assert auth.post(f"/bank/{bank.id}/questions/bulk", {"ids": ids[2:], "action": "tag", "knowledge_point": "民主集中制"}, token_from=page).status_code == 302
    tagged = [q for q in _bank_questions(session, bank) if "民主集中制" in {k.name for k in q.current_version.knowledge_points}]
    assert [q.id for q in tagged] == ids[2:]
    assert auth.post(f"/bank/{bank.id}/questions/bulk", {"ids": ids[3:], "action": "move", "target": other.id}, token_from=page).status_code == 302
    assert [q.id for q in _bank_questions(session, other)] == ids[3:]
    # nothing selected: a message, no change
    response = auth.post(f"/bank/{bank.id}/questions/bulk", {"action": "retire"}, token_from=page)
    assert "请先选择题目" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_bulk_move_into_a_luoyang_bank_is_refused(client, auth, session, world):
    _, _, banks = world
    _many(session, banks["郑州"], 1)
    (q,) = _bank_questions(session, banks["郑州"])
    auth.login("org_zz")
    response = auth.post(f"/bank/{banks['郑州'].id}/questions/bulk", {"ids": [q.id], "action": "move", "target": banks["洛阳"].id},
                         token_from=f"/bank/{banks['郑州'].id}/questions")
    assert response.status_code == 404
    assert _bank_questions(session, banks["洛阳"]) == []


# ---- import --------------------------------------------------------------------------------------


def test_import_preview_names_the_bad_row_and_commits_nothing(client, auth, session, world):
    _, _, banks = world
    bank = banks["郑州"]
    data = (CSV_HEADER
            + "单选,党的最高领导机关是（ ）。,全国代表大会和中央委员会,中央纪委,,,A,,,,,,\n"
            + "单选,民主集中制是（ ）。,根本组织原则,一般原则,,,E,,,,,,\n"
            + "判断,党员有表决权。,,,,,对,,,,,,\n").encode("utf-8")
    auth.login("org_zz")
    preview = _upload(client, bank, data, "题库.csv")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "文件中有 1 处问题，未导入任何题目。修改文件后重新上传。" in text
    assert re.search(r"第 3 行：</strong>[^<]*E", text)
    assert "确认导入" not in text
    token = session.scalar(select(PendingUpload.token))
    refused = client.post(f"/bank/{bank.id}/import/confirm", data={"csrf_token": csrf_token(client, f"/bank/{bank.id}/import"), "token": token, "format": "auto", "duplicates": "skip"})
    assert refused.status_code == 422
    assert _bank_questions(session, bank) == []


def test_import_a_good_file_commits_counts_by_type(client, auth, session, world):
    _, _, banks = world
    bank = banks["郑州"]
    data = (CSV_HEADER
            + "单选,党的最高领导机关是（ ）。,全国代表大会和中央委员会,中央纪委,,,A,党章第十条,2,1,理论,党章,《党章》\n"
            + "多选,党的纪律包括（ ）。,政治纪律,组织纪律,廉洁纪律,,ABC,,,,,,\n"
            + "判断,党员有表决权。,,,,,√,,,,,,\n"
            + "填空,党的根本组织原则是（ ）。,,,,,民主集中制,,,,,,\n"
            + "简答,简述四个服从。,,,,,个人服从组织,,,,,,\n").encode("gbk")
    auth.login("org_zz")
    preview = _upload(client, bank, data, "题库.csv")
    text = preview.get_data(as_text=True)
    assert "共 5 道题，全部检查通过。" in text
    assert "党的全国代表大会" not in text and "全国代表大会和中央委员会" in text and "党章第十条" in text  # cadre view + key and explanation
    done = _confirm(client, text, bank)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "已导入 5 道题：新增 5 道" in done.get_data(as_text=True)
    types = sorted(q.current_version.type for q in _bank_questions(session, bank))
    assert types == ["fill_blank", "multiple", "short_answer", "single", "true_false"]
    assert session.scalar(select(func.count()).select_from(PendingUpload)) == 0
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.import")) is not None


def test_import_pasted_text_in_the_word_layout(client, auth, session, world):
    _, _, banks = world
    bank = banks["郑州"]
    auth.login("org_zz")
    text = "一、单选题\n1. 党的最高领导机关是（ A ）。\nA. 党的全国代表大会和它所产生的中央委员会\nB. 中央纪律检查委员会\n二、判断题\n2. 民主集中制是党的根本组织原则。（√）\n"
    response = auth.post(f"/bank/{bank.id}/import", {"text": text, "format": "auto"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "共 2 道题，全部检查通过。" in html and "粘贴的文本" in html
    assert _confirm(client, html, bank).status_code == 200
    assert [q.current_version.answer for q in _bank_questions(session, bank)] == ["A", True]


def test_duplicates_are_named_by_line_and_the_organizer_chooses(client, auth, session, world):
    _, _, banks = world
    bank = banks["郑州"]
    existing = _question(session, bank, stem="党的最高领导机关是（ ）。")
    session.commit()
    data = (CSV_HEADER
            + "单选,党的最高领导机关是（  ）,全国代表大会和中央委员会,中央纪委,,,A,新解析,,,,,\n"
            + "判断,党员有表决权。,,,,,对,,,,,,\n"
            + "判断,党员有表决权,,,,,对,,,,,,\n").encode("utf-8")
    auth.login("org_zz")
    html = _upload(client, bank, data, "dup.csv").get_data(as_text=True)
    assert f"与题库中已有的题目（编号 {existing.id}）题干相同" in html
    assert re.search(r"第 4 行：</strong>与第 3 行的题目题干相同", html)
    assert "跳过重复的题目" in html and "作为已有题目的新版本加入" in html
    done = _confirm(client, html, bank, duplicates="skip").get_data(as_text=True)
    assert "新增 1 道" in done and "已跳过" in done
    questions = _bank_questions(session, bank)
    assert len(questions) == 2 and [len(q.versions) for q in questions] == [1, 1]

    html = _upload(client, bank, data, "dup.csv").get_data(as_text=True)
    assert _confirm(client, html, bank, duplicates="new_version").status_code == 200
    questions = _bank_questions(session, bank)
    assert len(questions) == 2
    first = questions[0]
    assert [v.number for v in first.versions] == [1, 2] and first.current_version.explanation == "新解析"


def test_a_stale_upload_token_sends_the_organizer_back(client, auth, world):
    _, _, banks = world
    auth.login("org_zz")
    response = client.get(f"/bank/{banks['郑州'].id}/import/no-such-token", follow_redirects=True)
    assert "上传的文件已过期或不存在，请重新上传" in response.get_data(as_text=True)


def test_a_large_file_previews_the_first_hundred_questions(client, auth, session, world):
    _, _, banks = world
    bank = banks["郑州"]
    rows = "".join(f"判断,第{i}条规定是否正确。,,,,,对,,,,,,\n" for i in range(250))
    auth.login("org_zz")
    html = _upload(client, bank, (CSV_HEADER + rows).encode("utf-8"), "big.csv").get_data(as_text=True)
    assert "共 250 道题，全部检查通过。" in html
    assert html.count('class="card q-preview') == 100 and "本页之后还有 150 题" in html
    token = session.scalar(select(PendingUpload.token))
    last = client.get(f"/bank/{bank.id}/import/{token}?format=auto&page=3").get_data(as_text=True)
    assert last.count('class="card q-preview') == 50 and "第249条" in last


def test_paging_the_preview_and_confirming_parse_the_file_once(client, auth, session, world, monkeypatch):
    import quiz.bank.import_views as import_views

    parsed = []
    real_parse = import_views._parse
    monkeypatch.setattr(import_views, "_parse", lambda data, filename, fmt: parsed.append((filename, fmt)) or real_parse(data, filename, fmt))
    _, _, banks = world
    bank = banks["郑州"]
    rows = "".join(f"判断,第{i}条规定是否正确。,,,,,对,,,,,,\n" for i in range(250))
    auth.login("org_zz")
    first = _upload(client, bank, (CSV_HEADER + rows).encode("utf-8"), "big.csv").get_data(as_text=True)
    assert parsed == [("big.csv", "auto")]
    token = session.scalar(select(PendingUpload.token))
    second = client.get(f"/bank/{bank.id}/import/{token}?format=auto&page=2").get_data(as_text=True)
    third = client.get(f"/bank/{bank.id}/import/{token}?format=auto&page=3").get_data(as_text=True)
    assert "第100条" in second and "第249条" in third and "共 250 道题，全部检查通过。" in third
    assert parsed == [("big.csv", "auto")]
    done = _confirm(client, first, bank)
    assert "已导入 250 道题" in done.get_data(as_text=True)
    assert parsed == [("big.csv", "auto")]
    assert len(_bank_questions(session, bank)) == 250


def test_asking_for_another_format_parses_the_upload_again(client, auth, session, world, monkeypatch):
    import quiz.bank.import_views as import_views

    parsed = []
    real_parse = import_views._parse
    monkeypatch.setattr(import_views, "_parse", lambda data, filename, fmt: parsed.append(fmt) or real_parse(data, filename, fmt))
    _, _, banks = world
    bank = banks["郑州"]
    auth.login("org_zz")
    _upload(client, bank, (CSV_HEADER + "判断,党员有表决权。,,,,,对,,,,,,\n").encode("utf-8"), "one.csv")
    token = session.scalar(select(PendingUpload.token))
    as_csv = client.get(f"/bank/{bank.id}/import/{token}?format=csv").get_data(as_text=True)
    client.get(f"/bank/{bank.id}/import/{token}?format=csv&page=1")
    assert "共 1 道题，全部检查通过。" in as_csv
    assert parsed == ["auto", "csv"]


def test_the_template_downloads_and_imports_back(client, auth, world):
    auth.login("org_zz")
    response = client.get("/bank/template.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    result = read_for_import(response.data, "template.xlsx")
    assert result.ok and {d.type for d in result.drafts} == {"single", "multiple", "true_false", "fill_blank", "short_answer"}


# ---- export --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "gift", "moodle_xml"])
def test_export_downloads_a_file_that_imports_back(client, auth, session, world, fmt):
    _, _, banks = world
    bank = banks["郑州"]
    _question(session, bank, explanation="见党章第十条。")
    create_question(session, None, bank, QuestionDraft(type="multiple", stem="党的纪律包括（ ）。", options=["政治纪律", "组织纪律", "天气纪律"], answer=["A", "B"]))
    create_question(session, None, bank, QuestionDraft(type="true_false", stem="党员有表决权。", answer=True))
    create_question(session, None, bank, QuestionDraft(type="fill_blank", stem="党的根本组织原则是（ ）。", answer=[["民主集中制"]]))
    create_question(session, None, bank, QuestionDraft(type="short_answer", stem="简述四个服从。", answer={"reference": "个人服从组织", "keywords": [["个人服从组织"]]}))
    session.commit()
    auth.login("org_zz")
    response = client.get(f"/bank/{bank.id}/export?format={fmt}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    result = read_for_import(response.data, "", fmt)
    assert result.ok, [str(p) for p in result.problems]
    got = [(d.type, d.stem.replace(" ", ""), d.answer) for d in result.drafts]
    want = [(q.current_version.type, q.current_version.stem.replace(" ", ""), q.current_version.answer) for q in _bank_questions(session, bank)]
    assert [(t, a) for t, _, a in got] == [(t, a) for t, _, a in want]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "bank.export"))
    assert entry is not None and fmt in entry.summary and entry.actor_id is not None


def test_export_to_an_unknown_format_is_refused(client, auth, world):
    _, _, banks = world
    auth.login("org_zz")
    response = client.get(f"/bank/{banks['郑州'].id}/export?format=docx", follow_redirects=True)
    assert "不能导出为该格式" in response.get_data(as_text=True)


# ---- pages render without inline script or style -------------------------------------------------


def test_bank_pages_have_no_inline_script_or_style(client, auth, session, world):
    _, _, banks = world
    bank = banks["郑州"]
    q = _question(session, bank)
    session.commit()
    auth.login("org_zz")
    for path in ("/bank/", f"/bank/{bank.id}/questions", f"/bank/{bank.id}/questions/new", f"/bank/questions/{q.id}/edit",
                 f"/bank/questions/{q.id}/versions", f"/bank/{bank.id}/import", f"/bank/{bank.id}/edit", "/organizer"):
        page = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert " style=" not in page and "<style" not in page, path

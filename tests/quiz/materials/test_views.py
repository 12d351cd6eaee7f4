"""The material pages: reach (a 洛阳 organizer never sees a 郑州 material), escaping, uploads,
revisions and their report, flagged questions, the draft review queue, the 出处 picker's JSON."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from question_bank.materials.models import ArticleDraft, Material, MaterialArticle, ReviewFlag
from question_bank.materials.draft_queue import generate_drafts
from question_bank.materials.services import add_edition
from question_bank.models import Question
from quiz.accounts.models import OrgUnit
from tests.factories import (
    PASSWORD,
    SAMPLE_REGULATION,
    make_article_question,
    make_bank,
    make_material,
    make_province,
    make_user,
)
from tests.quiz.conftest import Auth, csrf_token

REVISED = SAMPLE_REGULATION.replace("每月召开一次支部委员会", "每两个月召开一次支部委员会").replace(
    "第四条 新任干部应当在任职后三个月内参加任职培训。\n", "")


@pytest.fixture
def world(session_factory):
    """郑州 owns a material in two editions with two questions citing it (one flagged); people in 郑州, 洛阳, 省."""
    with session_factory() as s, s.begin():
        units = make_province(s)
        zz = make_user(s, "org_zz", units["郑州"], ("organizer", "cadre"))
        make_user(s, "org_ly", units["洛阳"], ("organizer", "cadre"))
        make_user(s, "org_sheng", units["省"], ("organizer",))
        make_user(s, "cadre_zz", units["郑州"])
        outcome = make_material(s, units["郑州"], title="某某工作条例", actor=zz)
        material = outcome.material
        bank = make_bank(s, units["郑州"], "郑州题库", actor=zz)
        kept = make_article_question(s, bank, material, "第一条")
        flagged = make_article_question(s, bank, material, "第三条")
        revision = add_edition(s, zz, material, text=REVISED, edition_name="2025年修订")
        province = make_material(s, units["省"], title="省级学习办法").material
        change_id = s.scalar(select(ReviewFlag.change_id).where(ReviewFlag.question_id == flagged.id))
        article_id = s.scalar(select(MaterialArticle.id).where(MaterialArticle.edition_id == material.current_edition_id))
        draft_id = generate_drafts(s, zz, material, [article_id, *s.scalars(select(MaterialArticle.id).where(
            MaterialArticle.edition_id == material.current_edition_id, MaterialArticle.ref == "第三条"))])[0].id
        return {
            "material": material.id, "edition": revision.edition.id, "first_edition": outcome.edition.id, "bank": bank.id,
            "kept": kept.id, "flagged": flagged.id, "change": change_id, "article": article_id, "draft": draft_id,
            "province": province.id, "units": {k: u.id for k, u in units.items()},
        }


def login(client, username):
    response = Auth(client).login(username, PASSWORD)
    assert response.status_code == 302
    return Auth(client)


def pages(w):
    m = w["material"]
    return [
        f"/materials/{m}", f"/materials/{m}?q=党员大会", f"/materials/{m}?edition={w['first_edition']}", f"/materials/{m}/editions",
        f"/materials/editions/{w['edition']}/report", f"/materials/changes/{w['change']}", f"/materials/{m}/flagged",
        f"/materials/{m}/drafts", f"/materials/articles/{w['article']}", f"/materials/drafts/{w['draft']}/edit",
    ]


def test_the_owner_unit_organizer_sees_every_page(client, world):
    login(client, "org_zz")
    assert client.get("/materials/").status_code == 200
    for url in pages(world):
        assert client.get(url).status_code == 200, url


def test_a_luoyang_organizer_cannot_see_a_zhengzhou_material(client, world):
    login(client, "org_ly")
    index = client.get("/materials/").get_data(as_text=True)
    assert "某某工作条例" not in index and "省级学习办法" in index
    for url in pages(world):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, "/materials/")
    for url in (f"/materials/{world['material']}/editions", f"/materials/{world['material']}/drafts/generate",
                f"/materials/drafts/{world['draft']}/accept", f"/materials/drafts/{world['draft']}/reject",
                f"/materials/questions/{world['flagged']}/keep", f"/materials/questions/{world['flagged']}/retire"):
        assert client.post(url, data={"csrf_token": token, "text": SAMPLE_REGULATION, "edition_name": "x"}).status_code == 404, url
    found = client.get("/materials/articles/search?q=某某工作条例第一条").get_json()
    assert found == {"articles": []}


def test_a_cadre_is_refused_and_an_anonymous_visitor_sent_to_login(client, world):
    assert client.get(f"/materials/{world['material']}").status_code == 302
    login(client, "cadre_zz")
    assert client.get("/materials/").status_code == 403
    assert client.get(f"/materials/{world['material']}").status_code == 403


def test_a_material_from_above_is_read_but_not_revised(client, world):
    auth = login(client, "org_zz")
    url = f"/materials/{world['province']}/editions"
    page = client.get(url).get_data(as_text=True)
    assert "载入修订版" not in page
    assert auth.post(url, {"text": SAMPLE_REGULATION, "edition_name": "新版"}).status_code == 403
    sheng = Auth(client.application.test_client())
    login(sheng.client, "org_sheng")
    assert sheng.client.get(f"/materials/{world['material']}/editions").status_code == 200  # 郑州 is below 省


def test_the_reader_escapes_the_text_and_marks_search_hits(client, session, world):
    units = world["units"]
    text = "测试办法\n第一条 <script>alert('x')</script> 与 <b>粗体</b> 都是文字。\n第二条 另一条。"
    material = make_material(session, session.get(OrgUnit, units["郑州"]), title="<i>测试</i>办法", text=text).material
    session.commit()
    login(client, "org_zz")
    page = client.get(f"/materials/{material.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<i>测试</i>" not in page and "&lt;i&gt;测试&lt;/i&gt;办法" in page
    page = client.get(f"/materials/{material.id}?q=script").get_data(as_text=True)
    assert "&lt;<mark>script</mark>&gt;alert" in page
    page = client.get(f"/materials/{material.id}", query_string={"q": "<img src=x onerror=alert(1)>"}).get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    found = client.get("/materials/articles/search", query_string={"q": "script"}).get_json()["articles"]
    assert found[0]["text"].startswith("<script>")  # JSON carries the text; the page's JS must insert it as text


def test_reader_shows_the_table_of_contents_and_article_anchors(client, world):
    login(client, "org_zz")
    page = client.get(f"/materials/{world['material']}?edition={world['first_edition']}").get_data(as_text=True)
    assert 'id="art-3"' in page and 'href="#art-3"' in page
    assert re.search(r'<a href="#div-\d+">第二章 组织实施</a>', page)
    page = client.get(f"/materials/{world['material']}?q=党员大会").get_data(as_text=True)
    assert "找到 1 条" in page and "<mark>党员大会</mark>" in page


def test_upload_paste_txt_and_docx(client, session_factory, world):
    auth = login(client, "org_zz")
    data = {"title": "粘贴的条例", "org_unit_id": world["units"]["郑州"], "subject_id": 0, "text": SAMPLE_REGULATION}
    response = auth.post("/materials/", data)
    assert response.status_code == 302
    gbk = {"title": "上传的条例", "org_unit_id": world["units"]["金水"], "subject_id": 0,
           "file": (io.BytesIO(SAMPLE_REGULATION.encode("gb18030")), "条例.txt")}
    assert auth.post("/materials/", gbk, content_type="multipart/form-data").status_code == 302
    from docx import Document

    doc = Document()
    for line in SAMPLE_REGULATION.splitlines():
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    buf.seek(0)
    word = {"title": "Word条例", "org_unit_id": world["units"]["郑州"], "subject_id": 0, "file": (buf, "条例.docx")}
    assert auth.post("/materials/", word, content_type="multipart/form-data").status_code == 302
    with session_factory() as s:
        counts = dict(s.execute(select(Material.title, Material.id)).all())
        assert {"粘贴的条例", "上传的条例", "Word条例"} <= set(counts)
    empty = auth.post("/materials/", {"title": "空的", "org_unit_id": world["units"]["郑州"], "subject_id": 0})
    assert empty.status_code == 422 and "请上传文件或粘贴正文" in empty.get_data(as_text=True)
    outside = auth.post("/materials/", {**data, "title": "洛阳的", "org_unit_id": world["units"]["洛阳"]})
    assert outside.status_code == 422  # not a unit they may choose


def test_revising_through_the_page_reports_and_flags(client, session_factory, world):
    auth = login(client, "org_zz")
    url = f"/materials/{world['material']}/editions"
    text = REVISED.replace("本条例自2024年1月1日起施行。", "本条例自2026年1月1日起施行。")
    response = auth.post(url, {"edition_name": "2026年修订", "text": text})
    assert response.status_code == 302 and "/report" in response.headers["Location"]
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2026年修订" in report and "<del>4</del>" in report and "<ins>6</ins>" in report
    missing = auth.post(url, {"edition_name": "", "text": text})
    assert missing.status_code == 422


def test_keep_and_retire_flagged_questions(client, session_factory, world):
    auth = login(client, "org_zz")
    flagged_page = client.get(f"/materials/{world['material']}/flagged").get_data(as_text=True)
    assert "第三条在2025年修订中已修改" in flagged_page and f"/materials/changes/{world['change']}" in flagged_page
    response = auth.post(f"/materials/questions/{world['flagged']}/keep", {"material": world["material"]},
                         token_from=f"/materials/{world['material']}/flagged")
    assert response.status_code == 302
    with session_factory() as s:
        q = s.get(Question, world["flagged"])
        assert not q.needs_review and q.current_version.source == "《某某工作条例》第三条"
    again = auth.post(f"/materials/questions/{world['kept']}/retire", {"material": world["material"]},
                      token_from=f"/materials/{world['material']}/flagged")
    assert again.status_code == 302
    with session_factory() as s:
        assert s.get(Question, world["kept"]).status == "retired"


def test_the_draft_queue_accept_edit_and_reject(client, session_factory, world):
    auth = login(client, "org_zz")
    drafts_url = f"/materials/{world['material']}/drafts"
    page = client.get(drafts_url).get_data(as_text=True)
    assert "待审核" in page
    with session_factory() as s:
        ids = list(s.scalars(select(ArticleDraft.id).where(ArticleDraft.status == "pending").order_by(ArticleDraft.id)))
        questions_before = s.scalar(select(func.count()).select_from(Question))
    assert len(ids) >= 3
    assert auth.post(f"/materials/drafts/{ids[0]}/accept", {"bank_id": world["bank"]}, token_from=drafts_url).status_code == 302
    assert auth.post(f"/materials/drafts/{ids[1]}/reject", {}, token_from=drafts_url).status_code == 302
    edit_url = f"/materials/drafts/{ids[2]}/edit"
    form = client.get(edit_url).get_data(as_text=True)
    stem = re.search(r'<textarea[^>]*name="stem"[^>]*>\s*(.*?)</textarea>', form, re.S).group(1).strip()
    data = {"bank_id": world["bank"], "stem": stem.replace("根据", "依据"), "explanation": "改过的解析", "difficulty": 2,
            "answer": "", "true_false": "false"}
    with session_factory() as s:
        draft = s.get(ArticleDraft, ids[2])
        if draft.type == "fill_blank":
            data["answer"] = "|".join("/".join(b) for b in draft.answer)
    assert auth.post(edit_url, data).status_code == 302
    with session_factory() as s:
        statuses = [s.get(ArticleDraft, i).status for i in ids[:3]]
        assert statuses == ["accepted", "rejected", "accepted"]
        assert s.get(ArticleDraft, ids[2]).edited
        assert s.scalar(select(func.count()).select_from(Question)) == questions_before + 2
        generated = s.scalar(select(Question).where(Question.id == s.get(ArticleDraft, ids[0]).question_id))
        assert generated.bank_id == world["bank"] and generated.current_version.source_article_id is not None
    # accepting twice changes nothing
    auth.post(f"/materials/drafts/{ids[0]}/accept", {"bank_id": world["bank"]}, token_from=drafts_url)
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Question)) == questions_before + 2


def test_generate_from_chosen_articles(client, session_factory, world):
    auth = login(client, "org_zz")
    with session_factory() as s:
        material = s.get(Material, world["material"])
        ids = list(s.scalars(select(MaterialArticle.id).where(MaterialArticle.edition_id == material.current_edition_id)))
        before = s.scalar(select(func.count()).select_from(ArticleDraft))
    response = auth.post(f"/materials/{world['material']}/drafts/generate", {"articles": ids},
                         token_from=f"/materials/{world['material']}/drafts")
    assert response.status_code == 302
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(ArticleDraft)) > before
        assert s.scalar(select(func.count()).select_from(Question).where(Question.bank_id == world["bank"])) == 2


def test_the_source_picker_json(client, world):
    login(client, "org_zz")
    found = client.get("/materials/articles/search?q=某某工作条例第三条").get_json()["articles"]
    assert found[0]["citation"] == "《某某工作条例》第三条" and found[0]["url"].endswith("#art-3")
    assert set(found[0]) >= {"id", "material_id", "material_title", "edition", "ref", "citation", "text", "anchor", "url"}
    one = client.get(f"/materials/articles/{found[0]['id']}").get_json()
    assert one["current"] is True and "每两个月召开一次支部委员会" in one["text"]
    assert client.get("/materials/articles/search?q=").get_json() == {"articles": []}

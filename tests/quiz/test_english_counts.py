"""English pages say "1 sign-in" and "2 sign-ins", never "sign-in(s)"; a library message names a
question type in the reader's language ("a single-choice question", never "a 单选 question"); the
Chinese text stays what it was."""
from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from urllib.parse import quote

import pytest

from question_bank.drafts import result_from_json, result_to_json
from question_bank.formats import xlsx
from question_bank.grading import normalize_response
from question_bank.messages import BankError
from quiz.i18n import translate
from tests.factories import make_province, make_user
from tests.question_bank.formats.test_xlsx import FOUR, HEADER, read_rows, row, workbook_bytes
from tests.quiz.conftest import Auth
from tests.quiz.materials.test_views import world  # noqa: F401  (the materials fixture)

EN = {"Accept-Language": "en"}


def _english(app, message) -> str:
    with app.test_request_context(headers=EN):
        return translate(message)


def _chinese(app, message) -> str:
    with app.test_request_context():
        return translate(message)


def _main(page: str) -> str:
    return html.unescape(page.split("<main", 1)[1].split("</main>", 1)[0])


# --- library messages: a question type's name, a list -------------------------------------------

def test_an_english_template_row_problem_names_the_type_in_english(app):
    result = read_rows(row("单选", "只有一个选项", FOUR[:1], "A"), row("填空", "党的（ ）", FOUR[:2], "中央委员会"),
                       row("多选", "有关键词", FOUR, "AB") + ["要点"], header=HEADER + ["关键词"])
    messages = [p.message for p in sorted(result.problems, key=lambda p: p.line)]
    english = [_english(app, m) for m in messages]
    assert english == [
        "A single-choice question needs at least two options (选项A and 选项B)",
        "A fill-in-the-blank question doesn't use the option columns; check that the question type is right",
        "Only short-answer questions use the keywords column; this one is a multiple-choice question",
    ]
    # Chinese, on the page and in str() for the CLI, is what it always was
    assert [_chinese(app, m) for m in messages] == [str(m) for m in messages] == [
        "单选题至少需要两个选项（选项A、选项B）", "填空题不使用选项列，请检查题型是否填错", "只有简答题使用关键词列，本题是多选题"]


def test_a_kept_parse_result_still_names_the_type_in_english(app):
    """The preview keeps a parse as JSON between pages: the type's name must come back as a message."""
    result = xlsx.read(workbook_bytes([HEADER, row("多选", "只有一个选项", FOUR[:1], "A")]))
    assert len(result.problems) == 1
    kept = result_from_json(json.loads(json.dumps(result_to_json(result), ensure_ascii=False)))
    assert _english(app, kept.problems[0].message) == "A multiple-choice question needs at least two options (选项A and 选项B)"
    assert str(kept.problems[0]) == str(result.problems[0])


def test_the_list_of_question_types_is_separated_in_the_readers_language(app):
    with pytest.raises(BankError) as caught:
        normalize_response("oral", "A")
    message = caught.value.message
    assert _english(app, message).endswith("expected one of single, multiple, true_false, fill_blank, short_answer")
    assert str(message).endswith("应为 single、multiple、true_false、fill_blank、short_answer 之一")
    assert _chinese(app, message) == str(message)


def test_pending_marking_in_item_analysis_reads_without_a_plural(app):
    from question_bank.messages import Message, N_
    message = Message(N_("有 %(n)d 份作答待人工评分，评完后再统计"), {"n": 1})
    assert _english(app, message) == "Responses awaiting manual marking: 1; statistics follow once they are marked"


# --- pages and flashes ----------------------------------------------------------------------------

@pytest.fixture
def people(session):
    units = make_province(session)
    people = {"admin": make_user(session, "en_admin", units["郑州"], ("admin",)),
              "one": make_user(session, "en_one", units["金水"]), "two": make_user(session, "en_two", units["金水"])}
    session.commit()
    return people


def _signed_in(app, username: str):
    client = app.test_client()
    assert Auth(client).login(username).status_code == 302
    return client


def test_the_english_user_page_counts_sign_ins(app, people):
    _signed_in(app, "en_one")
    admin = _signed_in(app, "en_admin")
    one = people["one"]
    page = _main(admin.get(f"/admin/users/{one.id}", headers=EN).get_data(as_text=True))
    assert f"End the 1 sign-in of {one.name}?" in page and "(s)" not in page
    assert "Mobile: " in page and "Last used " in page  # punctuation inside the message, not a glued ：
    assert not re.search(r"[（）：，；]", page), re.findall(r".{20}[（）：，；].{20}", page)
    _signed_in(app, "en_one")
    page = _main(admin.get(f"/admin/users/{one.id}", headers=EN).get_data(as_text=True))
    assert f"End all 2 sign-ins of {one.name}?" in page
    Auth(admin).post(f"/admin/users/{one.id}/sessions/end", token_from=f"/admin/users/{one.id}", headers=EN)
    page = _main(admin.get(f"/admin/users/{one.id}", headers=EN).get_data(as_text=True))
    assert "Ended 2 sign-ins of en_one; they need to sign in again" in page


def test_the_english_end_everyone_page_counts_people_and_sign_ins(app, people):
    _signed_in(app, "en_one")
    admin = _signed_in(app, "en_admin")
    page = _main(admin.get("/admin/sessions", headers=EN).get_data(as_text=True))
    assert "There is 1 sign-in now, belonging to 1 person;" in page
    _signed_in(app, "en_one"), _signed_in(app, "en_two")
    page = _main(admin.get("/admin/sessions", headers=EN).get_data(as_text=True))
    assert "There are 3 sign-ins now, belonging to 2 people;" in page
    assert "目前有 3 个登录，属于 2 人" in _main(admin.get("/admin/sessions").get_data(as_text=True))
    Auth(admin).post("/admin/sessions/end", token_from="/admin/sessions", headers=EN)
    page = _main(admin.get("/admin/sessions", headers=EN).get_data(as_text=True))
    assert "Ended 3 sign-ins of 2 people; they need to sign in again." in page
    assert not re.search(r"\(s\)|\b1 people\b", page)


def test_the_english_sign_in_page_counts_days(app, client):
    page = client.get("/login", headers=EN).get_data(as_text=True)
    assert "Stay signed in on this device for 14 days," in page
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=1)
    page = client.get("/login", headers=EN).get_data(as_text=True)
    assert "Stay signed in on this device for 1 day," in page
    assert "1 天内在这台设备上免登录" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(("path", "role", "english", "chinese"), [
    ("/admin/roster/template.xlsx", "admin", "roster-import-template.xlsx", "人员名单导入模板.xlsx"),
    ("/bank/template.xlsx", "organizer", "question-bank-import-template.xlsx", "题库导入模板.xlsx"),
])
def test_template_downloads_are_named_in_the_readers_language(app, session, path, role, english, chinese):
    units = make_province(session)
    make_user(session, f"dl_{role}", units["郑州"], (role,))
    session.commit()
    client = _signed_in(app, f"dl_{role}")
    response = client.get(path, headers=EN)
    assert response.status_code == 200 and english in response.headers["Content-Disposition"]
    response = client.get(path)
    assert response.status_code == 200 and quote(chinese) in response.headers["Content-Disposition"]


def test_english_material_flashes_count_chapters_articles_and_questions(client, world):
    from tests.factories import SAMPLE_REGULATION
    from tests.quiz.materials.test_views import REVISED

    auth = Auth(client)
    assert auth.login("org_zz").status_code == 302
    data = {"title": "粘贴的条例", "org_unit_id": world["units"]["郑州"], "subject_id": 0, "text": SAMPLE_REGULATION}
    response = auth.post("/materials/", data, headers=EN, follow_redirects=True)
    page = _main(response.get_data(as_text=True))
    assert 'Loaded "粘贴的条例": 2 chapters, 5 articles' in page
    text = REVISED.replace("本条例自2024年1月1日起施行。", "本条例自2026年1月1日起施行。")
    response = auth.post(f"/materials/{world['material']}/editions", {"edition_name": "2026年修订", "text": text},
                         headers=EN, follow_redirects=True)
    page = _main(response.get_data(as_text=True))
    assert ('Loaded the new edition "2026年修订". Articles changed: 1, added: 0, removed: 0, renumbered: 0; '
            "0 questions to review, source of 1 question updated automatically") in page
    response = auth.post("/materials/", {**data, "title": "中文的条例"}, follow_redirects=True)
    assert "已载入《中文的条例》：2 章，5 条" in _main(response.get_data(as_text=True))

"""The practice pages through the app: a set from start to summary with feedback, scoping (another
cadre's set, review-book entry or mock exam is 404), no key before answering, mock exams by form,
the organizer's practice papers, and the home card."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from question_bank.models import Question
from quiz.contests.attempts import attempt_payload
from quiz.contests.models import Attempt
from quiz.practice import mock_exams, services as svc
from quiz.practice.models import MockPaper, PracticeAnswer, PracticeSet, ReviewEntry
from tests.factories import PASSWORD, make_contest, make_paper, make_question
from tests.quiz.conftest import Auth
from tests.quiz.practice.conftest import T0, answer_one


@pytest.fixture
def frozen(app, clock):
    app.config["QUIZ_CLOCK"] = clock
    return clock


def login(app, user):
    client = app.test_client()
    assert Auth(client).login(user.username, PASSWORD).status_code == 302
    return client, Auth(client)


def test_a_random_set_from_start_to_summary(app, session, world, frozen):
    explained = make_question(session, world.bank, "single", explanation="党章规定的解析文字", source="《中国共产党章程》第十条")
    session.commit()
    client, auth = login(app, world.cadre)
    assert client.get("/practice/").status_code == 200
    response = auth.post("/practice/random", {"count": 1, "bank_id": world.bank.id, "type": "single", "difficulty": "1-5",
                                              "subject_id": "None", "knowledge_point_id": "None"})
    assert response.status_code == 302
    set_url = response.headers["Location"]
    practice_set = session.scalar(select(PracticeSet).where(PracticeSet.user_id == world.cadre.id))
    item = practice_set.items[0]
    question = session.get(Question, item.question_id)
    version = question.current_version
    session.commit()
    page = client.get(set_url).get_data(as_text=True)
    assert version.stem in page and "提交答案" in page
    assert "正确答案" not in page and (version.explanation or "never") not in page  # no key before answering
    frozen.advance(seconds=12)
    response = auth.post(f"/practice/sets/{practice_set.id}/answer", {"position": 1, "answer": "C"}, token_from=set_url)
    assert response.status_code == 302 and "show=1" in response.headers["Location"]
    session.commit()  # end the test's read snapshot: see what the app committed
    feedback = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "回答错误" in feedback and "正确答案" in feedback and "已记入错题本" in feedback
    answer = session.scalar(select(PracticeAnswer).where(PracticeAnswer.user_id == world.cadre.id))
    assert (answer.correct, answer.answer, answer.duration_ms, answer.mode) == (False, "C", 12000, "random")
    if question.id == explained.id:
        assert "党章规定的解析文字" in feedback and "《中国共产党章程》第十条" in feedback
    summary = client.get(f"/practice/sets/{practice_set.id}/summary")
    assert summary.status_code == 200 and "练习小结" in summary.get_data(as_text=True)
    assert client.get(set_url).status_code == 302  # the set is done: to the summary


def test_feedback_shows_the_explanation_and_the_cited_article(app, session, world, frozen):
    question = make_question(session, world.bank, "true_false", answer=True, explanation="解析：见条例。", source="《测试条例》第三条")
    article_text = None
    if svc.materials_available():
        from question_bank.materials.models import Material, MaterialArticle, MaterialEdition

        material = Material(title="测试条例", org_unit_id=world.units["省"].id)
        session.add(material)
        session.flush()
        edition = MaterialEdition(material_id=material.id, number=1, text="……", title="测试条例")
        session.add(edition)
        session.flush()
        article_text = "第三条 干部应当认真学习，这是被引用条款的原文。"
        article = MaterialArticle(edition_id=edition.id, position=2, ref="第三条", number=3, path=["第一章"], text=article_text)
        session.add(article)
        session.flush()
        material.current_edition_id = edition.id
        question.current_version.source_article_id = article.id
    session.commit()
    practice_set = svc._new_set(session, world.cadre, "random", [(question.id, question.current_version_id)], now=T0)
    session.commit()
    client, auth = login(app, world.cadre)
    client.get(f"/practice/sets/{practice_set.id}")
    auth.post(f"/practice/sets/{practice_set.id}/answer", {"position": 1, "answer": "true"}, token_from=f"/practice/sets/{practice_set.id}")
    page = client.get(f"/practice/sets/{practice_set.id}?show=1").get_data(as_text=True)
    assert "回答正确" in page and "解析：见条例。" in page
    if article_text:
        assert article_text in page and "《测试条例》第三条" in page
    else:
        assert "《测试条例》第三条" in page


def test_dont_know_counts_as_wrong_and_a_double_submit_stores_one_answer(app, session, world, frozen):
    practice_set = svc._new_set(session, world.cadre, "random", [(q.id, q.current_version_id) for q in world.questions[:2]], now=T0)
    session.commit()
    client, auth = login(app, world.cadre)
    url = f"/practice/sets/{practice_set.id}"
    client.get(url)
    for _ in range(2):
        auth.post(url + "/answer", {"position": 1, "dont_know": "1"}, token_from=url)
    session.commit()
    answers = session.scalars(select(PracticeAnswer).where(PracticeAnswer.set_id == practice_set.id)).all()
    assert [(a.position, a.correct, a.answer) for a in answers] == [(1, False, None)]
    response = auth.post(url + "/answer", {"position": 2}, token_from=url)  # nothing chosen: asked to answer
    assert response.status_code == 302
    session.commit()
    assert session.scalar(select(PracticeAnswer).where(PracticeAnswer.set_id == practice_set.id, PracticeAnswer.position == 2)) is None


def test_a_cadre_never_sees_another_cadres_practice(app, session, world, frozen):
    practice_set, _result = answer_one(session, world.other, world.questions[0], False, T0)
    entry = session.scalar(select(ReviewEntry).where(ReviewEntry.user_id == world.other.id))
    contest = make_contest(session, make_paper(session, world.bank, questions=world.questions[:2]), now=T0)
    mock = mock_exams.start_mock(session, world.other, now=T0, contest=contest)
    session.commit()
    client, auth = login(app, world.cadre)
    for path in (f"/practice/sets/{practice_set.id}", f"/practice/sets/{practice_set.id}/summary",
                 f"/practice/review-book/{entry.id}", f"/practice/mock/{mock.attempt_id}", f"/practice/mock/{mock.attempt_id}/result"):
        assert client.get(path).status_code == 404, path
    for path in (f"/practice/sets/{practice_set.id}/answer", f"/practice/mock/{mock.attempt_id}/submit"):
        assert auth.post(path, {"position": 1}, token_from="/practice/").status_code == 404, path
    book = client.get("/practice/review-book").get_data(as_text=True)
    assert world.questions[0].current_version.stem not in book  # my book is empty
    owner, _auth = login(app, world.other)
    assert owner.get(f"/practice/review-book/{entry.id}").status_code == 200


def test_the_review_book_hides_a_question_a_contest_now_uses(app, session, world, frozen):
    from tests.factories import make_bank

    secret = make_bank(session, world.units["省"], "保密", confidential=True)
    question = make_question(session, secret, "single")
    answer_one(session, world.cadre, question, False, T0)
    entry = session.scalar(select(ReviewEntry))
    session.commit()
    client, _auth = login(app, world.cadre)
    assert question.current_version.stem in client.get(f"/practice/review-book/{entry.id}").get_data(as_text=True)
    make_contest(session, make_paper(session, secret, questions=[question]), now=T0)
    session.commit()
    for path in ("/practice/review-book", f"/practice/review-book/{entry.id}"):
        page = client.get(path).get_data(as_text=True)
        assert question.current_version.stem not in page and "暂停练习" in page


def test_daily_review_sequential_focus_and_favourites_pages(app, session, world, frozen):
    client, auth = login(app, world.cadre)
    response = auth.post("/practice/daily", token_from="/practice/")
    assert response.status_code == 302 and "/practice/sets/" in response.headers["Location"]
    assert auth.post("/practice/daily", token_from="/practice/").headers["Location"] == response.headers["Location"]
    assert client.get("/practice/sequential").status_code == 200
    response = auth.post("/practice/sequential", {"bank_id": world.bank.id}, token_from="/practice/sequential")
    assert "/practice/sets/" in response.headers["Location"]
    assert client.get("/practice/focus").status_code == 200
    response = auth.post("/practice/review", token_from="/practice/")
    assert response.headers["Location"].endswith("/practice/review-book")  # nothing due: back with a message
    question = world.questions[0]
    response = auth.post("/practice/favourite", {"question_id": question.id, "next": "/practice/favourites"}, token_from="/practice/")
    assert response.headers["Location"].endswith("/practice/favourites")
    assert question.current_version.stem in client.get("/practice/favourites").get_data(as_text=True)
    response = auth.post("/practice/favourite", {"question_id": question.id, "next": "https://evil.example/"}, token_from="/practice/")
    assert response.headers["Location"].endswith("/practice/favourites")  # never an outside redirect
    session.commit()
    assert svc.favourite_ids(session, world.cadre, [question.id]) == set()
    home = client.get("/me").get_data(as_text=True)
    assert "每日一练" in home and "错题本" in home


def test_the_progress_page_offers_one_tap_practice_on_weak_points(app, session, world, frozen):
    weak = [make_question(session, world.bank, "single", knowledge_points=["干部选拔"]) for _ in range(3)]
    for n, question in enumerate(weak):
        answer_one(session, world.cadre, question, n == 0, T0 - timedelta(days=n))
    session.commit()
    client, auth = login(app, world.cadre)
    page = client.get("/practice/progress").get_data(as_text=True)
    assert "干部选拔" in page and "33%" in page
    point = re.search(r'name="knowledge_point_id" value="(\d+)"', page).group(1)
    response = auth.post("/practice/focus", {"knowledge_point_id": point}, token_from="/practice/progress")
    session.commit()
    practice_set = session.scalar(select(PracticeSet).where(PracticeSet.mode == "focus"))
    assert response.status_code == 302 and practice_set.title == "干部选拔"
    assert {i.question_id for i in practice_set.items} == {q.id for q in weak}
    assert practice_set.items[0].question_id in {weak[1].id, weak[2].id}  # those in the review book first


def test_a_mock_exam_by_form(app, session, world, frozen):
    paper = make_paper(session, world.bank, types=("single", "true_false", "multiple", "fill_blank"), points=5)
    contest = make_contest(session, paper, now=T0, time_limit_minutes=15)
    session.commit()
    client, auth = login(app, world.cadre)
    assert contest.title in client.get("/practice/mock").get_data(as_text=True)
    response = auth.post("/practice/mock/start", {"contest_id": contest.id}, token_from="/practice/mock")
    take_url = response.headers["Location"]
    session.commit()
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == world.cadre.id))
    page = client.get(take_url).get_data(as_text=True)
    assert attempt.kind == "mock" and "data-mock-form" in page and "正确答案" not in page
    payload = {}
    for question in attempt_payload(session, attempt, now=T0)["questions"]:
        if question["type"] == "true_false":
            payload[f"q-{question['id']}"] = "true"  # the factory's true/false key is 对
    session.commit()
    frozen.advance(minutes=3)
    response = auth.post(f"/practice/mock/{attempt.id}/submit", payload, token_from=take_url)
    assert response.headers["Location"].endswith(f"/practice/mock/{attempt.id}/result")
    session.commit()
    session.refresh(attempt)
    assert attempt.status == "submitted" and attempt.score == 5.0 and attempt.max_score == 20.0
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "模拟考试成绩" in result and "正确答案" in result
    assert session.query(ReviewEntry).filter_by(user_id=world.cadre.id).count() == 3  # three unanswered
    assert client.get(take_url).status_code == 302  # over: to the result


def test_an_organizer_offers_a_practice_paper(app, session, world, frozen):
    paper = make_paper(session, world.bank, questions=world.questions[:3], org_unit_id=world.units["省"].id)
    session.commit()
    client, auth = login(app, world.organizer)
    assert paper.title in client.get("/practice/papers").get_data(as_text=True)
    response = auth.post("/practice/papers", {"paper_id": paper.id, "title": "三题模拟", "time_limit_minutes": 10,
                                              "org_unit_id": world.units["省"].id})
    assert response.status_code == 302
    session.commit()
    mock_paper = session.scalar(select(MockPaper))
    assert (mock_paper.title, mock_paper.time_limit_minutes, mock_paper.active) == ("三题模拟", 10, True)
    cadre, _auth = login(app, world.cadre)
    assert "三题模拟" in cadre.get("/practice/mock").get_data(as_text=True)
    session.commit()
    auth.post(f"/practice/papers/{mock_paper.id}/toggle", token_from="/practice/papers")
    session.commit()
    session.refresh(mock_paper)
    assert not mock_paper.active
    plain, _a = login(app, world.cadre)
    assert plain.get("/practice/papers").status_code == 403

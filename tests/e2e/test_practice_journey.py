"""A cadre practises on a phone with feedback, then clears the question from the review book (错题本).

The cadre answers a question wrong, sees 回答错误 with the right answer and the explanation, and
finds the question in the review book. Clearing it takes three right answers at *due* reviews
(FSRS, quiz/practice/review.py); the days between reviews pass on the server's clock
(``QUIZ_CLOCK``, the app's clock override), moved just past each due time the schedule set.
Then the question has left the review book and is listed under 已掌握. In Chinese, and in
English switched to through the language buttons at the foot of every page.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from question_bank.db import utcnow
from question_bank.models import QuestionVersion
from quiz.accounts.models import User
from quiz.practice.models import PracticeItem, ReviewEntry
from quiz.seed import DEMO_PASSWORD
from tests.e2e.a11y import assert_accessible
from tests.e2e.browser import PHONE
from tests.e2e.conftest import new_page

pytestmark = pytest.mark.e2e

CADRE = "cadre9"  # the demo cadres from cadre9 on have no practice history: an empty review book

TEXT = {
    "zh": {
        "more": "更多练习", "random": "随机练习", "count": "题数", "type": "题型", "single": "单选", "start": "开始练习",
        "submit": "提交答案", "wrong": "回答错误", "right": "回答正确", "explanation": "解析", "added": "已记入错题本",
        "summary": "查看小结", "book": "错题本（{n}）", "review": "复习到期的错题",
        "streak": "错题本复习答对：已连续答对 {n} / 3 次", "left": "连续 3 次按时复习都答对了，这道题已移出错题本。",
        "empty": "错题本是空的。", "mastered_tab": "已掌握", "mastered_row": "已掌握（",
    },
    "en": {
        "more": "More practice", "random": "Random practice", "count": "Questions", "type": "Question type",
        "single": "Single choice", "start": "Start practice", "submit": "Submit answer", "wrong": "Wrong", "right": "Correct",
        "explanation": "Explanation", "added": "Added to your review book", "summary": "See the summary",
        "book": "Review book ({n})", "review": "Review due mistakes", "streak": "Review answered right: {n} of 3 in a row",
        "left": "Right at 3 due reviews in a row: this question has left your review book.",
        "empty": "Your review book is empty.", "mastered_tab": "Mastered", "mastered_row": "Mastered (left the review book",
    },
}


class Clock:
    """The server's clock, which the test moves forward (the app reads ``QUIZ_CLOCK``)."""

    def __init__(self, app):
        self.offset = timedelta(0)
        app.config["QUIZ_CLOCK"] = lambda: utcnow() + self.offset

    def move_past(self, moment) -> None:
        self.offset = moment - utcnow() + timedelta(minutes=1)


def sign_in(page, base, text, locale):
    page.goto(f"{base}/login")
    page.locator("#username").fill(CADRE)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("button.primary").click()
    page.wait_for_url(f"{base}/me")
    if locale == "en":  # the language buttons at the foot of every page
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("link", name=text["more"])).to_be_visible()


def choose(page, letter):
    page.locator(f"label.p-choice:has(input[value='{letter}'])").click()


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_a_cadre_practises_with_feedback_and_clears_a_review_book_question(browser, live_server, demo, locale):
    text = TEXT[locale]
    sessions = demo.extensions["db_sessionmaker"]
    clock = Clock(demo)
    context, page = new_page(browser, PHONE)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, text, locale)
    with sessions() as s:
        user_id = s.scalar(select(User.id).where(User.username == CADRE))

    # 随机练习: one single-choice question.
    page.get_by_role("link", name=text["more"]).click()
    page.get_by_role("link", name=text["random"]).click()
    page.get_by_label(text["count"]).fill("1")
    page.get_by_label(text["type"]).select_option(label=text["single"])
    assert_accessible(page)
    page.get_by_role("button", name=text["start"]).click()
    page.wait_for_url(re.compile(r".*/practice/sets/\d+$"))
    set_id = int(page.url.rsplit("/", 1)[1])
    with sessions() as s:
        version = s.get(QuestionVersion, s.get(PracticeItem, (set_id, 1)).question_version_id)
        question_id, key, stem, explanation = version.question_id, version.answer, version.stem, version.explanation
        options = len(version.options)
    wrong = next(letter for letter in "ABCDEFGH"[:options] if letter != key)
    expect(page.locator(".q-stem")).to_have_text(stem)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the question scrolls sideways on a phone"
    assert_accessible(page)

    # A wrong answer: the feedback names it wrong, shows the key and the explanation, and the
    # question goes into the review book.
    choose(page, wrong)
    page.get_by_role("button", name=text["submit"]).click()
    feedback = page.locator(".practice-feedback")
    expect(feedback.locator(".verdict-line")).to_have_text(text["wrong"])
    expect(feedback.locator("dt", has_text=text["explanation"])).to_be_visible()
    expect(feedback.locator("dd.pre")).to_have_text(explanation)
    expect(feedback.locator(".book-note")).to_contain_text(text["added"])
    assert_accessible(page)
    page.get_by_role("link", name=text["summary"]).click()
    page.get_by_role("link", name=text["book"].format(n=1)).click()
    book = page.locator(".book-list")
    expect(book.locator("li")).to_have_count(1)
    expect(book).to_contain_text(stem[:20])
    expect(page.get_by_role("button", name=text["review"])).to_have_count(0)  # not due yet: a day or so
    assert_accessible(page)

    # Three due reviews, each answered right; the days between pass on the server's clock.
    for n in (1, 2, 3):
        with sessions() as s:
            entry = s.scalar(select(ReviewEntry).where(ReviewEntry.user_id == user_id, ReviewEntry.question_id == question_id))
            assert entry.status == "active" and entry.right_streak == n - 1
            clock.move_past(entry.due)
        page.reload()
        page.get_by_role("button", name=text["review"]).click()
        expect(page.locator(".q-stem")).to_have_text(stem)
        choose(page, key)
        page.get_by_role("button", name=text["submit"]).click()
        expect(feedback.locator(".verdict-line")).to_have_text(text["right"])
        if n < 3:
            expect(feedback.locator(".book-note")).to_contain_text(text["streak"].format(n=n))
        else:
            expect(feedback.locator(".book-note")).to_have_text(text["left"])
        assert_accessible(page)
        page.get_by_role("link", name=text["summary"]).click()
        page.get_by_role("link", name=re.compile(re.escape(text["book"].format(n=1 if n < 3 else 0)))).click()

    # The question has left the review book and is listed under 已掌握.
    expect(page.locator(".empty")).to_have_text(text["empty"])
    page.locator(".subnav").get_by_role("link", name=text["mastered_tab"]).click()
    expect(page.locator(".book-list li")).to_have_count(1)
    expect(page.locator(".book-list")).to_contain_text(stem[:20])
    expect(page.locator(".book-list")).to_contain_text(text["mastered_row"])
    assert_accessible(page)
    with sessions() as s:
        entry = s.scalar(select(ReviewEntry).where(ReviewEntry.user_id == user_id, ReviewEntry.question_id == question_id))
        assert entry.status == "mastered" and entry.right_streak == 3
    assert not errors, errors
    context.close()

"""A cadre takes a contest on a phone: answers, reloads, goes offline, comes back, runs out of time.

The contest is built in the test on the live database (tests.factories), so the journey does not
depend on the demo data. Time is shortened by moving the attempt's deadline in the database.
"""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from question_bank.db import utcnow
from quiz.contests.models import Attempt, AttemptQuestion, Response
from tests.e2e.a11y import active, assert_accessible, assert_focus_visible, focus_is_visible, tab_to
from tests.e2e.browser import DESKTOP, PHONE
from tests.e2e.conftest import new_page
from tests.factories import PASSWORD, make_bank, make_contest, make_paper, make_question, make_unit, make_user

pytestmark = pytest.mark.e2e


class Journey:
    """The contest on the live database, and a way to read what the server stored."""

    def __init__(self, app, **settings):
        self.sessions = app.extensions["db_sessionmaker"]
        with self.sessions() as s:
            province = make_unit(s, "河南省委组织部")
            county = make_unit(s, "金水区委组织部", province)
            make_user(s, "cadre_j", county, name="王晓明")
            bank = make_bank(s, province)
            types = ["single", "multiple", "true_false", "fill_blank", "short_answer", "single", "true_false", "single"]
            questions = [make_question(s, bank, t) for t in types]
            paper = make_paper(s, bank, questions=questions, points=2.0, shuffle_questions=False)
            self.contest_id = make_contest(s, paper, title="全省组工知识竞赛（演练）", **settings).id
            s.commit()

    def attempt(self) -> Attempt:
        with self.sessions() as s:
            return s.scalar(select(Attempt).where(Attempt.contest_id == self.contest_id))

    def responses(self, attempt_id: int) -> dict[int, object]:
        """{position: stored answer (canonical keys)} of the attempt."""
        with self.sessions() as s:
            return dict(s.execute(
                select(AttemptQuestion.position, Response.answer)
                .join(Response, (Response.attempt_id == AttemptQuestion.attempt_id) & (Response.question_id == AttemptQuestion.question_id))
                .where(AttemptQuestion.attempt_id == attempt_id)
            ).all())

    def set_deadline(self, attempt_id: int, seconds_from_now: float) -> None:
        with self.sessions() as s:
            s.execute(update(Attempt).where(Attempt.id == attempt_id).values(deadline=utcnow() + timedelta(seconds=seconds_from_now)))
            s.commit()


def wait_for(condition, timeout: float = 10.0, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def sign_in(page, base, username="cadre_j", *, account="账号", password="密码", button="登录"):
    page.goto(f"{base}/login")
    page.get_by_label(account).fill(username)
    page.get_by_label(password, exact=True).fill(PASSWORD)
    page.get_by_role("button", name=button).click()


def question(page, position):
    return page.locator(f"#q-{position}")


def status(page):
    return page.locator("#save-label")


def go_to(page, position):
    page.locator("#navigator .nav-item").nth(position - 1).click()
    expect(question(page, position)).to_be_visible()


def test_a_cadre_takes_a_contest_on_a_phone(browser, live_server, live_app):
    journey = Journey(live_app, time_limit_minutes=30)
    context, page = new_page(browser, PHONE)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server)
    # Home lists the contest; the notice states the rules; 开始答题 leads to the attempt.
    expect(page.get_by_text("全省组工知识竞赛（演练）")).to_be_visible()
    page.get_by_role("link", name="查看须知并开始").click()
    expect(page.get_by_text("切屏会被记录", exact=False)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="开始答题").click()
    page.wait_for_url("**/attempts/*")
    attempt_url = page.url
    expect(question(page, 1)).to_be_visible()
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^(29|30):\d\d$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the attempt page scrolls sideways on a phone"
    assert_accessible(page)
    attempt_id = journey.attempt().id

    # One question per screen: answer 1-3 (single, multiple, true/false) and see 已保存.
    question(page, 1).locator("label.choice").nth(1).click()
    page.get_by_role("button", name="下一题").click()
    question(page, 2).locator("label.choice").nth(0).click()
    question(page, 2).locator("label.choice").nth(2).click()
    page.get_by_role("button", name="下一题").click()
    question(page, 3).get_by_label("正确").check()
    wait_for(lambda: len(journey.responses(attempt_id)) == 3, what="three saved answers")
    expect(status(page)).to_have_text("已保存")
    assert not question(page, 1).is_visible()  # one per screen on a phone

    # Reload: every answer is back.
    page.reload()
    expect(question(page, 1)).to_be_attached()
    go_to(page, 1)
    expect(question(page, 1).locator("input:checked")).to_have_count(1)
    go_to(page, 2)
    expect(question(page, 2).locator("input:checked")).to_have_count(2)
    go_to(page, 3)
    expect(question(page, 3).get_by_label("正确")).to_be_checked()
    assert "answered" in page.locator("#navigator .nav-item").nth(0).get_attribute("class")

    # Offline: three more answers stay on the phone, and the page says 未连接.
    context.set_offline(True)
    go_to(page, 4)
    blanks = question(page, 4).locator("input.q-blank")
    blanks.nth(0).fill("民主集中制")
    blanks.nth(1).fill("党管干部")
    go_to(page, 5)
    question(page, 5).get_by_label("您的回答").fill("坚持党管干部原则，建设高素质干部队伍。")
    go_to(page, 6)
    question(page, 6).locator("label.choice").nth(3).click()
    expect(status(page)).to_have_text("未连接")
    expect(page.locator("#save-detail")).to_contain_text("3 个答案暂存在本机")
    assert len(journey.responses(attempt_id)) == 3
    page.close()

    # Back online in a new page: the three answers reach the server, in order, and show as given.
    context.set_offline(False)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(attempt_url)
    stored = wait_for(lambda: (lambda r: r if len(r) == 6 else None)(journey.responses(attempt_id)), what="the offline answers on the server")
    assert stored[4] == ["民主集中制", "党管干部"]
    assert stored[5] == "坚持党管干部原则，建设高素质干部队伍。"
    assert stored[6] is not None
    expect(status(page)).to_have_text("已保存")
    go_to(page, 4)
    expect(question(page, 4).locator("input.q-blank").nth(0)).to_have_value("民主集中制")

    # Keyboard only: the navigator, then Tab into the options and Space to choose.
    page.locator("#navigator .nav-item").nth(6).focus()
    page.keyboard.press("Enter")
    expect(question(page, 7)).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "q-7-title"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "radio"
    assert focus_is_visible(page)
    page.keyboard.press("Space")
    expect(question(page, 7).locator("input:checked")).to_have_count(1)
    wait_for(lambda: len(journey.responses(attempt_id)) == 7, what="the keyboard answer saved")

    # A short time limit runs out: the page submits at zero and says so.
    journey.set_deadline(attempt_id, 4)
    page.reload()
    expect(page.locator("#finished")).to_be_visible(timeout=15000)
    expect(page.locator("#finished-text")).to_have_text("答题时间已到，答卷已自动提交。")
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('quiz.attempt.'))") == []  # nothing left behind
    attempt = wait_for(lambda: (lambda a: a if a.status != "in_progress" else None)(journey.attempt()), what="the attempt finalised")
    assert attempt.status == "submitted" and attempt.score is not None
    assert len(journey.responses(attempt_id)) == 7
    page.get_by_role("link", name="查看成绩").click()
    expect(page.get_by_text("已交卷")).to_be_visible()
    assert_accessible(page)
    assert not errors, errors
    context.close()


def test_the_same_contest_in_english_submitted_by_hand(browser, live_server, live_app):
    journey = Journey(live_app, time_limit_minutes=10)
    context, page = new_page(browser, PHONE, locale="en-US")
    sign_in(page, live_server, account="Account", password="Password", button="Sign in")
    page.goto(f"{live_server}/contests/{journey.contest_id}")
    expect(page.get_by_text("Leaving the page is recorded", exact=False)).to_be_visible()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/attempts/*")
    expect(question(page, 1)).to_be_visible()
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^(09|10):\d\d$"))
    question(page, 1).locator("label.choice").nth(0).click()
    wait_for(lambda: len(journey.responses(journey.attempt().id)) == 1, what="the answer saved")
    expect(status(page)).to_have_text("Saved")
    assert_accessible(page)
    page.get_by_role("button", name="Submit", exact=True).click()
    dialog = page.locator("#submit-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("7 questions not answered yet")
    dialog.get_by_role("button", name="Submit your paper").click()
    page.wait_for_url("**/result")
    expect(page.get_by_role("heading", name="My result")).to_be_visible()
    assert journey.attempt().status == "submitted"
    assert_accessible(page)
    context.close()


def test_all_questions_on_one_page_on_a_wide_screen_when_the_contest_allows(browser, live_server, live_app):
    journey = Journey(live_app, one_page=True)
    context, page = new_page(browser, DESKTOP)
    sign_in(page, live_server)
    page.goto(f"{live_server}/contests/{journey.contest_id}")
    page.get_by_role("button", name="开始答题").click()
    page.wait_for_url("**/attempts/*")
    expect(question(page, 8)).to_be_visible()
    expect(question(page, 1)).to_be_visible()
    expect(page.locator("#step-buttons")).to_be_hidden()
    assert_accessible(page)
    context.close()


QUEUE_SCENARIO = """
async () => {
  localStorage.clear();
  const sent = [], acked = [], rejected = [], stopped = [];
  let failures = 2;
  const serverSeq = Date.now() + 10000000;  // answers saved earlier on a device whose clock runs ahead
  const queue = new AttemptQueue({
    attemptId: "t1",
    send: async (qid, body) => {
      sent.push([qid, body.answer, body.seq]);
      if (failures > 0) { failures -= 1; throw new TypeError("Failed to fetch"); }
      if (qid === "3") return {status: 422, body: {error: {code: "invalid", message: "bad"}}};
      return {status: 200, body: {saved_at: "x", remaining_seconds: 99, stored: true}};
    },
    onAck: (qid, entry) => acked.push([qid, entry.seq]),
    onRejected: (qid, entry, message) => rejected.push([qid, message]),
    onStopped: (code) => stopped.push(code),
  });
  queue.noteServerSeq(serverSeq);
  queue.put(1, "A");
  queue.put(2, ["B"]);
  queue.put(3, "Z");
  queue.put(1, "C");  // replaces the unsent "A"
  const stored = JSON.parse(localStorage.getItem("quiz.attempt.t1.answers"));
  const offline = queue.connection;
  await new Promise((r) => setTimeout(r, 50));
  const afterFailure = queue.connection;
  const flushed = await queue.flush(performance.now() + 10000);
  const left = queue.size();
  // A second queue object (a reload) sees the same storage: nothing left, seq still above the server's.
  const again = new AttemptQueue({attemptId: "t1", send: async () => ({status: 200, body: {}})});
  again.put(9, true);
  return {sent, acked, rejected, stopped, stored, serverSeq, offline, afterFailure, flushed,
          left, nextSeq: again.pendingFor(9).seq, lastSeq: stored.seq, connection: queue.connection};
}
"""


def test_the_answer_queue_keeps_the_latest_answer_sends_in_order_and_retries(browser, live_server):
    context, page = new_page(browser, PHONE)
    page.goto(f"{live_server}/login")
    page.add_script_tag(url=f"{live_server}/static/js/attempt-queue.js")
    r = page.evaluate(QUEUE_SCENARIO)
    # Stored before anything is sent: the latest answer per question, seqs above the server's.
    assert r["stored"]["pending"]["1"]["answer"] == "C" and set(r["stored"]["pending"]) == {"1", "2", "3"}
    seqs = [r["stored"]["pending"][k]["seq"] for k in ("2", "3", "1")]
    assert seqs == sorted(seqs) and seqs[0] > r["serverSeq"]
    # Two network failures, then everything in seq order: 2, 3 (refused for good, dropped), 1.
    assert r["afterFailure"] == "offline" and r["flushed"] and r["left"] == 0 and r["connection"] == "online"
    assert [s[0] for s in r["sent"]] == ["2", "2", "2", "3", "1"]
    assert all(s[1] != "A" for s in r["sent"])
    assert [a[0] for a in r["acked"]] == ["2", "1"] and r["rejected"] == [["3", "bad"]] and r["stopped"] == []
    assert r["nextSeq"] > r["lastSeq"]  # a reload continues the counter
    context.close()


def test_a_newer_answer_from_another_device_is_never_overwritten_by_an_older_unsent_one(browser, live_server, live_app):
    journey = Journey(live_app)
    phone_context, phone = new_page(browser, PHONE)
    sign_in(phone, live_server)
    phone.goto(f"{live_server}/contests/{journey.contest_id}")
    phone.get_by_role("button", name="开始答题").click()
    phone.wait_for_url("**/attempts/*")
    attempt_url = phone.url
    expect(question(phone, 1)).to_be_visible()
    # The phone answers question 1 while offline: the answer waits in its storage.
    phone_context.set_offline(True)
    question(phone, 1).locator("label.choice").nth(0).click()
    expect(status(phone)).to_have_text("未连接")
    first_choice = question(phone, 1).locator("input").nth(0).get_attribute("value")
    # Later, on a desktop, the cadre answers question 1 differently; it is saved at once.
    desk_context, desk = new_page(browser, DESKTOP)
    sign_in(desk, live_server)
    desk.goto(attempt_url)
    question(desk, 1).locator("label.choice").nth(2).click()
    third_choice = question(desk, 1).locator("input").nth(2).get_attribute("value")
    attempt_id = journey.attempt().id
    wait_for(lambda: journey.responses(attempt_id).get(1) is not None, what="the desktop's answer")
    saved = journey.responses(attempt_id)[1]
    # The phone comes back: its older answer is acknowledged but does not replace the desktop's,
    # and the phone then shows the desktop's answer.
    phone_context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status(phone)).to_have_text("已保存")
    expect(question(phone, 1).locator(f"input[value='{third_choice}']")).to_be_checked()
    assert journey.responses(attempt_id)[1] == saved
    assert first_choice != third_choice
    phone_context.close()
    desk_context.close()


def test_the_attempt_page_works_with_the_keyboard_alone(browser, live_server, live_app):
    """Answer, move between questions and submit with Tab, Shift+Tab, Space, Enter and the arrow
    keys only; focus is visible at every stop (``tab_to`` checks each one)."""
    journey = Journey(live_app, time_limit_minutes=30)
    context, page = new_page(browser, PHONE)
    sign_in(page, live_server)
    page.goto(f"{live_server}/contests/{journey.contest_id}")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === '开始答题'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/attempts/*")
    expect(question(page, 1)).to_be_visible()
    attempt_id = journey.attempt().id

    # 1 (single): Tab reaches the options, the arrow key chooses the next one.
    tab_to(page, "el.type === 'radio'")
    first = active(page, "el.value")
    page.keyboard.press("ArrowDown")
    second = active(page, "el.value")
    assert second != first
    expect(question(page, 1).locator("input:checked")).to_have_count(1)
    assert question(page, 1).locator("input:checked").get_attribute("value") == second
    # 下一题 by Enter: question 2 shows and its title has focus.
    tab_to(page, "el.id === 'next'")
    page.keyboard.press("Enter")
    expect(question(page, 2)).to_be_visible()
    assert active(page, "el.id") == "q-2-title"
    # 2 (multiple): Space ticks the first and the third box.
    tab_to(page, "el.type === 'checkbox'")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert_focus_visible(page)
    page.keyboard.press("Space")
    expect(question(page, 2).locator("input:checked")).to_have_count(2)
    ticked = sorted(question(page, 2).locator("input:checked").evaluate_all("els => els.map((e) => e.value)"))
    # 3 (true/false): Space chooses 正确, the arrow key moves the choice to 错误.
    tab_to(page, "el.id === 'next'")
    page.keyboard.press("Enter")
    expect(question(page, 3)).to_be_visible()
    tab_to(page, "el.type === 'radio'")
    page.keyboard.press("Space")
    expect(question(page, 3).get_by_label("正确")).to_be_checked()
    page.keyboard.press("ArrowDown")
    expect(question(page, 3).get_by_label("错误")).to_be_checked()
    # 4 (fill in): type into the blanks, Tab between them.
    tab_to(page, "el.id === 'next'")
    page.keyboard.press("Enter")
    expect(question(page, 4)).to_be_visible()
    tab_to(page, "el.classList.contains('q-blank')")
    page.keyboard.type("民主集中制")
    page.keyboard.press("Tab")
    page.keyboard.type("党管干部")
    # Back with 上一题 (Tab on to 下一题, Shift+Tab back one): question 3 still holds 错误.
    tab_to(page, "el.id === 'next'")
    tab_to(page, "el.id === 'prev'", backwards=True, limit=1)
    page.keyboard.press("Enter")
    expect(question(page, 3)).to_be_visible()
    expect(question(page, 3).get_by_label("错误")).to_be_checked()
    # The navigator: straight to question 8.
    tab_to(page, "el.classList.contains('nav-item') && el.textContent.trim() === '8'")
    page.keyboard.press("Enter")
    expect(question(page, 8)).to_be_visible()
    assert active(page, "el.id") == "q-8-title"
    stored = wait_for(lambda: (lambda r: r if len(r) == 4 and r.get(4) == ["民主集中制", "党管干部"] else None)(journey.responses(attempt_id)),
                      what="the four keyboard answers on the server")
    # (options may be shuffled per attempt: the server stores canonical keys, so compare shapes)
    assert isinstance(stored[1], str) and len(stored[2]) == len(ticked) == 2 and stored[3] is False

    # 交卷: the dialog opens with focus on 返回检查; Tab to 确认交卷 and Enter.
    tab_to(page, "el.id === 'submit'")
    page.keyboard.press("Enter")
    expect(page.locator("#submit-dialog")).to_be_visible()
    assert active(page, "el.id") == "submit-cancel"
    assert_focus_visible(page)
    assert_accessible(page)
    page.keyboard.press("Tab")
    assert active(page, "el.id") == "submit-confirm"
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/result")
    assert journey.attempt().status == "submitted"
    context.close()

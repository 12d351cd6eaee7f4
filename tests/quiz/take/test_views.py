"""The cadre's contest pages: the list, the notice, start, the attempt shell, result, review, leaderboard."""
from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from quiz.contests.attempts import save_response, start_attempt, submit_attempt
from quiz.contests.leaderboard import contest_leaderboard
from quiz.contests.models import Attempt, AttemptQuestion, Contest
from quiz.contests.services import release_results
from tests.factories import make_contest, make_paper, make_question
from tests.quiz.conftest import csrf_token
from tests.quiz.contests.conftest import T0

SECRET_EXPLANATION = "解析：绝密解析文本QX42"
FILL_KEYS = ["秘钥填空甲", "秘钥填空乙", "秘钥填空丙"]
SHORT_KEYS = ["秘钥参考答案全文", "秘钥要点一", "秘钥要点二"]


def _text(response) -> str:
    return response.get_data(as_text=True)


def _start(client, contest_id):
    return client.post(f"/contests/{contest_id}/start", data={"csrf_token": csrf_token(client, f"/contests/{contest_id}")})


def _secret_paper(session, world):
    questions = [
        make_question(session, world.bank, "single", explanation=SECRET_EXPLANATION),
        make_question(session, world.bank, "multiple", explanation=SECRET_EXPLANATION + "多"),
        make_question(session, world.bank, "true_false", explanation=SECRET_EXPLANATION + "判", source="《中国共产党章程》第三十条"),
        make_question(session, world.bank, "fill_blank", answer=[[FILL_KEYS[0]], [FILL_KEYS[1], FILL_KEYS[2]]]),
        make_question(session, world.bank, "short_answer", answer={"reference": SHORT_KEYS[0], "keywords": [[SHORT_KEYS[1]], [SHORT_KEYS[2]]]}),
    ]
    return make_paper(session, world.bank, questions=questions, points=2.0)


@pytest.fixture
def contest(session, world):
    c = make_contest(session, _secret_paper(session, world), now=T0, title="全省组工知识竞赛", pass_score=6,
                     eligible_unit_ids=[world.units["郑州"].id], review_after_close=True)
    session.commit()
    return c


def _finish(session, world, contest, user=None, *, answers=None, at=None):
    """Start, answer (display key 'A' for choices, or ``answers`` by type) and submit through the services."""
    user = user or world.zz[0]
    attempt, _created = start_attempt(session, user, contest, now=at or T0)
    rows = session.execute(select(AttemptQuestion.question_id, AttemptQuestion.position).where(AttemptQuestion.attempt_id == attempt.id)).all()
    for question_id, _position in rows:
        version_type = _type_of(session, attempt.id, question_id)
        answer = (answers or {}).get(version_type, {"single": "A", "multiple": ["A"], "true_false": True,
                                                    "fill_blank": ["x", "y"], "short_answer": "答"}[version_type])
        save_response(session, user, attempt, question_id, answer, now=(at or T0) + timedelta(minutes=1))
    submit_attempt(session, user, attempt, now=(at or T0) + timedelta(minutes=2))
    session.commit()
    return attempt


def _type_of(session, attempt_id, question_id):
    from question_bank.models import QuestionVersion

    return session.scalar(select(QuestionVersion.type).join(AttemptQuestion, AttemptQuestion.question_version_id == QuestionVersion.id)
                          .where(AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.question_id == question_id))


# --- the list -----------------------------------------------------------------------------------

def test_the_list_shows_empty_states_when_nothing_is_open(sign_in, world):
    page = _text(sign_in("zz0").get("/contests/"))
    for empty in ("目前没有可以参加的竞赛。", "暂无即将开始的竞赛。", "还没有已结束的竞赛。"):
        assert empty in page
    home = _text(sign_in("zz1").get("/me"))
    assert "目前没有向您开放的竞赛" in home


def test_the_list_splits_open_upcoming_and_done(session, sign_in, world, clock):
    paper = make_paper(session, world.bank, questions=world.questions)
    running = make_contest(session, paper, now=T0, title="正在进行的竞赛甲", attempts_allowed=2)
    upcoming = make_contest(session, paper, now=T0, title="明天的竞赛乙", opens_at=T0 + timedelta(days=1), closes_at=T0 + timedelta(days=2))
    closed = make_contest(session, paper, now=T0 - timedelta(days=3), title="上周的竞赛丙", opens_at=T0 - timedelta(days=3),
                          closes_at=T0 - timedelta(days=2))
    hidden_result = make_contest(session, paper, now=T0, title="成绩待公布的竞赛丁", release="after_close")
    session.commit()
    _finish(session, world, closed, at=T0 - timedelta(days=3) + timedelta(minutes=5))
    _finish(session, world, hidden_result)
    _finish(session, world, running)
    page = _text(sign_in("zz0").get("/contests/"))
    open_part, rest = page.split("即将开始", 1)
    upcoming_part, done_part = rest.split("已结束", 1)
    assert "正在进行的竞赛甲" in open_part and "1 / 2 次" in open_part  # one attempt left, last score shown
    assert re.search(r"已得成绩</dt><dd>\d", open_part)
    assert "明天的竞赛乙" in upcoming_part and "2026-06-02 10:00" in upcoming_part  # opens at, in Shanghai time
    assert "上周的竞赛丙" in done_part and "成绩待公布的竞赛丁" in done_part
    assert "已交卷，成绩待公布" in done_part  # after_close: no score while it runs
    hidden_row = done_part.split("成绩待公布的竞赛丁")[1].split("</tr>")[0]
    assert not re.search(r"\d+ / 10", hidden_row)
    assert upcoming.title not in open_part


def test_my_home_lists_the_contests_open_now(session, sign_in, world):
    paper = make_paper(session, world.bank, questions=world.questions)
    make_contest(session, paper, now=T0, title="首页上的竞赛", eligible_unit_ids=[world.units["郑州"].id])
    session.commit()
    assert "首页上的竞赛" in _text(sign_in("zz0").get("/me"))
    assert "首页上的竞赛" not in _text(sign_in("ly0").get("/me"))  # 洛阳 is not eligible


# --- the notice and start -------------------------------------------------------------------------

def test_the_notice_states_the_rules_and_the_size(sign_in, world, contest):
    page = _text(sign_in("zz0").get(f"/contests/{contest.id}"))
    assert "全省组工知识竞赛" in page and "30 分钟" in page
    assert "5 题，满分 10 分" in page and "只能作答 1 次" in page
    assert "切屏会被记录" in page and "粘贴" in page
    assert "开始答题" in page and 'name="csrf_token"' in page


def test_the_notice_escapes_the_organizers_text(session, sign_in, world):
    c = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0,
                     notice="请按时参加<script>alert(1)</script>\n第二行")
    session.commit()
    page = _text(sign_in("zz0").get(f"/contests/{c.id}"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_an_upcoming_contest_says_when_it_opens_and_cannot_be_started(session, sign_in, world):
    c = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0,
                     opens_at=T0 + timedelta(hours=2), closes_at=T0 + timedelta(hours=5))
    session.commit()
    client = sign_in("zz0")
    page = _text(client.get(f"/contests/{c.id}"))
    assert "竞赛尚未开始，将于 2026-06-01 12:00 开放" in page and "take.start" not in page and "/start\"" not in page
    refused = _start(client, c.id)
    assert refused.status_code == 302 and refused.location.endswith(f"/contests/{c.id}")
    assert "竞赛尚未开始" in _text(client.get(f"/contests/{c.id}"))
    session.expire_all()
    assert session.scalar(select(Attempt.id)) is None


def test_start_redirects_to_the_attempt_and_a_second_press_continues_it(session, sign_in, world, contest):
    client = sign_in("zz0")
    first = _start(client, contest.id)
    assert first.status_code == 302
    attempt_id = int(first.location.rstrip("/").split("/")[-1])
    assert first.location.endswith(f"/attempts/{attempt_id}")
    assert "继续答题" in _text(client.get(f"/contests/{contest.id}"))
    again = _start(client, contest.id)
    assert again.location == first.location
    assert session.scalar(select(Attempt.id).where(Attempt.contest_id == contest.id)) == attempt_id


def test_attempts_used_up_is_said_plainly(session, sign_in, world, contest):
    _finish(session, world, contest)
    client = sign_in("zz0")
    page = _text(client.get(f"/contests/{contest.id}"))
    assert "您的作答次数已用完" in page and "/start\"" not in page
    refused = _start(client, contest.id)
    assert refused.status_code == 302
    assert "次数已用完" in _text(client.get(f"/contests/{contest.id}"))


def test_the_start_form_needs_the_csrf_token(sign_in, world, contest):
    response = sign_in("zz0").post(f"/contests/{contest.id}/start")
    assert response.status_code == 400


# --- the attempt page -------------------------------------------------------------------------------

def test_the_attempt_page_is_a_shell_with_no_key_explanation_or_question_text(session, sign_in, world, contest):
    """Invariant: no answer key, explanation or correctness flag reaches a browser during an attempt.

    The page carries the attempt's id and settings for attempt.js, never a question: the texts of
    every key, explanation, fill-in answer, model answer and keyword are absent, and so are the stems."""
    client = sign_in("zz0")
    location = _start(client, contest.id).location
    page = _text(client.get(location))
    assert 'id="attempt"' in page and 'name="csrf-token"' in page and "js/attempt.js" in page and "js/attempt-queue.js" in page
    for secret in [SECRET_EXPLANATION, *FILL_KEYS, *SHORT_KEYS, "《中国共产党章程》第三十条"]:
        assert secret not in page
    stems = [v.stem for v in _versions(session, contest)]
    assert stems and not any(stem in html.unescape(page) for stem in stems)
    assert "<script>" not in page.split("</head>")[1]  # no inline script (CSP)
    assert 'style="' not in page


def _versions(session, contest):
    from question_bank.models import QuestionVersion

    return list(session.scalars(select(QuestionVersion).join(AttemptQuestion, AttemptQuestion.question_version_id == QuestionVersion.id)))


def test_the_attempt_page_hands_the_settings_to_the_script(session, sign_in, world):
    c = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, one_page=True,
                     count_pastes=False, auto_submit_after_switches=3)
    session.commit()
    client = sign_in("zz0")
    page = _text(client.get(_start(client, c.id).location))
    assert 'data-one-page="true"' in page and 'data-count-pastes="false"' in page and 'data-count-tab-switches="true"' in page
    assert 'data-auto-submit-after="3"' in page and 'data-grace-seconds="5' in page
    messages = re.search(r"data-messages='([^']*)'", page).group(1)
    assert "已保存" in html.unescape(messages) or "\\u5df2\\u4fdd\\u5b58" in messages


def test_the_attempt_page_is_in_english_for_an_english_reader(session, sign_in, world, contest):
    client = sign_in("zz0")
    location = _start(client, contest.id).location
    page = _text(client.get(location, headers={"Accept-Language": "en"}))
    assert "Time left" in page and "Submit" in page


def test_a_finished_attempt_page_goes_to_the_result(session, sign_in, world, contest, clock):
    client = sign_in("zz0")
    location = _start(client, contest.id).location
    clock.advance(minutes=31)  # past the 30-minute limit and the grace: finalised on access
    response = client.get(location)
    assert response.status_code == 302 and response.location.endswith(location + "/result")
    session.expire_all()
    attempt = session.scalar(select(Attempt))
    assert attempt.status == "expired" and attempt.finalised_by == "access"
    assert "时间到，已自动交卷" in _text(client.get(response.location))


def test_an_attempt_in_progress_has_no_result_page_yet(sign_in, world, contest):
    client = sign_in("zz0")
    location = _start(client, contest.id).location
    response = client.get(location + "/result")
    assert response.status_code == 302 and response.location.endswith(location)


# --- scoping ------------------------------------------------------------------------------------------

def test_someone_elses_attempt_and_an_ineligible_contest_are_404(session, sign_in, world, contest):
    """Invariant: a user sees and touches only what their roles and unit subtree allow."""
    owner = sign_in("zz0")
    location = _start(owner, contest.id).location
    other = sign_in("zz1")
    assert other.get(location).status_code == 404
    assert other.get(location + "/result").status_code == 404
    outsider = sign_in("ly0")  # 洛阳: not in the contest's units
    assert outsider.get(f"/contests/{contest.id}").status_code == 404
    assert outsider.post(f"/contests/{contest.id}/start", data={"csrf_token": csrf_token(outsider, "/contests/")}).status_code == 404
    assert outsider.get(f"/contests/{contest.id}/leaderboard").status_code == 404
    assert "全省组工知识竞赛" not in _text(outsider.get("/contests/"))


def test_a_draft_contest_is_404(session, sign_in, world):
    draft = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, publish=False)
    session.commit()
    assert sign_in("zz0").get(f"/contests/{draft.id}").status_code == 404


def test_pages_need_a_signed_in_user(take_app, world, contest):
    client = take_app.test_client()
    for path in ("/contests/", f"/contests/{contest.id}", "/attempts/1", "/attempts/1/result", f"/contests/{contest.id}/leaderboard"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location


# --- result and review ------------------------------------------------------------------------------------

def test_the_result_shows_the_score_at_once_when_released_immediately(session, sign_in, world, contest):
    attempt = _finish(session, world, contest)
    page = _text(sign_in("zz0").get(f"/attempts/{attempt.id}/result"))
    assert "已交卷" in page and f"{attempt.score:g}" in page and "得分（满分 10）" in page
    assert ("未及格" if not attempt.passed else "及格") in page


@pytest.mark.parametrize("release", ["after_close", "manual"])
def test_the_result_waits_for_the_release_setting(session, sign_in, world, clock, release):
    c = make_contest(session, _secret_paper(session, world), now=T0, release=release, closes_at=T0 + timedelta(hours=1),
                     pass_score=1)
    session.commit()
    attempt = _finish(session, world, c)
    client = sign_in("zz0")
    page = _text(client.get(f"/attempts/{attempt.id}/result"))
    assert "得分（满分" not in page and "及格" not in page
    assert ("竞赛结束后公布" if release == "after_close" else "由组织者统一公布") in page
    if release == "after_close":
        clock.now = T0 + timedelta(hours=2)
    else:
        release_results(session, None, session.get(Contest, c.id))
        session.commit()
    page = _text(client.get(f"/attempts/{attempt.id}/result"))
    assert "得分（满分 10）" in page and "及格" in page


def test_review_shows_answers_keys_and_explanations_only_after_close(session, sign_in, world, contest, clock):
    attempt = _finish(session, world, contest)
    client = sign_in("zz0")
    during = _text(client.get(f"/attempts/{attempt.id}/result"))
    for secret in [SECRET_EXPLANATION, *FILL_KEYS, *SHORT_KEYS]:
        assert secret not in during
    assert "竞赛结束后，可在此查看每道题的答案与解析" in during
    clock.now = contest.closes_at + timedelta(minutes=1)
    after = _text(client.get(f"/attempts/{attempt.id}/result"))
    for secret in [SECRET_EXPLANATION, *FILL_KEYS, *SHORT_KEYS, "《中国共产党章程》第三十条"]:
        assert secret in after, secret
    assert "答题情况" in after and "正确答案" in after and "您的选择" in after
    # My single-choice answer was display key A: marked as my choice in the order I saw.
    single = after.split("第 1 题")[1] if "单选" in after.split("第 1 题")[1].split("</h3>")[0] else None
    if single:
        assert "您的选择" in single.split("</ol>")[0]


def test_no_review_when_the_contest_does_not_allow_it(session, sign_in, world, clock):
    c = make_contest(session, _secret_paper(session, world), now=T0, review_after_close=False, closes_at=T0 + timedelta(hours=1))
    session.commit()
    attempt = _finish(session, world, c)
    clock.now = T0 + timedelta(hours=2)
    page = _text(sign_in("zz0").get(f"/attempts/{attempt.id}/result"))
    assert "得分（满分 10）" in page
    for secret in [SECRET_EXPLANATION, *FILL_KEYS, *SHORT_KEYS]:
        assert secret not in page
    assert "答题情况" not in page


def test_review_shows_the_answers_in_the_order_the_cadre_saw(session, sign_in, world, clock):
    """The options are shuffled per attempt: the review shows my display letters, and the key in them."""
    question = make_question(session, world.bank, "single", options=["甲选项", "乙选项", "丙选项", "丁选项"], answer="C")
    paper = make_paper(session, world.bank, questions=[question], shuffle_options=True)
    c = make_contest(session, paper, now=T0, review_after_close=True, closes_at=T0 + timedelta(hours=1))
    session.commit()
    user = world.zz[0]
    attempt, _ = start_attempt(session, user, c, now=T0)
    order = session.scalar(select(AttemptQuestion.option_order).where(AttemptQuestion.attempt_id == attempt.id))
    shown_key = "ABCD"[order.index(2)]  # where 丙 (canonical C) is shown
    save_response(session, user, attempt, question.id, shown_key, now=T0)
    submit_attempt(session, user, attempt, now=T0 + timedelta(minutes=1))
    session.commit()
    clock.now = T0 + timedelta(hours=2)
    page = _text(sign_in("zz0").get(f"/attempts/{attempt.id}/result"))
    item = re.search(r'<li class="is-key is-chosen"><span class="q-key">(\w)\.</span> (\S+)', page)
    assert item and item.group(1) == shown_key and item.group(2) == "丙选项"
    assert "✓ 答对" in page


def test_the_result_shows_my_rank_when_the_leaderboard_is_visible(session, sign_in, world, clock):
    c = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, leaderboard="live")
    session.commit()
    _finish(session, world, c, world.zz[1], answers={"single": "A", "multiple": ["A", "B", "C"], "true_false": True})
    mine = _finish(session, world, c, world.zz[0], answers={"single": "B", "multiple": ["D"], "true_false": False})
    page = _text(sign_in("zz0").get(f"/attempts/{mine.id}/result"))
    expected = next(r["rank"] for r in contest_leaderboard(session, c) if r["user_id"] == world.zz[0].id)
    assert re.search(rf'<span class="stat-value">{expected}</span><span class="stat-label">名次（共 2 人）', page)


# --- leaderboard ---------------------------------------------------------------------------------------------

def test_the_leaderboard_follows_the_contest_setting(session, sign_in, world, clock):
    paper = make_paper(session, world.bank, questions=world.questions)
    c = make_contest(session, paper, now=T0, leaderboard="after_close", closes_at=T0 + timedelta(hours=1))
    session.commit()
    _finish(session, world, c, world.zz[0])
    client = sign_in("zz1")
    assert client.get(f"/contests/{c.id}/leaderboard").status_code == 404
    assert "排行榜" not in _text(client.get(f"/contests/{c.id}")).split("</nav>")[1].split("<h1>")[0]
    clock.now = T0 + timedelta(hours=2)
    page = _text(client.get(f"/contests/{c.id}/leaderboard"))
    assert world.zz[0].name in page and "金水区委组织部" in page and "单位排名" in page
    mine = _text(sign_in("zz0").get(f"/contests/{c.id}/leaderboard"))
    assert "您的名次：第 1 名（共 1 人）" in mine


def test_a_live_leaderboard_page_waits_for_the_results_release(session, sign_in, world, clock):
    c = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, leaderboard="live",
                     release="after_close", closes_at=T0 + timedelta(hours=1))
    session.commit()
    _finish(session, world, c, world.zz[0])
    client = sign_in("zz1")
    assert client.get(f"/contests/{c.id}/leaderboard").status_code == 404
    assert "排行榜" not in _text(client.get(f"/contests/{c.id}")).split("</nav>")[1].split("<h1>")[0]
    assert world.zz[0].name in _text(sign_in("org").get(f"/contests/{c.id}/leaderboard"))  # the organizer: always
    clock.now = T0 + timedelta(hours=2)  # closed: results released, and the board with them
    assert world.zz[0].name in _text(client.get(f"/contests/{c.id}/leaderboard"))


def test_the_leaderboard_finalises_unsubmitted_attempts_at_close(session, sign_in, world, clock):
    c = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, leaderboard="after_close",
                     closes_at=T0 + timedelta(hours=1))
    session.commit()
    attempt, _ = start_attempt(session, world.zz[2], c, now=T0)
    session.commit()
    clock.now = T0 + timedelta(hours=2)
    page = _text(sign_in("zz0").get(f"/contests/{c.id}/leaderboard"))
    assert world.zz[2].name in page
    session.expire_all()
    assert session.get(Attempt, attempt.id).finalised_by == "close"


EN = {"Accept-Language": "en"}


def test_the_english_notice_counts_in_english_singular_and_plural(session, sign_in, world):
    one = make_contest(session, make_paper(session, world.bank, questions=world.questions[:1]), now=T0, time_limit_minutes=1,
                       attempts_allowed=2, counts="best", eligible_unit_ids=[world.units["郑州"].id])
    many = make_contest(session, make_paper(session, world.bank, questions=world.questions[:2]), now=T0, time_limit_minutes=30,
                        attempts_allowed=3, counts="last", eligible_unit_ids=[world.units["郑州"].id])
    session.commit()
    client = sign_in("zz0")
    page = html.unescape(_text(client.get(f"/contests/{one.id}", headers=EN)))
    assert "1 minute<" in page and "1 question," in page and "Up to 2 attempts; the best one counts" in page
    assert "1 minutes" not in page and "1 questions" not in page and "(s)" not in page
    page = html.unescape(_text(client.get(f"/contests/{many.id}", headers=EN)))
    assert "30 minutes<" in page and "2 questions," in page and "Up to 3 attempts; the last one counts" in page
    page = html.unescape(_text(client.get(f"/contests/{many.id}")))
    assert "可作答 3 次，取最后一次成绩" in page and "30 分钟" in page


def test_the_attempt_script_gets_both_english_forms_of_its_count_messages(session, sign_in, world, contest):
    client = sign_in("zz0")
    location = _start(client, contest.id).location
    page = _text(client.get(location, headers=EN))
    messages = json.loads(html.unescape(re.search(r"data-messages='([^']*)'", page).group(1)))
    assert messages["time_warning"] == {"one": "{n} minute left", "other": "{n} minutes left"}
    assert messages["confirm_unanswered"]["one"].startswith("{n} question not answered yet")
    assert messages["nav_item_marked"] == "Question {n}: {state}, marked"
    assert not any("(s)" in str(m) for m in messages.values())
    chinese = json.loads(html.unescape(re.search(r"data-messages='([^']*)'", _text(client.get(location))).group(1)))
    assert chinese["time_warning"] == {"one": "还剩 {n} 分钟", "other": "还剩 {n} 分钟"}

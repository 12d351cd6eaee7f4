"""The attempt API as the page, the load test and acceptance checks use it (DESIGN.md)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from question_bank.drafts import OPTION_KEYS
from question_bank.models import QuestionVersion
from quiz.contests.models import Attempt, AttemptQuestion
from quiz.contests.services import RuleSpec
from tests.factories import make_contest, make_paper, make_question, make_user
from tests.quiz.contests.conftest import T0

SECRET_EXPLANATION = "解析：此为绝密解析文本ZX81"


@pytest.fixture
def contest(session, world):
    paper = make_paper(session, world.bank, questions=world.questions, points=2.0)
    c = make_contest(session, paper, now=T0, title="全省组工知识竞赛", pass_score=6, eligible_unit_ids=[world.units["郑州"].id])
    session.commit()
    return c


def _start(api, contest_id):
    return api.post(f"/api/v1/contests/{contest_id}/attempts")


def _error(response):
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


# --- signing in --------------------------------------------------------------------------------

def test_sign_in_answers_the_user_and_a_csrf_token(api, world):
    response = api.login("zz0")
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["username"] == "zz0" and body["user"]["unit"] == "金水区委组织部"
    assert body["csrf_token"]
    again = api.get("/api/v1/session").get_json()
    assert again["user"]["id"] == body["user"]["id"] and again["csrf_token"]


def test_sign_in_refuses_a_wrong_password_and_non_json(api, world):
    wrong = api.login("zz0", "not-the-password")
    assert wrong.status_code == 401 and _error(wrong)["code"] == "invalid_credentials"
    form = api.client.post("/api/v1/session", data={"username": "zz0", "password": "x"})
    assert form.status_code == 400 and _error(form)["code"] == "invalid"


def test_the_api_answers_401_json_when_not_signed_in(api, world, contest):
    for response in (api.get("/api/v1/contests"), api.get("/api/v1/attempts/1")):
        assert response.status_code == 401 and _error(response)["code"] == "unauthenticated"


def test_errors_are_in_the_users_language(api, world):
    response = api.get("/api/v1/contests", headers={"Accept-Language": "en"})
    assert _error(response)["message"] == "Please sign in first"
    assert _error(api.get("/api/v1/contests"))["message"] == "请先登录"


def test_sign_out(api, world):
    api.login("zz0")
    assert api.delete("/api/v1/session").status_code == 200
    assert api.get("/api/v1/contests").status_code == 401


# --- CSRF ---------------------------------------------------------------------------------------

def test_writes_require_the_csrf_header(api, world, contest):
    api.login("zz0")
    start = api.post(f"/api/v1/contests/{contest.id}/attempts", csrf=False)
    assert start.status_code == 400 and _error(start)["code"] == "csrf_failed"
    attempt = _start(api, contest.id).get_json()
    qid = attempt["questions"][0]["id"]
    for response in (
        api.put(f"/api/v1/attempts/{attempt['id']}/responses/{qid}", {"answer": None, "seq": 1}, csrf=False),
        api.put(f"/api/v1/attempts/{attempt['id']}/responses/{qid}", {"answer": None, "seq": 1}, csrf=False, headers={"X-CSRFToken": "forged"}),
        api.post(f"/api/v1/attempts/{attempt['id']}/submit", csrf=False),
        api.post(f"/api/v1/attempts/{attempt['id']}/events", {"tab_switches": 1}, csrf=False),
        api.delete("/api/v1/session", csrf=False),
    ):
        assert response.status_code == 400 and _error(response)["code"] == "csrf_failed"
    assert api.get(f"/api/v1/attempts/{attempt['id']}").get_json()["status"] == "in_progress"


# --- contests and eligibility --------------------------------------------------------------------

def test_contest_list_shows_my_contests_with_my_status(api, world, contest):
    api.login("zz0")
    body = api.get("/api/v1/contests").get_json()
    assert [c["title"] for c in body["contests"]] == ["全省组工知识竞赛"]
    mine = body["contests"][0]
    assert mine["phase"] == "running" and mine["my"]["can_start"] and mine["my"]["attempts_used"] == 0
    assert body["server_time"] == "2026-06-01T02:00:00.000Z"


def test_a_luoyang_cadre_neither_sees_nor_starts_a_zhengzhou_only_contest(make_api, world, contest):
    """Invariant: a user sees and touches only what their roles and unit subtree allow."""
    api = make_api()
    api.login("ly0")
    assert api.get("/api/v1/contests").get_json()["contests"] == []
    refused = _start(api, contest.id)
    assert refused.status_code == 403 and _error(refused)["code"] == "not_eligible"
    assert "参赛范围" in _error(refused)["message"]


def test_a_draft_contest_is_not_found(api, session, world):
    draft = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, publish=False)
    session.commit()
    api.login("zz0")
    response = _start(api, draft.id)
    assert response.status_code == 404 and _error(response)["code"] == "not_found"


def test_start_outside_the_window_is_refused(api, world, contest, clock):
    api.login("zz0")
    clock.now = contest.closes_at + timedelta(seconds=1)
    response = _start(api, contest.id)
    assert response.status_code == 409 and _error(response)["code"] == "not_open"


# --- the attempt ----------------------------------------------------------------------------------

def test_start_is_201_then_200_with_the_same_attempt(api, world, contest):
    api.login("zz0")
    first = _start(api, contest.id)
    assert first.status_code == 201
    body = first.get_json()
    assert {"id", "contest_id", "deadline", "server_time", "questions", "responses", "remaining_seconds"} <= set(body)
    assert body["contest_id"] == contest.id and body["responses"] == {} and body["remaining_seconds"] == 30 * 60
    assert body["deadline"] == "2026-06-01T02:30:00.000Z"
    for question in body["questions"]:
        assert set(question) == {"id", "position", "type", "stem", "options", "blanks", "points"}
    assert [q["position"] for q in body["questions"]] == [1, 2, 3, 4, 5]
    second = _start(api, contest.id)
    assert second.status_code == 200 and second.get_json()["id"] == body["id"]
    assert second.get_json()["questions"] == body["questions"]


def test_another_cadres_attempt_is_404(make_api, world, contest):
    mine, theirs = make_api(), make_api()
    mine.login("zz0")
    theirs.login("zz1")
    attempt = _start(mine, contest.id).get_json()
    qid = attempt["questions"][0]["id"]
    for response in (
        theirs.get(f"/api/v1/attempts/{attempt['id']}"),
        theirs.put(f"/api/v1/attempts/{attempt['id']}/responses/{qid}", {"answer": None}),
        theirs.post(f"/api/v1/attempts/{attempt['id']}/submit"),
        theirs.post(f"/api/v1/attempts/{attempt['id']}/events", {"tab_switches": 9}),
    ):
        assert response.status_code == 404 and _error(response)["code"] == "not_found"
    assert mine.get(f"/api/v1/attempts/{attempt['id']}").get_json()["status"] == "in_progress"


def _by_type(attempt, qtype):
    return next(q for q in attempt["questions"] if q["type"] == qtype)


def test_save_resume_and_the_seq_rule(make_api, world, contest, clock):
    api = make_api()
    api.login("zz0")
    attempt = _start(api, contest.id).get_json()
    url = f"/api/v1/attempts/{attempt['id']}/responses/"
    single, multiple = _by_type(attempt, "single"), _by_type(attempt, "multiple")
    clock.advance(seconds=30)
    saved = api.put(url + str(single["id"]), {"answer": "C", "seq": 6})
    assert saved.status_code == 200
    assert saved.get_json() == {"saved_at": "2026-06-01T02:00:30.000Z", "remaining_seconds": 30 * 60 - 30, "stored": True}
    stale = api.put(url + str(single["id"]), {"answer": "A", "seq": 5})
    assert stale.status_code == 200 and stale.get_json()["stored"] is False
    assert api.put(url + str(multiple["id"]), {"answer": ["D", "A"], "seq": 7}).status_code == 200
    # Reload on another device: same order and options, every answer back in display keys.
    other = make_api()
    other.login("zz0")
    resumed = other.get(f"/api/v1/attempts/{attempt['id']}").get_json()
    assert resumed["questions"] == attempt["questions"]
    assert resumed["responses"][str(single["id"])] == {"value": "C", "seq": 6, "saved_at": "2026-06-01T02:00:30.000Z"}
    assert resumed["responses"][str(multiple["id"])]["value"] == ["A", "D"]
    assert resumed["remaining_seconds"] == 30 * 60 - 30


def test_a_bad_answer_is_422_with_a_message_and_a_bad_body_400(api, world, contest):
    api.login("zz0")
    attempt = _start(api, contest.id).get_json()
    tf = _by_type(attempt, "true_false")
    url = f"/api/v1/attempts/{attempt['id']}/responses/{tf['id']}"
    bad = api.put(url, {"answer": "对"})
    assert bad.status_code == 422 and _error(bad)["code"] == "invalid" and "判断题" in _error(bad)["message"]
    assert api.put(url, {"seq": 1}).status_code == 400
    assert api.put(url, {"answer": True, "seq": -1}).status_code == 422
    missing = api.put(f"/api/v1/attempts/{attempt['id']}/responses/999999", {"answer": True})
    assert missing.status_code == 404


def test_deadline_grace_and_finalisation_on_the_next_save(api, session, world, contest, clock):
    api.login("zz0")
    attempt = _start(api, contest.id).get_json()
    tf = _by_type(attempt, "true_false")
    url = f"/api/v1/attempts/{attempt['id']}/responses/{tf['id']}"
    clock.now = T0 + timedelta(minutes=30, seconds=-1)
    assert api.put(url, {"answer": True, "seq": 1}).status_code == 200
    clock.now = T0 + timedelta(minutes=30, seconds=4)  # inside the 5 s grace
    assert api.put(url, {"answer": True, "seq": 2}).get_json()["remaining_seconds"] == 0
    clock.now = T0 + timedelta(minutes=30, seconds=6)
    late = api.put(url, {"answer": False, "seq": 3})
    assert late.status_code == 409 and _error(late)["code"] == "deadline_passed"
    assert "时间已到" in _error(late)["message"]
    body = api.get(f"/api/v1/attempts/{attempt['id']}").get_json()
    assert body["status"] == "expired" and body["remaining_seconds"] == 0
    assert body["responses"][str(tf["id"])]["value"] is True
    assert body["result"]["score"] == 2.0  # the saved true_false answer (the key is true)
    after = api.put(url, {"answer": False, "seq": 4})
    assert after.status_code == 409 and _error(after)["code"] == "attempt_finished"


def test_an_unsubmitted_attempt_is_finalised_when_opened_after_the_deadline(api, world, contest, clock):
    api.login("zz0")
    attempt = _start(api, contest.id).get_json()
    clock.now = T0 + timedelta(hours=1)
    body = api.get(f"/api/v1/attempts/{attempt['id']}").get_json()
    assert body["status"] == "expired" and body["result"]["score"] == 0.0


def test_submit_is_idempotent(api, world, contest, clock):
    api.login("zz0")
    attempt = _start(api, contest.id).get_json()
    tf = _by_type(attempt, "true_false")
    api.put(f"/api/v1/attempts/{attempt['id']}/responses/{tf['id']}", {"answer": True, "seq": 1})
    clock.advance(minutes=4)
    first = api.post(f"/api/v1/attempts/{attempt['id']}/submit")
    assert first.status_code == 200
    assert first.get_json() == {"status": "submitted", "score": 2.0, "max_score": 10.0, "passed": False,
                                "needs_marking": False, "released": True}
    clock.advance(minutes=1)
    assert api.post(f"/api/v1/attempts/{attempt['id']}/submit").get_json() == first.get_json()
    listed = api.get("/api/v1/contests").get_json()["contests"][0]["my"]
    assert listed["best_score"] == 2.0 and not listed["can_start"]


def test_results_wait_for_the_release_setting(api, session, world):
    paper = make_paper(session, world.bank, questions=world.questions)
    hidden = make_contest(session, paper, now=T0, release="after_close")
    session.commit()
    api.login("zz0")
    attempt = _start(api, hidden.id).get_json()
    result = api.post(f"/api/v1/attempts/{attempt['id']}/submit").get_json()
    assert result == {"status": "submitted", "score": None, "max_score": None, "passed": None, "needs_marking": None, "released": False}


def test_integrity_events_are_cumulative(api, world, contest):
    api.login("zz0")
    attempt = _start(api, contest.id).get_json()
    url = f"/api/v1/attempts/{attempt['id']}/events"
    assert api.post(url, {"tab_switches": 2, "pastes": 1}).get_json() == {"status": "in_progress", "tab_switches": 2, "pastes": 1}
    assert api.post(url, {"tab_switches": 1}).get_json()["tab_switches"] == 2
    assert api.post(url, {"tab_switches": "many"}).status_code == 422


def test_a_failed_commit_is_an_error_never_a_200(api, world, contest, monkeypatch):
    """Invariant: a save is acknowledged only after it is committed."""
    api.login("zz0")
    attempt = _start(api, contest.id).get_json()
    tf = _by_type(attempt, "true_false")
    real_commit = Session.commit
    calls = []

    def failing_commit(self):
        calls.append(1)
        from sqlalchemy.exc import OperationalError

        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))  # the save's one commit fails

    monkeypatch.setattr(Session, "commit", failing_commit)
    response = api.put(f"/api/v1/attempts/{attempt['id']}/responses/{tf['id']}", {"answer": True, "seq": 1})
    monkeypatch.setattr(Session, "commit", real_commit)
    assert calls and response.status_code == 503 and _error(response)["code"] == "unavailable"
    assert api.get(f"/api/v1/attempts/{attempt['id']}").get_json()["responses"] == {}


# --- the key never leaks -------------------------------------------------------------------------

FORBIDDEN_FIELDS = {"answer", "answers", "answer_key", "key_answer", "explanation", "explanations", "correct", "is_correct",
                    "correct_answer", "solution", "reference", "keywords", "analysis"}


def _walk(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield path + (k,), k, v
            yield from _walk(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield path + (i,), None, v
            yield from _walk(v, path + (i,))


def test_no_answer_key_explanation_or_correctness_reaches_the_cadre_during_an_attempt(make_api, session, world, clock):
    """Invariant: no answer key, explanation or correctness flag reaches a browser during an attempt.

    Every JSON body a cadre receives from sign-in to the last save is searched recursively: no
    field named like a key, explanation or correctness; none of the key texts (explanations,
    fill-in answers, model answers, keywords) anywhere; and no field other than an option's
    display ``key`` (or the cadre's own saved response) holding the key letters, in canonical or
    display form."""
    questions = [
        make_question(session, world.bank, "single", explanation=SECRET_EXPLANATION),
        make_question(session, world.bank, "multiple", explanation=SECRET_EXPLANATION + "多"),
        make_question(session, world.bank, "true_false", explanation=SECRET_EXPLANATION + "判"),
        make_question(session, world.bank, "fill_blank", answer=[["秘钥填空甲"], ["秘钥填空乙", "秘钥填空丙"]]),
        make_question(session, world.bank, "short_answer", answer={"reference": "秘钥参考答案全文", "keywords": [["秘钥要点一"], ["秘钥要点二"]]}),
    ]
    paper = make_paper(session, world.bank, questions=questions, points=2.0)
    contest = make_contest(session, paper, now=T0, pass_score=5)
    session.commit()
    api = make_api()
    api.login("zz0")
    api.get("/api/v1/contests")
    api.get(f"/api/v1/contests/{contest.id}")
    attempt = _start(api, contest.id).get_json()
    _start(api, contest.id)
    url = f"/api/v1/attempts/{attempt['id']}"
    for seq, question in enumerate(attempt["questions"], start=1):
        answer = {"single": "B", "multiple": ["A", "B"], "true_false": False, "fill_blank": ["乱填", ""], "short_answer": "不知道"}[question["type"]]
        api.put(f"{url}/responses/{question['id']}", {"answer": answer, "seq": seq})
        api.put(f"{url}/responses/{question['id']}", {"answer": answer, "seq": 0})  # a stale one too
        api.get(url)
    api.put(f"{url}/responses/{attempt['questions'][0]['id']}", {"answer": "对"})  # an error body
    api.post(f"{url}/events", {"tab_switches": 1, "pastes": 1})
    api.get(f"/api/v1/contests/{contest.id}/leaderboard")
    assert len(api.bodies) > 15

    versions = {v.question_id: v for v in session.scalars(select(QuestionVersion).where(QuestionVersion.question_id.in_([q.id for q in questions])))}
    orders = {aq.question_id: aq.option_order for aq in session.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt["id"]))}
    secrets = [SECRET_EXPLANATION, "秘钥填空甲", "秘钥填空乙", "秘钥填空丙", "秘钥参考答案全文", "秘钥要点一", "秘钥要点二"]
    key_values = []
    for qid, version in versions.items():
        if version.type in ("single", "multiple"):
            letters = [version.answer] if version.type == "single" else version.answer
            shown = [OPTION_KEYS[orders[qid].index(OPTION_KEYS.index(k))] for k in letters]
            key_values += [version.answer, letters, shown, sorted(shown), "".join(shown)]
            if version.type == "single":
                key_values += shown
    for body in api.bodies:
        text = json.dumps(body, ensure_ascii=False)
        for secret in secrets:
            assert secret not in text, (secret, body)
        for path, name, value in _walk(body):
            assert name not in FORBIDDEN_FIELDS, (path, body)
            if name == "key" or "responses" in path or isinstance(value, bool):
                continue
            assert value not in key_values or isinstance(value, (int, float)), (path, value)


# --- leaderboard ---------------------------------------------------------------------------------

def test_leaderboard_follows_the_visibility_setting_and_is_final_after_close(make_api, session, world, clock):
    paper = make_paper(session, world.bank, questions=world.questions)
    contest = make_contest(session, paper, now=T0, leaderboard="after_close", closes_at=T0 + timedelta(hours=1))
    session.commit()
    cadre, organizer = make_api(), make_api()
    cadre.login("zz0")
    organizer.login("org")
    attempt = _start(cadre, contest.id).get_json()
    cadre.put(f"/api/v1/attempts/{attempt['id']}/responses/{_by_type(attempt, 'true_false')['id']}", {"answer": True})
    hidden = cadre.get(f"/api/v1/contests/{contest.id}/leaderboard")
    assert hidden.status_code == 404
    live = organizer.get(f"/api/v1/contests/{contest.id}/leaderboard").get_json()
    assert live["rows"] == []  # nobody finished yet
    clock.now = T0 + timedelta(hours=2)  # closed; the attempt was never submitted
    board = cadre.get(f"/api/v1/contests/{contest.id}/leaderboard")
    assert board.status_code == 200
    rows = board.get_json()["rows"]
    assert [(r["name"], r["score"], r["rank"]) for r in rows] == [(world.zz[0].name, 2.0, 1)]
    session.expire_all()
    assert session.get(Attempt, attempt["id"]).finalised_by == "close"


# --- the cost of a start -------------------------------------------------------------------------

def test_the_start_endpoint_costs_a_fixed_handful_of_queries(make_api, api_app, session, world):
    """DESIGN lesson: make starting an attempt cheap. The count is the same for a 3- and a
    40-question paper and for the first and the 31st cadre, and stays small."""
    for _ in range(40):
        make_question(session, world.bank, "single")
    papers = {n: make_paper(session, rules=[RuleSpec([world.bank.id], n, type="single")], org_unit_id=world.units["省"].id,
                            draw="per_attempt", pool_size=4) for n in (3, 40)}
    contests = {n: make_contest(session, p, now=T0) for n, p in papers.items()}
    for i in range(31):
        make_user(session, f"crowd{i}", world.units["洛龙"])
    session.commit()
    db = api_app.extensions["db_engine"]
    counts = {}
    for label, n, username in (("small-first", 3, "crowd0"), ("large-first", 40, "crowd1")):
        api = make_api()
        api.login(username)
        counts[label] = _statements_of(db, lambda: _start(api, contests[n].id))
    for i in range(2, 30):
        api = make_api()
        api.login(f"crowd{i}")
        _start(api, contests[40].id)
    api = make_api()
    api.login("crowd30")
    counts["large-31st"] = _statements_of(db, lambda: _start(api, contests[40].id))
    assert len(set(counts.values())) == 1 and counts["large-31st"] > 0, counts
    assert counts["large-31st"] <= 11, (counts, seen_statements)  # 10 on SQLite, 11 on PostgreSQL: docs/api.md "Cost of a start"


def _transactions(engine, fn) -> tuple[object, list[list[str]]]:
    """``fn``'s response and the statements it sent, grouped by transaction (split at each commit
    or rollback)."""
    groups: list[list[str]] = [[]]

    def before(conn, cursor, statement, parameters, context, executemany):
        groups[-1].append(" ".join(statement.split()))

    def end(conn):
        groups.append([])

    listeners = (("before_cursor_execute", before), ("commit", end), ("rollback", end))
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        response = fn()
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    return response, [g for g in groups if g]


def _locks(statements: list[str]) -> list[str]:
    """The statements that take the start's write lock: BEGIN IMMEDIATE (SQLite), FOR UPDATE (PostgreSQL)."""
    return [s for s in statements if s.upper().startswith("BEGIN IMMEDIATE") or s.upper().endswith("FOR UPDATE")]


def test_a_start_takes_the_write_lock_once_after_the_eligibility_reads_and_an_early_press_never(
        make_api, api_app, world, contest, clock):
    """The start storm on SQLite's single writer: the sign-in check and the contest, role and unit
    reads run in a read transaction; the lock is taken once, for the decision and the inserts only.
    A press before the opening is refused without any lock (docstring of ``api.start``)."""
    db = api_app.extensions["db_engine"]
    early = make_api()
    early.login("zz1")
    clock.now = contest.opens_at - timedelta(minutes=1)
    refused, transactions = _transactions(db, lambda: _start(early, contest.id))
    assert refused.status_code == 409 and _error(refused)["code"] == "not_open"
    assert not _locks([s for t in transactions for s in t]), transactions
    assert not any(s.startswith(("INSERT", "UPDATE")) for t in transactions for s in t)

    clock.now = T0
    api = make_api()
    api.login("zz0")
    response, transactions = _transactions(db, lambda: _start(api, contest.id))
    assert response.status_code == 201
    locked = [t for t in transactions if _locks(t)]
    assert len(locked) == 1 and len(_locks(locked[0])) == 1, transactions
    writer = locked[0]
    assert any(s.startswith("INSERT INTO attempts ") for s in writer)
    assert not any(s.startswith(("INSERT", "UPDATE", "DELETE")) for t in transactions if t is not writer for s in t)
    before = transactions[:transactions.index(writer)]
    reads = [s for t in before for s in t]
    assert any(" FROM contests " in s for s in reads) and any(" FROM user_roles " in s for s in reads), transactions
    assert not any(" FROM contests " in s or " FROM user_roles " in s for s in writer), writer


seen_statements: list = []


def _record(engine, fn, status: int) -> tuple[list[str], int]:
    """The SQL statements ``fn`` (one request) sent, without transaction control, and how many
    transactions it committed."""
    seen, commits = [], []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(" ".join(statement.split()))

    def commit(conn):
        commits.append(1)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", commit)
    try:
        response = fn()
        assert response.status_code == status, response.get_json()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "commit", commit)
    seen_statements[:] = [x[:90] for x in seen]
    return seen, len(commits)


def _statements_of(engine, fn) -> int:
    return len(_record(engine, fn, 201)[0])


# --- the cost of a save --------------------------------------------------------------------------

def test_a_save_is_two_statements_after_the_sign_in_check_in_one_transaction(make_api, api_app, world, contest):
    """The contest's busiest path (issue 4's aim: at least half the bare endpoint's rate). A save
    is the request's sign-in check (the user load, whatever that costs) plus exactly two
    statements: one SELECT of the attempt's state and the question's mapping, one INSERT … ON
    CONFLICT that decides and writes; one transaction, committed once. On PostgreSQL both lock
    only the cadre's attempt row FOR SHARE (the submit waits for an in-flight save). A
    machine-independent guard; docs/api.md "Cost of a save"."""
    api = make_api()
    api.login("zz0")
    attempt = _start(api, contest.id).get_json()
    db = api_app.extensions["db_engine"]
    url = f"/api/v1/attempts/{attempt['id']}/responses/{_by_type(attempt, 'single')['id']}"
    sign_in_check, _commits = _record(db, lambda: api.put(url, {"seq": 1}), 400)  # refused before the save's own work
    assert 1 <= len(sign_in_check) <= 3, sign_in_check
    postgresql = db.dialect.name == "postgresql"
    n = len(sign_in_check)
    # An insert, an update, and a stale save (lower seq), which also reads the stored saved_at.
    for seq, answer, extra in ((1, "A", 0), (2, "B", 0), (1, "C", 1)):
        statements, commits = _record(db, lambda: api.put(url, {"answer": answer, "seq": seq}), 200)
        assert statements[:n] == sign_in_check and len(statements) == n + 2 + extra and commits == 1, statements
        select_, upsert = statements[n:n + 2]
        assert select_.startswith("SELECT attempts.status, attempts.deadline") and "question_versions" in select_, select_
        assert upsert.startswith("INSERT INTO responses") and "ON CONFLICT" in upsert, upsert
        assert select_.endswith("FOR SHARE OF attempts") is postgresql and upsert.count("FOR SHARE OF attempts") == postgresql
    saved = api.get(f"/api/v1/attempts/{attempt['id']}").get_json()["responses"]
    assert saved[url.rsplit("/", 1)[1]]["value"] == "B" and saved[url.rsplit("/", 1)[1]]["seq"] == 2


def test_start_after_an_unsubmitted_attempt_ran_out_finalises_it_and_refuses_a_second(api, session, world, contest, clock):
    api.login("zz0")
    attempt = _start(api, contest.id).get_json()
    clock.now = T0 + timedelta(minutes=40)
    refused = _start(api, contest.id)
    assert refused.status_code == 409 and _error(refused)["code"] == "attempts_used_up"
    session.expire_all()
    assert session.get(Attempt, attempt["id"]).status == "expired"  # the finalisation was kept


@pytest.mark.parametrize("release", ["after_close", "manual"])
def test_a_live_leaderboard_shows_no_scores_to_cadres_before_the_results_are_released(make_api, session, world, clock, release):
    """The release setting hides scores until release; a live leaderboard must not show them
    earlier (rows, ranks and unit averages all derive from scores). The organizer still sees it."""
    paper = make_paper(session, world.bank, questions=world.questions, points=2.0)
    contest = make_contest(session, paper, now=T0, leaderboard="live", release=release, closes_at=T0 + timedelta(hours=1))
    session.commit()
    finished, waiting, organizer = make_api(), make_api(), make_api()
    finished.login("zz0")
    waiting.login("zz1")
    organizer.login("org")
    attempt = _start(finished, contest.id).get_json()
    finished.put(f"/api/v1/attempts/{attempt['id']}/responses/{_by_type(attempt, 'true_false')['id']}", {"answer": True})
    assert finished.post(f"/api/v1/attempts/{attempt['id']}/submit").get_json()["score"] is None  # not released yet
    url = f"/api/v1/contests/{contest.id}/leaderboard"
    for cadre in (finished, waiting):
        hidden = cadre.get(url)
        assert hidden.status_code == 404 and _error(hidden)["code"] == "not_found"
        assert "2.0" not in hidden.get_data(as_text=True)
    assert [(r["name"], r["score"]) for r in organizer.get(url).get_json()["rows"]] == [(world.zz[0].name, 2.0)]
    if release == "manual":
        clock.now = T0 + timedelta(hours=2)  # closed, still not released by hand
        assert waiting.get(url).status_code == 404
        contest = session.merge(contest)
        contest.results_released = True
        session.commit()
    else:
        clock.now = T0 + timedelta(hours=2)  # closed: released
    shown = waiting.get(url)
    assert shown.status_code == 200 and [(r["name"], r["score"], r["rank"]) for r in shown.get_json()["rows"]] == [(world.zz[0].name, 2.0, 1)]

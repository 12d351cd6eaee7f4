"""Every page, as every role: hostile text is shown escaped, and nobody's full phone number leaks.

A sweep over the app's URL map (so pages added later are covered without editing this file):
each GET route is requested by an admin, an organizer, an HR user and a cadre, with its URL ids
pointing at objects whose text carries HTML/script (a bank question's stem, options and
explanation; a contest's title and notice; a paper's title; a person's name; a short answer).

Invariants:
- question text, notices and names are rendered escaped (ASVS 5.0 V1 output encoding; the
  CSP without inline script is the second line);
- personal data (手机) is masked everywhere but the person's own pages and the admin's user
  page: a full 11-digit number of someone else appears nowhere else, HTML or JSON;
- the bank export neutralises cells that would start a formula, end to end, and is audit-logged.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from question_bank.db import utcnow
from quiz.audit.models import AuditEntry
from quiz.contests import attempts as svc
from tests.factories import PASSWORD, make_bank, make_contest, make_paper, make_province, make_question, make_user
from tests.quiz.conftest import Auth

SCRIPT = '<script>alert("xss")</script>'
IMG = "<img src=x onerror=alert(1)>"
RAW = ("<script>alert(", "<img src=x onerror")
PHONE_RE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
ROLES = ("admin", "organizer", "hr", "cadre")
FULL_PHONE_PAGES = {"admin.user_edit"}  # the admin's user page; one's own number may appear on one's own pages


@pytest.fixture
def hostile(app, session):
    units = make_province(session)
    people = {
        "admin": make_user(session, "admin", units["省"], ("admin",), phone="13700000001"),
        "organizer": make_user(session, "organizer", units["省"], ("organizer", "cadre"), phone="13700000002"),
        "hr": make_user(session, "hr", units["省"], ("hr",), phone="13700000003"),
        "cadre": make_user(session, "cadre", units["金水"], phone="13700000004", name=f"张三{IMG}"),
    }
    others = [make_user(session, f"zz{i}", units["金水"], phone=f"1390000000{i}", name=f"李四{i}{SCRIPT}") for i in range(3)]
    bank = make_bank(session, units["省"], name=f"题库{SCRIPT}", actor=people["organizer"])
    questions = [
        make_question(session, bank, "single", stem=f"题干{SCRIPT}（ ）", options=[f"甲{IMG}", "乙", "丙", "丁"], answer="A",
                      explanation=f"解析{SCRIPT}"),
        make_question(session, bank, "short_answer", stem=f"简述{IMG}"),
        make_question(session, bank, "single", stem="=HYPERLINK(\"http://evil.example\",\"点我\")", options=["+1", "-1", "@SUM(A1)", "正常"], answer="D"),
    ]
    paper = make_paper(session, bank, questions=questions, title=f"试卷{SCRIPT}", actor=people["organizer"])
    contest = make_contest(session, paper, actor=people["organizer"], title=f"竞赛{SCRIPT}", notice=f"须知{IMG}{SCRIPT}",
                           release="immediately", leaderboard="live")
    now = utcnow()
    attempts = {}
    for person in (people["cadre"], *others):
        attempt, _ = svc.start_attempt(session, person, contest, now=now)
        svc.save_response(session, person, attempt, questions[1].id, f"我的回答{SCRIPT}", now=now)
        svc.submit_attempt(session, person, attempt, now=now + timedelta(minutes=1))
        attempts[person.username] = attempt
    live_contest = make_contest(session, paper, actor=people["organizer"], title=f"进行中{IMG}")
    live_attempt, _ = svc.start_attempt(session, people["cadre"], live_contest, now=now)
    session.commit()
    ids = {"unit_id": units["金水"].id, "user_id": people["cadre"].id, "bank_id": bank.id, "question_id": questions[0].id,
           "contest_id": contest.id, "paper_id": paper.id, "attempt_id": attempts["cadre"].id}
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a page that fails is a 500 answer here, not a crash of the sweep
    return {"people": people, "others": others, "ids": ids, "bank": bank, "live_attempt": live_attempt, "contest": contest}


def _urls(app, ids: dict) -> list[tuple[str, str]]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.endswith((".xlsx", "/export")):
            continue
        values = {}
        for arg in rule.arguments:
            if arg in ids:
                values[arg] = ids[arg]
            elif rule._converters.get(arg) is not None and type(rule._converters[arg]).__name__ == "IntegerConverter":
                values[arg] = 1  # an object this sweep does not build: the page answers for id 1 (usually 404)
            else:
                values = None
                break
        if values is None:
            continue
        with app.test_request_context():
            from flask import url_for

            urls.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return sorted(urls)


def _sweep(app, hostile):
    """(role, endpoint, url, status, content type, text) for every GET page, as each role."""
    seen = []
    for role in ROLES:
        client = app.test_client()
        assert Auth(client).login(role).status_code == 302
        client.post("/api/v1/session", json={"username": role, "password": PASSWORD})
        for endpoint, url in _urls(app, hostile["ids"]):
            response = client.get(url)
            seen.append((role, endpoint, url, response.status_code, response.mimetype, response.get_data(as_text=True)))
    return seen


def test_hostile_text_is_shown_escaped_on_every_page_for_every_role(app, hostile):
    """Invariant: question text, notices and names render escaped: no raw <script> or onerror anywhere."""
    seen = _sweep(app, hostile)
    leaks = [(role, url) for role, _e, url, _s, mime, text in seen if mime == "text/html" and any(raw in text for raw in RAW)]
    assert not leaks, leaks
    # the sweep did reach the hostile text (else it would prove nothing): escaped on the bank and contest pages
    escaped = {endpoint for _r, endpoint, _u, status, mime, text in seen
               if status == 200 and mime == "text/html" and "&lt;script&gt;alert(" in text}
    assert {"bank.questions", "bank.versions"} <= escaped, escaped
    pages_ok = sum(1 for *_, status, mime, _t in seen if status == 200 and mime == "text/html")
    assert pages_ok >= 20, pages_ok


def test_no_full_phone_number_of_someone_else_on_any_page_but_the_admins_user_page(app, hostile):
    """Invariant: 手机 masked everywhere but the person's own page and the admin's user page."""
    phones = {p.phone: p.username for p in [*hostile["people"].values(), *hostile["others"]]}
    seen = _sweep(app, hostile)
    leaks = []
    for role, endpoint, url, _status, mime, text in seen:
        if mime not in ("text/html", "application/json"):
            continue
        for number in set(PHONE_RE.findall(text)):
            owner = phones.get(number)
            if owner is None or owner == role:
                continue
            if endpoint in FULL_PHONE_PAGES and role == "admin":
                continue
            leaks.append((role, url, owner))
    assert not leaks, leaks
    admin_users = [text for role, endpoint, _u, status, _m, text in seen if role == "admin" and endpoint == "admin.users" and status == 200]
    assert admin_users and "137****0004" in admin_users[0]  # the list shows the masked form
    assert any(role == "admin" and endpoint == "admin.user_edit" and "13700000004" in text for role, endpoint, _u, _s, _m, text in seen)


def test_the_bank_export_neutralises_formula_cells_and_is_audit_logged(app, client, hostile, session_factory):
    """Invariant: export cells that begin with = + - @ are prefixed with ' (formula injection)."""
    from openpyxl import load_workbook

    Auth(client).login("organizer")
    bank = hostile["bank"]
    response = client.get(f"/bank/{bank.id}/export?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert any("HYPERLINK" in v for v in values)
    dangerous = [v for v in values if v[:1] in ("=", "+", "-", "@", "\t", "\x00")]
    assert not dangerous, dangerous
    assert "'=HYPERLINK(\"http://evil.example\",\"点我\")" in values and "'+1" in values and "'@SUM(A1)" in values
    s = session_factory()
    try:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "bank.export").order_by(AuditEntry.id.desc()))
        assert entry is not None and entry.actor_id == hostile["people"]["organizer"].id and entry.target_id == str(bank.id)
    finally:
        s.close()

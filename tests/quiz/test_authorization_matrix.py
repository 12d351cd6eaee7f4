"""The authorization matrix: every route × anonymous and each role × inside and outside the caller's reach.

EXPECTED below is the table. A route in the app's URL map with no entry fails
``test_every_route_has_an_entry``, so a new route cannot slip through unreviewed. Each entry says
who may use the route and whether the object in its URL must lie in the caller's unit subtree.
The actors all sit in 郑州市委组织部; "inside" objects belong to 郑州 or its 金水 county, "outside"
objects to 洛阳. Expected answers:
- anonymous on a non-public route: a redirect to /login (pages) or 401 (API);
- a signed-in role the entry does not allow: 403;
- an allowed role on an object outside its reach: 404 (we do not confirm the object exists);
- an allowed role on an object inside its reach: anything but 401/403/404/5xx.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from flask import Flask

from tests.factories import PASSWORD, make_bank, make_province, make_question, make_user
from tests.quiz.conftest import Auth

ROLES = ("cadre", "organizer", "hr", "admin")
ANY = frozenset()  # any signed-in user


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str] | None  # None: public; ANY: any signed-in user; else these roles
    scoped: bool = False  # the URL names an object that must be in the caller's reach
    api: bool = False


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


PUBLIC = Rule(None)
SIGNED_IN = Rule(ANY)

EXPECTED: dict[str, Rule] = {
    "static": PUBLIC,
    "home.index": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.set_language": PUBLIC,
    "auth.change_password": SIGNED_IN,
    # my signed-in devices (ASVS 7.5.2): someone else's session is 404
    "auth.sessions": SIGNED_IN,
    "auth.end_other_session": Rule(ANY, scoped=True),
    "home.cadre": SIGNED_IN,
    "home.organizer": Rule(roles("organizer")),
    "home.hr": Rule(roles("hr")),
    # the cadre's contest pages: any signed-in user; a contest they may not take, or an attempt not theirs, is 404
    "take.contests": SIGNED_IN,
    "take.notice": Rule(ANY, scoped=True),
    "take.start": Rule(ANY, scoped=True),
    "take.leaderboard": Rule(ANY, scoped=True),
    "take.attempt": Rule(ANY, scoped=True),
    "take.result": Rule(ANY, scoped=True),
    # system administration
    "admin.index": Rule(roles("admin")),
    "admin.units": Rule(roles("admin")),
    "admin.unit_edit": Rule(roles("admin"), scoped=True),
    "admin.unit_set_active": Rule(roles("admin"), scoped=True),
    "admin.users": Rule(roles("admin")),
    "admin.user_new": Rule(roles("admin")),
    "admin.user_edit": Rule(roles("admin"), scoped=True),
    "admin.user_reset_password": Rule(roles("admin"), scoped=True),
    "admin.user_set_active": Rule(roles("admin"), scoped=True),
    "admin.user_end_sessions": Rule(roles("admin"), scoped=True),
    # end everyone's sessions in the admin's subtree (no object in the URL: the reach is the admin's own)
    "admin.sessions": Rule(roles("admin")),
    "admin.end_all_sessions_in_reach": Rule(roles("admin")),
    "admin.roster_upload": Rule(roles("admin")),
    "admin.roster_confirm": Rule(roles("admin")),
    "admin.roster_template": Rule(roles("admin")),
    "admin.audit": Rule(roles("admin", "hr", "organizer")),
    # question banks
    "bank.index": Rule(roles("organizer")),
    "bank.template": Rule(roles("organizer")),
    "bank.bank_edit": Rule(roles("organizer"), scoped=True),
    "bank.questions": Rule(roles("organizer"), scoped=True),
    "bank.question_new": Rule(roles("organizer"), scoped=True),
    "bank.question_edit": Rule(roles("organizer"), scoped=True),
    "bank.versions": Rule(roles("organizer"), scoped=True),
    "bank.bulk": Rule(roles("organizer"), scoped=True),
    "bank.import_upload": Rule(roles("organizer"), scoped=True),
    "bank.import_preview": Rule(roles("organizer"), scoped=True),
    "bank.import_confirm": Rule(roles("organizer"), scoped=True),
    "bank.export": Rule(roles("organizer"), scoped=True),
    # study materials
    "materials.index": Rule(roles("organizer")),
    "materials.reader": Rule(roles("organizer"), scoped=True),
    "materials.editions": Rule(roles("organizer"), scoped=True),
    "materials.report": Rule(roles("organizer"), scoped=True),
    "materials.change": Rule(roles("organizer"), scoped=True),
    "materials.flagged": Rule(roles("organizer"), scoped=True),
    "materials.keep": Rule(roles("organizer"), scoped=True),
    "materials.retire": Rule(roles("organizer"), scoped=True),
    "materials.drafts": Rule(roles("organizer"), scoped=True),
    "materials.generate": Rule(roles("organizer"), scoped=True),
    "materials.accept": Rule(roles("organizer"), scoped=True),
    "materials.reject": Rule(roles("organizer"), scoped=True),
    "materials.draft_edit": Rule(roles("organizer"), scoped=True),
    "materials.article_search": Rule(roles("organizer")),
    "materials.article": Rule(roles("organizer"), scoped=True),
    # the JSON API
    "api.openapi_document": Rule(None, api=True),
    "api.create_session": Rule(None, api=True),
    "api.read_session": Rule(ANY, api=True),
    "api.delete_session": Rule(ANY, api=True),
    "api.list_contests": Rule(ANY, api=True),
    "api.read_contest": Rule(ANY, scoped=True, api=True),
    "api.leaderboard": Rule(ANY, scoped=True, api=True),
    "api.start": Rule(ANY, scoped=True, api=True),
    "api.read_attempt": Rule(ANY, scoped=True, api=True),
    "api.save": Rule(ANY, scoped=True, api=True),
    "api.submit": Rule(ANY, scoped=True, api=True),
    "api.events": Rule(ANY, scoped=True, api=True),
    # the organizer's contest pages
    "manage.papers": Rule(roles("organizer")),
    "manage.paper_new": Rule(roles("organizer")),
    "manage.paper_edit": Rule(roles("organizer"), scoped=True),
    "manage.paper_add_question": Rule(roles("organizer"), scoped=True),
    "manage.paper_copy": Rule(roles("organizer"), scoped=True),
    "manage.contests": Rule(roles("organizer")),
    "manage.contest_new": Rule(roles("organizer")),
    "manage.contest_edit": Rule(roles("organizer"), scoped=True),
    "manage.contest_publish": Rule(roles("organizer"), scoped=True),
    "manage.contest_close": Rule(roles("organizer"), scoped=True),
    "manage.contest_archive": Rule(roles("organizer"), scoped=True),
    "manage.contest_release": Rule(roles("organizer"), scoped=True),
    "manage.contest_live": Rule(roles("organizer"), scoped=True),
    "manage.contest_extend": Rule(roles("organizer"), scoped=True),
    "manage.contest_results": Rule(roles("organizer"), scoped=True),
    "manage.contest_items": Rule(roles("organizer"), scoped=True),
    "manage.contest_items_export": Rule(roles("organizer"), scoped=True),
    # practice and self-tests: any signed-in user; a set, review-book entry or mock exam not theirs is 404
    "practice.index": SIGNED_IN,
    "practice.random_practice": SIGNED_IN,
    "practice.sequential": SIGNED_IN,
    "practice.daily": SIGNED_IN,
    "practice.review_start": SIGNED_IN,
    "practice.favourites": SIGNED_IN,
    "practice.favourites_start": SIGNED_IN,
    "practice.favourite": SIGNED_IN,
    "practice.focus": SIGNED_IN,
    "practice.set_view": Rule(ANY, scoped=True),
    "practice.answer": Rule(ANY, scoped=True),
    "practice.summary": Rule(ANY, scoped=True),
    "practice.review_book": SIGNED_IN,
    "practice.review_entry": Rule(ANY, scoped=True),
    "practice.progress": SIGNED_IN,
    "practice.mock_index": SIGNED_IN,
    "practice.mock_start": SIGNED_IN,
    "practice.mock_take": Rule(ANY, scoped=True),
    "practice.mock_submit": Rule(ANY, scoped=True),
    "practice.mock_result": Rule(ANY, scoped=True),
    "practice.papers": Rule(roles("organizer")),
    "practice.paper_toggle": Rule(roles("organizer"), scoped=True),
    # HR reports: hr and organizers; a contest not concerning their subtree, or a unit outside it, is 404
    "reports.index": Rule(roles("hr", "organizer")),
    "reports.my_trends": Rule(roles("hr", "organizer")),
    "reports.contest_results": Rule(roles("hr", "organizer"), scoped=True),
    "reports.results_export": Rule(roles("hr", "organizer"), scoped=True),
    "reports.unit_rollup": Rule(roles("hr", "organizer"), scoped=True),
    "reports.units_export": Rule(roles("hr", "organizer"), scoped=True),
    "reports.trends": Rule(roles("hr", "organizer"), scoped=True),
    # annual assessment: HR's plans and records (a plan or record outside their subtree is 404); a cadre's own records
    "assessment.plans": Rule(roles("hr")),
    "assessment.plan_new": Rule(roles("hr")),
    "assessment.plan": Rule(roles("hr"), scoped=True),
    "assessment.plan_edit": Rule(roles("hr"), scoped=True),
    "assessment.compute": Rule(roles("hr"), scoped=True),
    "assessment.lock": Rule(roles("hr"), scoped=True),
    "assessment.revisions": Rule(roles("hr"), scoped=True),
    "assessment.export": Rule(roles("hr"), scoped=True),
    "assessment.exemptions": Rule(roles("hr"), scoped=True),
    "assessment.exemption_delete": Rule(roles("hr"), scoped=True),
    "assessment.hours": Rule(roles("hr"), scoped=True),
    "assessment.import_upload": Rule(roles("hr"), scoped=True),
    "assessment.import_confirm": Rule(roles("hr"), scoped=True),
    "assessment.import_template": Rule(roles("hr"), scoped=True),
    "assessment.cadre_entries": Rule(roles("hr"), scoped=True),
    "assessment.record": Rule(roles("hr"), scoped=True),
    "assessment.record_adjust": Rule(roles("hr"), scoped=True),
    "assessment.record_card": Rule(roles("hr"), scoped=True),
    "assessment.mine": SIGNED_IN,
    "assessment.my_record": Rule(ANY, scoped=True),
}


@dataclass
class World:
    """Everything the routes name, inside and outside 郑州, and one actor per role in 郑州."""

    session: object
    units: dict
    actors: dict = field(default_factory=dict)
    inside: dict = field(default_factory=dict)
    outside: dict = field(default_factory=dict)


def build_world(session) -> World:
    units = make_province(session)
    world = World(session, units)
    for role in ROLES:
        world.actors[role] = make_user(session, f"zz_{role}", units["郑州"], (role,) if role == "cadre" else (role, "cadre"))
    for side, unit in (("inside", units["金水"]), ("outside", units["洛龙"])):
        objects = getattr(world, side)
        objects["unit"] = unit
        objects["user"] = make_user(session, f"{side}_person", unit)
        bank = make_bank(session, unit, f"{side}题库")
        objects["bank"] = bank
        objects["question"] = make_question(session, bank)
    session.commit()
    return world


def _contest_objects(world: World, side: str, actor) -> dict:
    """A contest open to the side's units and, for the actor, an attempt in it (built on demand)."""
    from tests.factories import make_contest, make_paper

    objects = getattr(world, side)
    key = ("contest", side)
    if key not in objects:
        unit = objects["unit"]
        eligible = unit.id if side == "outside" else world.units["郑州"].id
        # owned by the side's unit (金水 inside, 洛龙 outside), so the organizer's pages see it as inside or outside
        contest = make_contest(world.session, make_paper(world.session, objects["bank"]), eligible_unit_ids=[eligible], leaderboard="live")
        objects[key] = contest
        world.session.commit()
    contest = objects[key]
    return {"contest": contest}


def _attempt_for(world: World, side: str, actor):
    from quiz.contests.attempts import start_attempt

    contest = _contest_objects(world, side, actor)["contest"]
    # anonymous callers probe the cadre's attempt; outside, someone else's in 洛阳
    owner = (actor or world.actors["cadre"]) if side == "inside" else world.outside["user"]
    attempt, _created = start_attempt(world.session, owner, contest)
    world.session.commit()
    return attempt


def url_values(world: World, rule, actor, side: str, client) -> dict:
    """Values for the URL's variables, naming objects inside or outside the actor's reach."""
    objects = getattr(world, side)
    values = {}
    # an attempt first: a question_id next to it names one of that attempt's questions
    for name in sorted(rule.arguments, key=lambda n: n != "attempt_id"):
        if name == "filename":
            values[name] = "css/app.css"
        elif name == "unit_id":
            values[name] = objects["unit"].id
        elif name == "user_id":
            values[name] = objects["user"].id
        elif name == "bank_id":
            values[name] = objects["bank"].id
        elif name == "question_id" and not rule.endpoint.startswith("api."):
            values[name] = objects["question"].id
        elif name == "token":
            values[name] = _pending_upload_token(world, actor, side)
        elif name == "paper_id":
            if "paper" not in objects:  # a paper of the side's unit that no contest uses yet
                from tests.factories import make_paper

                objects["paper"] = make_paper(world.session, objects["bank"])
            values[name] = objects["paper"].id
        elif name == "contest_id":
            values[name] = _contest_objects(world, side, actor)["contest"].id
        elif name in ("material_id", "edition_id", "change_id", "draft_id", "article_id"):
            values[name] = _material_objects(world, side)[name]
        elif name == "attempt_id":
            attempt = _attempt_for(world, side, actor)
            values[name] = attempt.id
            if "question_id" in rule.arguments:
                from quiz.contests.models import AttemptQuestion
                from sqlalchemy import select

                values["question_id"] = world.session.scalar(
                    select(AttemptQuestion.question_version_id).where(AttemptQuestion.attempt_id == attempt.id).limit(1)
                )
        elif name == "session_id":
            values[name] = _session_row(world, side, actor)
        elif name in ("set_id", "entry_id", "mock_id", "mock_paper_id"):
            values[name] = _practice_objects(world, side, actor)[name]
        elif name in ("plan_id", "record_id"):
            values[name] = _assessment_objects(world, side, actor)[name]
        elif name in values:
            continue
        else:
            raise AssertionError(f"{rule.endpoint}: no builder for URL variable <{name}>; add one to url_values()")
    world.session.commit()  # end this read: on SQLite a later write must not upgrade a stale read snapshot
    return values


def _session_row(world: World, side: str, actor) -> int:
    """Inside: another signed-in session of the actor (the cadre for anonymous callers);
    outside: one of someone in 洛龙."""
    from datetime import timedelta

    from quiz.accounts.user_sessions import Limits, start_user_session

    owner = (actor or world.actors["cadre"]) if side == "inside" else world.outside["user"]
    limits = Limits(idle=timedelta(hours=2), absolute=timedelta(hours=12), remember=timedelta(days=14))
    row = start_user_session(world.session, owner, limits, user_agent="Mozilla/5.0 (iPhone) Safari/604.1", ip="10.0.0.9")
    world.session.commit()
    return row.id


def _material_objects(world: World, side: str) -> dict:
    """A material of the side's unit in two editions (so there is a change), and a draft in its queue."""
    objects = getattr(world, side)
    if "material" not in objects:
        from sqlalchemy import select

        from question_bank.materials.models import EditionChange, MaterialArticle
        from question_bank.materials.draft_queue import generate_drafts
        from question_bank.materials.services import add_edition
        from tests.factories import SAMPLE_REGULATION, make_material

        outcome = make_material(world.session, objects["unit"], title=f"{side}条例")
        revision = add_edition(world.session, None, outcome.material, text=SAMPLE_REGULATION.replace("三个月", "六个月"))
        article_id = world.session.scalar(select(MaterialArticle.id).where(MaterialArticle.edition_id == revision.edition.id,
                                                                           MaterialArticle.ref == "第四条"))
        objects["material"] = {
            "material_id": outcome.material.id, "edition_id": revision.edition.id, "article_id": article_id,
            "change_id": world.session.scalar(select(EditionChange.id).where(EditionChange.edition_id == revision.edition.id).limit(1)),
            "draft_id": generate_drafts(world.session, None, outcome.material, [article_id])[0].id,
        }
        world.session.commit()
    return objects["material"]


def _practice_objects(world: World, side: str, actor) -> dict:
    """Inside: a practice set, a review-book entry and a mock exam of the actor (the cadre for
    anonymous callers); outside: those of someone in 洛龙. And a practice paper of the side's unit."""
    from quiz.contests.attempts import start_mock_attempt
    from quiz.practice.models import MockPaper, PracticeItem, PracticeSet
    from quiz.practice.review import record_answer
    from tests.factories import make_paper

    objects = getattr(world, side)
    owner = (actor or world.actors["cadre"]) if side == "inside" else world.outside["user"]
    key = ("practice", owner.id)
    if key not in objects:
        session, question = world.session, objects["question"]
        now = question.created_at
        practice_set = PracticeSet(user_id=owner.id, mode="random", size=1, created_at=now)
        session.add(practice_set)
        session.flush()
        session.add(PracticeItem(set_id=practice_set.id, position=1, question_id=question.id, question_version_id=question.current_version_id))
        entry = record_answer(session, user_id=owner.id, question_id=question.id, qtype="single", correct=False, duration_ms=None, now=now).entry
        paper = make_paper(session, objects["bank"], questions=[question])
        mock = start_mock_attempt(session, owner, paper, [[question.id, question.current_version_id, 1.0, 4]], time_limit_minutes=600)
        if "mock_paper" not in objects:
            objects["mock_paper"] = MockPaper(title=f"{side}模拟卷", paper_id=paper.id, org_unit_id=objects["unit"].id, time_limit_minutes=30)
            session.add(objects["mock_paper"])
        session.flush()
        objects[key] = {"set_id": practice_set.id, "entry_id": entry.id, "mock_id": mock.id, "mock_paper_id": objects["mock_paper"].id}
        session.commit()
    return objects[key]


def _assessment_objects(world: World, side: str, actor) -> dict:
    """A computed plan of 郑州 (inside: every actor is one of its cadres) or of 洛龙 (outside), and
    a record in it: the actor's own inside (the cadre's for anonymous callers), someone in 洛龙 outside."""
    from sqlalchemy import select

    from quiz.assessment.models import AssessmentRecord
    from quiz.assessment.services import compute_plan, create_plan

    objects = getattr(world, side)
    if "plan" not in objects:
        unit = world.units["郑州"] if side == "inside" else objects["unit"]
        plan = create_plan(world.session, None, title=f"{side}考核方案", year=2026, org_unit_id=unit.id,
                           components=[{"key": "c1", "kind": "practice", "name": "练习题量", "weight": 100, "measure": "volume", "target": 10}])
        compute_plan(world.session, None, plan)
        objects["plan"] = plan
        world.session.commit()
    plan = objects["plan"]
    owner = (actor or world.actors["cadre"]) if side == "inside" else world.outside["user"]
    record_id = world.session.scalar(select(AssessmentRecord.id).where(AssessmentRecord.plan_id == plan.id, AssessmentRecord.user_id == owner.id))
    return {"plan_id": plan.id, "record_id": record_id}


def _pending_upload_token(world: World, actor, side: str) -> str:
    from quiz.uploads.models import store

    owner = actor if side == "inside" and actor is not None else world.outside["user"]
    token = store(world.session, owner.id, "bank", "x.csv", "题型,题干,答案\n判断,测试题干,对\n".encode()).token
    world.session.commit()
    return token


def _request(client, rule, url: str, api: bool):
    method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    if method == "GET":
        return client.get(url)
    token = _csrf(client)
    if api:  # a well-formed body, so that the answer reflects access, not validation
        body = {"answer": None, "seq": 1} if method == "PUT" else {}
        return client.open(url, method=method, json=body, headers={"X-CSRFToken": token})
    return client.open(url, method=method, data={"csrf_token": token})


def _csrf(client) -> str:
    page = client.get("/login" if not _signed_in(client) else "/password").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return match.group(1) if match else ""


def _signed_in(client) -> bool:
    return client.get("/me").status_code == 200


def check(status: int, expectation: str) -> bool:
    if expectation == "login":
        return status in (302, 401)
    if expectation == "forbidden":
        return status == 403
    if expectation == "hidden":
        return status in (403, 404)
    return status < 500 and status not in (401, 403, 404)


def _routes(app: Flask):
    return sorted((r for r in app.url_map.iter_rules()), key=lambda r: r.endpoint)


def test_every_route_has_an_entry(app):
    missing = sorted({r.endpoint for r in _routes(app)} - set(EXPECTED))
    assert not missing, f"routes without an entry in the authorization matrix: {missing}"


def test_an_unprotected_route_added_to_the_app_fails_the_matrix(app):
    """The guard itself: a new route with no entry is caught."""

    @app.route("/sneaky")
    def sneaky():
        return "secret"

    missing = sorted({r.endpoint for r in _routes(app)} - set(EXPECTED))
    assert missing == ["sneaky"]


def _endpoints():
    from quiz import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True, "INSTANCE_PATH": "/tmp/quiz-matrix-instance"})
    return [r.endpoint for r in _routes(app) if r.endpoint in EXPECTED]


@pytest.mark.parametrize("endpoint", _endpoints())
def test_route_answers_each_role_as_the_matrix_says(app, session, endpoint):
    expected = EXPECTED[endpoint]
    world = build_world(session)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    failures = []
    for who in (None, *ROLES):
        actor = world.actors.get(who)
        client = app.test_client()
        if actor is not None:
            response = Auth(client).login(actor.username, PASSWORD)
            assert response.status_code == 302, f"{who} could not sign in"
        sides = ("inside", "outside") if expected.scoped else ("inside",)
        for side in sides:
            with app.test_request_context():
                from flask import url_for

                url = url_for(endpoint, **url_values(world, rule, actor, side, client))
            status = _request(client, rule, url, expected.api).status_code
            if expected.roles is None:
                expectation = "allowed"
            elif actor is None:
                expectation = "login"
            elif expected.roles and who not in expected.roles:
                expectation = "forbidden"
            elif side == "outside":
                expectation = "hidden"
            else:
                expectation = "allowed"
            if not check(status, expectation):
                failures.append(f"{who or 'anonymous'} {side}: {rule.methods - {'HEAD', 'OPTIONS'}} {url} → {status}, expected {expectation}")
    assert not failures, "\n".join(failures)

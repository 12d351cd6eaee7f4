"""The attempt API (DESIGN.md "The attempt API") on the shared ``/api/v1`` blueprint.

Views parse, call a service, commit, answer. Writes start a write transaction first
(``start_write``: BEGIN IMMEDIATE on SQLite) and commit before answering (``commit_or_error``),
so a 200 for a save means the answer is in the database. Nothing in any answer during an
attempt carries an answer key, explanation or correctness flag (``attempts.attempt_payload``).
"""
from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from question_bank.messages import N_
from quiz.api import bp
from quiz.api.common import (
    commit_or_error,
    error,
    finalise_after_close,
    grace_seconds,
    login_required_json,
    now,
    start_write,
    user,
)
from quiz.contests import attempts as svc
from quiz.contests.errors import ContestError
from quiz.contests.leaderboard import (
    DEFAULT_TTL_SECONDS,
    RedisCache,
    TTLCache,
    cached,
    can_view_leaderboard,
    contest_leaderboard,
    unit_standings,
)
from quiz.contests.models import Attempt, Contest
from quiz.contests.services import contests_for, is_eligible
from quiz.db import get_session, writes


def _contest_json(contest: Contest, mine: dict | None = None) -> dict:
    body = {
        "id": contest.id, "title": contest.title, "notice": contest.notice,
        "opens_at": svc.iso(contest.opens_at), "closes_at": svc.iso(contest.closes_at),
        "time_limit_minutes": contest.time_limit_minutes, "attempts_allowed": contest.attempts_allowed,
        "pass_score": contest.pass_score, "one_page": contest.one_page,
        "integrity": {"count_tab_switches": contest.count_tab_switches, "count_pastes": contest.count_pastes,
                      "auto_submit_after_switches": contest.auto_submit_after_switches},
    }
    if mine is not None:
        body["phase"] = mine["phase"]
        body["my"] = {k: v for k, v in mine.items() if k != "phase"}
    return body


def _visible_contest(contest_id: int) -> Contest:
    """A published contest the user is eligible for; a draft or unknown id is 404, not eligible 403."""
    contest = get_session().get(Contest, contest_id)
    if contest is None or contest.status in ("draft", "archived"):
        raise ContestError("not_found", N_("竞赛不存在"))
    if not is_eligible(contest, user()):
        raise ContestError("not_eligible", N_("您不在本次竞赛的参赛范围内"))
    return contest


@bp.get("/contests")
@login_required_json
def list_contests():
    moment = now()
    rows = contests_for(get_session(), user(), now=moment)
    return {"server_time": svc.iso(moment), "contests": [_contest_json(c, mine) for c, mine in rows]}


@bp.get("/contests/<int:contest_id>")
@login_required_json
def read_contest(contest_id: int):
    moment = now()
    contest = _visible_contest(contest_id)
    mine = dict(next((m for c, m in contests_for(get_session(), user(), now=moment) if c.id == contest.id), {}))
    return {"server_time": svc.iso(moment), **_contest_json(contest, mine or None)}


@bp.post("/contests/<int:contest_id>/attempts")
@login_required_json
def start(contest_id: int):
    """Start (or resume) the cadre's attempt: two transactions on purpose, not ``@writes``.

    ``@writes`` begins the writer at the sign-in check, which fits a save (its few reads are the
    decision itself). A start first reads the sign-in, the contest, the cadre's roles and unit to
    decide visibility, eligibility and phase; under ``@writes`` SQLite's single write lock would be
    held through those reads too, and in the start storm (hundreds of cadres pressing 开始 in the
    same minute) every start would queue behind the others' reads. So those reads run in a read
    transaction (WAL readers do not block), and refusals (not found, not eligible, not open yet or
    any more) end there without ever taking the lock. Then ``start_write`` takes the write lock
    once (BEGIN IMMEDIATE; on PostgreSQL the cadre's row FOR UPDATE) for the decision that must be
    atomic (the cadre's attempts, eligibility and phase re-checked) and the inserts, and commits
    before answering. docs/api.md "Cost of a start"."""
    moment = now()
    contest = _visible_contest(contest_id)
    svc.refuse_unless_running(contest, moment)  # before the lock: an early press costs no write transaction
    session = start_write()
    try:
        attempt, created = svc.start_attempt(session, user(), contest, now=moment, grace_seconds=grace_seconds())
        commit_or_error()
    except ContestError:
        commit_or_error()  # keep an expired attempt's finalisation even when no new attempt may start
        raise
    except IntegrityError:  # PostgreSQL: a concurrent start of the same cadre won; answer its attempt
        session.rollback()
        session = start_write()
        attempt, created = svc.start_attempt(session, user(), contest, now=moment, grace_seconds=grace_seconds())
        commit_or_error()
    return svc.attempt_payload(session, attempt, now=moment, with_responses=not created), 201 if created else 200


def _own_attempt(attempt_id: int) -> Attempt:
    return svc.get_attempt(get_session(), user(), attempt_id)


def _finalise_if_expired(attempt: Attempt, moment) -> None:
    """Finalisation on access: an attempt past deadline + grace is graded with what was saved."""
    if attempt.status == "in_progress" and attempt.deadline < moment - svc._grace(grace_seconds()):
        session = start_write()
        svc.finalise_if_expired(session, attempt, now=moment, grace_seconds=grace_seconds(), how="access")
        commit_or_error()


@bp.get("/attempts/<int:attempt_id>")
@login_required_json
def read_attempt(attempt_id: int):
    moment = now()
    attempt = _own_attempt(attempt_id)
    _finalise_if_expired(attempt, moment)
    return svc.attempt_payload(get_session(), attempt, now=moment)


@bp.put("/attempts/<int:attempt_id>/responses/<int:question_id>")
@writes
@login_required_json
def save(attempt_id: int, question_id: int):
    """The busiest path of a contest. One write transaction from the sign-in check to the commit
    (``@writes``) and two statements of its own (``attempts.save_response``); docs/api.md "Cost of a save"."""
    moment = now()
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "answer" not in data:
        return error("invalid", _("请以 JSON 提交 {\"answer\": ..., \"seq\": n}"), 400)
    session = start_write()
    try:
        result = svc.save_response(session, user(), attempt_id, question_id, data["answer"], seq=data.get("seq"),
                                   now=moment, grace_seconds=grace_seconds())
    except ContestError as exc:
        if exc.code == "deadline_passed":  # finalise now, with what was saved in time, and keep that
            svc.finalise_if_expired(session, _own_attempt(attempt_id), now=moment, grace_seconds=grace_seconds(), how="access")
            commit_or_error()
        raise
    commit_or_error()
    return {"saved_at": svc.iso(result.saved_at), "remaining_seconds": result.remaining_seconds, "stored": result.stored}


@bp.post("/attempts/<int:attempt_id>/submit")
@writes
@login_required_json
def submit(attempt_id: int):
    moment = now()
    session = start_write()
    attempt = _own_attempt(attempt_id)
    svc.submit_attempt(session, user(), attempt, now=moment, grace_seconds=grace_seconds())
    commit_or_error()
    return svc.result_payload(session, attempt, now=moment)


@bp.post("/attempts/<int:attempt_id>/events")
@writes
@login_required_json
def events(attempt_id: int):
    moment = now()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return error("invalid", _("请以 JSON 提交 {\"tab_switches\": n, \"pastes\": n}"), 400)
    session = start_write()
    attempt = _own_attempt(attempt_id)
    svc.record_integrity(session, user(), attempt, tab_switches=data.get("tab_switches"), pastes=data.get("pastes"),
                         now=moment, grace_seconds=grace_seconds())
    commit_or_error()
    return {"status": attempt.status, "tab_switches": attempt.tab_switches, "pastes": attempt.pastes}


def leaderboard_cache():
    """The app's leaderboard cache (Redis when REDIS_URL is set, else per process); pages share it."""
    cache = current_app.extensions.get("contest_cache")
    if cache is None:
        url = current_app.config.get("REDIS_URL")
        cache = RedisCache(url) if url else TTLCache()
        current_app.extensions["contest_cache"] = cache
    return cache


_cache = leaderboard_cache


@bp.get("/contests/<int:contest_id>/leaderboard")
@login_required_json
def leaderboard(contest_id: int):
    moment = now()
    session = get_session()
    contest = session.get(Contest, contest_id)
    if contest is None or contest.status == "draft" or not can_view_leaderboard(session, contest, user(), now=moment):
        raise ContestError("not_found", N_("排行榜不存在或尚未公开"))
    phase = contest.phase(moment)
    session, finalised = finalise_after_close(contest, moment, commit=commit_or_error)
    limit = min(max(request.args.get("limit", 100, type=int) or 100, 1), 1000)
    ttl = current_app.config.get("LEADERBOARD_CACHE_SECONDS", DEFAULT_TTL_SECONDS)
    # The phase is in the key, so the first read after close never sees a figure cached while running.
    body = cached(leaderboard_cache(), f"contest-leaderboard:{contest.id}:{phase}:{limit}", ttl, lambda: {
        "rows": contest_leaderboard(session, contest, limit=limit),
        "units": unit_standings(session, contest),
    }, refresh=finalised > 0)
    return {"contest_id": contest.id, "phase": phase, "server_time": svc.iso(moment), **body}

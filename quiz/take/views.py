"""The cadre's contest pages: views parse, call a query or service, render.

- ``/contests/``: my contests: open now, upcoming, done.
- ``/contests/<id>``: the notice (须知) and the start button (POST ``/contests/<id>/start``).
- ``/attempts/<id>``: the attempt page's shell; ``static/js/attempt.js`` does the rest over the API.
- ``/attempts/<id>/result``: the result as the release setting allows, and the review after close.
- ``/contests/<id>/leaderboard``: the leaderboard, when the contest shows it.

A contest the user may not take, and an attempt that is not theirs, are 404 (we do not confirm
that it exists). Every time is the server's (``quiz.api.common.now``, frozen in tests).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from question_bank.grading import MAX_BLANK_CHARS, MAX_SHORT_ANSWER_CHARS
from quiz.api.common import finalise_after_close, grace_seconds, now, start_write
from quiz.auth.access import role_required
from quiz.contests import attempts as svc
from quiz.contests.api import leaderboard_cache  # the API's cache: the page and the API share entries
from quiz.contests.errors import ContestError
from quiz.contests.leaderboard import DEFAULT_TTL_SECONDS, can_view_leaderboard, cached, contest_leaderboard, unit_standings
from quiz.contests.models import Attempt, Contest
from quiz.contests.services import is_eligible
from quiz.db import get_session
from quiz.i18n import translate
from quiz.take import bp
from quiz.take.queries import (
    counted_of,
    my_contests,
    my_rank,
    paper_size,
    rank_visible,
    review_allowed,
    review_items,
)

LEADERBOARD_ROWS = 100


def _user():
    return current_user._get_current_object()


def _contest_for_me(contest_id: int) -> Contest:
    """A published (or closed) contest I may take; anything else is 404."""
    contest = get_session().get(Contest, contest_id)
    if contest is None or contest.status in ("draft", "archived") or not is_eligible(contest, _user()):
        abort(404)
    return contest


def _my_attempt(attempt_id: int) -> Attempt:
    """My own contest attempt, finalised first if its deadline and the grace have passed."""
    try:
        attempt = svc.get_attempt(get_session(), _user(), attempt_id)
    except ContestError:
        abort(404)
    if attempt.contest_id is None:
        abort(404)
    moment = now()
    if attempt.status == "in_progress" and attempt.deadline < moment - timedelta(seconds=grace_seconds()):
        session = start_write()
        svc.finalise_if_expired(session, attempt, now=moment, grace_seconds=grace_seconds(), how="access")
        session.commit()
    return attempt


@bp.route("/contests/")
@role_required()
def contests():
    return render_template("take/contests.html", mine=my_contests(get_session(), _user(), now=now()), now=now())


@bp.route("/contests/<int:contest_id>")
@role_required()
def notice(contest_id: int):
    session = get_session()
    contest = _contest_for_me(contest_id)
    moment = now()
    mine = list(session.scalars(
        select(Attempt).where(Attempt.contest_id == contest.id, Attempt.user_id == current_user.id, Attempt.kind == "contest")
        .order_by(Attempt.number)
    ))
    in_progress = next((a for a in mine if a.status == "in_progress"), None)
    finished = [a for a in mine if a.status != "in_progress"]
    phase = contest.phase(moment)
    return render_template(
        "take/notice.html", contest=contest, phase=phase, size=paper_size(session, contest), attempts_used=len(mine),
        in_progress=in_progress, latest=finished[-1] if finished else None,
        can_start=phase == "running" and (in_progress is not None or len(mine) < contest.attempts_allowed),
        leaderboard_visible=can_view_leaderboard(session, contest, _user(), now=moment),
    )


@bp.route("/contests/<int:contest_id>/start", methods=["POST"])
@role_required()
def start(contest_id: int):
    """开始答题 / 继续答题: the attempt in progress, or a new one; then the attempt page."""
    contest = _contest_for_me(contest_id)
    moment = now()
    session = start_write()
    try:
        try:
            attempt, _created = svc.start_attempt(session, _user(), contest, now=moment, grace_seconds=grace_seconds())
            session.commit()
        except IntegrityError:  # PostgreSQL: a concurrent start of mine (a double tap) won; take its attempt
            session.rollback()
            session = start_write()
            attempt, _created = svc.start_attempt(session, _user(), contest, now=moment, grace_seconds=grace_seconds())
            session.commit()
    except ContestError as exc:
        session.commit()  # keep an expired attempt's finalisation even when no new attempt may start
        flash(translate(exc.message), "error")
        return redirect(url_for("take.notice", contest_id=contest.id))
    return redirect(url_for("take.attempt", attempt_id=attempt.id))


def _counted(message: Callable[[int], str]) -> dict[str, str]:
    """A count message for attempt.js: the language's form for one and for many ({n} is the count);
    the script picks one with Intl.PluralRules. ``message`` calls ngettext, so extraction sees both forms."""
    return {"one": message(1), "other": message(2)}


def attempt_messages() -> dict[str, str | dict[str, str]]:
    """The attempt page's words, in the user's language, for attempt.js ({n}-style placeholders)."""
    return {
        "saved": _("已保存"), "saving": _("保存中"), "offline": _("未连接"),
        "pending_local": _counted(lambda n: ngettext("{n} 个答案暂存在本机，联网后自动提交", "{n} 个答案暂存在本机，联网后自动提交", n)),
        "signed_out": _("登录已失效：请在新标签页重新登录，答案暂存在本机"),
        "server_busy": _("服务器暂时无法保存，正在重试"),
        "loading": _("正在加载试题…"), "load_failed": _("试题加载失败，正在重试…"),
        "question_n": _("第 {n} 题"), "of_total": _("第 {n} 题，共 {total} 题"), "points": _("{points} 分"),
        "single": _("单选"), "multiple": _("多选"), "true_false": _("判断"), "fill_blank": _("填空"), "short_answer": _("简答"),
        "true": _("正确"), "false": _("错误"), "blank_n": _("第 {n} 空"), "your_answer": _("您的回答"),
        "mark": _("标记本题"), "marked": _("已标记"), "prev": _("上一题"), "next": _("下一题"),
        "answered": _("已作答"), "unanswered": _("未作答"), "nav_item": _("第 {n} 题：{state}"),
        "nav_item_marked": _("第 {n} 题：{state}，已标记"),
        "progress": _("已答 {answered} / {total}"),
        "confirm_unanswered": _counted(lambda n: ngettext("还有 {n} 道题未作答，点题号可返回作答：", "还有 {n} 道题未作答，点题号可返回作答：", n)),
        "confirm_all": _("全部题目均已作答。"), "confirm_marked": _counted(lambda n: ngettext("{n} 道题已标记待检查。", "{n} 道题已标记待检查。", n)),
        "submitting": _("正在交卷…"),
        "submit_unsaved": _counted(lambda n: ngettext("还有 {n} 个答案尚未保存到服务器。请检查网络，保存后再交卷。", "还有 {n} 个答案尚未保存到服务器。请检查网络，保存后再交卷。", n)),
        "submit_failed": _("交卷未成功：{message}"), "submit_offline": _("交卷未成功：未连接，请检查网络后重试"),
        "time_warning": _counted(lambda n: ngettext("还剩 {n} 分钟", "还剩 {n} 分钟", n)), "time_up": _("答题时间已到，正在自动交卷…"),
        "finished_time_up": _("答题时间已到，答卷已自动提交。"), "finished_other": _("答卷已结束（已交卷，或竞赛已结束）。"),
        "finished_submitted": _("答卷已提交。"),
        "lost_answers": _counted(lambda n: ngettext("{n} 个答案未能在截止时间前保存到服务器。", "{n} 个答案未能在截止时间前保存到服务器。", n)),
        "rejected": _("第 {n} 题的答案未能保存：{message}"),
        "switches": _counted(lambda n: ngettext("已记录离开答题页 {n} 次", "已记录离开答题页 {n} 次", n)),
        "switches_limit": _counted(lambda n: ngettext("已记录离开答题页 {n} 次，达到 {limit} 次将自动交卷", "已记录离开答题页 {n} 次，达到 {limit} 次将自动交卷", n)),
        "pastes": _counted(lambda n: ngettext("已记录粘贴 {n} 次", "已记录粘贴 {n} 次", n)),
    }


@bp.route("/attempts/<int:attempt_id>")
@role_required()
def attempt(attempt_id: int):
    attempt = _my_attempt(attempt_id)
    if attempt.status != "in_progress":
        return redirect(url_for("take.result", attempt_id=attempt.id))
    contest = get_session().get(Contest, attempt.contest_id)
    return render_template(
        "take/attempt.html", attempt=attempt, contest=contest, messages=attempt_messages(),
        grace=grace_seconds(), max_blank=MAX_BLANK_CHARS, max_text=MAX_SHORT_ANSWER_CHARS,
    )


@bp.route("/attempts/<int:attempt_id>/result")
@role_required()
def result(attempt_id: int):
    session = get_session()
    attempt = _my_attempt(attempt_id)
    if attempt.status == "in_progress":
        return redirect(url_for("take.attempt", attempt_id=attempt.id))
    contest = session.get(Contest, attempt.contest_id)
    moment = now()
    phase = contest.phase(moment)
    visible = contest.results_visible(moment)
    mine = list(session.scalars(select(Attempt).where(Attempt.contest_id == contest.id, Attempt.user_id == current_user.id,
                                                      Attempt.kind == "contest").order_by(Attempt.number)))
    finished = [a for a in mine if a.status != "in_progress"]
    counted = counted_of(contest, finished) if visible else None
    rank = my_rank(session, contest, current_user.id) if visible and rank_visible(session, contest, _user(), now=moment) else None
    review = review_allowed(contest, phase, visible)
    return render_template(
        "take/result.html", attempt=attempt, contest=contest, phase=phase, visible=visible, counted=counted,
        attempts=mine, rank=rank, review=review_items(session, attempt) if review else None,
        review_later=contest.review_after_close and phase not in ("closed", "archived"),
        can_start_again=phase == "running" and len(mine) < contest.attempts_allowed,
        leaderboard_visible=can_view_leaderboard(session, contest, _user(), now=moment),
    )


@bp.route("/contests/<int:contest_id>/leaderboard")
@role_required()
def leaderboard(contest_id: int):
    session = get_session()
    moment = now()
    contest = session.get(Contest, contest_id)
    if contest is None or contest.status == "draft" or not can_view_leaderboard(session, contest, _user(), now=moment):
        abort(404)
    phase = contest.phase(moment)
    session, finalised = finalise_after_close(contest, moment)
    ttl = current_app.config.get("LEADERBOARD_CACHE_SECONDS", DEFAULT_TTL_SECONDS)
    body = cached(leaderboard_cache(), f"contest-leaderboard:{contest.id}:{phase}:{LEADERBOARD_ROWS}", ttl, lambda: {
        "rows": contest_leaderboard(session, contest, limit=LEADERBOARD_ROWS),
        "units": unit_standings(session, contest),
    }, refresh=finalised > 0)
    rank = my_rank(session, contest, current_user.id)
    return render_template("take/leaderboard.html", contest=contest, phase=phase, rows=body["rows"], units=body["units"],
                           rank=rank, limit=LEADERBOARD_ROWS)

"""The practice pages (练习与自测) at /practice: views parse, call ``quiz.practice.services``, render.

Every page is the signed-in user's own: a set, a review-book entry or a mock exam of someone else
is 404 (we do not confirm that it exists). Times come from ``quiz.api.common.now`` (frozen in
tests), days are in QUIZ_TIMEZONE. Pages that may write start a write transaction first
(``start_write``); the request boundary commits.

Answering is one question per screen and works without script: the form posts the answer, the
next page shows the feedback (right or wrong, the key, the explanation, the cited article), then
the next question; at the end, the set's summary. Mock exams show every question on one page and
save each answer through the attempt API as it is given (``static/js/practice.js``); the submit
button posts the whole form, so they work without script too.
"""
from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from question_bank.grading import MAX_BLANK_CHARS, MAX_SHORT_ANSWER_CHARS
from question_bank.models import KnowledgePoint, Question, QuestionVersion, Subject, version_knowledge_points
from quiz.accounts.scope import units_in_reach
from quiz.api.common import grace_seconds, now, start_write
from quiz.audit.services import record
from quiz.auth.access import role_required
from quiz.contests import attempts as attempt_svc
from quiz.contests.errors import ContestError
from quiz.contests.models import Paper
from quiz.db import get_session
from quiz.i18n import translate
from quiz.practice import bp, mock_exams, review, services as svc, stats
from quiz.practice.forms import MockPaperForm, RandomForm
from quiz.practice.models import PracticeItem

def _user():
    return current_user._get_current_object()


def _tz() -> str:
    return current_app.config.get("QUIZ_TIMEZONE") or svc.DEFAULT_TIMEZONE


def _error(exc: svc.PracticeError, back: str):
    """A service refusal: 404 for what is not the user's, else the message and back."""
    get_session().rollback()
    if exc.code == "not_found":
        abort(404)
    flash(translate(exc.message), "error" if exc.code == "invalid" else "info")
    return redirect(back)


def mode_name(mode: str) -> str:
    names = {
        "random": _("随机练习"), "sequential": _("顺序练习"), "daily": _("每日一练"), "review": _("错题复习"),
        "favourites": _("收藏练习"), "focus": _("专项练习"), "mock": _("模拟考试"),
    }
    return names.get(mode, mode)


def type_name(qtype: str) -> str:
    return {"single": _("单选"), "multiple": _("多选"), "true_false": _("判断"), "fill_blank": _("填空"),
            "short_answer": _("简答")}.get(qtype, qtype)


def key_parts(version: QuestionVersion) -> dict[str, Any]:
    """The answer key in the words a cadre reads: letters with option text, 正确/错误, blanks."""
    key, qtype = version.answer, version.type
    if qtype == "single" and isinstance(key, str):
        return {"letters": key, "texts": _option_texts(version, [key])}
    if qtype == "multiple" and isinstance(key, (list, str)):
        letters = sorted(key)
        return {"letters": "".join(letters), "texts": _option_texts(version, letters)}
    if qtype == "true_false":
        return {"text": _("正确") if key is True else _("错误")}
    if qtype == "fill_blank" and isinstance(key, list):
        return {"blanks": ["／".join(str(a) for a in (alts if isinstance(alts, list) else [alts])) for alts in key]}
    if qtype == "short_answer" and isinstance(key, dict):
        return {"text": key.get("reference") or "", "keywords": ["／".join(g) for g in key.get("keywords") or [] if isinstance(g, list)]}
    return {"text": str(key)}


def _option_texts(version: QuestionVersion, letters) -> list[str]:
    options = version.options or []
    out = []
    for letter in letters:
        index = "ABCDEFGH".find(letter)
        if 0 <= index < len(options):
            out.append(f"{letter}. {options[index]}")
    return out


def response_text(version: QuestionVersion, response: Any) -> str:
    """The cadre's answer (canonical keys) as text; an empty string for 不会 / unanswered."""
    if response is None:
        return ""
    if version.type == "multiple" and isinstance(response, list):
        return "".join(response)
    if version.type == "true_false" and isinstance(response, bool):
        return _("正确") if response else _("错误")
    if version.type == "fill_blank" and isinstance(response, list):
        return "；".join(str(r or "") for r in response)
    return str(response)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


for _name, _fn in (("practice_mode_name", mode_name), ("practice_type_name", type_name), ("practice_key", key_parts),
                   ("practice_response", response_text), ("practice_percent", percent)):
    bp.add_app_template_global(_fn, _name)


@bp.app_template_global("practice_home")
def practice_home() -> dict[str, Any]:
    """The 练习与自测 card of the cadre's home page: today's set, the streak, the review book."""
    s = get_session()
    moment = now()
    user = _user()
    today = svc.today_daily(s, user, now=moment, tz=_tz())
    return {"today": today, "streak": svc.daily_streak(s, user.id, now=moment, tz=_tz()),
            "book": svc.book_size(s, user, now=moment)}


# ---- the practice home ---------------------------------------------------------------------------


@bp.route("/")
@role_required()
def index():
    s = get_session()
    moment = now()
    user = _user()
    return render_template(
        "practice/index.html", home=practice_home(), recent=svc.recent_sets(s, user),
        open_mock=mock_exams.open_mock(s, user, now=moment),
    )


def _knowledge_point_choices(s, user, moment) -> list[tuple[int, str]]:
    """Knowledge points that practisable questions carry, by name."""
    kp = version_knowledge_points
    rows = s.execute(
        select(KnowledgePoint.id, KnowledgePoint.name).join(kp, kp.c.knowledge_point_id == KnowledgePoint.id)
        .join(Question, Question.current_version_id == kp.c.version_id)
        .where(svc.practisable_clause(user, svc.hidden_bank_ids(s, moment))).distinct().order_by(KnowledgePoint.name)
    ).all()
    return [(pid, name) for pid, name in rows]


def _random_form(s, user, moment) -> RandomForm:
    form = RandomForm()
    form.subject_id.choices = [(None, _("不限科目"))] + [
        (x.id, x.name) for x in s.scalars(select(Subject).where(Subject.active.is_(True)).order_by(Subject.sort_order, Subject.id))]
    form.knowledge_point_id.choices = [(None, _("不限知识点"))] + _knowledge_point_choices(s, user, moment)
    form.bank_id.choices = [(None, _("全部题库"))] + [(b.id, b.name) for b, _n in svc.practisable_banks(s, user, moment)]
    return form


@bp.route("/random", methods=["GET", "POST"])
@role_required()
def random_practice():
    s = get_session()
    moment = now()
    user = _user()
    form = _random_form(s, user, moment)
    if request.method == "GET":
        form.subject_id.data = request.args.get("subject", type=int)
        form.knowledge_point_id.data = request.args.get("kp", type=int)
    if form.validate_on_submit():
        low, high = (int(x) for x in (form.difficulty.data or "1-5").split("-"))
        filters = svc.Filters(count=form.count.data, subject_id=form.subject_id.data, knowledge_point_id=form.knowledge_point_id.data,
                              type=form.type.data or None, difficulty_min=low, difficulty_max=high, bank_id=form.bank_id.data)
        start_write()
        try:
            practice_set = svc.start_random(s, user, filters, now=moment)
        except svc.PracticeError as exc:
            return _error(exc, url_for("practice.random_practice"))
        return redirect(url_for("practice.set_view", set_id=practice_set.id))
    return render_template("practice/random.html", form=form), 422 if request.method == "POST" else 200


@bp.route("/sequential", methods=["GET", "POST"])
@role_required()
def sequential():
    s = get_session()
    moment = now()
    user = _user()
    if request.method == "POST":
        bank_id = request.form.get("bank_id", type=int)
        if bank_id is None:
            flash(_("请选择题库"), "error")
            return redirect(url_for("practice.sequential"))
        start_write()
        try:
            practice_set = svc.start_sequential(s, user, bank_id, now=moment)
        except svc.PracticeError as exc:
            return _error(exc, url_for("practice.sequential"))
        return redirect(url_for("practice.set_view", set_id=practice_set.id))
    banks = svc.practisable_banks(s, user, moment)
    progress = svc.sequential_progress(s, user, [b.id for b, _n in banks], moment)
    return render_template("practice/sequential.html", banks=banks, progress=progress)


@bp.route("/daily", methods=["POST"])
@role_required()
def daily():
    s = start_write()
    moment = now()
    try:
        try:
            practice_set = svc.start_daily(s, _user(), now=moment, tz=_tz())
            s.commit()
        except IntegrityError:  # a second tab made today's set a moment earlier: take that one
            s.rollback()
            start_write()
            practice_set = svc.start_daily(s, _user(), now=moment, tz=_tz())
    except svc.PracticeError as exc:
        return _error(exc, url_for("practice.index"))
    if practice_set.finished:
        return redirect(url_for("practice.summary", set_id=practice_set.id))
    return redirect(url_for("practice.set_view", set_id=practice_set.id))


@bp.route("/review", methods=["POST"])
@role_required()
def review_start():
    s = start_write()
    try:
        practice_set = svc.start_review(s, _user(), now=now())
    except svc.PracticeError as exc:
        return _error(exc, url_for("practice.review_book"))
    return redirect(url_for("practice.set_view", set_id=practice_set.id))


@bp.route("/favourites")
@role_required()
def favourites():
    return render_template("practice/favourites.html", rows=svc.favourites(get_session(), _user(), now=now()))


@bp.route("/favourites/start", methods=["POST"])
@role_required()
def favourites_start():
    s = start_write()
    try:
        practice_set = svc.start_favourites(s, _user(), now=now())
    except svc.PracticeError as exc:
        return _error(exc, url_for("practice.favourites"))
    return redirect(url_for("practice.set_view", set_id=practice_set.id))


def _safe_next(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/practice/") and "//" not in target and "\\" not in target else default


@bp.route("/favourite", methods=["POST"])
@role_required()
def favourite():
    back = _safe_next(url_for("practice.favourites"))
    question_id = request.form.get("question_id", type=int)
    if question_id is None:
        flash(_("请选择要收藏的题目"), "error")
        return redirect(back)
    s = start_write()
    try:
        added = svc.toggle_favourite(s, _user(), question_id, now=now())
    except svc.PracticeError as exc:
        return _error(exc, back)
    flash(_("已收藏") if added else _("已取消收藏"), "success")
    return redirect(back)


@bp.route("/focus", methods=["GET", "POST"])
@role_required()
def focus():
    s = get_session()
    moment = now()
    user = _user()
    if request.method == "POST":
        start_write()
        try:
            practice_set = svc.start_focus(
                s, user, now=moment, knowledge_point_id=request.form.get("knowledge_point_id", type=int),
                material_id=request.form.get("material_id", type=int), chapter=(request.form.get("chapter") or "").strip()[:100] or None,
            )
        except svc.PracticeError as exc:
            return _error(exc, url_for("practice.focus"))
        return redirect(url_for("practice.set_view", set_id=practice_set.id))
    data = stats.progress(s, user, now=moment, tz=_tz())
    accuracy = {p.id: p for p in data.points}
    points = [(pid, name, accuracy.get(pid)) for pid, name in _knowledge_point_choices(s, user, moment)]
    return render_template("practice/focus.html", points=points, chapters=svc.focus_chapters(s, user, moment),
                           materials=svc.materials_available())


# ---- a set: one question per screen, feedback, summary --------------------------------------------


def _own_set(set_id: int):
    try:
        return svc.get_set(get_session(), _user(), set_id)
    except svc.PracticeError:
        abort(404)


@bp.route("/sets/<int:set_id>")
@role_required()
def set_view(set_id: int):
    s = start_write()
    moment = now()
    practice_set = _own_set(set_id)
    shown = request.args.get("show", type=int)
    if shown is not None:
        views = svc.item_views(s, _user(), practice_set, now=moment, positions=[shown])
        if views and views[0].answer is not None:
            return render_template("practice/feedback.html", practice_set=practice_set, view=views[0],
                                   entry=_entry_for(s, views[0].item.question_id), graduate=review.GRADUATE_AFTER,
                                   next_url=_next_url(practice_set))
    item = svc.current_item(s, _user(), practice_set, now=moment)
    if item is None:
        return redirect(url_for("practice.summary", set_id=practice_set.id))
    version = s.get(QuestionVersion, item.question_version_id)
    return render_template("practice/question.html", practice_set=practice_set, item=item, version=version,
                           blanks=svc._blank_count(version) or 0, max_blank=MAX_BLANK_CHARS, max_text=MAX_SHORT_ANSWER_CHARS,
                           favourite=bool(svc.favourite_ids(s, _user(), [item.question_id])))


def _entry_for(s, question_id: int):
    from quiz.practice.models import ReviewEntry

    return s.scalar(select(ReviewEntry).where(ReviewEntry.user_id == current_user.id, ReviewEntry.question_id == question_id))


def _next_url(practice_set) -> str:
    if practice_set.finished:
        return url_for("practice.summary", set_id=practice_set.id)
    return url_for("practice.set_view", set_id=practice_set.id)


def _raw_answer(version: QuestionVersion) -> Any:
    """The form's answer in the attempt API's shapes (None for 不会 or nothing chosen)."""
    form = request.form
    if "dont_know" in form:
        return None
    if version.type == "single":
        return form.get("answer") or None
    if version.type == "multiple":
        return form.getlist("answer") or None
    if version.type == "true_false":
        return {"true": True, "false": False}.get(form.get("answer", ""))
    if version.type == "fill_blank":
        blanks = [b[:MAX_BLANK_CHARS + 1] for b in form.getlist("blank")]
        return blanks if any(b.strip() for b in blanks) else None
    text = form.get("answer", "")
    return text if text.strip() else None


@bp.route("/sets/<int:set_id>/answer", methods=["POST"])
@role_required()
def answer(set_id: int):
    s = start_write()
    moment = now()
    practice_set = _own_set(set_id)
    position = request.form.get("position", type=int)
    item = s.get(PracticeItem, (practice_set.id, position)) if position else None
    if item is None:
        flash(_("请从题目页面作答"), "error")
        return redirect(url_for("practice.set_view", set_id=practice_set.id))
    version = s.get(QuestionVersion, item.question_version_id)
    raw = _raw_answer(version)
    if raw is None and "dont_know" not in request.form:
        flash(_("请先作答；不会可以点“不会，看答案”"), "error")
        return redirect(url_for("practice.set_view", set_id=practice_set.id))
    try:
        svc.answer_item(s, _user(), practice_set, position, raw, now=moment, tz=_tz())
    except svc.PracticeError as exc:
        if exc.code == "hidden":  # keep the skip
            s.commit()
            flash(translate(exc.message), "info")
            return redirect(url_for("practice.set_view", set_id=practice_set.id))
        return _error(exc, url_for("practice.set_view", set_id=practice_set.id))
    return redirect(url_for("practice.set_view", set_id=practice_set.id, show=position))


@bp.route("/sets/<int:set_id>/summary")
@role_required()
def summary(set_id: int):
    s = get_session()
    practice_set = _own_set(set_id)
    views = svc.item_views(s, _user(), practice_set, now=now())
    durations = [v.answer.duration_ms for v in views if v.answer is not None and v.answer.duration_ms is not None]
    return render_template("practice/summary.html", practice_set=practice_set, views=views,
                           seconds=round(sum(durations) / 1000) if durations else None,
                           book=svc.book_size(s, _user(), now=now()))


# ---- the review book ---------------------------------------------------------------------------


@bp.route("/review-book")
@role_required()
def review_book():
    s = get_session()
    moment = now()
    show = "mastered" if request.args.get("show") == "mastered" else "active"
    return render_template("practice/review_book.html", rows=svc.review_book(s, _user(), now=moment, status=show),
                           book=svc.book_size(s, _user(), now=moment), show=show, now_utc=moment,
                           graduate=review.GRADUATE_AFTER)


@bp.route("/review-book/<int:entry_id>")
@role_required()
def review_entry(entry_id: int):
    s = get_session()
    moment = now()
    try:
        entry = svc.get_entry(s, _user(), entry_id)
    except svc.PracticeError:
        abort(404)
    visible = bool(svc.practisable_ids(s, _user(), [entry.question_id], moment))
    version = s.get(Question, entry.question_id).current_version if visible else None
    history = svc.answer_history(s, _user(), entry.question_id) if visible else []
    return render_template("practice/review_entry.html", entry=entry, version=version, visible=visible, history=history,
                           article=svc.cited_articles(s, [version.id]).get(version.id) if version is not None else None,
                           graduate=review.GRADUATE_AFTER, now_utc=moment)


# ---- progress ------------------------------------------------------------------------------------


@bp.route("/progress")
@role_required()
def progress():
    s = get_session()
    data = stats.progress(s, _user(), now=now(), tz=_tz())
    return render_template("practice/progress.html", data=data, chart=stats.chart(data), weak_min=stats.WEAK_MIN_ANSWERS)


# ---- mock exams ----------------------------------------------------------------------------------


def _own_mock(mock_id: int):
    """My mock exam (attempt, set), finalised first if its deadline and the grace have passed."""
    s = get_session()
    try:
        attempt, practice_set = mock_exams.get_mock(s, _user(), mock_id)
    except svc.PracticeError:
        abort(404)
    moment = now()
    if attempt.status == "in_progress" and attempt.deadline < moment - timedelta(seconds=grace_seconds()):
        start_write()
        attempt_svc.finalise_if_expired(s, attempt, now=moment, grace_seconds=grace_seconds(), how="access")
        s.commit()
    return attempt, practice_set


@bp.route("/mock")
@role_required()
def mock_index():
    s = get_session()
    moment = now()
    user = _user()
    return render_template("practice/mock_index.html", contests=mock_exams.mock_contests(s, user, now=moment),
                           papers=mock_exams.mock_papers(s, user), history=mock_exams.mock_history(s, user),
                           open_mock=mock_exams.open_mock(s, user, now=moment))


@bp.route("/mock/start", methods=["POST"])
@role_required()
def mock_start():
    s = get_session()
    moment = now()
    user = _user()
    contest_id = request.form.get("contest_id", type=int)
    paper_id = request.form.get("mock_paper_id", type=int)
    contest = mock_paper = None
    if contest_id is not None:
        contest = next((c for c in mock_exams.mock_contests(s, user, now=moment) if c.id == contest_id), None)
        if contest is None:
            abort(404)
    elif paper_id is not None:
        mock_paper = next((p for p in mock_exams.mock_papers(s, user) if p.id == paper_id), None)
        if mock_paper is None:
            abort(404)
    else:
        flash(_("请选择一份模拟试卷"), "error")
        return redirect(url_for("practice.mock_index"))
    start_write()
    try:
        practice_set = mock_exams.start_mock(s, user, now=moment, contest=contest, mock_paper=mock_paper)
    except svc.PracticeError as exc:
        return _error(exc, url_for("practice.mock_index"))
    return redirect(url_for("practice.mock_take", mock_id=practice_set.attempt_id))


def mock_messages() -> dict[str, str | dict[str, str]]:
    """practice.js's words for the mock exam page, in the user's language (a count message as its
    forms for one and for many; practice.js picks one)."""
    return {"saved": _("已保存"), "saving": _("保存中"), "offline": _("未连接，提交试卷时会一并保存"),
            "time_up": _("时间到，正在交卷…"), "minutes_left": _("剩余 {m} 分 {s} 秒"),
            "confirm_submit": {form: ngettext("确定交卷吗？还有 {n} 题未作答。", "确定交卷吗？还有 {n} 题未作答。", n)
                               for form, n in (("one", 1), ("other", 2))}}


@bp.route("/mock/<int:mock_id>")
@role_required()
def mock_take(mock_id: int):
    s = get_session()
    attempt, practice_set = _own_mock(mock_id)
    if attempt.status != "in_progress":
        return redirect(url_for("practice.mock_result", mock_id=attempt.id))
    payload = attempt_svc.attempt_payload(s, attempt, now=now())
    return render_template("practice/mock_take.html", attempt=attempt, practice_set=practice_set, payload=payload,
                           messages=mock_messages(), max_blank=MAX_BLANK_CHARS, max_text=MAX_SHORT_ANSWER_CHARS)


def _mock_form_answer(question: dict[str, Any]) -> tuple[bool, Any]:
    """(given, answer) for one question of the mock exam form, in the API's shapes (display keys)."""
    name = f"q-{question['id']}"
    form = request.form
    if question["type"] == "multiple":
        return (f"{name}-present" in form), form.getlist(name) or None
    if question["type"] == "fill_blank":
        blanks = form.getlist(name)
        return bool(blanks), blanks if any(b.strip() for b in blanks) else None
    if name not in form:
        return False, None
    value = form.get(name, "")
    if question["type"] == "true_false":
        return True, {"true": True, "false": False}.get(value)
    return True, value if value.strip() else None


@bp.route("/mock/<int:mock_id>/submit", methods=["POST"])
@role_required()
def mock_submit(mock_id: int):
    s = get_session()
    attempt, _practice_set = _own_mock(mock_id)
    moment = now()
    user = _user()
    if attempt.status == "in_progress":
        s.commit()
        start_write()
        for question in attempt_svc.attempt_payload(s, attempt, now=moment, with_responses=False)["questions"]:
            given, value = _mock_form_answer(question)
            if not given:
                continue
            try:
                attempt_svc.save_response(s, user, attempt, question["id"], value, now=moment, grace_seconds=grace_seconds())
            except ContestError as exc:
                if exc.code in ("deadline_passed", "attempt_finished"):
                    break  # what was saved in time is graded
                flash(translate(exc.message), "error")
        attempt_svc.submit_attempt(s, user, attempt, now=moment, grace_seconds=grace_seconds())
        mock_exams.absorb_mock(s, user, attempt, now=moment)
    return redirect(url_for("practice.mock_result", mock_id=attempt.id))


@bp.route("/mock/<int:mock_id>/result")
@role_required()
def mock_result(mock_id: int):
    s = get_session()
    attempt, practice_set = _own_mock(mock_id)
    if attempt.status == "in_progress":
        return redirect(url_for("practice.mock_take", mock_id=attempt.id))
    if practice_set is None or practice_set.finished_at is None:
        s.commit()
        start_write()
        mock_exams.absorb_mock(s, _user(), attempt, now=now())
        s.commit()
        practice_set = mock_exams.get_mock(s, _user(), attempt.id)[1]
    return render_template("practice/mock_result.html", attempt=attempt, practice_set=practice_set,
                           items=mock_exams.mock_review(s, attempt), book=svc.book_size(s, _user(), now=now()))


# ---- practice papers (organizers) -----------------------------------------------------------------


def _audit():
    return partial(record, get_session(), current_user, ip_address=request.remote_addr or "")


@bp.route("/papers", methods=["GET", "POST"])
@role_required("organizer")
def papers():
    s = get_session()
    user = _user()
    form = MockPaperForm()
    available = mock_exams.manageable_papers(s, user)
    form.paper_id.choices = [(p.id, p.title) for p in available]
    units = units_in_reach(s, user, include_inactive=False)
    form.org_unit_id.choices = [(u.id, "　" * (u.depth - units[0].depth) + u.name) for u in units] if units else []
    if request.method == "GET":
        form.org_unit_id.data = user.org_unit_id
    if form.validate_on_submit():
        start_write()
        paper = s.get(Paper, form.paper_id.data)
        try:
            mock_paper = mock_exams.create_mock_paper(s, user, paper=paper, title=form.title.data, time_limit_minutes=form.time_limit_minutes.data,
                                               org_unit_id=form.org_unit_id.data, now=now(), audit=_audit())
        except svc.PracticeError as exc:
            return _error(exc, url_for("practice.papers"))
        flash(_("已开放模拟试卷“%(title)s”", title=mock_paper.title), "success")
        return redirect(url_for("practice.papers"))
    unit_names = {u.id: u.name for u in units}
    return render_template("practice/papers.html", form=form, rows=mock_exams.manageable_mock_papers(s, user), unit_names=unit_names,
                           paper_titles={p.id: p.title for p in available}), 422 if request.method == "POST" else 200


@bp.route("/papers/<int:mock_paper_id>/toggle", methods=["POST"])
@role_required("organizer")
def paper_toggle(mock_paper_id: int):
    s = start_write()
    try:
        mock_paper = mock_exams.get_manageable_mock_paper(s, _user(), mock_paper_id)
    except svc.PracticeError:
        abort(404)
    mock_exams.set_mock_paper_active(s, _user(), mock_paper, not mock_paper.active, audit=_audit())
    flash(_("已开放") if mock_paper.active else _("已停止开放"), "success")
    return redirect(url_for("practice.papers"))

"""The organizer's bank pages: banks, the question list with bulk actions, the question form, history.

Reach is the bank services' sharing rule: an organizer *uses* (reads) the banks of their unit and
the units above it and *manages* (changes) the banks of their own subtree. A bank outside both is
404 (its existence is not confirmed); a bank they may read but not change answers 403 to a write.
Views parse, call ``question_bank.services`` and render; the request boundary commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms.fields.choices import SelectChoice

from question_bank import answers
from question_bank.drafts import MAX_OPTIONS, QUESTION_TYPES, QuestionDraft
from question_bank.formats.template_rows import format_keywords, parse_keywords, split_knowledge_points
from question_bank.messages import BankError
from question_bank.models import STATUSES, Bank, Question, QuestionVersion, Subject
from question_bank.services import (
    banks_managed_by,
    banks_visible_to,
    bulk_move,
    bulk_retire,
    bulk_set_status,
    bulk_tag,
    can_manage_bank,
    can_use_bank,
    create_bank,
    create_question,
    edit_question,
    search_questions,
    set_status,
    update_bank,
    version_to_draft,
    versions_of,
)
from question_bank.validation import InvalidQuestion
from quiz.accounts.models import OrgUnit, User
from quiz.accounts.scope import units_in_reach
from quiz.audit.services import record
from quiz.auth.access import role_required
from quiz.bank import bp
from quiz.bank.forms import BankEditForm, BankForm, ConfirmForm, QuestionForm
from quiz.db import get_session
from quiz.i18n import translate

PER_PAGE = 50
FILTER_ARGS = ("q", "type", "subject", "kp", "difficulty", "status", "source", "review", "page")


# ---- helpers shared with import_views ----------------------------------------------------------


def audit_callback():
    """What the bank services call once per change: ``record`` with this request's actor and address."""
    return partial(record, get_session(), current_user, ip_address=request.remote_addr or "")


def load_bank(bank_id: int, *, manage: bool = False) -> Bank:
    """The bank if the organizer may use it (else 404); with ``manage``, 403 unless they may change it."""
    s = get_session()
    bank = s.get(Bank, bank_id)
    if bank is None or not can_use_bank(s, current_user, bank):
        abort(404)
    if manage and not can_manage_bank(s, current_user, bank):
        abort(403)
    return bank


def load_question(question_id: int, *, manage: bool = False) -> Question:
    question = get_session().get(Question, question_id)
    if question is None:
        abort(404)
    load_bank(question.bank_id, manage=manage)
    return question


def unit_name(unit_id: int) -> str:
    unit = get_session().get(OrgUnit, unit_id)
    return unit.name if unit is not None else ""


@dataclass(frozen=True)
class BankRow:
    bank: Bank
    unit_name: str
    total: int
    active: int
    manageable: bool


def bank_rows(session, actor, *, include_archived: bool = False) -> list[BankRow]:
    """The banks ``actor`` may use or manage with their owner unit and question counts, in four queries."""
    banks = banks_visible_to(session, actor, include_archived=include_archived)
    if not banks:
        return []
    managed = {b.id for b in banks_managed_by(session, actor, include_archived=include_archived)}
    ids = [b.id for b in banks]
    counts: dict[int, dict[str, int]] = {}
    for bank_id, status, n in session.execute(
        select(Question.bank_id, Question.status, func.count()).where(Question.bank_id.in_(ids)).group_by(Question.bank_id, Question.status)
    ):
        counts.setdefault(bank_id, {})[status] = n
    units = dict(session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_({b.org_unit_id for b in banks}))).all())
    return [
        BankRow(b, units.get(b.org_unit_id, ""), sum(counts.get(b.id, {}).values()), counts.get(b.id, {}).get("active", 0), b.id in managed)
        for b in banks
    ]


def answer_text(qtype: str, answer: Any) -> str:
    """A stored answer key as the organizer types it."""
    if answer is None:
        return ""
    if qtype == "multiple" and isinstance(answer, list):
        return "".join(str(x) for x in answer)
    if qtype == "true_false" and isinstance(answer, bool):
        return _("对") if answer else _("错")
    if qtype == "fill_blank" and isinstance(answer, list) and all(isinstance(b, list) for b in answer):
        return " | ".join("/".join(str(a) for a in alts) for alts in answer)
    if qtype == "short_answer" and isinstance(answer, dict):
        return str(answer.get("reference") or "")
    return str(answer)  # a single letter, or an unchecked value in an import preview


def keywords_text(answer: Any) -> str:
    if not isinstance(answer, dict) or not isinstance(answer.get("keywords"), list):
        return ""
    return format_keywords([g for g in answer["keywords"] if isinstance(g, list)])


# Globals (not a context processor) so that imported template macros see them too.
bp.add_app_template_global(answer_text, "answer_text")
bp.add_app_template_global(keywords_text, "keywords_text")


def _unit_choices(units: list[OrgUnit]) -> list[SelectChoice]:
    return [SelectChoice(u.id, "　" * (u.depth - units[0].depth) + u.name) for u in units if u.active] if units else []


# ---- banks -------------------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@role_required("organizer")
def index():
    s = get_session()
    form = BankForm()
    form.org_unit_id.choices = _unit_choices(units_in_reach(s, current_user))
    if request.method == "GET":
        form.org_unit_id.data = current_user.org_unit_id
    show_archived = request.args.get("archived") == "1"
    if form.validate_on_submit():
        try:
            bank = create_bank(
                s, current_user, name=form.name.data, org_unit_id=form.org_unit_id.data,
                description=form.description.data or "", confidential=form.confidential.data, audit=audit_callback(),
            )
        except BankError as exc:
            flash(translate(exc.message), "error")
            return render_template("bank/index.html", rows=bank_rows(s, current_user, include_archived=show_archived), form=form, show_archived=show_archived), 422
        flash(_("已建立题库“%(name)s”", name=bank.name), "success")
        return redirect(url_for("bank.questions", bank_id=bank.id))
    status = 422 if request.method == "POST" else 200
    return render_template("bank/index.html", rows=bank_rows(s, current_user, include_archived=show_archived), form=form, show_archived=show_archived), status


@bp.route("/<int:bank_id>/edit", methods=["GET", "POST"])
@role_required("organizer")
def bank_edit(bank_id: int):
    s = get_session()
    bank = load_bank(bank_id, manage=True)
    form = BankEditForm(obj=bank)
    if form.validate_on_submit():
        try:
            update_bank(
                s, current_user, bank, name=form.name.data, description=form.description.data or "",
                confidential=form.confidential.data, archived=form.archived.data, audit=audit_callback(),
            )
        except BankError as exc:
            flash(translate(exc.message), "error")
            return render_template("bank/bank_edit.html", bank=bank, form=form, owner=unit_name(bank.org_unit_id)), 422
        flash(_("已保存"), "success")
        return redirect(url_for("bank.questions", bank_id=bank.id))
    return render_template("bank/bank_edit.html", bank=bank, form=form, owner=unit_name(bank.org_unit_id)), 422 if request.method == "POST" else 200


# ---- the question list -------------------------------------------------------------------------


def _filters(args: MultiDict) -> dict[str, Any]:
    """The question list's filters from the query string; values that make no sense are ignored."""
    difficulty = args.get("difficulty", type=int)
    review = args.get("review", "")
    return {
        "q": args.get("q", "").strip(),
        "type": args.get("type") if args.get("type") in QUESTION_TYPES else None,
        "subject": args.get("subject", type=int) or None,
        "knowledge_point": args.get("kp", "").strip() or None,
        "difficulty": difficulty if difficulty in (1, 2, 3, 4, 5) else None,
        "status": args.get("status") if args.get("status") in STATUSES else None,
        "source": args.get("source", "").strip(),
        "needs_review": {"1": True, "0": False}.get(review),
    }


def _subjects(session, keep_id: int | None = None) -> list[Subject]:
    stmt = select(Subject).order_by(Subject.sort_order, Subject.id)
    return [x for x in session.scalars(stmt) if x.active or x.id == keep_id]


@bp.route("/<int:bank_id>/questions")
@role_required("organizer")
def questions(bank_id: int):
    s = get_session()
    bank = load_bank(bank_id)
    args = request.args
    page = search_questions(s, bank, **_filters(args), page=max(1, args.get("page", 1, type=int)), per_page=PER_PAGE)
    manageable = can_manage_bank(s, current_user, bank)
    targets = [b for b in banks_managed_by(s, current_user) if b.id != bank.id] if manageable else []
    return render_template(
        "bank/questions.html", bank=bank, page=page, args=args, subjects=_subjects(s), manageable=manageable,
        targets=targets, owner=unit_name(bank.org_unit_id), confirm=ConfirmForm(), types=QUESTION_TYPES, statuses=STATUSES,
    )


@bp.route("/<int:bank_id>/questions/bulk", methods=["POST"])
@role_required("organizer")
def bulk(bank_id: int):
    s = get_session()
    bank = load_bank(bank_id, manage=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    back_args = {k: v for k, v in parse_qsl(request.form.get("back", "")) if k in FILTER_ARGS}
    back = url_for("bank.questions", bank_id=bank.id, **back_args)
    ids = request.form.getlist("ids", type=int)
    action = request.form.get("action", "")
    audit = audit_callback()
    try:
        if action == "retire":
            n = bulk_retire(s, current_user, ids, audit=audit)
            flash(_("已停用 %(n)d 道题", n=n), "success")
        elif action == "activate":
            n = bulk_set_status(s, current_user, ids, "active", audit=audit)
            flash(_("已启用 %(n)d 道题", n=n), "success")
        elif action == "tag":
            n = bulk_tag(s, current_user, ids, request.form.get("knowledge_point", ""), audit=audit)
            flash(_("已为 %(n)d 道题加上知识点", n=n), "success")
        elif action == "move":
            target = load_bank(request.form.get("target", 0, type=int), manage=True)
            n = bulk_move(s, current_user, ids, target, audit=audit)
            flash(_("已将 %(n)d 道题移入“%(name)s”", n=n, name=target.name), "success")
        else:
            flash(_("请选择要执行的操作"), "error")
    except BankError as exc:
        s.rollback()  # nothing of a refused bulk action may remain; the redirect would otherwise commit it
        flash(translate(exc.message), "error")
    return redirect(back)


# ---- the question form -------------------------------------------------------------------------


def _draft(form: QuestionForm, subjects: list[Subject]) -> QuestionDraft:
    qtype = form.type.data
    options = [(o or "").strip() for o in form.options.data]
    while options and not options[-1]:
        options.pop()
    if qtype == "true_false":
        answer: Any = {"true": True, "false": False}.get(form.true_false.data)
    elif qtype == "short_answer":
        answer = {"reference": form.reference.data or "", "keywords": parse_keywords(form.keywords.data or "")}
    else:
        answer = (form.answer.data or "").strip()
    subject = next((x.name for x in subjects if x.id == form.subject_id.data), "")
    return QuestionDraft(
        type=qtype, stem=form.stem.data or "", options=options, answer=answer, explanation=form.explanation.data or "",
        difficulty=form.difficulty.data, points=form.points.data, subject=subject,
        knowledge_points=split_knowledge_points(form.knowledge_points.data or ""), source=form.source.data or "",
    )


def _form_data(version: QuestionVersion, status: str) -> dict[str, Any]:
    """A stored version as the form's starting values."""
    draft = version_to_draft(version)
    answer = draft.answer
    data: dict[str, Any] = {
        "type": draft.type, "stem": draft.stem, "options": (draft.options + [""] * MAX_OPTIONS)[:MAX_OPTIONS],
        "explanation": draft.explanation, "difficulty": draft.difficulty, "points": draft.points,
        "subject_id": version.subject_id or 0, "knowledge_points": "、".join(draft.knowledge_points),
        "source": draft.source, "status": status,
    }
    if draft.type in ("single", "multiple"):
        data["answer"] = answers.format_choice_letters(answer)
    elif draft.type == "true_false":
        data["true_false"] = "true" if answer else "false"
    elif draft.type == "fill_blank":
        data["answer"] = answers.format_fill_answers(answer)
    elif draft.type == "short_answer" and isinstance(answer, dict):
        data["reference"] = answer.get("reference") or ""
        data["keywords"] = keywords_text(answer)
    return data


def _question_form(data: dict[str, Any] | None, subjects: list[Subject]) -> QuestionForm:
    form = QuestionForm(data=data) if request.method == "GET" and data else QuestionForm()
    form.subject_id.choices = [SelectChoice(0, _("（不指定）"))] + [SelectChoice(x.id, x.name) for x in subjects]
    return form


@bp.route("/<int:bank_id>/questions/new", methods=["GET", "POST"])
@role_required("organizer")
def question_new(bank_id: int):
    s = get_session()
    bank = load_bank(bank_id, manage=True)
    subjects = _subjects(s)
    form = _question_form(None, subjects)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            question = create_question(s, current_user, bank, _draft(form, subjects), status=form.status.data, audit=audit_callback())
        except InvalidQuestion as exc:
            problems = [translate(m) for m in exc.problems]
        except BankError as exc:
            problems = [translate(exc.message)]
        else:
            flash(_("已添加题目（编号 %(id)d）", id=question.id), "success")
            if request.form.get("next") == "new":
                return redirect(url_for("bank.question_new", bank_id=bank.id))
            return redirect(url_for("bank.questions", bank_id=bank.id))
    status = 422 if request.method == "POST" else 200
    return render_template("bank/question_form.html", bank=bank, form=form, question=None, problems=problems), status


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@role_required("organizer")
def question_edit(question_id: int):
    s = get_session()
    question = load_question(question_id, manage=True)
    bank = question.bank
    current = question.current_version
    subjects = _subjects(s, keep_id=current.subject_id if current is not None else None)
    form = _question_form(_form_data(current, question.status) if current is not None else None, subjects)
    problems: list[str] = []
    if form.validate_on_submit():
        before = question.current_version_id
        try:
            version = edit_question(s, current_user, question, _draft(form, subjects), audit=audit_callback())
            if form.status.data != question.status:
                set_status(s, current_user, question, form.status.data, audit=audit_callback())
        except InvalidQuestion as exc:
            problems = [translate(m) for m in exc.problems]
        except BankError as exc:
            problems = [translate(exc.message)]
        else:
            if version.id != before:
                flash(_("已保存为第 %(n)d 版；原版本保留，已用过它的答卷不受影响", n=version.number), "success")
            else:
                flash(_("已保存"), "success")
            return redirect(url_for("bank.questions", bank_id=bank.id))
    status = 422 if request.method == "POST" else 200
    return render_template("bank/question_form.html", bank=bank, form=form, question=question, problems=problems), status


# ---- version history ---------------------------------------------------------------------------

DIFF_FIELDS = ("type", "stem", "options", "answer", "explanation", "difficulty", "points", "subject", "knowledge_points", "source")


def _shown(version: QuestionVersion) -> dict[str, Any]:
    """What a version says, field by field, in the form the history page compares and shows."""
    return {
        "type": version.type,
        "stem": version.stem,
        "options": list(version.options or []),
        "answer": (answer_text(version.type, version.answer), keywords_text(version.answer)),
        "explanation": version.explanation or "",
        "difficulty": version.difficulty,
        "points": version.points,
        "subject": version.subject.name if version.subject is not None else "",
        "knowledge_points": [k.name for k in version.knowledge_points],
        "source": version.source or "",
    }


@dataclass
class HistoryEntry:
    version: QuestionVersion
    shown: dict[str, Any]
    changed: list[str]
    author: str


@bp.route("/questions/<int:question_id>/versions")
@role_required("organizer")
def versions(question_id: int):
    s = get_session()
    question = load_question(question_id)
    found = versions_of(s, question)
    author_ids = {v.created_by for v in found if v.created_by is not None}
    authors = dict(s.execute(select(User.id, User.name).where(User.id.in_(author_ids))).all()) if author_ids else {}
    entries: list[HistoryEntry] = []
    previous: dict[str, Any] | None = None
    for v in found:
        shown = _shown(v)
        changed = [f for f in DIFF_FIELDS if previous is not None and shown[f] != previous[f]]
        entries.append(HistoryEntry(v, shown, changed, authors.get(v.created_by, "") if v.created_by else ""))
        previous = shown
    entries.reverse()  # newest first
    return render_template(
        "bank/versions.html", question=question, bank=question.bank, entries=entries,
        manageable=can_manage_bank(s, current_user, question.bank),
    )

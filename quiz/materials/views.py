"""The organizer's material pages: list and upload, reader, edition history, revision report and
side-by-side changes, flagged questions, the draft-question review queue, and the 出处 picker's JSON.

Reach is the materials' sharing rule (``question_bank.materials.services``): an organizer reads the
materials of their unit and the units above it and manages those of their own subtree. A material
outside both is 404 (its existence is not confirmed); one they may read but not change answers 403
to a write. Views parse, call the services and render; the request boundary commits.

Every text from a material or a question reaches the page through Jinja's autoescaping: search
hits and differences are lists of (text, marked) pieces the templates wrap in <mark>/<del>/<ins>,
never HTML built from the text.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.routing import BuildError
from wtforms.fields.choices import SelectChoice

from question_bank import answers
from question_bank.materials.diff import ArticleChange
from question_bank.materials.models import ArticleDraft, EditionChange, Material, MaterialArticle, MaterialEdition, ReviewFlag
from question_bank.materials.draft_queue import (
    accept_draft,
    can_review_draft,
    draft_counts,
    generate_drafts,
    pending_drafts,
    reject_draft,
)
from question_bank.materials.following import (
    count_citing,
    flagged_questions,
    keep_flagged,
    retire_flagged,
    visible_bank_ids,
)
from question_bank.materials.reading import edition_articles, edition_search, highlight, search_articles
from question_bank.materials.services import (
    add_edition,
    can_manage_material,
    can_use_material,
    create_material,
    materials_visible_to,
    read_material_file,
)
from question_bank.messages import BankError
from question_bank.models import Question, Subject
from question_bank.services import banks_managed_by, can_use_bank
from question_bank.validation import InvalidQuestion
from quiz.accounts.models import OrgUnit
from quiz.accounts.scope import units_in_reach
from quiz.audit.services import record
from quiz.auth.access import role_required
from quiz.db import get_session
from quiz.i18n import translate
from quiz.materials import bp
from quiz.materials.forms import AcceptForm, ActionForm, EditionForm, MaterialForm

STATUS_ORDER = ("changed", "removed", "added", "renumbered", "unchanged")


def draft_answer(qtype: str, answer: Any) -> str:
    """A draft's answer as the organizer reads it: 对/错, or the blanks (alternatives after /)."""
    if qtype == "true_false":
        return _("对") if answer else _("错")
    if isinstance(answer, list) and all(isinstance(b, list) for b in answer):
        return answers.format_fill_answers(answer)
    return str(answer)


def question_edit_url(question_id: int) -> str | None:
    """The bank's question form, where a flagged question is edited (None if the bank pages are absent)."""
    try:
        return url_for("bank.question_edit", question_id=question_id)
    except BuildError:
        return None


bp.add_app_template_global(draft_answer, "draft_answer")
bp.add_app_template_global(question_edit_url, "question_edit_url")


def _audit():
    return partial(record, get_session(), current_user, ip_address=request.remote_addr or "")


def load_material(material_id: int, *, manage: bool = False) -> Material:
    """The material if the organizer may read it (else 404); with ``manage``, 403 unless they may change it."""
    s = get_session()
    material = s.get(Material, material_id)
    if material is None or not can_use_material(s, current_user, material):
        abort(404)
    if manage and not can_manage_material(s, current_user, material):
        abort(403)
    return material


def _load_edition(edition_id: int) -> tuple[MaterialEdition, Material]:
    edition = get_session().get(MaterialEdition, edition_id)
    if edition is None:
        abort(404)
    return edition, load_material(edition.material_id)


def _unit_name(unit_id: int) -> str:
    unit = get_session().get(OrgUnit, unit_id)
    return unit.name if unit is not None else ""


def _subjects(s) -> list[Subject]:
    return [x for x in s.scalars(select(Subject).order_by(Subject.sort_order, Subject.id)) if x.active]


def _submitted_text(form) -> tuple[str, str]:
    """(text, filename) from the form's upload or pasted text."""
    upload = form.file.data
    if upload:
        return read_material_file(upload.read(), upload.filename or ""), upload.filename or ""
    return form.text.data or "", ""


def _nav_counts(s, material: Material) -> dict[str, int]:
    return {
        "flagged": len(flagged_questions(s, current_user, material)),
        "drafts": draft_counts(s, current_user, material)["pending"],
        "editions": s.scalar(select(func.count()).select_from(MaterialEdition).where(MaterialEdition.material_id == material.id)) or 0,
    }


# ---- the list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialRow:
    material: Material
    unit_name: str
    edition: MaterialEdition | None
    editions: int
    manageable: bool


def _rows(s) -> list[MaterialRow]:
    materials = materials_visible_to(s, current_user)
    if not materials:
        return []
    managed = {m.id for m in materials_visible_to(s, current_user, manage_only=True)}
    units = dict(s.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_({m.org_unit_id for m in materials}))).all())
    editions = {e.id: e for e in s.scalars(select(MaterialEdition).where(MaterialEdition.id.in_(
        [m.current_edition_id for m in materials if m.current_edition_id is not None])))}
    counts = dict(s.execute(
        select(MaterialEdition.material_id, func.count()).where(MaterialEdition.material_id.in_([m.id for m in materials]))
        .group_by(MaterialEdition.material_id)
    ).all())
    return [MaterialRow(m, units.get(m.org_unit_id, ""), editions.get(m.current_edition_id), counts.get(m.id, 0), m.id in managed)
            for m in materials]


@bp.route("/", methods=["GET", "POST"])
@role_required("organizer")
def index():
    s = get_session()
    form = MaterialForm()
    units = [u for u in units_in_reach(s, current_user) if u.active]
    form.org_unit_id.choices = [SelectChoice(u.id, "　" * (u.depth - units[0].depth) + u.name) for u in units] if units else []
    form.subject_id.choices = [SelectChoice(0, _("（不指定）"))] + [SelectChoice(x.id, x.name) for x in _subjects(s)]
    if request.method == "GET":
        form.org_unit_id.data = current_user.org_unit_id
    status = 200
    if form.validate_on_submit():
        try:
            text, filename = _submitted_text(form)
            outcome = create_material(
                s, current_user, title=form.title.data, text=text, org_unit_id=form.org_unit_id.data,
                issuer=form.issuer.data or "", edition_name=form.edition_name.data or "", issued_on=form.issued_on.data,
                subject_id=form.subject_id.data or None, filename=filename, audit=_audit(),
            )
        except BankError as exc:
            s.rollback()
            flash(translate(exc.message), "error")
            status = 422
        else:
            # Two counts, each a phrase of its own (ngettext) inside the one sentence.
            flash(_("已载入《%(title)s》：%(chapters)s，%(articles)s", title=outcome.material.title,
                    chapters=ngettext("%(num)d 章", "%(num)d 章", outcome.edition.chapter_count),
                    articles=ngettext("%(num)d 条", "%(num)d 条", outcome.edition.article_count)), "success")
            return redirect(url_for("materials.reader", material_id=outcome.material.id))
    elif request.method == "POST":
        status = 422
    return render_template("materials/index.html", rows=_rows(s), form=form), status


# ---- the reader --------------------------------------------------------------------------------


@dataclass
class Block:
    kind: str  # "heading" or "article"
    level: int = 0
    label: str = ""
    title: str = ""
    anchor: str = ""
    article: MaterialArticle | None = None
    pieces: list[tuple[str, bool]] | None = None  # the text with search hits marked
    hit: bool = False
    notes: list[str] | None = None


def _headings(outline: list[dict[str, Any]]) -> dict[tuple[str, ...], dict[str, Any]]:
    found: dict[tuple[str, ...], dict[str, Any]] = {}

    def walk(nodes, prefix):
        for node in nodes:
            key = prefix + (node["label"],)
            found[key] = node
            walk(node.get("children") or [], key)

    walk(outline or [], ())
    return found


def _blocks(edition: MaterialEdition, articles: list[MaterialArticle], q: str, hits: set[int]) -> list[Block]:
    headings = _headings(edition.outline)
    notes: dict[str, list[str]] = {}
    for note in edition.notes or []:
        notes.setdefault(note.get("after") or "", []).append(note.get("text") or "")
    blocks: list[Block] = []
    previous: tuple[str, ...] = ()
    for article in articles:
        path = tuple(article.path or ())
        if article.kind == "section":
            path = tuple(p for p in path if p.startswith("第"))  # sections nest in sections; only divisions head
        for depth in range(len(path)):
            if previous[: depth + 1] != path[: depth + 1]:
                node = headings.get(path[: depth + 1], {"label": path[depth], "title": "", "anchor": ""})
                blocks.append(Block("heading", level=depth + 2, label=node["label"], title=node.get("title") or "", anchor=node.get("anchor") or ""))
        previous = path
        hit = article.id in hits
        pieces = highlight(article.text, q) if hit else [(article.text, False)]
        blocks.append(Block("article", article=article, pieces=pieces, hit=hit, anchor=article.anchor, notes=notes.get(article.ref)))
    return blocks


@bp.route("/<int:material_id>")
@role_required("organizer")
def reader(material_id: int):
    s = get_session()
    material = load_material(material_id)
    edition = material.current_edition
    wanted = request.args.get("edition", type=int)
    if wanted is not None:
        edition = s.get(MaterialEdition, wanted)
        if edition is None or edition.material_id != material.id:
            abort(404)
    if edition is None:
        abort(404)
    q = (request.args.get("q") or "").strip()[:100]
    articles = edition_articles(s, edition)
    hits = edition_search(s, edition, q) if q else []
    return render_template(
        "materials/reader.html", material=material, edition=edition, q=q, hits=hits,
        blocks=_blocks(edition, articles, q, {a.id for a in hits}), owner=_unit_name(material.org_unit_id),
        subject=s.get(Subject, material.subject_id) if material.subject_id else None,
        manageable=can_manage_material(s, current_user, material), counts=_nav_counts(s, material),
        citing=count_citing(s, current_user, material) if edition.id == material.current_edition_id else None,
    )


# ---- editions and revisions --------------------------------------------------------------------


@bp.route("/<int:material_id>/editions", methods=["GET", "POST"])
@role_required("organizer")
def editions(material_id: int):
    s = get_session()
    material = load_material(material_id)
    manageable = can_manage_material(s, current_user, material)
    form = EditionForm()
    status = 200
    if request.method == "POST":
        if not manageable:
            abort(403)
        if form.validate_on_submit():
            try:
                text, filename = _submitted_text(form)
                outcome = add_edition(
                    s, current_user, material, text=text, title=form.title.data or None, edition_name=form.edition_name.data,
                    issued_on=form.issued_on.data, filename=filename, audit=_audit(),
                )
            except BankError as exc:
                s.rollback()
                flash(translate(exc.message), "error")
                status = 422
            else:
                summary = outcome.summary()
                # The article counts read "label: number" in English (no plural); the two question
                # counts are phrases of their own (ngettext), the ones the editions page shows.
                flash(_("已载入新版本“%(edition)s”：修改 %(changed)d 条，新增 %(added)d 条，删除 %(removed)d 条，条号变化 %(renumbered)d 条；%(flagged)s，%(followed)s",
                        edition=outcome.edition.label, changed=summary.get("changed", 0), added=summary.get("added", 0),
                        removed=summary.get("removed", 0), renumbered=summary.get("renumbered", 0),
                        flagged=ngettext("%(num)d 道题需复核", "%(num)d 道题需复核", outcome.flagged),
                        followed=ngettext("%(num)d 道题的出处已自动更新", "%(num)d 道题的出处已自动更新", outcome.followed)), "success")
                return redirect(url_for("materials.report", edition_id=outcome.edition.id))
        else:
            status = 422
    found = list(s.scalars(select(MaterialEdition).where(MaterialEdition.material_id == material.id).order_by(MaterialEdition.number.desc())))
    return render_template("materials/editions.html", material=material, editions=found, form=form, manageable=manageable,
                           counts=_nav_counts(s, material)), status


@dataclass
class ChangeView:
    row: EditionChange
    change: ArticleChange

    @property
    def old_pieces(self) -> list[tuple[str, bool]]:
        return [(seg.old, seg.tag != "equal") for seg in self.change.side_by_side() if seg.old]

    @property
    def new_pieces(self) -> list[tuple[str, bool]]:
        return [(seg.new, seg.tag != "equal") for seg in self.change.side_by_side() if seg.new]


def _change_views(s, rows: list[EditionChange]) -> list[ChangeView]:
    ids = {i for r in rows for i in (r.old_article_ids or []) + (r.new_article_ids or [])}
    articles = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = sorted(ids)[chunk_start:chunk_start + 500]
        articles.update({a.id: a for a in s.scalars(select(MaterialArticle).where(MaterialArticle.id.in_(chunk)))})
    views = []
    for row in rows:
        change = ArticleChange(
            status=row.status, kind=row.kind, similarity=row.similarity,
            old=tuple(articles[i] for i in row.old_article_ids or [] if i in articles),  # type: ignore[arg-type]
            new=tuple(articles[i] for i in row.new_article_ids or [] if i in articles),  # type: ignore[arg-type]
        )
        views.append(ChangeView(row, change))
    return views


@bp.route("/editions/<int:edition_id>/report")
@role_required("organizer")
def report(edition_id: int):
    s = get_session()
    edition, material = _load_edition(edition_id)
    if edition.revises_id is None:
        flash(_("这是该资料的第一个版本，没有可对照的旧版本"), "info")
        return redirect(url_for("materials.editions", material_id=material.id))
    previous = s.get(MaterialEdition, edition.revises_id)
    status = request.args.get("status", "")
    shown = (status,) if status in STATUS_ORDER else ("changed", "removed", "added")
    rows = list(s.scalars(select(EditionChange).where(EditionChange.edition_id == edition.id).order_by(EditionChange.position)))
    views = _change_views(s, [r for r in rows if r.status in shown or r.status == "renumbered"])
    flag_counts = dict(s.execute(  # flags of the questions in banks the organizer may use
        select(ReviewFlag.change_id, func.count()).join(Question, Question.id == ReviewFlag.question_id)
        .where(ReviewFlag.edition_id == edition.id, Question.bank_id.in_(visible_bank_ids(current_user)))
        .group_by(ReviewFlag.change_id)
    ).all())
    return render_template(
        "materials/report.html", material=material, edition=edition, previous=previous, status=status,
        counts=edition.diff_counts or {}, views=[v for v in views if v.row.status in shown],
        renumbered=[v for v in views if v.row.status == "renumbered"], flag_counts=flag_counts,
        nav=_nav_counts(s, material),
    )


@bp.route("/changes/<int:change_id>")
@role_required("organizer")
def change(change_id: int):
    s = get_session()
    row = s.get(EditionChange, change_id)
    if row is None:
        abort(404)
    edition, material = _load_edition(row.edition_id)
    previous = s.get(MaterialEdition, edition.revises_id) if edition.revises_id else None
    flagged = [f for f in flagged_questions(s, current_user, material) if f.flag.change_id == row.id]
    return render_template("materials/change.html", material=material, edition=edition, previous=previous,
                           view=_change_views(s, [row])[0], flagged=flagged, action=ActionForm())


# ---- flagged questions -------------------------------------------------------------------------


@bp.route("/<int:material_id>/flagged")
@role_required("organizer")
def flagged(material_id: int):
    s = get_session()
    material = load_material(material_id)
    return render_template("materials/flagged.html", material=material, items=flagged_questions(s, current_user, material),
                           action=ActionForm(), counts=_nav_counts(s, material))


def _flagged_question(question_id: int) -> Question:
    s = get_session()
    question = s.get(Question, question_id)
    if question is None or not can_use_bank(s, current_user, question.bank):
        abort(404)
    return question


def _back(default_material: int | None) -> str:
    material_id = request.form.get("material", type=int) or default_material
    if material_id:
        return url_for("materials.flagged", material_id=material_id)
    return url_for("materials.index")


@bp.route("/questions/<int:question_id>/keep", methods=["POST"])
@role_required("organizer")
def keep(question_id: int):
    s = get_session()
    question = _flagged_question(question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        outcome = keep_flagged(s, current_user, question, audit=_audit())
    except BankError as exc:
        s.rollback()
        flash(translate(exc.message), "error")
    else:
        if outcome == "flagged":
            flash(_("第 %(id)d 题已保留，但资料此后的版本又修改了该条款，请继续复核", id=question.id), "info")
        else:
            flash(_("第 %(id)d 题已保留，出处已指向新版本的条款", id=question.id), "success")
    return redirect(_back(None))


@bp.route("/questions/<int:question_id>/retire", methods=["POST"])
@role_required("organizer")
def retire(question_id: int):
    s = get_session()
    question = _flagged_question(question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        retire_flagged(s, current_user, question, audit=_audit())
    except BankError as exc:
        s.rollback()
        flash(translate(exc.message), "error")
    else:
        flash(_("第 %(id)d 题已停用", id=question.id), "success")
    return redirect(_back(None))


# ---- draft questions ---------------------------------------------------------------------------


@bp.route("/<int:material_id>/drafts")
@role_required("organizer")
def drafts(material_id: int):
    s = get_session()
    material = load_material(material_id)
    edition = material.current_edition
    articles = edition_articles(s, edition) if edition is not None else []
    pending = pending_drafts(s, current_user, material)
    banks = [b for b in banks_managed_by(s, current_user)]
    return render_template(
        "materials/drafts.html", material=material, articles=articles, pending=pending, banks=banks,
        action=ActionForm(), counts=_nav_counts(s, material), queue=draft_counts(s, current_user, material),
        chosen=set(request.args.getlist("article", type=int)),
    )


@bp.route("/<int:material_id>/drafts/generate", methods=["POST"])
@role_required("organizer")
def generate(material_id: int):
    s = get_session()
    material = load_material(material_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        created = generate_drafts(s, current_user, material, request.form.getlist("articles", type=int), audit=_audit())
    except BankError as exc:
        s.rollback()
        flash(translate(exc.message), "error")
    else:
        if created:
            flash(ngettext("已生成 %(num)d 道题目草稿，请逐题审核", "已生成 %(num)d 道题目草稿，请逐题审核", len(created)), "success")
        else:
            flash(_("所选条款没有生成新的题目草稿（已生成过的不会重复生成）"), "info")
    return redirect(url_for("materials.drafts", material_id=material.id))


def _load_draft(draft_id: int) -> tuple[ArticleDraft, Material]:
    s = get_session()
    draft = s.get(ArticleDraft, draft_id)
    if draft is None or not can_review_draft(s, current_user, draft):
        abort(404)
    return draft, load_material(draft.material_id)


def _target_bank(bank_id: int | None):
    banks = {b.id: b for b in banks_managed_by(get_session(), current_user)}
    return banks.get(bank_id or 0)


@bp.route("/drafts/<int:draft_id>/accept", methods=["POST"])
@role_required("organizer")
def accept(draft_id: int):
    s = get_session()
    draft, material = _load_draft(draft_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    bank = _target_bank(request.form.get("bank_id", type=int))
    if bank is None:
        flash(_("请选择要放入的题库"), "error")
        return redirect(url_for("materials.drafts", material_id=material.id))
    try:
        question = accept_draft(s, current_user, draft, bank, audit=_audit())
    except InvalidQuestion as exc:
        s.rollback()
        flash("；".join(translate(m) for m in exc.problems), "error")
    except BankError as exc:
        s.rollback()
        flash(translate(exc.message), "error")
    else:
        flash(_("已放入题库“%(bank)s”（题目编号 %(id)d）", bank=bank.name, id=question.id), "success")
    return redirect(url_for("materials.drafts", material_id=material.id) + f"#draft-{draft.id}")


@bp.route("/drafts/<int:draft_id>/reject", methods=["POST"])
@role_required("organizer")
def reject(draft_id: int):
    s = get_session()
    draft, material = _load_draft(draft_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        reject_draft(s, current_user, draft, audit=_audit())
    except BankError as exc:
        s.rollback()
        flash(translate(exc.message), "error")
    else:
        flash(_("已舍弃该题目草稿"), "success")
    return redirect(url_for("materials.drafts", material_id=material.id))


@bp.route("/drafts/<int:draft_id>/edit", methods=["GET", "POST"])
@role_required("organizer")
def draft_edit(draft_id: int):
    s = get_session()
    draft, material = _load_draft(draft_id)
    banks = banks_managed_by(s, current_user)
    if request.method == "GET":
        data = {"stem": draft.stem, "explanation": draft.explanation, "bank_id": request.args.get("bank", type=int) or 0}
        if draft.type == "true_false":
            data["true_false"] = "true" if draft.answer else "false"
        else:
            data["answer"] = answers.format_fill_answers(draft.answer)
        form = AcceptForm(data=data)
    else:
        form = AcceptForm()
    form.bank_id.choices = [SelectChoice(0, _("（请选择）"))] + [SelectChoice(b.id, b.name) for b in banks]
    problems: list[str] = []
    if draft.status != "pending":
        problems.append(_("这道题目草稿已经处理过了"))
    elif form.validate_on_submit():
        bank = _target_bank(form.bank_id.data)
        answer: Any = ({"true": True, "false": False}.get(form.true_false.data) if draft.type == "true_false"
                       else (form.answer.data or "").strip())
        if bank is None:
            problems.append(_("请选择要放入的题库"))
        else:
            try:
                question = accept_draft(s, current_user, draft, bank, stem=form.stem.data, answer=answer,
                                        explanation=form.explanation.data or "", difficulty=form.difficulty.data, audit=_audit())
            except InvalidQuestion as exc:
                s.rollback()
                problems = [translate(m) for m in exc.problems]
            except BankError as exc:
                s.rollback()
                problems = [translate(exc.message)]
            else:
                flash(_("已放入题库“%(bank)s”（题目编号 %(id)d）", bank=bank.name, id=question.id), "success")
                return redirect(url_for("materials.drafts", material_id=material.id))
    status = 422 if request.method == "POST" else 200
    return render_template("materials/draft_edit.html", material=material, draft=draft, form=form, problems=problems), status


# ---- the 出处 picker (JSON) --------------------------------------------------------------------


@bp.route("/articles/search")
@role_required("organizer")
def article_search():
    """``?q=保密法第九条`` or ``?q=定密责任人`` (``&material=<id>`` to stay in one material):
    ``{"articles": [{"id", "material_id", "material_title", "edition", "ref", "citation", "text", "anchor", "url"}]}``."""
    s = get_session()
    q = (request.args.get("q") or "")[:100]
    hits = search_articles(s, current_user, q, material_id=request.args.get("material", type=int))
    return jsonify({"articles": [
        {**hit.as_json(), "url": url_for("materials.reader", material_id=hit.material.id) + f"#{hit.article.anchor}"}
        for hit in hits
    ]})


@bp.route("/articles/<int:article_id>")
@role_required("organizer")
def article(article_id: int):
    """One article as JSON (``text`` in full), for previewing a picked 出处."""
    s = get_session()
    found = s.get(MaterialArticle, article_id)
    if found is None:
        abort(404)
    material = load_material(found.edition.material_id)
    return jsonify({
        "id": found.id, "material_id": material.id, "material_title": material.title, "edition": found.edition.label,
        "current": found.edition_id == material.current_edition_id, "ref": found.ref,
        "citation": f"《{material.title}》{found.ref}", "text": found.text,
        "url": url_for("materials.reader", material_id=material.id, edition=found.edition_id) + f"#{found.anchor}",
    })

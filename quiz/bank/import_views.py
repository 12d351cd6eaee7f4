"""Import into a bank (upload or paste → preview → confirm, all or nothing), export, and the template.

The upload waits in ``PendingUpload`` between preview and confirmation, so the confirming request
may reach any worker. The preview is a GET on the stored upload (upload → redirect → preview), so
a large file's preview can be paged without uploading it again. The file is parsed once: the
first preview keeps the parse result with the upload (``PendingUpload.parsed``), and the other
pages and the confirmation read it back instead of parsing again. Each of them still plans
afresh, and the confirmation plans inside its own transaction (the plan's duplicate findings are
read at the moment of writing, as ``importing`` requires).
"""
from __future__ import annotations

import io
import json
import zlib

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from question_bank.db import begin_write
from question_bank.drafts import ParseResult, QUESTION_TYPES, result_from_json, result_to_json
from question_bank.formats.textcodec import decode_text
from question_bank.importing import EXPORT_FORMATS, commit_import, export_bank, plan_import, read_for_import
from question_bank.messages import BankError
from question_bank.models import Bank, Question
from quiz.auth.access import role_required
from quiz.bank import bp
from quiz.bank.forms import IMPORT_FORMAT_CHOICES, ImportConfirmForm, ImportForm
from quiz.bank.views import audit_callback, load_bank
from quiz.db import get_session, new_session
from quiz.i18n import translate
from quiz.uploads import models as uploads

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PASTED = "粘贴的文本.txt"  # the stored name of text pasted into the page
PREVIEW_PER_PAGE = 100
FORMATS = tuple(c.value for c in IMPORT_FORMAT_CHOICES)
EXPORTS = {
    "xlsx": (XLSX, ".xlsx"),
    "gift": ("text/plain; charset=utf-8", ".gift.txt"),
    "moodle_xml": ("application/xml", ".xml"),
}


def _purpose(bank: Bank) -> str:
    return f"bank-import:{bank.id}"


def _parse(data: bytes, filename: str, fmt: str) -> ParseResult:
    if filename == PASTED and fmt == "txt":
        from question_bank.formats import txt

        read_text = getattr(txt, "read_text", None)
        if read_text is not None:
            try:
                return read_text(decode_text(data))
            except BankError:
                pass  # fall through: the reader reports an undecodable text as a problem
    return read_for_import(data, filename, fmt)


def _parsed(upload, fmt: str, *, keep: bool = False) -> ParseResult:
    """The upload parsed as ``fmt``: read back from ``upload.parsed`` when a preview kept it, else
    parsed now (and, with ``keep``, kept for the next page and the confirmation)."""
    if upload.parsed is not None:
        try:
            kept = json.loads(zlib.decompress(upload.parsed))
            if kept.get("format") == fmt:
                return result_from_json(kept["result"])
        except (ValueError, zlib.error, KeyError, AttributeError):
            pass  # kept by another version, or damaged: parse again
    result = _parse(upload.data, upload.filename, fmt)
    if keep:
        _keep(upload.id, fmt, result)
    return result


def _keep(upload_id: int, fmt: str, result: ParseResult) -> None:
    """Store the parse result with its upload, in a short write transaction of its own: the
    preview itself only reads, and on SQLite upgrading its read transaction to a write could fail
    when another writer committed meanwhile. Best effort: if it fails, the next page parses again."""
    try:
        blob = zlib.compress(json.dumps({"format": fmt, "result": result_to_json(result)}, ensure_ascii=False).encode("utf-8"), 1)
    except (TypeError, ValueError):  # a reader left something JSON cannot hold
        return
    try:
        with new_session() as other:
            begin_write(other)
            other.execute(update(uploads.PendingUpload).where(uploads.PendingUpload.id == upload_id).values(parsed=blob))
            other.commit()
    except SQLAlchemyError:
        current_app.logger.warning("could not keep the parsed upload %s", upload_id, exc_info=True)


def _preview_context(bank: Bank, upload, fmt: str, plan, page: int) -> dict:
    total = len(plan.items)
    pages = max(1, -(-total // PREVIEW_PER_PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * PREVIEW_PER_PAGE
    confirm = ImportConfirmForm(token=upload.token, format=fmt)
    return {
        "bank": bank, "filename": upload.filename if upload.filename != PASTED else _("粘贴的文本"), "token": upload.token,
        "fmt": fmt, "plan": plan, "counts": plan.counts_by_type(), "types": QUESTION_TYPES, "problems": plan.problems,
        "duplicates": plan.duplicates, "items": plan.items[start : start + PREVIEW_PER_PAGE], "start": start,
        "page": page, "pages": pages, "total": total, "confirm": confirm,
        "format_label": dict((c.value, c.label) for c in IMPORT_FORMAT_CHOICES).get(plan.format, plan.format),
    }


@bp.route("/<int:bank_id>/import", methods=["GET", "POST"])
@role_required("organizer")
def import_upload(bank_id: int):
    s = get_session()
    bank = load_bank(bank_id, manage=True)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        if upload is not None and getattr(upload, "filename", ""):
            data, filename, fmt = upload.read(), upload.filename, form.format.data
        elif (form.text.data or "").strip():
            data, filename, fmt = form.text.data.encode("utf-8"), PASTED, "txt"
        else:
            flash(_("请选择文件，或粘贴题目文本"), "error")
            return render_template("bank/import_upload.html", bank=bank, form=form), 422
        if not data:
            flash(_("上传的文件是空的"), "error")
            return render_template("bank/import_upload.html", bank=bank, form=form), 422
        stored = uploads.store(s, current_user.id, _purpose(bank), filename[:255], data)
        return redirect(url_for("bank.import_preview", bank_id=bank.id, token=stored.token, format=fmt))
    status = 422 if request.method == "POST" else 200
    return render_template("bank/import_upload.html", bank=bank, form=form), status


@bp.route("/<int:bank_id>/import/<token>")
@role_required("organizer")
def import_preview(bank_id: int, token: str):
    s = get_session()
    bank = load_bank(bank_id, manage=True)
    fmt = request.args.get("format", "auto")
    fmt = fmt if fmt in FORMATS else "auto"
    try:
        upload = uploads.fetch(s, current_user.id, _purpose(bank), token)
    except BankError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("bank.import_upload", bank_id=bank.id))
    plan = plan_import(s, bank, _parsed(upload, fmt, keep=True))
    page = request.args.get("page", 1, type=int)
    return render_template("bank/import_preview.html", **_preview_context(bank, upload, fmt, plan, page))


@bp.route("/<int:bank_id>/import/confirm", methods=["POST"])
@role_required("organizer")
def import_confirm(bank_id: int):
    s = get_session()
    bank = load_bank(bank_id, manage=True)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        flash(_("请重新上传文件"), "error")
        return redirect(url_for("bank.import_upload", bank_id=bank.id))
    fmt = form.format.data if form.format.data in FORMATS else "auto"
    try:
        upload = uploads.fetch(s, current_user.id, _purpose(bank), form.token.data)
    except BankError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("bank.import_upload", bank_id=bank.id))
    plan = plan_import(s, bank, _parsed(upload, fmt))
    try:
        outcome = commit_import(s, current_user, bank, plan, form.duplicates.data or "skip", audit=audit_callback())
    except BankError as exc:
        # 422: the request boundary rolls back, so nothing of this import is kept.
        flash(translate(exc.message), "error")
        return render_template("bank/import_preview.html", **_preview_context(bank, upload, fmt, plan, 1)), 422
    s.delete(upload)
    return render_template("bank/import_done.html", bank=bank, outcome=outcome, types=QUESTION_TYPES)


@bp.route("/template.xlsx")
@role_required("organizer")
def template():
    from question_bank.formats import xlsx

    return send_file(io.BytesIO(xlsx.template_bytes()), mimetype=XLSX, as_attachment=True, download_name=_("题库导入模板.xlsx"))


@bp.route("/<int:bank_id>/export")
@role_required("organizer")
def export(bank_id: int):
    s = get_session()
    bank = load_bank(bank_id, manage=True)
    fmt = request.args.get("format", "xlsx")
    if fmt == "xml":
        fmt = "moodle_xml"
    if fmt not in EXPORT_FORMATS or fmt not in EXPORTS:
        flash(_("不能导出为该格式，可选 Excel、GIFT 或 Moodle XML"), "error")
        return redirect(url_for("bank.questions", bank_id=bank.id))
    try:
        data = export_bank(s, bank, fmt)
    except BankError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("bank.questions", bank_id=bank.id))
    count = s.scalar(
        select(func.count()).select_from(Question).where(
            Question.bank_id == bank.id, Question.current_version_id.is_not(None), Question.status != "retired"
        )
    ) or 0
    audit_callback()(
        "bank.export", target=bank, org_unit_id=bank.org_unit_id,
        summary=f"{bank.name}：{count} 题导出为 {fmt}", after={"format": fmt, "count": count},
    )
    mimetype, ext = EXPORTS[fmt]
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=f"{bank.name}{ext}")


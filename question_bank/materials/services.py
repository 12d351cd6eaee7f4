"""Study materials in the database: who may read and manage them, and loading their editions.

The other parts of the materials feature have their own modules: ``following`` (questions
that follow or are flagged when a material is revised), ``sources`` (resolving a question's
出处 to an article), ``reading`` (article search and the reader) and ``draft_queue`` (the
review queue of generated drafts).

Every writing function takes ``(session, actor, ...)``, flushes, raises ``BankError`` with a message
the organizer can act on, and never commits (as ``question_bank.services``; ``actor`` None is the
system, ``audit`` the same optional callback).

Reach (like banks). A material is owned by a unit. Anyone whose unit is the owner or below it may
read it (the reader view, citing its articles); an organizer manages (loads editions, generates
drafts) the materials owned by units in their own subtree.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from question_bank.db import utcnow
from question_bank.formats.safety import check_zip, is_zip
from question_bank.formats.textcodec import decode_text
from question_bank.materials.diff import EditionDiff, diff_editions
from question_bank.materials.following import revise_questions
from question_bank.materials.models import (
    EDITION_NAME_MAX,
    ISSUER_MAX,
    TITLE_MAX,
    EditionChange,
    Material,
    MaterialArticle,
    MaterialEdition,
)
from question_bank.materials.parse import MaterialStructure, parse_material
from question_bank.messages import BankError, N_
from question_bank.models import Subject
from question_bank.services import (
    Actor,
    Audit,
    _ancestor_ids,
    _is_organizer,
    _log,
    _org_units,
    _subtree_range,
    can_manage_unit,
)

MAX_MATERIAL_CHARS = 2_000_000  # 刑法 is 75 000; a 2 MB text is not a regulation


# --- reach ------------------------------------------------------------------------------------

def visible_materials_stmt(actor: Actor | None, *, manage_only: bool = False) -> Select:
    """Materials ``actor`` may read (owned by their unit or above) and, for organizers, manage (their subtree)."""
    stmt = select(Material)
    if actor is not None:
        path = actor.org_unit.path
        reach = []
        if not manage_only:
            reach.append(Material.org_unit_id.in_(_ancestor_ids(path)))
        if _is_organizer(actor):
            low, high = _subtree_range(path)
            reach.append(Material.org_unit_id.in_(select(_org_units.c.id).where(_org_units.c.path >= low, _org_units.c.path < high)))
        stmt = stmt.where(or_(*reach) if reach else false())
    return stmt.order_by(Material.title, Material.id)


def materials_visible_to(session: Session, actor: Actor | None, *, manage_only: bool = False) -> list[Material]:
    return list(session.scalars(visible_materials_stmt(actor, manage_only=manage_only)))


def can_manage_material(session: Session, actor: Actor | None, material: Material) -> bool:
    return can_manage_unit(session, actor, material.org_unit_id)


def can_use_material(session: Session, actor: Actor | None, material: Material) -> bool:
    if actor is None or material.org_unit_id in _ancestor_ids(actor.org_unit.path):
        return True
    return can_manage_material(session, actor, material)


def require_manage_material(session: Session, actor: Actor | None, material: Material) -> None:
    if not can_manage_material(session, actor, material):
        raise BankError(N_("无权管理学习资料《%(title)s》"), title=material.title)


# --- reading uploads --------------------------------------------------------------------------

def read_material_file(data: bytes, filename: str = "") -> str:
    """The text of an uploaded .txt (UTF-8 or GBK) or .docx (paragraphs and table rows, in order)."""
    name = (filename or "").lower()
    if name.endswith(".doc") and not is_zip(data):
        raise BankError(N_("不支持旧版 Word 文件（.doc），请另存为 .docx 或 .txt 后上传"))
    if name.endswith(".docx") or is_zip(data):
        return _docx_text(data)
    if name and not name.endswith((".txt", ".text", ".md")):
        raise BankError(N_("只能上传 .txt 或 .docx 文件"))
    return decode_text(data)


def _docx_text(data: bytes) -> str:
    check_zip(data)
    try:
        from docx import Document
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for a file that is not a document
        raise BankError(N_("文件不是有效的 Word 文档（.docx），无法读取")) from exc
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines)


# --- loading editions -------------------------------------------------------------------------

@dataclass
class LoadOutcome:
    """What loading an edition did: its structure and, for a revision, the comparison and the questions it touched."""

    material: Material
    edition: MaterialEdition
    structure: MaterialStructure
    diff: EditionDiff | None = None
    followed: int = 0  # questions whose citation followed a renumbered (or unchanged) article
    flagged: int = 0  # questions newly flagged 需复核

    def summary(self) -> dict[str, int]:
        """``{"chapters", "articles"}`` and, for a revision, the counts by status and ``flagged_questions``."""
        out = {"chapters": self.edition.chapter_count, "articles": self.edition.article_count}
        if self.diff is not None:
            counts = self.diff.counts()
            for status in ("unchanged", "changed", "added", "removed", "renumbered"):
                out[status] = counts[status]
            out["flagged_questions"] = self.flagged
        return out


def _clean_title(title: str) -> str:
    title = re.sub(r"\s+", " ", title or "").strip().strip("《》").strip()
    if not title:
        raise BankError(N_("请填写资料名称"))
    if len(title) > TITLE_MAX:
        raise BankError(N_("资料名称不能超过 %(n)d 个字"), n=TITLE_MAX)
    return title


def _parse_text(text: str) -> tuple[str, MaterialStructure]:
    text = (text or "").replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BankError(N_("资料正文为空"))
    if len(text) > MAX_MATERIAL_CHARS:
        raise BankError(N_("资料正文过长（超过 %(n)d 字），请分册上传"), n=MAX_MATERIAL_CHARS)
    structure = parse_material(text)
    if not structure.units:
        raise BankError(N_("未能从正文中识别出条款（第X条）或编号段落（一、（一）1.），请检查文本格式"))
    return text, structure


def find_material(session: Session, org_unit_id: int, title: str) -> Material | None:
    return session.scalar(select(Material).where(Material.org_unit_id == org_unit_id, Material.title == title.strip()))


def create_material(
    session: Session,
    actor: Actor | None,
    *,
    title: str,
    text: str,
    org_unit_id: int,
    issuer: str = "",
    edition_name: str = "",
    issued_on: date | None = None,
    subject_id: int | None = None,
    filename: str = "",
    audit: Audit | None = None,
) -> LoadOutcome:
    """A new material with its first edition."""
    title = _clean_title(title)
    if not can_manage_unit(session, actor, org_unit_id):
        raise BankError(N_("无权为该单位添加学习资料"))
    if find_material(session, org_unit_id, title) is not None:
        raise BankError(N_("本单位已有学习资料《%(title)s》；要载入新版本，请在该资料页上传修订版"), title=title)
    if len(issuer or "") > ISSUER_MAX:
        raise BankError(N_("发文机关不能超过 %(n)d 个字"), n=ISSUER_MAX)
    if subject_id is not None and session.get(Subject, subject_id) is None:
        raise BankError(N_("科目不存在"))
    text, structure = _parse_text(text)
    material = Material(
        title=title, issuer=(issuer or "").strip(), subject_id=subject_id, org_unit_id=org_unit_id,
        created_by=actor.id if actor is not None else None,
    )
    session.add(material)
    session.flush()
    edition = _write_edition(session, actor, material, title, text, structure, edition_name, issued_on, filename)
    material.current_edition = edition
    session.flush()
    _log(audit, "material.create", target=material, org_unit_id=org_unit_id, summary=title,
         after={"edition": edition.label, "chapters": edition.chapter_count, "articles": edition.article_count})
    return LoadOutcome(material, edition, structure)


def add_edition(
    session: Session,
    actor: Actor | None,
    material: Material,
    *,
    text: str,
    title: str | None = None,
    edition_name: str = "",
    issued_on: date | None = None,
    filename: str = "",
    audit: Audit | None = None,
) -> LoadOutcome:
    """Load a new edition as a revision of the current one: compare, make it current, follow and flag questions.

    ``title`` renames the material when the new edition carries a new name (the old titles still
    resolve 出处 citations).
    """
    require_manage_material(session, actor, material)
    new_title = _clean_title(title) if title else material.title
    if new_title != material.title:
        other = find_material(session, material.org_unit_id, new_title)
        if other is not None and other.id != material.id:
            raise BankError(N_("本单位已有学习资料《%(title)s》"), title=new_title)
    text, structure = _parse_text(text)
    old = material.current_edition
    edition = _write_edition(session, actor, material, new_title, text, structure, edition_name, issued_on, filename)
    outcome = LoadOutcome(material, edition, structure)
    if old is not None:
        edition.revises_id = old.id
        outcome.diff = _compare(session, old, edition)
        edition.diff_counts = outcome.diff.counts()
    material.title = new_title
    material.current_edition = edition
    material.updated_at = utcnow()
    session.flush()
    if old is not None:
        outcome.followed, outcome.flagged = revise_questions(session, material, old, edition, audit)
        edition.followed_questions, edition.flagged_questions = outcome.followed, outcome.flagged
        session.flush()
    _log(audit, "material.revise", target=material, org_unit_id=material.org_unit_id, summary=f"{material.title}：{edition.label}",
         after={"edition": edition.label, **outcome.summary(), "followed_questions": outcome.followed})
    return outcome


def _division_outline(structure: MaterialStructure, first_unit: dict[int, int]) -> list[dict[str, Any]]:
    def node(division) -> dict[str, Any]:
        return {
            "kind": division.kind, "label": division.label, "title": division.title if division.title != division.label else "",
            "anchor": f"div-{division.line}", "first": first_unit.get(id(division)),
            "children": [node(child) for child in division.children],
        }
    return [node(d) for d in structure.divisions]


def _write_edition(session: Session, actor: Actor | None, material: Material, title: str, text: str,
                   structure: MaterialStructure, name: str, issued_on: date | None, filename: str) -> MaterialEdition:
    name = (name or "").strip()
    if len(name) > EDITION_NAME_MAX:
        raise BankError(N_("版本名称不能超过 %(n)d 个字"), n=EDITION_NAME_MAX)
    number = (session.scalar(select(func.max(MaterialEdition.number)).where(MaterialEdition.material_id == material.id)) or 0) + 1
    sections = not structure.articles
    first_unit: dict[int, int] = {}
    for division in structure.all_divisions():
        labels = division.path
        for unit in structure.units:
            if tuple(unit.path[: len(labels)]) == labels:
                first_unit[id(division)] = unit.position
                break
    edition = MaterialEdition(
        material_id=material.id, number=number, name=name, issued_on=issued_on, title=title, filename=(filename or "")[:255],
        text=text, preamble=structure.preamble, outline=_division_outline(structure, first_unit),
        notes=[{"text": n.text, "after": n.after} for n in structure.notes],
        unit_kind="section" if sections else "article", chapter_count=structure.chapters,
        article_count=len(structure.units), created_by=actor.id if actor is not None else None,
    )
    session.add(edition)
    session.flush()
    rows = []
    for unit in structure.units:
        rows.append(MaterialArticle(
            edition_id=edition.id, position=unit.position, kind="section" if sections else "article", ref=unit.ref[:100],
            number=unit.number, suffix=0 if sections else unit.suffix, path=list(unit.path), text=unit.text, line=unit.line,
        ))
    session.add_all(rows)
    session.flush()
    return edition


@dataclass(frozen=True)
class _StoredUnit:
    """A stored article, shaped as the parser's units for ``diff_editions``."""

    article_id: int
    ref: str
    text: str
    path: tuple[str, ...]
    key: tuple[Any, ...]
    position: int


def _stored_structure(session: Session, edition: MaterialEdition) -> MaterialStructure:
    articles = session.scalars(
        select(MaterialArticle).where(MaterialArticle.edition_id == edition.id).order_by(MaterialArticle.position)
    )
    units = [
        _StoredUnit(a.id, a.ref, a.text, tuple(a.path or ()), (a.number, a.suffix) if a.kind == "article" else (a.ref,), a.position)
        for a in articles
    ]
    return MaterialStructure(articles=units)  # type: ignore[arg-type]  (duck-typed units)


def _compare(session: Session, old: MaterialEdition, new: MaterialEdition) -> EditionDiff:
    diff = diff_editions(_stored_structure(session, old), _stored_structure(session, new))
    session.add_all([
        EditionChange(
            edition_id=new.id, position=position, status=change.status, kind=change.kind,
            similarity=round(change.similarity, 4), references_only=change.references_only, moved=change.moved,
            old_article_ids=[u.article_id for u in change.old], new_article_ids=[u.article_id for u in change.new],
        )
        for position, change in enumerate(diff.changes)
    ])
    session.flush()
    return diff

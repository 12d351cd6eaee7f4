"""Study materials in the database: reach, loading editions, resolving 出处, following and flagging
questions when a material is revised, searching articles, and the review queue of generated drafts.

Every writing function takes ``(session, actor, ...)``, flushes, raises ``BankError`` with a message
the organizer can act on, and never commits (as ``question_bank.services``; ``actor`` None is the
system, ``audit`` the same optional callback).

Reach (like banks). A material is owned by a unit. Anyone whose unit is the owner or below it may
read it (the reader view, citing its articles); an organizer manages (loads editions, generates
drafts) the materials owned by units in their own subtree.

出处 resolution. A question's 出处 text (``《中华人民共和国保守国家秘密法》第九条``, ``保密法第9条``)
resolves against the materials owned by the bank's unit or a unit above it (so everyone who can
use the bank can read the material): ``cite.parse_citation`` reads the text, ``cite.match_title``
picks the material among their titles (every edition's title counts), and the article is looked
up by number in the material's *current* edition. A policy text's section is cited by its ref
(``《意见》二、（三）``). A 出处 that names no article (``《中国共产党章程》``) has nothing to resolve
and is not reported; one that cites an article that cannot be found is reported, never guessed.

Revisions. Loading a new edition compares it with the current one (``diff.diff_editions`` on the
stored articles), keeps the comparison, makes it current, then walks every question whose
current version cites an article of the old edition:
- unchanged or renumbered: the question follows silently: its 出处 text gets the new label and
  ``source_article_id`` the new article;
- changed (reworded, moved and reworded, split, merged) or removed: ``Question.needs_review`` is
  set with a reason, and a ``ReviewFlag`` row points at the change (the side-by-side view).
A citation is moved by the bank's versioning rule (``services._apply``): an unlocked version is
corrected in place, a version some attempt has shown gets a new version, so an attempt keeps
exactly what it showed.

Flags are resolved by an organizer who manages the question's bank: *keep* (the question still
holds under the new text: the citation moves to the new article and the flag clears), *edit*
(``services.edit_question`` calls ``resolve_after_edit``: the flag clears) or *retire* (the question
leaves use; it stays marked 需复核 in case it is ever activated again). Contest draws leave out
every question with ``needs_review`` (``quiz.contests.papers.rule_pool_stmt``).
"""
from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from question_bank.db import utcnow
from question_bank.drafts import QuestionDraft
from question_bank.formats.safety import check_zip, is_zip
from question_bank.formats.textcodec import decode_text
from question_bank.materials.cite import match_title, parse_citation
from question_bank.materials.diff import EditionDiff, diff_editions
from question_bank.materials.models import (
    EDITION_NAME_MAX,
    ISSUER_MAX,
    REASON_MAX,
    TITLE_MAX,
    ArticleDraft,
    EditionChange,
    Material,
    MaterialArticle,
    MaterialEdition,
    ReviewFlag,
)
from question_bank.materials.numerals import NUMERAL_CHARS, parse_number
from question_bank.materials.parse import MaterialStructure, parse_material
from question_bank.messages import BankError, Message, N_
from question_bank.models import Bank, Question, QuestionVersion, Subject
from question_bank.services import (
    Actor,
    Audit,
    _ancestor_ids,
    _apply,
    _chunks,
    _is_organizer,
    _log,
    _org_units,
    _subtree_range,
    _version_content,
    can_manage_unit,
    require_manage,
)

MAX_MATERIAL_CHARS = 2_000_000  # 刑法 is 75 000; a 2 MB text is not a regulation
SEARCH_LIMIT = 20


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
        outcome.followed, outcome.flagged = _revise_questions(session, material, old, edition, audit)
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


# --- following and flagging -------------------------------------------------------------------

_LABEL_RE = re.compile(rf"第\s*(?P<num>[{NUMERAL_CHARS}]+)\s*条(?:\s*之\s*(?P<suf>[{NUMERAL_CHARS}]+))?")


def relabel_citation(source: str, old: MaterialArticle, new: MaterialArticle, title: str) -> str:
    """The 出处 text citing ``new`` instead of ``old``: the cited label replaced where it is written
    (``保密法第9条`` → ``保密法第十三条``; 款 and 项 kept), or a citation written afresh."""
    if not (source or "").strip():
        return f"《{title}》{new.ref}"
    if old.kind == "article":
        for m in _LABEL_RE.finditer(source):
            try:
                key = (parse_number(m["num"]), parse_number(m["suf"]) if m["suf"] else 0)
            except ValueError:
                continue
            if key == (old.number, old.suffix):
                return source[: m.start()] + new.ref + source[m.end():]
    elif old.ref in source:
        return source.replace(old.ref, new.ref, 1)
    return source


class _Chain:
    """Where an article went in each later edition of its material, read once per revision."""

    def __init__(self, session: Session):
        self.session = session
        self._next: dict[int, MaterialEdition | None] = {}
        self._changes: dict[int, dict[int, EditionChange]] = {}

    def next_edition(self, edition_id: int) -> MaterialEdition | None:
        if edition_id not in self._next:
            self._next[edition_id] = self.session.scalar(
                select(MaterialEdition).where(MaterialEdition.revises_id == edition_id).order_by(MaterialEdition.number).limit(1)
            )
        return self._next[edition_id]

    def change_for(self, edition_id: int, old_article_id: int) -> EditionChange | None:
        if edition_id not in self._changes:
            by_old: dict[int, EditionChange] = {}
            for change in self.session.scalars(select(EditionChange).where(EditionChange.edition_id == edition_id)):
                for aid in change.old_article_ids or []:
                    by_old[aid] = change
            self._changes[edition_id] = by_old
        return self._changes[edition_id].get(old_article_id)


def _move_citation(session: Session, question: Question, old: MaterialArticle, new: MaterialArticle, title: str) -> None:
    """Point the question's current version at ``new`` by the versioning rule (in place, or a new version if locked)."""
    current = question.current_version
    content = _version_content(current)
    content["source"] = relabel_citation(current.source or "", old, new, title)
    content["source_article_id"] = new.id
    _apply(session, None, question, content, list(current.knowledge_points))


def _change_refs(session: Session, ids: Sequence[int]) -> list[str]:
    if not ids:
        return []
    refs = dict(session.execute(select(MaterialArticle.id, MaterialArticle.ref).where(MaterialArticle.id.in_(list(ids)))).all())
    return [refs[i] for i in ids if i in refs]


def _flag(session: Session, question: Question, change: EditionChange, old: MaterialArticle, title: str) -> bool:
    """Mark the question 需复核 for ``change``; False if it already has an open flag for it."""
    open_same = session.scalar(
        select(ReviewFlag.id).where(ReviewFlag.question_id == question.id, ReviewFlag.change_id == change.id,
                                    ReviewFlag.resolution.is_(None))
    )
    if open_same is not None:
        return False
    edition = session.get(MaterialEdition, change.edition_id)
    if change.status == "removed":
        reason = f"《{title}》{old.ref}在{edition.label}中已删除，请复核本题"
    else:
        now = "、".join(_change_refs(session, change.new_article_ids))
        how = {"split": "已拆分", "merge": "已与其他条款合并"}.get(change.kind, "已修改")
        reason = f"《{title}》{old.ref}在{edition.label}中{how}（现为{now}），请对照新旧条文复核本题"
    question.needs_review = True
    question.review_reason = reason[:REASON_MAX]
    question.updated_at = utcnow()
    session.add(ReviewFlag(question_id=question.id, edition_id=change.edition_id, change_id=change.id,
                           old_article_id=old.id, reason=reason[:REASON_MAX]))
    session.flush()
    return True


def _advance(session: Session, chain: _Chain, question: Question, *, accept: EditionChange | None = None) -> str:
    """Carry the question's citation forward to the material's current edition.

    Walks the editions after the cited article's: an unchanged or renumbered article is followed; a
    changed or removed one stops the walk and flags the question (the citation stays on the article
    the question was written against, or the last one it followed to). ``accept`` is a change the
    organizer has reviewed (keep): the walk starts from its new article. Returns "followed",
    "flagged" or "none".
    """
    current = question.current_version
    if current is None or current.source_article_id is None:
        return "none"
    cited = session.get(MaterialArticle, current.source_article_id)
    if cited is None:
        return "none"
    material = cited.edition.material
    target = cited
    if accept is not None:
        if accept.status == "removed" or not accept.new_article_ids:
            return "none"
        target = session.get(MaterialArticle, accept.new_article_ids[0])
    outcome = "none"
    while target.edition_id != material.current_edition_id:
        nxt = chain.next_edition(target.edition_id)
        change = chain.change_for(nxt.id, target.id) if nxt is not None else None
        if change is None:
            break
        if change.status in ("unchanged", "renumbered") and change.new_article_ids:
            target = session.get(MaterialArticle, change.new_article_ids[0])
            continue
        if target.id != cited.id:
            _move_citation(session, question, cited, target, material.title)
        return "flagged" if _flag(session, question, change, target, material.title) else "none"
    if target.id != cited.id:
        _move_citation(session, question, cited, target, material.title)
        outcome = "followed"
    return outcome


def _citing_questions(session: Session, article_ids: Sequence[int]) -> list[Question]:
    """Questions whose current version cites one of these articles, with their versions loaded."""
    found: list[Question] = []
    for chunk in _chunks(list(article_ids)):
        found += session.scalars(
            select(Question)
            .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
            .where(QuestionVersion.source_article_id.in_(chunk))
            .options(contains_eager(Question.current_version).selectinload(QuestionVersion.knowledge_points))
            .order_by(Question.id)
        )
    return found


def _revise_questions(session: Session, material: Material, old: MaterialEdition, new: MaterialEdition,
                      audit: Audit | None) -> tuple[int, int]:
    old_ids = list(session.scalars(select(MaterialArticle.id).where(MaterialArticle.edition_id == old.id)))
    chain = _Chain(session)
    followed = flagged = 0
    for question in _citing_questions(session, old_ids):
        outcome = _advance(session, chain, question)
        if outcome == "followed":
            followed += 1
        elif outcome == "flagged":
            flagged += 1
            _log(audit, "question.flag", target=question, org_unit_id=material.org_unit_id,
                 summary=question.review_reason[:200], after={"edition_id": new.id})
    return followed, flagged


def _open_flags(session: Session, question: Question) -> list[ReviewFlag]:
    return list(session.scalars(
        select(ReviewFlag).where(ReviewFlag.question_id == question.id, ReviewFlag.resolution.is_(None)).order_by(ReviewFlag.id)
    ))


def _resolve(flags: Iterable[ReviewFlag], actor: Actor | None, resolution: str) -> None:
    now = utcnow()
    for flag in flags:
        flag.resolution = resolution
        flag.resolved_by = actor.id if actor is not None else None
        flag.resolved_at = now


def _clear(question: Question) -> None:
    question.needs_review = False
    question.review_reason = ""
    question.updated_at = utcnow()


def keep_flagged(session: Session, actor: Actor | None, question: Question, *, audit: Audit | None = None) -> str:
    """The question still holds under the new text: clear the flag and move its citation to the new
    article (a removed article's citation stays). Returns "kept", or "flagged" when a later edition
    changed the article again (a new flag, for that change)."""
    require_manage(session, actor, question.bank)
    flags = _open_flags(session, question)
    if not question.needs_review and not flags:
        raise BankError(N_("该题没有待复核的标记"))
    accept = flags[-1].change if flags else None
    _resolve(flags, actor, "kept")
    _clear(question)
    session.flush()
    outcome = _advance(session, _Chain(session), question, accept=accept)
    _log(audit, "question.review_keep", target=question, org_unit_id=question.bank.org_unit_id,
         summary=f"保留题目 {question.id}（出处条款已修订）", after={"flags": [f.id for f in flags]})
    return "flagged" if outcome == "flagged" else "kept"


def retire_flagged(session: Session, actor: Actor | None, question: Question, *, audit: Audit | None = None) -> None:
    """Retire the question. It stays marked 需复核 (should it ever be activated again)."""
    from question_bank.services import set_status

    require_manage(session, actor, question.bank)
    set_status(session, actor, question, "retired", audit=audit)
    _resolve(_open_flags(session, question), actor, "retired")
    session.flush()


def resolve_after_edit(session: Session, actor: Actor | None, question: Question, *, audit: Audit | None = None) -> None:
    """Called by ``services.edit_question`` after an edit of a question marked 需复核: the edit is the
    review. The flag clears; a citation still on the changed article moves to its new article."""
    flags = _open_flags(session, question)
    _resolve(flags, actor, "edited")
    _clear(question)
    session.flush()
    current = question.current_version
    if flags and current is not None and current.source_article_id == flags[-1].old_article_id:
        _advance(session, _Chain(session), question, accept=flags[-1].change)


# --- resolving 出处 ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolution:
    article_id: int | None  # the article the 出处 means (None: unresolved, or nothing to resolve)
    problem: Message | None = None  # why a citation of an article could not be resolved


@dataclass(frozen=True)
class UnresolvedSource:
    """A 出处 of an import that cites an article nobody could find (a warning: the import goes on)."""

    line: int | None
    position: int
    source: str
    message: Message

    def __str__(self) -> str:
        where = f"第 {self.line} 行：" if self.line is not None else f"第 {self.position} 题："
        return f"{where}{self.message.text}"


_POLICY_CITATION_RE = re.compile(r"^\s*《(?P<title>[^《》]+)》\s*(?P<ref>\S.*?)\s*$")


class CitationResolver:
    """Resolves 出处 texts against a fixed set of materials, reading each material's articles once."""

    def __init__(self, session: Session, materials: Sequence[Material], *, prefer_unit_path: str = ""):
        self.session = session
        self.materials = [m for m in materials if m.current_edition_id is not None]
        depth = {uid: i for i, uid in enumerate(_ancestor_ids(prefer_unit_path))} if prefer_unit_path else {}
        # title -> materials with it, nearest owner first (a city's own copy wins over the province's)
        self.by_title: dict[str, list[Material]] = {}
        titles = {m.id: {m.title} for m in self.materials}
        if self.materials:
            for material_id, title in session.execute(
                select(MaterialEdition.material_id, MaterialEdition.title).where(
                    MaterialEdition.material_id.in_([m.id for m in self.materials]))
            ):
                if title:
                    titles[material_id].add(title)
        for m in sorted(self.materials, key=lambda m: (-depth.get(m.org_unit_id, -1), m.id)):
            for title in titles[m.id]:
                self.by_title.setdefault(title, []).append(m)
        self._articles: dict[int, dict[Any, int]] = {}
        self._cache: dict[str, Resolution] = {}

    @classmethod
    def for_unit(cls, session: Session, unit_id: int) -> CitationResolver:
        """Materials owned by the unit or a unit above it: what everyone using a bank of the unit can read."""
        path = session.scalar(select(_org_units.c.path).where(_org_units.c.id == unit_id)) or ""
        materials = list(session.scalars(select(Material).where(Material.org_unit_id.in_(_ancestor_ids(path) or [unit_id]))))
        return cls(session, materials, prefer_unit_path=path)

    def _lookup(self, material: Material) -> dict[Any, int]:
        if material.id not in self._articles:
            index: dict[Any, int] = {}
            for aid, kind, number, suffix, ref in self.session.execute(
                select(MaterialArticle.id, MaterialArticle.kind, MaterialArticle.number, MaterialArticle.suffix, MaterialArticle.ref)
                .where(MaterialArticle.edition_id == material.current_edition_id)
            ):
                index[(number, suffix) if kind == "article" else _ref_key(ref)] = aid
            self._articles[material.id] = index
        return self._articles[material.id]

    def material_for(self, cited_title: str | None) -> Material | None:
        title = match_title(cited_title, list(self.by_title))
        return self.by_title[title][0] if title is not None else None

    def resolve(self, source: str) -> Resolution:
        text = (source or "").strip()
        if not text:
            return Resolution(None)
        if text not in self._cache:
            self._cache[text] = self._resolve(text)
        return self._cache[text]

    def _resolve(self, text: str) -> Resolution:
        citation = parse_citation(text)
        if citation is None:
            m = _POLICY_CITATION_RE.match(text)
            if m:  # 《意见》二、（三）: a numbered section of a policy text
                material = self.material_for(m["title"])
                if material is not None:
                    aid = self._lookup(material).get(_ref_key(m["ref"]))
                    if aid is not None:
                        return Resolution(aid)
            return Resolution(None)  # names no article: nothing to resolve
        if not citation.title:
            return Resolution(None, Message(N_("出处“%(source)s”没有写明资料名称"), {"source": text}))
        material = self.material_for(citation.title)
        if material is None:
            return Resolution(None, Message(N_("出处“%(source)s”：找不到学习资料《%(title)s》，请先载入该资料"),
                                            {"source": text, "title": citation.title}))
        aid = self._lookup(material).get((citation.article, citation.suffix))
        if aid is None:
            return Resolution(None, Message(N_("出处“%(source)s”：《%(title)s》现行版本中没有%(label)s"),
                                            {"source": text, "title": material.title, "label": citation.label}))
        return Resolution(aid)


def _ref_key(ref: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", ref or ""))


def resolve_sources(session: Session, bank: Bank, items: Iterable[Any]) -> list[UnresolvedSource]:
    """For an import plan: set ``source_article_id`` on each planned item whose 出处 resolves, and
    list the ones that cite an article nobody could find (``importing.plan_import`` calls this)."""
    resolver: CitationResolver | None = None
    unresolved: list[UnresolvedSource] = []
    for item in items:
        source = (item.draft.source or "").strip()
        if not source:
            item.source_article_id = None
            continue
        if resolver is None:
            resolver = CitationResolver.for_unit(session, bank.org_unit_id)
        found = resolver.resolve(source)
        item.source_article_id = found.article_id
        if found.problem is not None:
            unresolved.append(UnresolvedSource(item.line, item.position, source, found.problem))
    return unresolved


def source_article_for(session: Session, bank: Bank, source: str) -> int | None:
    """The article a question's 出处 resolves to for a question of ``bank`` (``services`` calls this on save)."""
    if not (source or "").strip():
        return None
    return CitationResolver.for_unit(session, bank.org_unit_id).resolve(source).article_id


def citation_text(material: Material, article: MaterialArticle) -> str:
    """The 出处 to write for an article: ``《中华人民共和国保守国家秘密法》第九条``."""
    return f"《{material.title}》{article.ref}"


# --- reading ----------------------------------------------------------------------------------

@dataclass
class ArticleHit:
    article: MaterialArticle
    material: Material
    edition: MaterialEdition

    @property
    def citation(self) -> str:
        return citation_text(self.material, self.article)

    def as_json(self, snippet: int = 120) -> dict[str, Any]:
        text = self.article.text
        return {
            "id": self.article.id, "material_id": self.material.id, "material_title": self.material.title,
            "edition": self.edition.label, "ref": self.article.ref, "citation": self.citation,
            "text": text if len(text) <= snippet else text[:snippet] + "…", "anchor": self.article.anchor,
        }


def search_articles(session: Session, actor: Actor | None, q: str, *, limit: int = SEARCH_LIMIT,
                    material_id: int | None = None) -> list[ArticleHit]:
    """Articles of the current editions of the materials ``actor`` may read, for the 出处 picker.

    A citation (``保密法第九条``) finds its article first; then every word of ``q`` (split at
    spaces) must occur in the article's text, its label or its material's title.
    """
    raw = (q or "").strip()
    if not raw:
        return []
    materials = materials_visible_to(session, actor)
    if material_id is not None:
        materials = [m for m in materials if m.id == material_id]
    materials = [m for m in materials if m.current_edition_id is not None]
    if not materials:
        return []
    by_id = {m.id: m for m in materials}
    hits: list[ArticleHit] = []
    seen: set[int] = set()
    resolver = CitationResolver(session, materials, prefer_unit_path=actor.org_unit.path if actor is not None else "")
    exact = resolver.resolve(raw).article_id
    if exact is not None:
        article = session.get(MaterialArticle, exact)
        hits.append(ArticleHit(article, by_id[article.edition.material_id], article.edition))
        seen.add(article.id)
    stmt = (
        select(MaterialArticle, Material, MaterialEdition)
        .join(MaterialEdition, MaterialEdition.id == MaterialArticle.edition_id)
        .join(Material, Material.current_edition_id == MaterialEdition.id)
        .where(Material.id.in_(list(by_id)))
    )
    for word in raw.split():
        stmt = stmt.where(or_(
            MaterialArticle.text.icontains(word, autoescape=True),
            MaterialArticle.ref == word,
            Material.title.icontains(word, autoescape=True),
        ))
    for article, material, edition in session.execute(stmt.order_by(Material.title, Material.id, MaterialArticle.position).limit(limit + 1)):
        if article.id not in seen:
            hits.append(ArticleHit(article, material, edition))
            seen.add(article.id)
    return hits[:limit]


def cited_articles(session: Session, version_ids: Iterable[int]) -> dict[int, ArticleHit]:
    """{version id: the article its 出处 cites} for showing the article's text next to an explanation
    (practice feedback, post-contest review). Versions without a resolved 出处 are left out."""
    ids = sorted(set(version_ids))
    found: dict[int, ArticleHit] = {}
    for chunk in _chunks(ids):
        for vid, article, edition, material in session.execute(
            select(QuestionVersion.id, MaterialArticle, MaterialEdition, Material)
            .join(MaterialArticle, MaterialArticle.id == QuestionVersion.source_article_id)
            .join(MaterialEdition, MaterialEdition.id == MaterialArticle.edition_id)
            .join(Material, Material.id == MaterialEdition.material_id)
            .where(QuestionVersion.id.in_(chunk))
        ):
            found[vid] = ArticleHit(article, material, edition)
    return found


def edition_articles(session: Session, edition: MaterialEdition) -> list[MaterialArticle]:
    return list(session.scalars(select(MaterialArticle).where(MaterialArticle.edition_id == edition.id).order_by(MaterialArticle.position)))


def highlight(text: str, q: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) for showing a search: every word of ``q`` is marked, case
    and width folded (``ＡＢ`` finds ``ab``). The pieces join back to ``text`` exactly."""
    words = [w for w in unicodedata.normalize("NFKC", q or "").split() if w]
    if not text or not words:
        return [(text, False)] if text else []
    folded = [unicodedata.normalize("NFKC", ch).casefold() for ch in text]
    # each character folds to one or more; match on the folded string and map back per character
    flat = "".join(folded)
    owner: list[int] = []
    for i, piece in enumerate(folded):
        owner.extend([i] * len(piece))
    marked = [False] * len(text)
    for word in words:
        needle = word.casefold()
        start = flat.find(needle)
        while start != -1:
            for k in range(start, start + len(needle)):
                marked[owner[k]] = True
            start = flat.find(needle, start + len(needle))
    pieces: list[tuple[str, bool]] = []
    for ch, m in zip(text, marked):
        if pieces and pieces[-1][1] == m:
            pieces[-1] = (pieces[-1][0] + ch, m)
        else:
            pieces.append((ch, m))
    return pieces


def edition_search(session: Session, edition: MaterialEdition, q: str) -> list[MaterialArticle]:
    """The edition's articles whose label or text holds every word of ``q`` (folded as ``highlight``)."""
    words = [w.casefold() for w in unicodedata.normalize("NFKC", q or "").split() if w]
    if not words:
        return []
    found = []
    for article in edition_articles(session, edition):
        hay = unicodedata.normalize("NFKC", article.ref + "\n" + article.text).casefold()
        if all(w in hay for w in words):
            found.append(article)
    return found


# --- flagged questions ------------------------------------------------------------------------

@dataclass
class FlaggedQuestion:
    question: Question
    flag: ReviewFlag
    bank: Bank
    manageable: bool


def flagged_questions(session: Session, actor: Actor | None, material: Material) -> list[FlaggedQuestion]:
    """Questions marked 需复核 by a revision of ``material``, not retired, in banks ``actor`` may use,
    with their latest open flag."""
    from question_bank.services import can_manage_bank, visible_banks_stmt

    banks = {b.id: b for b in session.scalars(visible_banks_stmt(actor, include_archived=True))}
    if not banks:
        return []
    editions = select(MaterialEdition.id).where(MaterialEdition.material_id == material.id)
    rows = session.execute(
        select(ReviewFlag, Question)
        .join(Question, Question.id == ReviewFlag.question_id)
        .where(ReviewFlag.edition_id.in_(editions), ReviewFlag.resolution.is_(None), Question.needs_review.is_(True),
               Question.status != "retired", Question.bank_id.in_(list(banks)))
        .options(selectinload(Question.current_version), selectinload(ReviewFlag.change), selectinload(ReviewFlag.old_article))
        .order_by(Question.id, ReviewFlag.id.desc())
    ).all()
    out: list[FlaggedQuestion] = []
    seen: set[int] = set()
    for flag, question in rows:
        if question.id in seen:
            continue
        seen.add(question.id)
        bank = banks[question.bank_id]
        out.append(FlaggedQuestion(question, flag, bank, can_manage_bank(session, actor, bank)))
    return out


def visible_bank_ids(actor: Actor | None) -> Select:
    """A subquery of the ids of the banks ``actor`` may use (archived ones too): counts shown to
    an organizer cover these only."""
    from question_bank.services import visible_banks_stmt

    return visible_banks_stmt(actor, include_archived=True).with_only_columns(Bank.id).order_by(None)


def count_citing(session: Session, actor: Actor | None, material: Material) -> dict[str, int]:
    """Of the questions in banks ``actor`` may use (not retired): how many cite the material's
    current edition, and how many are flagged by one of its revisions."""
    banks = visible_bank_ids(actor)
    current = select(MaterialArticle.id).where(MaterialArticle.edition_id == material.current_edition_id)
    citing = session.scalar(
        select(func.count()).select_from(Question).join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
        .where(QuestionVersion.source_article_id.in_(current), Question.status != "retired", Question.bank_id.in_(banks))
    ) or 0
    editions = select(MaterialEdition.id).where(MaterialEdition.material_id == material.id)
    flagged = session.scalar(
        select(func.count(func.distinct(ReviewFlag.question_id))).join(Question, Question.id == ReviewFlag.question_id)
        .where(ReviewFlag.edition_id.in_(editions), ReviewFlag.resolution.is_(None), Question.needs_review.is_(True),
               Question.status != "retired", Question.bank_id.in_(banks))
    ) or 0
    return {"citing": citing, "flagged": flagged}


# --- draft questions --------------------------------------------------------------------------

def _require_organizer(actor: Actor | None) -> None:
    if actor is not None and not _is_organizer(actor):
        raise BankError(N_("只有组织者可以生成和审核题目草稿"))


def generate_drafts(session: Session, actor: Actor | None, material: Material, article_ids: Iterable[int],
                    *, audit: Audit | None = None) -> list[ArticleDraft]:
    """Generate candidate questions from chosen articles of the current edition into the review
    queue of the actor's unit (the material's owner for the system). Any organizer who may read
    the material may generate; a candidate already in that queue (pending, accepted or rejected)
    is not added twice."""
    from question_bank.materials.drafts import frequent_terms, generate

    _require_organizer(actor)
    if not can_use_material(session, actor, material):
        raise BankError(N_("无权使用学习资料《%(title)s》"), title=material.title)
    unit_id = actor.org_unit.id if actor is not None else material.org_unit_id
    ids = sorted(set(article_ids))
    if not ids:
        raise BankError(N_("请先选择条款"))
    articles = list(session.scalars(
        select(MaterialArticle).where(MaterialArticle.id.in_(ids), MaterialArticle.edition_id == material.current_edition_id)
        .order_by(MaterialArticle.position)
    ))
    if len(articles) != len(ids):
        raise BankError(N_("只能从资料的现行版本中选择条款"))
    existing = set(session.execute(
        select(ArticleDraft.article_id, ArticleDraft.stem).where(ArticleDraft.article_id.in_(ids), ArticleDraft.org_unit_id == unit_id)
    ).all())
    common = frequent_terms(list(session.scalars(
        select(MaterialArticle.text).where(MaterialArticle.edition_id == material.current_edition_id))))
    created: list[ArticleDraft] = []
    for article in articles:
        for candidate in generate(article.text, title=material.title, common=common):
            if (article.id, candidate.stem) in existing:
                continue
            existing.add((article.id, candidate.stem))
            draft = ArticleDraft(
                material_id=material.id, org_unit_id=unit_id, article_id=article.id, type=candidate.type,
                kind=candidate.kind, stem=candidate.stem, answer=candidate.answer, explanation=candidate.explanation,
                created_by=actor.id if actor is not None else None,
            )
            session.add(draft)
            created.append(draft)
    session.flush()
    _log(audit, "material.drafts", target=material, org_unit_id=unit_id,
         summary=f"{material.title}：从 {len(articles)} 条生成 {len(created)} 道题目草稿", after={"articles": ids, "drafts": len(created)})
    return created


def _queue_stmt(actor: Actor | None, material: Material) -> Select:
    stmt = select(ArticleDraft).where(ArticleDraft.material_id == material.id)
    if actor is not None:
        low, high = _subtree_range(actor.org_unit.path)
        stmt = stmt.where(ArticleDraft.org_unit_id.in_(select(_org_units.c.id).where(_org_units.c.path >= low, _org_units.c.path < high)))
    return stmt


def pending_drafts(session: Session, actor: Actor | None, material: Material) -> list[ArticleDraft]:
    """The drafts of ``material`` waiting in the queues ``actor`` reviews (their unit's subtree)."""
    return list(session.scalars(
        _queue_stmt(actor, material).join(MaterialArticle, MaterialArticle.id == ArticleDraft.article_id)
        .where(ArticleDraft.status == "pending")
        .options(contains_eager(ArticleDraft.article))
        .order_by(MaterialArticle.position, ArticleDraft.id)
    ))


def draft_counts(session: Session, actor: Actor | None, material: Material) -> dict[str, int]:
    counts = dict.fromkeys(("pending", "accepted", "rejected"), 0)
    sub = _queue_stmt(actor, material).subquery()
    for status, n in session.execute(select(sub.c.status, func.count()).group_by(sub.c.status)):
        counts[status] = n
    return counts


def can_review_draft(session: Session, actor: Actor | None, draft: ArticleDraft) -> bool:
    return actor is None or (_is_organizer(actor) and can_manage_unit(session, actor, draft.org_unit_id))


def _require_review(session: Session, actor: Actor | None, draft: ArticleDraft) -> None:
    if not can_review_draft(session, actor, draft):
        raise BankError(N_("无权审核这道题目草稿"))
    if draft.status != "pending":
        raise BankError(N_("这道题目草稿已经处理过了"))


def accept_draft(
    session: Session,
    actor: Actor | None,
    draft: ArticleDraft,
    bank: Bank,
    *,
    stem: str | None = None,
    answer: Any = None,
    explanation: str | None = None,
    subject: str = "",
    difficulty: int = 3,
    knowledge_points: Sequence[str] = (),
    audit: Audit | None = None,
) -> Question:
    """Put a reviewed draft into ``bank`` (one the actor manages) as a question citing its article.
    Pass ``stem``/``answer``/``explanation`` when the reviewer changed them: the draft is then
    recorded as edited. Raises ``InvalidQuestion`` if the (edited) question cannot be stored."""
    from question_bank.services import create_question

    _require_review(session, actor, draft)
    material = session.get(Material, draft.material_id)
    article = draft.article
    new_stem = draft.stem if stem is None else stem
    new_answer = draft.answer if answer is None else answer
    new_explanation = draft.explanation if explanation is None else explanation
    question = create_question(session, actor, bank, QuestionDraft(
        type=draft.type, stem=new_stem, answer=new_answer, explanation=new_explanation, difficulty=difficulty,
        subject=subject, knowledge_points=list(knowledge_points), source=citation_text(material, article),
    ), audit=audit)
    version = question.current_version
    version.source_article_id = article.id  # the very article, whatever the bank's unit would resolve
    draft.status = "accepted"
    draft.edited = (version.stem, version.answer, version.explanation) != (draft.stem, draft.answer, draft.explanation)
    draft.bank_id = bank.id
    draft.question_id = question.id
    draft.reviewed_by = actor.id if actor is not None else None
    draft.reviewed_at = utcnow()
    session.flush()
    return question


def reject_draft(session: Session, actor: Actor | None, draft: ArticleDraft, *, audit: Audit | None = None) -> None:
    _require_review(session, actor, draft)
    draft.status = "rejected"
    draft.reviewed_by = actor.id if actor is not None else None
    draft.reviewed_at = utcnow()
    session.flush()
    _log(audit, "material.draft_reject", target=draft, org_unit_id=draft.org_unit_id, summary=draft.stem[:80])


__all__ = [
    "ArticleHit", "CitationResolver", "FlaggedQuestion", "LoadOutcome", "Resolution", "UnresolvedSource",
    "accept_draft", "add_edition", "can_manage_material", "can_review_draft", "can_use_material", "citation_text", "cited_articles",
    "count_citing", "create_material", "draft_counts", "edition_articles", "edition_search", "find_material",
    "flagged_questions", "generate_drafts", "highlight", "keep_flagged", "materials_visible_to", "pending_drafts",
    "read_material_file", "reject_draft", "relabel_citation", "require_manage_material", "resolve_after_edit",
    "resolve_sources", "retire_flagged", "search_articles", "source_article_for", "visible_bank_ids", "visible_materials_stmt",
]

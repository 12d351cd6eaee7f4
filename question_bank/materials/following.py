"""Following and flagging questions when a material is revised (called by ``services.add_edition``),
and the organizer's list of flagged questions.

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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from question_bank.db import utcnow
from question_bank.materials.models import (
    REASON_MAX,
    EditionChange,
    Material,
    MaterialArticle,
    MaterialEdition,
    ReviewFlag,
)
from question_bank.materials.numerals import NUMERAL_CHARS, parse_number
from question_bank.messages import BankError, N_
from question_bank.models import Bank, Question, QuestionVersion
from question_bank.services import (
    Actor,
    Audit,
    _apply,
    _chunks,
    _log,
    _version_content,
    require_manage,
)

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


def revise_questions(session: Session, material: Material, old: MaterialEdition, new: MaterialEdition,
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

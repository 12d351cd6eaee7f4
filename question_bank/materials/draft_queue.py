"""The review queue of draft questions generated from a material's articles (``drafts`` writes
them): generate into the queue, then an organizer accepts a draft into a bank, edited or as it
is, or rejects it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, contains_eager

from question_bank.db import utcnow
from question_bank.drafts import QuestionDraft
from question_bank.materials.models import (
    ArticleDraft,
    Material,
    MaterialArticle,
)
from question_bank.materials.services import can_use_material
from question_bank.materials.sources import citation_text
from question_bank.messages import BankError, N_
from question_bank.models import Bank, Question
from question_bank.services import (
    Actor,
    Audit,
    _is_organizer,
    _log,
    _org_units,
    _subtree_range,
    can_manage_unit,
)


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

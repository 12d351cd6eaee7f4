"""Searching the audit log, scoped to the actor's reach like every other list."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from quiz.accounts.models import User
from quiz.accounts.scope import scoped
from quiz.audit.models import AuditEntry


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_audit(session: Session, actor: User, *, q: str = "", action: str = "", page: int = 1, per_page: int = 50) -> AuditPage:
    stmt = scoped(select(AuditEntry), actor, AuditEntry.org_unit_id)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action))
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(AuditEntry.summary.ilike(like), AuditEntry.actor_id.in_(select(User.id).where(or_(User.username.ilike(like), User.name.ilike(like))))))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    entries = list(session.scalars(stmt.options(selectinload(AuditEntry.actor)).order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    return AuditPage(entries, total, page, per_page)

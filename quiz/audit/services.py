"""Writing audit entries. Callers pass the request address; services stay free of Flask."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from quiz.accounts.models import User
from quiz.audit.models import AuditEntry


def record(
    session: Session,
    actor: User | None,
    action: str,
    *,
    target: Any = None,
    org_unit_id: int | None = None,
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    ip_address: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "id", "") or ""),
        org_unit_id=org_unit_id,
        summary=summary[:500],
        before=before,
        after=after,
        ip_address=ip_address,
    )
    session.add(entry)
    return entry

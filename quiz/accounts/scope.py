"""Reach: a user sees and touches only their own unit's subtree.

Every query that lists people, results or records goes through ``scoped``; nothing reads around
it. The subtree is a range on the indexed materialised path, one query on both databases.
"""
from __future__ import annotations

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from quiz.accounts.models import OrgUnit, User


def subtree_ids(unit: OrgUnit) -> Select:
    """A subquery of the ids of ``unit`` and every unit below it."""
    low, high = unit.subtree_range
    return select(OrgUnit.id).where(and_(OrgUnit.path >= low, OrgUnit.path < high))


def scoped(stmt: Select, actor: User, unit_id_column) -> Select:
    """Restrict ``stmt`` to rows whose ``unit_id_column`` lies in the actor's reach."""
    return stmt.where(unit_id_column.in_(subtree_ids(actor.org_unit)))


def units_in_reach(session: Session, actor: User, *, include_inactive: bool = True) -> list[OrgUnit]:
    stmt = scoped(select(OrgUnit), actor, OrgUnit.id).order_by(OrgUnit.path)
    if not include_inactive:
        stmt = stmt.where(OrgUnit.active.is_(True))
    return list(session.scalars(stmt))


def can_reach_unit(actor: User, unit: OrgUnit | None) -> bool:
    return unit is not None and actor.org_unit.contains(unit)


def can_reach_user(actor: User, user: User | None) -> bool:
    return user is not None and can_reach_unit(actor, user.org_unit)

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quiz.accounts.models import OrgUnit, User
from quiz.accounts.scope import scoped


@dataclass(frozen=True)
class UnitCount:
    unit: OrgUnit
    people: int


def hr_overview(session: Session, actor: User) -> list[UnitCount]:
    """Active people per unit in the HR user's reach: the start of every report they pull."""
    counts = dict(
        session.execute(
            scoped(select(User.org_unit_id, func.count()), actor, User.org_unit_id)
            .where(User.active.is_(True))
            .group_by(User.org_unit_id)
        ).all()
    )
    units = session.scalars(scoped(select(OrgUnit), actor, OrgUnit.id).order_by(OrgUnit.path))
    return [UnitCount(u, counts.get(u.id, 0)) for u in units]

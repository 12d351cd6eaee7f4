"""The org-unit tree: add, rename, move, deactivate; each change audit-logged by the caller's actor."""
from __future__ import annotations

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from question_bank.messages import BankError, N_
from quiz.accounts.models import OrgUnit, User
from quiz.accounts.scope import can_reach_unit
from quiz.audit.services import record

PATH_SEPARATORS = ("/", "／", ">", "＞")


def _require_reach(actor: User | None, unit: OrgUnit) -> None:
    if actor is not None and not can_reach_unit(actor, unit):
        raise BankError(N_("无权管理单位“%(name)s”"), name=unit.name)


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise BankError(N_("单位名称不能为空"))
    if any(sep in name for sep in PATH_SEPARATORS):
        raise BankError(N_("单位名称不能包含“/”或“>”"))
    if len(name) > 100:
        raise BankError(N_("单位名称不能超过 100 个字"))
    return name


def _check_sibling_free(session: Session, parent_id: int | None, name: str, exclude_id: int | None = None) -> None:
    stmt = select(OrgUnit.id).where(OrgUnit.parent_id.is_(parent_id) if parent_id is None else OrgUnit.parent_id == parent_id, OrgUnit.name == name)
    if exclude_id is not None:
        stmt = stmt.where(OrgUnit.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise BankError(N_("同一上级下已有名为“%(name)s”的单位"), name=name)


def add_unit(session: Session, actor: User | None, name: str, parent: OrgUnit | None, *, kind: str = "", ip: str = "") -> OrgUnit:
    name = _check_name(name)
    if parent is None and actor is not None:
        raise BankError(N_("请选择上级单位"))
    if parent is not None:
        _require_reach(actor, parent)
        if not parent.active:
            raise BankError(N_("上级单位“%(name)s”已停用，不能在其下新增单位"), name=parent.name)
    _check_sibling_free(session, parent.id if parent else None, name)
    unit = OrgUnit(name=name, parent=parent, kind=kind, depth=(parent.depth + 1) if parent else 0)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.flush()
    record(session, actor, "unit.add", target=unit, org_unit_id=unit.id, summary=name, after={"name": name, "parent_id": unit.parent_id}, ip_address=ip)
    return unit


def rename_unit(session: Session, actor: User | None, unit: OrgUnit, name: str, *, ip: str = "") -> OrgUnit:
    _require_reach(actor, unit)
    name = _check_name(name)
    _check_sibling_free(session, unit.parent_id, name, exclude_id=unit.id)
    before = unit.name
    unit.name = name
    record(session, actor, "unit.rename", target=unit, org_unit_id=unit.id, summary=f"{before} → {name}", before={"name": before}, after={"name": name}, ip_address=ip)
    session.flush()
    return unit


def move_unit(session: Session, actor: User | None, unit: OrgUnit, new_parent: OrgUnit, *, ip: str = "") -> OrgUnit:
    """Re-hang a subtree: one UPDATE rewrites the path prefix of every unit below it."""
    _require_reach(actor, unit)
    _require_reach(actor, new_parent)
    if actor is not None and unit.id == actor.org_unit_id:
        raise BankError(N_("不能移动自己所在的单位"))
    if unit.contains(new_parent):
        raise BankError(N_("不能把单位移到它自己或它的下级单位之下"))
    if unit.parent_id is None:
        raise BankError(N_("不能移动根单位"))
    _check_sibling_free(session, new_parent.id, unit.name, exclude_id=unit.id)
    old_path, old_depth, old_parent_id = unit.path, unit.depth, unit.parent_id
    new_path = f"{new_parent.path}{unit.id}/"
    delta = new_parent.depth + 1 - old_depth
    low, high = unit.subtree_range
    session.flush()
    session.execute(
        update(OrgUnit)
        .where(OrgUnit.path >= low, OrgUnit.path < high)
        .values(path=literal(new_path) + func.substr(OrgUnit.path, len(old_path) + 1), depth=OrgUnit.depth + delta)
        .execution_options(synchronize_session=False)
    )
    unit.parent_id = new_parent.id
    session.flush()
    session.expire_all()
    record(session, actor, "unit.move", target=unit, org_unit_id=unit.id, summary=unit.name, before={"parent_id": old_parent_id, "path": old_path}, after={"parent_id": new_parent.id, "path": new_path}, ip_address=ip)
    return unit


def set_unit_active(session: Session, actor: User | None, unit: OrgUnit, active: bool, *, ip: str = "") -> OrgUnit:
    _require_reach(actor, unit)
    if not active:
        if actor is not None and unit.id == actor.org_unit_id:
            raise BankError(N_("不能停用自己所在的单位"))
        children = session.scalar(select(func.count()).select_from(OrgUnit).where(OrgUnit.parent_id == unit.id, OrgUnit.active.is_(True)))
        if children:
            raise BankError(N_("“%(name)s”下还有 %(n)d 个启用的下级单位，请先停用或移走它们"), name=unit.name, n=children)
        users = session.scalar(select(func.count()).select_from(User).where(User.org_unit_id == unit.id, User.active.is_(True)))
        if users:
            raise BankError(N_("“%(name)s”下还有 %(n)d 个启用的账号，请先调整他们的单位或停用账号"), name=unit.name, n=users)
    elif unit.parent is not None and not unit.parent.active:
        raise BankError(N_("上级单位已停用，请先启用上级单位"))
    unit.active = active
    record(session, actor, "unit.activate" if active else "unit.deactivate", target=unit, org_unit_id=unit.id, summary=unit.name, ip_address=ip)
    session.flush()
    return unit


def unit_path_names(unit: OrgUnit) -> str:
    names = []
    node: OrgUnit | None = unit
    while node is not None:
        names.append(node.name)
        node = node.parent
    return "/".join(reversed(names))


def split_unit_path(text: str) -> list[str]:
    for sep in PATH_SEPARATORS[1:]:
        text = text.replace(sep, "/")
    return [part.strip() for part in text.split("/") if part.strip()]


class UnitIndex:
    """Resolve typed unit paths (河南省委组织部/郑州市委组织部/金水区委组织部) against the tree in memory."""

    def __init__(self, units: list[OrgUnit]):
        self.by_parent_name = {(u.parent_id, u.name): u for u in units}

    def resolve(self, path_text: str, parent_id: int | None = None) -> tuple[OrgUnit | None, str | None]:
        """(unit, None) or (None, the first name not found); the path starts below ``parent_id``
        (None: at the top of the tree)."""
        unit = None
        for name in split_unit_path(path_text):
            unit = self.by_parent_name.get((parent_id, name))
            if unit is None:
                return None, name
            parent_id = unit.id
        return unit, None if unit else ""


def resolve_unit_path(session: Session, path_text: str) -> OrgUnit:
    from sqlalchemy import select as _select

    unit, missing = UnitIndex(list(session.scalars(_select(OrgUnit)))).resolve(path_text)
    if unit is None:
        raise BankError(N_("找不到单位“%(name)s”"), name=missing or path_text)
    return unit


def ensure_unit_path(session: Session, path_text: str) -> OrgUnit:
    """Resolve a unit path, creating the missing units along it (first setup from the CLI)."""
    parent: OrgUnit | None = None
    for name in split_unit_path(path_text):
        parent_id = parent.id if parent else None
        found = session.scalar(
            select(OrgUnit).where(OrgUnit.name == name, OrgUnit.parent_id.is_(None) if parent_id is None else OrgUnit.parent_id == parent_id)
        )
        parent = found or add_unit(session, None, name, parent)
    if parent is None:
        raise BankError(N_("单位路径为空"))
    return parent

"""Accounts: create, authenticate, change and reset passwords, activate and deactivate."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from question_bank.db import utcnow
from question_bank.messages import BankError, N_
from quiz.accounts.models import ROLES, OrgUnit, User, UserRole
from quiz.accounts.passwords import GENERATED_HASH_METHOD, check_policy, hash_password, verify_password
from quiz.accounts.scope import can_reach_unit, can_reach_user, scoped, subtree_ids
from quiz.accounts.user_sessions import revoke_all
from quiz.audit.services import record

INITIAL_PASSWORD_VALID = timedelta(days=14)  # QUIZ_INITIAL_PASSWORD_DAYS; the web layer passes the configured value


def initial_password_expiry(valid: timedelta | None, now: datetime | None = None) -> datetime | None:
    """When an initial password set now stops signing in (ASVS 6.4.1); None: never."""
    return None if valid is None else (now or utcnow()) + valid


USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
PHONE_RE = re.compile(r"^1\d{10}$")


def check_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise BankError(N_("账号“%(u)s”无效：只能使用 2–64 位字母、数字、下划线、点、@ 或减号"), u=username)
    return username


def check_phone(phone: str) -> str:
    phone = re.sub(r"[\s-]", "", str(phone or ""))
    if phone and not PHONE_RE.match(phone):
        raise BankError(N_("手机号“%(p)s”不是 11 位手机号码"), p=phone)
    return phone


def mask_phone(phone: str) -> str:
    """138****5678: personal data shown only in part outside the person's own and the admin's page."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else ("*" * len(phone))


def find_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip()))


def create_user(
    session: Session,
    actor: User | None,
    *,
    username: str,
    name: str,
    org_unit: OrgUnit,
    password: str,
    roles: set[str] | list[str] = ("cadre",),
    position: str = "",
    phone: str = "",
    must_change_password: bool = True,
    initial_password_valid: timedelta | None = INITIAL_PASSWORD_VALID,
    ip: str = "",
) -> User:
    username = check_username(username)
    name = (name or "").strip()
    if not name:
        raise BankError(N_("姓名不能为空"))
    if actor is not None and not can_reach_unit(actor, org_unit):
        raise BankError(N_("无权在单位“%(name)s”中创建账号"), name=org_unit.name)
    if not org_unit.active:
        raise BankError(N_("单位“%(name)s”已停用"), name=org_unit.name)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise BankError(N_("未知角色：%(r)s"), r="、".join(sorted(unknown)))
    if find_by_username(session, username) is not None:
        raise BankError(N_("账号“%(u)s”已存在"), u=username)
    check_policy(password, username=username)
    user = User(
        username=username,
        name=name,
        org_unit=org_unit,
        position=(position or "").strip(),
        phone=check_phone(phone),
        password_hash=hash_password(password),
        must_change_password=must_change_password,
        initial_password_expires_at=initial_password_expiry(initial_password_valid) if must_change_password else None,
    )
    user.set_roles(set(roles) or {"cadre"})
    session.add(user)
    session.flush()
    record(session, actor, "user.create", target=user, org_unit_id=org_unit.id, summary=f"{username} {name}", after={"roles": sorted(user.roles)}, ip_address=ip)
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None  # "invalid", "inactive" or "expired" (an initial password past its date)


def authenticate(session: Session, username: str, password: str, *, now: datetime | None = None) -> LoginResult:
    """Check credentials; reads only. The same 'invalid' answer for an unknown account and a wrong
    password; whether the account is inactive or its initial password expired is said only to
    someone who knows the password."""
    user = find_by_username(session, username or "")
    if user is None:
        verify_password(_DUMMY_HASH, password or "")  # spend the same time as a real check
        return LoginResult(None, "invalid")
    if user.password_hash.startswith(GENERATED_HASH_METHOD + "$"):
        # a generated password from a roster import has a cheaper hash (hash_generated_password):
        # top the check up to a scrypt's time, so timing does not tell such an account apart
        verify_password(_DUMMY_HASH, password or "")
    if not verify_password(user.password_hash, password or ""):
        return LoginResult(None, "invalid")
    if not user.active or not user.org_unit.active:
        return LoginResult(None, "inactive")
    if initial_password_expired(user, now):
        return LoginResult(None, "expired")
    return LoginResult(user)


def initial_password_expired(user: User, now: datetime | None = None) -> bool:
    """An initial password not changed in time no longer signs in (ASVS 6.4.1): an admin must set a new one."""
    return (user.must_change_password and user.initial_password_expires_at is not None
            and (now or utcnow()) >= user.initial_password_expires_at)


def record_login(session: Session, user: User) -> None:
    """Note the sign-in time. Callers run it in a write transaction begun after the password
    check (``quiz.db.restart_as_writer``): writing in the read transaction that looked the user
    up would, on SQLite, fail with 'database is locked' whenever another sign-in committed
    during the ~0.1 s the password hash takes."""
    session.execute(update(User).where(User.id == user.id).values(last_login_at=utcnow()))


_DUMMY_HASH = hash_password(secrets.token_hex(8))


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current or ""):
        raise BankError(N_("当前密码不正确"))
    if current == new:
        raise BankError(N_("新密码不能与当前密码相同"))
    check_policy(new, username=user.username)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.initial_password_expires_at = None
    revoke_all(session, user)  # every device, this one included: the view signs this one in afresh
    record(session, user, "user.change_password", target=user, org_unit_id=user.org_unit_id)
    session.flush()


def reset_password(session: Session, actor: User, user: User, new_password: str, *,
                   initial_password_valid: timedelta | None = INITIAL_PASSWORD_VALID, ip: str = "") -> None:
    """An admin sets an initial password; the person must change it at next login, within
    ``initial_password_valid``."""
    if not can_reach_user(actor, user):
        raise BankError(N_("无权管理该账号"))
    check_policy(new_password, username=user.username)
    user.password_hash = hash_password(new_password)
    user.must_change_password = True
    user.initial_password_expires_at = initial_password_expiry(initial_password_valid)
    revoke_all(session, user)
    record(session, actor, "user.reset_password", target=user, org_unit_id=user.org_unit_id, summary=user.username, ip_address=ip)
    session.flush()


def set_user_active(session: Session, actor: User, user: User, active: bool, *, ip: str = "") -> None:
    """Deactivation ends every session of the account at once; people are never deleted."""
    if not can_reach_user(actor, user):
        raise BankError(N_("无权管理该账号"))
    if user.id == actor.id and not active:
        raise BankError(N_("不能停用自己的账号"))
    user.active = active
    if not active:
        revoke_all(session, user)
    record(session, actor, "user.activate" if active else "user.deactivate", target=user, org_unit_id=user.org_unit_id, summary=user.username, ip_address=ip)
    session.flush()


def update_user(session: Session, actor: User, user: User, *, name: str, org_unit: OrgUnit, position: str, phone: str, roles: set[str], ip: str = "") -> None:
    if not can_reach_user(actor, user) or not can_reach_unit(actor, org_unit):
        raise BankError(N_("无权管理该账号"))
    name = (name or "").strip()
    if not name:
        raise BankError(N_("姓名不能为空"))
    if not roles:
        raise BankError(N_("至少需要一个角色"))
    if user.id == actor.id and "admin" not in roles:
        raise BankError(N_("不能取消自己的管理员角色"))
    before = {"name": user.name, "org_unit_id": user.org_unit_id, "position": user.position, "roles": sorted(user.roles)}
    user.name, user.org_unit, user.position, user.phone = name, org_unit, (position or "").strip(), check_phone(phone)
    user.set_roles(roles)
    session.flush()
    after = {"name": user.name, "org_unit_id": user.org_unit_id, "position": user.position, "roles": sorted(user.roles)}
    record(session, actor, "user.update", target=user, org_unit_id=user.org_unit_id, summary=user.username, before=before, after=after, ip_address=ip)


@dataclass
class UserPage:
    users: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_users(
    session: Session,
    actor: User,
    *,
    q: str = "",
    unit: OrgUnit | None = None,
    role: str = "",
    active: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> UserPage:
    """People in the actor's reach, optionally within a unit's subtree, by role and text."""
    stmt = scoped(select(User), actor, User.org_unit_id)
    if unit is not None:
        stmt = stmt.where(User.org_unit_id.in_(subtree_ids(unit)))
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.name.ilike(like), User.position.ilike(like)))
    if role in ROLES:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    users = list(
        session.scalars(stmt.options(selectinload(User.org_unit)).order_by(User.org_unit_id, User.username).offset((page - 1) * per_page).limit(per_page))
    )
    return UserPage(users, total, page, per_page)

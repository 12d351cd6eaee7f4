"""People and the org-unit tree.

Units form a tree stored as a materialised path ("/1/5/12/"): "this unit and everything below
it" is one range scan on an index (path >= '/1/5/' AND path < '/1/50'), the same on SQLite and
on PostgreSQL (where the column uses the "C" collation so the range is bytewise).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from question_bank.db import Base, utcnow

ROLES = ("cadre", "organizer", "hr", "admin")
PATH_TYPE = String(400).with_variant(String(400, collation="C"), "postgresql")


class OrgUnit(Base):
    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_org_units_parent_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    path: Mapped[str] = mapped_column(PATH_TYPE, index=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20), default="")  # 组织部, 乡镇, 省直单位, 高校, 企业 ...
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    parent: Mapped[OrgUnit | None] = relationship(remote_side="OrgUnit.id", back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent", order_by="OrgUnit.sort_order, OrgUnit.id")

    @property
    def subtree_range(self) -> tuple[str, str]:
        """[low, high) bounds of the paths in this unit's subtree ('/' sorts just below '0')."""
        return self.path, self.path[:-1] + "0"

    def contains(self, other: OrgUnit) -> bool:
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<OrgUnit {self.id} {self.name}>"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    position: Mapped[str] = mapped_column(String(100), default="")  # 职务
    phone: Mapped[str] = mapped_column(String(32), default="")  # 手机 (personal data: masked in lists)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    # An initial password (an admin's, a reset's, a roster import's) signs in only until then
    # (ASVS 6.4.1); None for a password the person chose, and for one with no limit.
    initial_password_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    org_unit: Mapped[OrgUnit] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def set_roles(self, roles: set[str] | list[str]) -> None:
        wanted = set(roles)
        self.role_rows = [r for r in self.role_rows if r.role in wanted]
        for role in sorted(wanted - self.roles):
            self.role_rows.append(UserRole(role=role))

    # Flask-Login protocol, kept here so the model needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    # The signed-in device's record (quiz.accounts.user_sessions): set by sign-in and by the user
    # loader, never stored. Flask-Login keeps get_id() in the session and the remember cookie.
    session_key = None
    signed_in_session = None

    def get_id(self) -> str:
        if not self.session_key:
            raise RuntimeError("sign users in through quiz.accounts.user_sessions.start_user_session")
        return self.session_key

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (Index("ix_user_roles_role", "role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class UserSession(Base):
    """One signed-in device (ASVS 7.4.1, 7.5.2): the signed cookie and the remember cookie carry a
    random key whose SHA-256 is ``token_hash``; sign-out, the sessions page, an admin, a password
    change or reset and deactivation set ``revoked_at``, and a copy of either cookie stops working.
    Idle (``last_seen_at``, refreshed every few minutes) and absolute (``expires_at``) timeouts are
    checked against this row on every request."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id_revoked_at", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)  # 在这台设备上保持登录: no idle timeout, its own cap
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

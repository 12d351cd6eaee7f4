"""Server-side session records: one row per signed-in device (ASVS 5.0 V7).

The signed session cookie (and the "keep me signed in" cookie) carry a random key; the row holds
its SHA-256, so a copy of the database alone signs nobody in. A request is signed in only while its
row exists, is not revoked and is inside its idle and absolute limits, so sign-out ends a copied
cookie too (7.4.1) while the user's other devices stay signed in. Password change, reset and
deactivation revoke every row of the account (7.4.3); the user ends other devices from their
sessions page (7.5.2), an admin ends all of a user's (7.4.5).

Plain functions taking a SQLAlchemy session; they flush, never commit, and know nothing of Flask.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, lazyload

from question_bank.db import utcnow
from question_bank.messages import BankError, N_
from quiz.accounts.models import User, UserSession
from quiz.accounts.scope import can_reach_user, scoped
from quiz.audit.services import record

PRUNE_AFTER = timedelta(days=30)  # ended rows are kept this long (the sessions page and support), then deleted


@dataclass(frozen=True)
class Limits:
    """The timeouts, from configuration: idle and absolute for an ordinary sign-in, the cap of a
    remembered one (no idle limit: that is what the box is for), and how stale ``last_seen_at``
    may get before a request refreshes it (a write every few minutes, not on every save)."""

    idle: timedelta
    absolute: timedelta
    remember: timedelta
    touch: timedelta = timedelta(minutes=5)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_user_session(session: Session, user: User, limits: Limits, *, remember: bool = False,
                       user_agent: str = "", ip: str = "", now: datetime | None = None) -> UserSession:
    """A new row for this sign-in; the user carries its key (``get_id``) for the cookies."""
    now = now or utcnow()
    key = secrets.token_urlsafe(32)
    row = UserSession(token_hash=hash_key(key), user_id=user.id, created_at=now, last_seen_at=now,
                      expires_at=now + (limits.remember if remember else limits.absolute), remember=remember,
                      user_agent=(user_agent or "")[:300], ip_address=(ip or "")[:45])
    session.add(row)
    session.execute(delete(UserSession).where(  # the user's long-ended rows: the table stays small
        UserSession.user_id == user.id,
        or_(UserSession.revoked_at < now - PRUNE_AFTER, UserSession.expires_at < now - PRUNE_AFTER)))
    session.flush()
    user.session_key, user.signed_in_session = key, row
    return row


@dataclass(frozen=True)
class Found:
    user: User | None
    row: UserSession | None
    state: str  # "active", "expired" (idle or absolute limit), "ended" (revoked, or the account deactivated), "unknown"


def find_user_session(session: Session, key: str, limits: Limits, *, now: datetime | None = None) -> Found:
    """The user and their session row for a cookie's key, in one query (a join: the request's
    only extra round trip is none), and whether the row still signs them in."""
    if not key or len(key) > 100:
        return Found(None, None, "unknown")
    now = now or utcnow()
    found = session.execute(
        select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == hash_key(key))
        # roles on first use: most requests check them (one query, as selectin would be), but the
        # contest save path never does, and it is the hottest request of a contest day
        .options(lazyload(User.role_rows))
    ).first()
    if found is None:
        return Found(None, None, "unknown")
    user, row = found
    if row.revoked_at is not None or not user.active:
        return Found(user, row, "ended")
    if now >= row.expires_at or (not row.remember and now - row.last_seen_at > limits.idle):
        return Found(user, row, "expired")
    user.session_key, user.signed_in_session = key, row
    return Found(user, row, "active")


def needs_touch(row: UserSession, limits: Limits, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at >= limits.touch


def touch(session: Session, row: UserSession, now: datetime | None = None) -> None:
    """Move ``last_seen_at`` forward (callers do it only when ``needs_touch``)."""
    now = now or utcnow()
    session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    row.last_seen_at = now


def revoke(session: Session, row_id: int, now: datetime | None = None) -> None:
    """End one session (sign-out): its cookies, and every copy of them, stop working."""
    session.execute(update(UserSession).where(UserSession.id == row_id, UserSession.revoked_at.is_(None))
                    .values(revoked_at=now or utcnow()))


def revoke_all(session: Session, user: User, now: datetime | None = None) -> int:
    """End every session of the account (password change or reset, deactivation, an admin)."""
    result = session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
                             .values(revoked_at=now or utcnow()))
    return result.rowcount or 0


def active_sessions(session: Session, user: User, limits: Limits, now: datetime | None = None) -> list[UserSession]:
    """The user's sessions that still sign them in, the most recently used first."""
    now = now or utcnow()
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
                                                     UserSession.expires_at > now)
                           .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))
    return [r for r in rows if r.remember or now - r.last_seen_at <= limits.idle]


def count_active(session: Session, user: User, limits: Limits, now: datetime | None = None) -> int:
    return len(active_sessions(session, user, limits, now))


def end_own_session(session: Session, user: User, row_id: int, now: datetime | None = None) -> UserSession:
    """The user ends another of their own sessions (7.5.2). Someone else's row is 'not found'."""
    row = session.get(UserSession, row_id)
    if row is None or row.user_id != user.id:
        raise LookupError(row_id)
    if user.signed_in_session is not None and row.id == user.signed_in_session.id:
        raise BankError(N_("这是您正在使用的登录；要结束它，请点“退出登录”"))
    revoke(session, row.id, now)
    return row


def end_all_sessions(session: Session, actor: User, user: User, *, ip: str = "", now: datetime | None = None) -> int:
    """An admin ends every session of a user in their reach (7.4.5), audit-logged."""
    if not can_reach_user(actor, user):
        raise BankError(N_("无权管理该账号"))
    ended = revoke_all(session, user, now)
    record(session, actor, "user.end_sessions", target=user, org_unit_id=user.org_unit_id, summary=user.username,
           after={"ended": ended}, ip_address=ip)
    session.flush()
    return ended


@dataclass(frozen=True)
class Reach:
    """Signed-in sessions in an admin's reach, and how many people they belong to."""

    sessions: int
    users: int


def _live_in_reach(actor: User, limits: Limits, now: datetime, keep_row_id: int | None):
    """The conditions naming every session that still signs someone in the actor's unit subtree in,
    but for ``keep_row_id`` (the admin's own current one)."""
    conditions = [
        UserSession.user_id.in_(scoped(select(User.id), actor, User.org_unit_id)),
        UserSession.revoked_at.is_(None),
        UserSession.expires_at > now,
        or_(UserSession.remember.is_(True), UserSession.last_seen_at >= now - limits.idle),
    ]
    if keep_row_id is not None:
        conditions.append(UserSession.id != keep_row_id)
    return conditions


def sessions_in_reach(session: Session, actor: User, limits: Limits, *, keep_row_id: int | None,
                      now: datetime | None = None) -> Reach:
    """What ``end_sessions_in_reach`` would end now: the confirmation page says it before it is done."""
    where = _live_in_reach(actor, limits, now or utcnow(), keep_row_id)
    sessions, users = session.execute(
        select(func.count(UserSession.id), func.count(func.distinct(UserSession.user_id))).where(*where)).one()
    return Reach(sessions or 0, users or 0)


def end_sessions_in_reach(session: Session, actor: User, limits: Limits, *, keep_row_id: int | None, ip: str = "",
                          now: datetime | None = None) -> Reach:
    """An admin ends every signed-in session of everyone in their unit subtree, their own other
    devices included, all but the one they are using (after a suspected leak, a SECRET_KEY
    rotation). One UPDATE, audit-logged with the counts; the accounts themselves keep working."""
    now = now or utcnow()
    where = _live_in_reach(actor, limits, now, keep_row_id)
    users = session.scalar(select(func.count(func.distinct(UserSession.user_id))).where(*where)) or 0
    ended = session.execute(update(UserSession).where(*where).values(revoked_at=now)
                            .execution_options(synchronize_session=False)).rowcount or 0
    record(session, actor, "user.end_all_sessions", org_unit_id=actor.org_unit_id,
           summary=f"{actor.org_unit.name}: {ended} sessions, {users} users",
           after={"ended": ended, "users": users, "unit_id": actor.org_unit_id}, ip_address=ip)
    session.flush()
    return Reach(ended, users)


_BROWSERS = (  # the first match wins: in-app browsers and Edge identify as Chrome/Safari too
    (r"HeadlessChrome|python|curl/|Werkzeug/", N_("程序")), (r"MicroMessenger", N_("微信")), (r"DingTalk", N_("钉钉")), (r"\bQQ/|MQQBrowser|QQBrowser", N_("QQ 浏览器")), (r"UCBrowser", N_("UC 浏览器")),
    (r"Edg(e|A|iOS)?/", "Edge"), (r"Firefox/|FxiOS", "Firefox"), (r"OPR/|Opera", "Opera"), (r"HuaweiBrowser", N_("华为浏览器")),
    (r"Chrome/|CriOS", "Chrome"), (r"Safari/", "Safari"),
)
_SYSTEMS = (
    (r"HarmonyOS|OpenHarmony", N_("鸿蒙")), (r"Android", "Android"), (r"iPhone", "iPhone"), (r"iPad", "iPad"),
    (r"Windows", "Windows"), (r"Mac OS X|Macintosh", "macOS"), (r"CrOS", "ChromeOS"), (r"Linux", "Linux"),
)


def describe_device(user_agent: str) -> tuple[str, str]:
    """(browser, system) from a User-Agent, in the words a cadre uses (msgids where Chinese: the
    page translates them); '' when not recognised. Enough to tell one's phone from one's office PC."""
    ua = user_agent or ""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, ua)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, ua)), "")
    return browser, system


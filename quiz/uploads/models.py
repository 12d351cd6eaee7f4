"""Uploads waiting between preview and confirmation.

Kept in the database, not on one host's disk or in a cookie, so that the confirming request may
reach any worker on any host. Old rows are pruned when new ones are stored.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from question_bank.db import Base, utcnow
from question_bank.messages import BankError, N_

KEEP_FOR = timedelta(hours=6)


class PendingUpload(Base):
    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True, default=lambda: secrets.token_urlsafe(24))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))  # "roster", "bank", ...
    filename: Mapped[str] = mapped_column(String(255), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # What a preview parsed ``data`` into, kept for its other pages and the confirmation (the bank
    # import keeps zlib-compressed JSON of its ParseResult here); None until first parsed.
    parsed: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


def store(session: Session, user_id: int, purpose: str, filename: str, data: bytes) -> PendingUpload:
    session.execute(delete(PendingUpload).where(PendingUpload.created_at < utcnow() - KEEP_FOR))
    upload = PendingUpload(user_id=user_id, purpose=purpose, filename=filename, data=data)
    session.add(upload)
    session.flush()
    return upload


def fetch(session: Session, user_id: int, purpose: str, token: str) -> PendingUpload:
    upload = session.scalar(
        select(PendingUpload).where(
            PendingUpload.token == token, PendingUpload.user_id == user_id, PendingUpload.purpose == purpose
        )
    )
    if upload is None or upload.created_at < utcnow() - KEEP_FOR:
        raise BankError(N_("上传的文件已过期或不存在，请重新上传"))
    return upload

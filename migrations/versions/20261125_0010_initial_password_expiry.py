"""users.initial_password_expires_at: initial passwords expire

An initial password set by an admin, a reset or a roster import signs in only for
QUIZ_INITIAL_PASSWORD_DAYS days (default 14; ASVS 6.4.1). Accounts that still have an initial
password at this upgrade get that many days from the upgrade (read from the same environment
variable), so nobody who has not signed in yet is locked out on the day of the upgrade; every
other account gets NULL (its password was chosen by its owner). Adding a nullable column is a
plain ALTER TABLE on both engines (no table rebuild on SQLite).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 10:00:00
"""
import os
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('initial_password_expires_at', sa.DateTime(), nullable=True))
    days = int(os.environ.get('QUIZ_INITIAL_PASSWORD_DAYS', '14'))
    expires = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=days)
    users = sa.table('users', sa.column('must_change_password', sa.Boolean()),
                     sa.column('initial_password_expires_at', sa.DateTime()))
    op.execute(users.update().where(users.c.must_change_password == sa.true()).values(initial_password_expires_at=expires))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN on both engines (SQLite 3.35+): rebuilding users on SQLite would
    # fire ON DELETE CASCADE into every table that refers to it
    op.drop_column('users', 'initial_password_expires_at')

"""pending_uploads.parsed: a bank import's parse result, kept with its upload

The import preview used to parse the uploaded file again for every page it showed and once more
for the confirmation; it now keeps the parse result (zlib-compressed JSON) beside the upload.
Nullable: rows from before this upgrade are simply parsed once more.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 07:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parsed', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.drop_column('parsed')

"""questions.current_version_id: a deferrable foreign key

A bank import streams new questions and their versions in with COPY. The two tables point at
each other, so the question's key to its current version is deferred while both are written and
checked straight after (question_bank.importing.insert_questions_and_versions). The key stays
INITIALLY IMMEDIATE, so nothing else sees a change.

PostgreSQL alters the constraint. SQLite cannot alter a constraint, and rebuilding the questions
table there would fire ON DELETE CASCADE into question_versions; the keyword changes nothing on
disk, so the table's stored definition is edited instead, by the procedure SQLite documents for
such changes (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
Changes"): writable_schema, the new text, schema_version + 1.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 09:00:00
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

CONSTRAINT = 'fk_questions_current_version_id_question_versions'
PLAIN = 'REFERENCES question_versions (id) ON DELETE SET NULL'
DEFERRABLE = PLAIN + ' DEFERRABLE INITIALLY IMMEDIATE'


def _set_sqlite_definition(old: str, new: str) -> None:
    """Replace ``old`` by ``new`` in the stored CREATE TABLE of questions (nothing to do when ``new`` is there)."""
    conn = op.get_bind()
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'questions'").scalar_one()
    if new in sql and (new.startswith(old) or old not in sql):
        return
    if sql.count(old) != 1:
        raise RuntimeError(f"questions 表的定义与预期不符，无法修改 current_version_id 外键：{sql}")
    version = conn.exec_driver_sql('PRAGMA schema_version').scalar_one()
    conn.exec_driver_sql('PRAGMA writable_schema = ON')
    try:
        conn.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'questions'", (sql.replace(old, new),)
        )
        conn.exec_driver_sql(f'PRAGMA schema_version = {version + 1}')
    finally:
        conn.exec_driver_sql('PRAGMA writable_schema = OFF')


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE questions ALTER CONSTRAINT {CONSTRAINT} DEFERRABLE INITIALLY IMMEDIATE')
    elif op.get_bind().dialect.name == 'sqlite':
        _set_sqlite_definition(PLAIN, DEFERRABLE)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE questions ALTER CONSTRAINT {CONSTRAINT} NOT DEFERRABLE')
    elif op.get_bind().dialect.name == 'sqlite':
        _set_sqlite_definition(DEFERRABLE, PLAIN)

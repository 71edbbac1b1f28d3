"""site_milestone.detail: why the last backup would not restore

Each export is checked by the import's own rules before it is counted (backup/verify.py). A backup that
would not restore is recorded as the milestone ``backup_unrestorable``: when it was taken, and in ``detail``
the import's refusal, which names the place to fix. Every worker reads it (/status, `flask doctor`, the
library page); a later backup that restores deletes the row.

Content version: PostgreSQL's triggers compare whole rows as text, so they cover the new column as they
are. SQLite's UPDATE trigger lists its columns: it is created again over the new list (as 0010 did for
viewing).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Kept here, not imported from the app: a migration must mean the same thing forever.
TABLE = "site_milestone"
BUMP = (
    "INSERT INTO content_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = content_version.version + 1"
)


def _sqlite_update_trigger(columns: tuple[str, ...]) -> None:
    changed = " OR ".join(f'OLD."{name}" IS NOT NEW."{name}"' for name in columns)
    op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_update_bumps_content_version")
    op.execute(
        f"CREATE TRIGGER {TABLE}_update_bumps_content_version AFTER UPDATE ON {TABLE} "
        f"WHEN {changed} BEGIN {BUMP}; END"
    )


def upgrade():
    # ADD COLUMN on SQLite needs no table rebuild, so the other triggers stay as they are.
    op.add_column(TABLE, sa.Column("detail", sa.Text(), nullable=True))
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_update_trigger(("name", "at", "detail"))


def downgrade():
    op.execute(f"DELETE FROM {TABLE} WHERE detail IS NOT NULL")  # a failure without its words means nothing
    if op.get_bind().dialect.name != "postgresql":
        _sqlite_update_trigger(("name", "at"))  # first: SQLite drops no column a trigger names
        op.execute(f"ALTER TABLE {TABLE} DROP COLUMN detail")  # in place, so the other triggers stay
    else:
        op.drop_column(TABLE, "detail")

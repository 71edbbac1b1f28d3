"""download: a row can also be a removal wish (kind), which outlives its movie (movie_id nullable)

A torrent removal used to live in one worker's memory and was lost when the worker restarted. It is now a
row of the same queue as downloads, so the content-version triggers of 0003 already cover it.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Kept here, not imported from the app: a migration must mean the same thing forever.
KINDS = "kind IN ('download', 'removal')"
HAS_MOVIE = "movie_id IS NOT NULL OR kind = 'removal'"


def _download_triggers(connection) -> list[str]:
    """SQLite rebuilds the table to change a column, and a rebuilt table has lost its triggers: whatever
    triggers it carries now (0003's, or a later revision's) are read here and created again after."""
    if connection.dialect.name != "sqlite":
        return []
    rows = connection.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'download'")
    )
    return [row[0] for row in rows if row[0]]


def _restore(triggers: list[str]) -> None:
    for sql in triggers:
        op.execute(sql)


def upgrade():
    triggers = _download_triggers(op.get_bind())
    with op.batch_alter_table("download", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="download")
        )
        batch_op.add_column(
            sa.Column("delete_files", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.alter_column("movie_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(op.f("ck_download_known_kind"), KINDS)
        batch_op.create_check_constraint(op.f("ck_download_has_movie"), HAS_MOVIE)
    with op.batch_alter_table("download", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)
        batch_op.alter_column("delete_files", server_default=None)
    _restore(triggers)


def downgrade():
    # Removal wishes cannot be told apart from downloads any more: drop them (the old code kept them in
    # memory only), then go back to one download per movie.
    op.execute("DELETE FROM download WHERE kind = 'removal'")
    triggers = _download_triggers(op.get_bind())
    with op.batch_alter_table("download", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_download_has_movie"), type_="check")
        batch_op.drop_constraint(op.f("ck_download_known_kind"), type_="check")
        batch_op.alter_column("movie_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("delete_files")
        batch_op.drop_column("kind")
    _restore(triggers)

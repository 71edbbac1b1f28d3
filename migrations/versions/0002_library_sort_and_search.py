"""library: normalised sort_title and search_text, so the library sorts, filters and pages in SQL

Revision ID: 0002
Revises: 0001
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _normalise(text):
    # Kept here, not imported from the app: a migration must mean the same thing forever.
    return " ".join(text.casefold().replace("ё", "е").split())


def _as_list(value):
    if isinstance(value, str):
        value = json.loads(value)
    return value or []


def upgrade():
    with op.batch_alter_table("library_movie", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sort_title", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_library_movie_sort_title"), ["sort_title"], unique=False)

    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, name, year, genres, countries FROM library_movie")
    ).mappings()
    for row in list(rows):
        parts = [row["name"], row["year"], *_as_list(row["genres"]), *_as_list(row["countries"])]
        connection.execute(
            sa.text("UPDATE library_movie SET sort_title = :title, search_text = :text WHERE id = :id"),
            {
                "id": row["id"],
                "title": _normalise(row["name"])[:200],
                "text": _normalise(" ".join(str(part) for part in parts if part)),
            },
        )

    with op.batch_alter_table("library_movie", schema=None) as batch_op:
        batch_op.alter_column("sort_title", server_default=None)
        batch_op.alter_column("search_text", server_default=None)


def downgrade():
    with op.batch_alter_table("library_movie", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_movie_sort_title"))
        batch_op.drop_column("search_text")
        batch_op.drop_column("sort_title")

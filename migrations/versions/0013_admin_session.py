"""admin_session: admin sign-ins the server can end, so logging out ends a copied session cookie too

One row per sign-in (a random id, named by the signed session cookie, and when it was made); logout deletes
it, and a session older than its lifetime (31 days) is refused and pruned. No content-version triggers: no
page shows it.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "admin_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_session")),
    )
    with op.batch_alter_table("admin_session", schema=None) as batch_op:
        # Pruning deletes by age: an index keeps that a range scan of the expired rows only.
        batch_op.create_index(batch_op.f("ix_admin_session_created_at"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("admin_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_session_created_at"))
    op.drop_table("admin_session")

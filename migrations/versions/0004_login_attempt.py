"""login_attempt: the sign-in throttle's counts per address, shared by every worker and instance

One row per client address with the start of its current window and the attempts made in it, counted by
one atomic upsert (movie_lottery/login_throttle.py). No content-version triggers: no page shows it.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_attempt",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("window_started", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        # Pruning deletes by age: an index keeps that a range scan of the expired rows only.
        batch_op.create_index(batch_op.f("ix_login_attempt_window_started"), ["window_started"], unique=False)


def downgrade():
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempt_window_started"))
    op.drop_table("login_attempt")

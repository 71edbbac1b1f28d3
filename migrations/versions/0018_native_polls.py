"""Site polls posted as Telegram's own polls: which sendPoll posted them, Telegram's poll and message ids

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_native_poll",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("poll_id", sa.String(16), sa.ForeignKey("poll.id", ondelete="SET NULL"), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "outbox_id", sa.Integer(), sa.ForeignKey("telegram_outbox.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("telegram_poll_id", sa.String(64), nullable=True, unique=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_telegram_native_poll_poll_id", "telegram_native_poll", ["poll_id"])


def downgrade() -> None:
    op.drop_index("ix_telegram_native_poll_poll_id", table_name="telegram_native_poll")
    op.drop_table("telegram_native_poll")

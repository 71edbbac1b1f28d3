"""Telegram chat members the bot has seen, and the polls only a connected chat's members may vote in

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_chat_member",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("telegram_chat_member_user", "telegram_chat_member", ["user_id"])
    op.create_table(
        "telegram_members_only_poll",
        sa.Column(
            "poll_id", sa.String(16), sa.ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("telegram_members_only_poll")
    op.drop_index("telegram_chat_member_user", table_name="telegram_chat_member")
    op.drop_table("telegram_chat_member")

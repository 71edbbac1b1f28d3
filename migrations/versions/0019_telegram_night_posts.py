"""Telegram: the nights sent to a chat and what the bot has posted of each

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_night_post",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("night_id", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "progress_id",
            sa.Integer(),
            sa.ForeignKey(
                "telegram_outbox.id",
                ondelete="SET NULL",
                name=op.f("fk_telegram_night_post_progress_id_telegram_outbox"),
            ),
            nullable=True,
        ),
        sa.Column("progress_step", sa.Integer(), nullable=False),
        sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("keyboard_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint(
            "kind", "night_id", "chat_id", name=op.f("uq_telegram_night_post_kind_night_id_chat_id")
        ),
    )
    op.create_index("ix_telegram_night_post_night_id", "telegram_night_post", ["night_id"])


def downgrade() -> None:
    op.drop_index("ix_telegram_night_post_night_id", table_name="telegram_night_post")
    op.drop_table("telegram_night_post")

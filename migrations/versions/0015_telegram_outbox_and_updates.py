"""telegram_outbox, telegram_update, telegram_chat_pace, telegram_state: the bot's plumbing

Outgoing messages are rows first (sent by the background worker, claimed once); updates are stored by their
``update_id`` before they are acted on; each chat's pace is shared by every worker; what was registered with
Telegram is remembered so a changed address or token registers again. None of them bumps the content
version: no page shows them (the status page is never cached).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# Kept here, not imported from the app: a migration must mean the same thing forever.
OUTBOX_STATES = ("pending", "sending", "sent", "failed")


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "telegram_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "edits_id",
            sa.Integer(),
            sa.ForeignKey(
                "telegram_outbox.id", ondelete="SET NULL", name=op.f("fk_telegram_outbox_edits_id")
            ),
            nullable=True,
        ),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("created_at", nullable=False),
        _when("next_attempt_at", nullable=False),
        _when("claimed_until"),
        _when("sent_at"),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in OUTBOX_STATES) + ")",
            name=op.f("ck_telegram_outbox_known_state"),
        ),
    )
    op.create_index("telegram_outbox_due", "telegram_outbox", ["state", "next_attempt_at"])
    op.create_table(
        "telegram_update",
        sa.Column("update_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _when("received_at", nullable=False),
        _when("handled_at"),
        sa.Column("last_error", sa.String(500), nullable=True),
    )
    op.create_index("ix_telegram_update_handled_at", "telegram_update", ["handled_at"])
    op.create_table(
        "telegram_chat_pace",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        _when("next_at", nullable=False),
    )
    op.create_table(
        "telegram_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        _when("at", nullable=False),
    )


def downgrade():
    op.drop_table("telegram_state")
    op.drop_table("telegram_chat_pace")
    op.drop_index("ix_telegram_update_handled_at", table_name="telegram_update")
    op.drop_table("telegram_update")
    op.drop_index("telegram_outbox_due", table_name="telegram_outbox")
    op.drop_table("telegram_outbox")

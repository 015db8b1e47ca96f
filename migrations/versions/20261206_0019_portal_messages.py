"""Add messages between her and her treater in her own channel, and how long their text is
kept

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: a batch rebuild of clinic would drop it under the
    # foreign keys that point at it.
    op.add_column(
        "clinic",
        sa.Column("portal_message_days", sa.Integer(), server_default="30", nullable=False),
    )
    op.create_table(
        "portal_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("body_purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.Column("body_ct", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_portal_message_author_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_portal_message_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_portal_message_partner_case_id_partner_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_message")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_portal_message_seal_id")),
    )
    with op.batch_alter_table("portal_message", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_message_partner_case_id"), ["partner_case_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_portal_message_sent_at"), ["sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portal_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_message_sent_at"))
        batch_op.drop_index(batch_op.f("ix_portal_message_partner_case_id"))
    op.drop_table("portal_message")
    # Plain DROP COLUMN (SQLite 3.35 and later), not a batch rebuild (see upgrade).
    op.drop_column("clinic", "portal_message_days")

"""Her attachments: a photo or a PDF with a message

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_attachment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content_ct", sa.LargeBinary(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["data_key_id"],
            ["data_key.id"],
            name=op.f("fk_portal_attachment_data_key_id_data_key"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["portal_message.id"],
            name=op.f("fk_portal_attachment_message_id_portal_message"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_portal_attachment_partner_case_id_partner_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_attachment")),
    )
    with op.batch_alter_table("portal_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_attachment_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_attachment_partner_case_id"), ["partner_case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_attachment_partner_case_id"))
        batch_op.drop_index(batch_op.f("ix_portal_attachment_message_id"))
    op.drop_table("portal_attachment")

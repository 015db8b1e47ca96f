"""Content-free notices of a new message in her portal

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_notice_setting",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("access_id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.Column("words_ct", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["access_id"],
            ["portal_access.id"],
            name=op.f("fk_portal_notice_setting_access_id_portal_access"),
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"],
            ["data_key.id"],
            name=op.f("fk_portal_notice_setting_data_key_id_data_key"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_portal_notice_setting_partner_case_id_partner_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_notice_setting")),
        sa.UniqueConstraint("access_id", name=op.f("uq_portal_notice_setting_access_id")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_portal_notice_setting_seal_id")),
    )
    with op.batch_alter_table("portal_notice_setting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_notice_setting_partner_case_id"),
            ["partner_case_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_notice_setting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_notice_setting_partner_case_id"))
    op.drop_table("portal_notice_setting")

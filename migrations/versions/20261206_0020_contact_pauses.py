"""Add "not safe now": a pause of every contact with her, until she or her treater lifts it

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_pause",
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.Column("lifted_by_her", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_contact_pause_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by_id"],
            ["user_account.id"],
            name=op.f("fk_contact_pause_lifted_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_contact_pause_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_contact_pause_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_pause")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_contact_pause_seal_id")),
    )
    with op.batch_alter_table("contact_pause", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_pause_partner_case_id"), ["partner_case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_pause", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_pause_partner_case_id"))
    op.drop_table("contact_pause")

"""Add managers' access investigations of one partner case's detailed trail

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "access_investigation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_access_investigation_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["user_account.id"],
            name=op.f("fk_access_investigation_manager_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_access_investigation_partner_case_id_partner_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_investigation")),
    )
    with op.batch_alter_table("access_investigation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_investigation_clinic_id"), ["clinic_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_investigation_partner_case_id"), ["partner_case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("access_investigation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_investigation_partner_case_id"))
        batch_op.drop_index(batch_op.f("ix_access_investigation_clinic_id"))

    op.drop_table("access_investigation")

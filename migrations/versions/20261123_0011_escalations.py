"""Add escalations of a partner case to the clinic's managers, with how each was handled

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.CheckConstraint("urgency IN ('normal', 'urgent')", name=op.f("ck_escalation_urgency")),
        sa.CheckConstraint(
            "(handled_at IS NULL AND handled_by_id IS NULL AND outcome IS NULL)"
            " OR (handled_at IS NOT NULL AND handled_by_id IS NOT NULL AND outcome IS NOT NULL)",
            name=op.f("ck_escalation_handled"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_escalation_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["user_account.id"],
            name=op.f("fk_escalation_handled_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_escalation_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"],
            ["user_account.id"],
            name=op.f("fk_escalation_raised_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation")),
    )
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalation_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            "ix_escalation_open_reason",
            ["partner_case_id", "reason"],
            unique=True,
            sqlite_where=sa.text("handled_at IS NULL"),
            postgresql_where=sa.text("handled_at IS NULL"),
        )
        batch_op.create_index(
            batch_op.f("ix_escalation_partner_case_id"), ["partner_case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_partner_case_id"))
        batch_op.drop_index(
            "ix_escalation_open_reason",
            sqlite_where=sa.text("handled_at IS NULL"),
            postgresql_where=sa.text("handled_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_escalation_clinic_id"))

    op.drop_table("escalation")

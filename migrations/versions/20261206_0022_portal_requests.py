"""What she asks of the clinic from her portal, each a task for her treater

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("details_ct", sa.LargeBinary(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_portal_task_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["user_account.id"],
            name=op.f("fk_portal_task_handled_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_portal_task_partner_case_id_partner_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_task")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_portal_task_seal_id")),
    )
    with op.batch_alter_table("portal_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_task_partner_case_id"), ["partner_case_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_portal_task_opened_at"), ["opened_at"], unique=False)
    # Her report of new violence or threats opens urgent tasks as a high risk result does:
    # an urgent task names either the assessment or her report.
    with op.batch_alter_table("urgent_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("portal_task_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("risk_assessment_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_urgent_task_portal_task_id_portal_task"),
            "portal_task",
            ["portal_task_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_urgent_task_one_source"),
            "(risk_assessment_id IS NULL) <> (portal_task_id IS NULL)",
        )


def downgrade() -> None:
    # Urgent tasks her reports opened have no assessment to name: they go with the column.
    op.execute("DELETE FROM urgent_task WHERE risk_assessment_id IS NULL")
    with op.batch_alter_table("urgent_task", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_urgent_task_one_source"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_urgent_task_portal_task_id_portal_task"), type_="foreignkey"
        )
        batch_op.alter_column("risk_assessment_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("portal_task_id")
    with op.batch_alter_table("portal_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_task_opened_at"))
        batch_op.drop_index(batch_op.f("ix_portal_task_partner_case_id"))
    op.drop_table("portal_task")

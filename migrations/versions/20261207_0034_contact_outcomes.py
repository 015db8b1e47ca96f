"""Her answers to the outcome questions at a held session or a call that reached her, and
the urgent task a "yes" to new violence or threats opens

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ANSWERS = "'yes', 'no', 'not_asked'"
_TWO_SOURCES = "(risk_assessment_id IS NULL) <> (portal_task_id IS NULL)"
_THREE_SOURCES = (
    "(CASE WHEN risk_assessment_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN portal_task_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN outcome_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def _fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{table}.id"], name=op.f(f"fk_contact_outcome_{column}_{table}")
    )


def upgrade() -> None:
    op.create_table(
        "contact_outcome",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("attempt_id", sa.Uuid(), nullable=True),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("physical_violence", sa.String(length=16), nullable=False),
        sa.Column("threats", sa.String(length=16), nullable=False),
        sa.Column("control", sa.String(length=16), nullable=False),
        sa.Column("fear", sa.String(length=16), nullable=False),
        sa.Column("children_exposed", sa.String(length=16), nullable=False),
        sa.Column("feels_safe", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "(session_id IS NULL) <> (attempt_id IS NULL)",
            name=op.f("ck_contact_outcome_one_contact"),
        ),
        sa.CheckConstraint(
            f"physical_violence IN ({_ANSWERS})",
            name=op.f("ck_contact_outcome_physical_violence"),
        ),
        sa.CheckConstraint(f"threats IN ({_ANSWERS})", name=op.f("ck_contact_outcome_threats")),
        sa.CheckConstraint(f"control IN ({_ANSWERS})", name=op.f("ck_contact_outcome_control")),
        sa.CheckConstraint(
            "fear IN ('less', 'same', 'more', 'not_asked')", name=op.f("ck_contact_outcome_fear")
        ),
        sa.CheckConstraint(
            "children_exposed IN ('yes', 'no', 'no_children', 'not_asked')",
            name=op.f("ck_contact_outcome_children_exposed"),
        ),
        sa.CheckConstraint(
            "feels_safe IN ('yes', 'partly', 'no', 'not_asked')",
            name=op.f("ck_contact_outcome_feels_safe"),
        ),
        _fk("partner_case_id", "partner_case"),
        _fk("data_key_id", "data_key"),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_contact_outcome_recorded_by_id_user_account"),
        ),
        _fk("session_id", "contact_session"),
        _fk("attempt_id", "contact_attempt"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_outcome")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_contact_outcome_seal_id")),
        sa.UniqueConstraint("session_id", name=op.f("uq_contact_outcome_session_id")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_contact_outcome_attempt_id")),
    )
    with op.batch_alter_table("contact_outcome", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_outcome_partner_case_id"), ["partner_case_id"], unique=False
        )
    with op.batch_alter_table("urgent_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_urgent_task_outcome_id_contact_outcome"),
            "contact_outcome",
            ["outcome_id"],
            ["id"],
        )
        batch_op.drop_constraint(op.f("ck_urgent_task_one_source"), type_="check")
        batch_op.create_check_constraint(op.f("ck_urgent_task_one_source"), _THREE_SOURCES)


def downgrade() -> None:
    # Urgent tasks her answers at a contact opened name neither an assessment nor a report of
    # hers: they go with the column.
    op.execute("DELETE FROM urgent_task WHERE outcome_id IS NOT NULL")
    with op.batch_alter_table("urgent_task", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_urgent_task_one_source"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_urgent_task_outcome_id_contact_outcome"), type_="foreignkey"
        )
        batch_op.drop_column("outcome_id")
        batch_op.create_check_constraint(op.f("ck_urgent_task_one_source"), _TWO_SOURCES)
    with op.batch_alter_table("contact_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_outcome_partner_case_id"))
    op.drop_table("contact_outcome")

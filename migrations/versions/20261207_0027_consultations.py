"""Consultation requests between the two treaters, both ways

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("asked_from", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("held_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("held_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "asked_from IN ('client', 'partner')", name=op.f("ck_consultation_asked_from")
        ),
        sa.CheckConstraint(
            "reason IN ('risk', 'coordination', 'ending')", name=op.f("ck_consultation_reason")
        ),
        sa.CheckConstraint(
            "(held_on IS NULL AND held_recorded_by_id IS NULL AND held_recorded_at IS NULL)"
            " OR (held_on IS NOT NULL AND held_recorded_by_id IS NOT NULL"
            " AND held_recorded_at IS NOT NULL)",
            name=op.f("ck_consultation_held"),
        ),
        sa.ForeignKeyConstraint(
            ["asked_by_id"],
            ["user_account.id"],
            name=op.f("fk_consultation_asked_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["treatment_episode.id"],
            name=op.f("fk_consultation_episode_id_treatment_episode"),
        ),
        sa.ForeignKeyConstraint(
            ["held_recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_consultation_held_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation")),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_episode_id"), ["episode_id"], unique=False
        )
        batch_op.create_index(
            "ix_consultation_open_request",
            ["episode_id", "asked_from"],
            unique=True,
            sqlite_where=sa.text("held_on IS NULL"),
            postgresql_where=sa.text("held_on IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index("ix_consultation_open_request")
        batch_op.drop_index(batch_op.f("ix_consultation_episode_id"))
    op.drop_table("consultation")

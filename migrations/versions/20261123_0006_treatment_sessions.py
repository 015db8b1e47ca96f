"""Add treatment sessions with their attendance, and the date an episode's treatment started

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "treatment_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendance", sa.String(length=16), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["treatment_episode.id"],
            name=op.f("fk_treatment_session_episode_id_treatment_episode"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_treatment_session_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_session")),
    )
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_session_episode_id"), ["episode_id"], unique=False
        )

    with op.batch_alter_table("treatment_episode", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("treatment_episode", schema=None) as batch_op:
        batch_op.drop_column("started_on")

    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_session_episode_id"))

    op.drop_table("treatment_session")

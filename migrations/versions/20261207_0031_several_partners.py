"""Several partners per treatment episode: a partner case per partner, numbered within its
episode, and each hand-over note tied to the case it is about

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("partner_case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("partner_number", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.drop_constraint("uq_partner_case_episode_id", type_="unique")
        batch_op.create_index(
            batch_op.f("ix_partner_case_episode_id"), ["episode_id"], unique=False
        )
        batch_op.create_unique_constraint(
            "uq_partner_case_episode_number", ["episode_id", "partner_number"]
        )
    with op.batch_alter_table("partner_handover", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_case_id", sa.Uuid(), nullable=True))
    # Until now an episode had one partner case at most, and every note was about it.
    op.execute(
        "UPDATE partner_handover SET partner_case_id = ("
        " SELECT partner_case.id FROM partner_case"
        " WHERE partner_case.episode_id = partner_handover.episode_id)"
    )
    with op.batch_alter_table("partner_handover", schema=None) as batch_op:
        batch_op.alter_column("partner_case_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_partner_handover_partner_case_id"), ["partner_case_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_partner_handover_partner_case_id_partner_case"),
            "partner_case",
            ["partner_case_id"],
            ["id"],
        )


def downgrade() -> None:
    # A second partner of an episode has no place in the older schema: refuse rather than
    # lose her case.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM partner_case WHERE partner_number > 1")).scalar():
        raise RuntimeError("An episode has more than one partner case; it cannot be downgraded.")
    with op.batch_alter_table("partner_handover", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_partner_handover_partner_case_id_partner_case"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_partner_handover_partner_case_id"))
        batch_op.drop_column("partner_case_id")
    with op.batch_alter_table("partner_case", schema=None) as batch_op:
        batch_op.drop_constraint("uq_partner_case_episode_number", type_="unique")
        batch_op.drop_index(batch_op.f("ix_partner_case_episode_id"))
        batch_op.create_unique_constraint("uq_partner_case_episode_id", ["episode_id"])
        batch_op.drop_column("partner_number")

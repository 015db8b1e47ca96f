"""Add clients and treatment episodes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("treater_id", sa.Integer(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.Column("name_ct", sa.LargeBinary(), nullable=True),
        sa.Column("personal_id_ct", sa.LargeBinary(), nullable=True),
        sa.Column("phone_ct", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_client_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_client_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["treater_id"], ["user_account.id"], name=op.f("fk_client_treater_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_client_seal_id")),
    )
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_client_treater_id"), ["treater_id"], unique=False)

    op.create_table(
        "treatment_episode",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("treater_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_treatment_episode_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["treater_id"],
            ["user_account.id"],
            name=op.f("fk_treatment_episode_treater_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_episode")),
    )
    with op.batch_alter_table("treatment_episode", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_episode_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_treatment_episode_treater_id"), ["treater_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("treatment_episode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_episode_treater_id"))
        batch_op.drop_index(batch_op.f("ix_treatment_episode_client_id"))

    op.drop_table("treatment_episode")
    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_treater_id"))
        batch_op.drop_index(batch_op.f("ix_client_clinic_id"))

    op.drop_table("client")

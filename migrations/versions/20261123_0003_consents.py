"""Add consents

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("form_version", sa.Integer(), nullable=False),
        sa.Column("form_language", sa.String(length=8), nullable=False),
        sa.Column("contact_letter", sa.Boolean(), nullable=False),
        sa.Column("contact_phone", sa.Boolean(), nullable=False),
        sa.Column("contact_sms", sa.Boolean(), nullable=False),
        sa.Column("tell_in_treatment", sa.Boolean(), nullable=False),
        sa.Column("tell_when_ended", sa.Boolean(), nullable=False),
        sa.Column("form_of_consent", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("attested_details_given", sa.Boolean(), nullable=False),
        sa.Column("attested_by_id", sa.Integer(), nullable=False),
        sa.Column("treatment_continues", sa.Boolean(), nullable=True),
        sa.Column("team_decided_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("document_key_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attested_by_id"],
            ["user_account.id"],
            name=op.f("fk_consent_attested_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_consent_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["document_key_id"], ["data_key.id"], name=op.f("fk_consent_document_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["treatment_episode.id"],
            name=op.f("fk_consent_episode_id_treatment_episode"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["user_account.id"],
            name=op.f("fk_consent_withdrawn_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_episode_id"), ["episode_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_episode_id"))
        batch_op.drop_index(batch_op.f("ix_consent_clinic_id"))

    op.drop_table("consent")

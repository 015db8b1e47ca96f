"""Add signed consent documents, their destruction record, and partner hand-overs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content_ct", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consent.id"], name=op.f("fk_consent_document_consent_id_consent")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_consent_document_data_key_id_data_key")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_document")),
        sa.UniqueConstraint("consent_id", name=op.f("uq_consent_document_consent_id")),
    )
    op.create_table(
        "partner_handover",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("handed_over_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("protected_identity", sa.Boolean(), nullable=False),
        sa.Column("name_ct", sa.LargeBinary(), nullable=True),
        sa.Column("phone_ct", sa.LargeBinary(), nullable=True),
        sa.Column("address_ct", sa.LargeBinary(), nullable=True),
        sa.Column("relation_ct", sa.LargeBinary(), nullable=True),
        sa.Column("children_in_common_ct", sa.LargeBinary(), nullable=True),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_partner_handover_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consent.id"], name=op.f("fk_partner_handover_consent_id_consent")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_partner_handover_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["treatment_episode.id"],
            name=op.f("fk_partner_handover_episode_id_treatment_episode"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_partner_handover_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_handover")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_partner_handover_seal_id")),
    )
    with op.batch_alter_table("partner_handover", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_handover_clinic_id"), ["clinic_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partner_handover_episode_id"), ["episode_id"], unique=False
        )

    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("document_attached_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("document_destroyed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("document_destruction_rule", sa.String(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("document_key_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_column("document_key_digest")
        batch_op.drop_column("document_destruction_rule")
        batch_op.drop_column("document_destroyed_at")
        batch_op.drop_column("document_attached_at")

    with op.batch_alter_table("partner_handover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_handover_episode_id"))
        batch_op.drop_index(batch_op.f("ix_partner_handover_clinic_id"))

    op.drop_table("partner_handover")
    op.drop_table("consent_document")

"""Add her access to the portal: invitations, the access each opened, and failed attempts per
source address

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_invitation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("code_index", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_portal_invitation_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_portal_invitation_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_portal_invitation_partner_case_id_partner_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_invitation")),
        sa.UniqueConstraint("code_index", name=op.f("uq_portal_invitation_code_index")),
    )
    with op.batch_alter_table("portal_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_invitation_clinic_id"), ["clinic_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_invitation_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "portal_access",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("codename_index", sa.String(length=64), nullable=False),
        sa.Column("passphrase_hash", sa.String(length=255), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_portal_access_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["portal_invitation.id"],
            name=op.f("fk_portal_access_invitation_id_portal_invitation"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_portal_access_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["user_account.id"],
            name=op.f("fk_portal_access_revoked_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_access")),
        sa.UniqueConstraint("codename_index", name=op.f("uq_portal_access_codename_index")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_portal_access_invitation_id")),
    )
    with op.batch_alter_table("portal_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_access_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_portal_access_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "portal_address_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_index", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_address_failure")),
    )
    with op.batch_alter_table("portal_address_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_address_failure_address_index"), ["address_index"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_portal_address_failure_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("portal_address_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_address_failure_at"))
        batch_op.drop_index(batch_op.f("ix_portal_address_failure_address_index"))

    op.drop_table("portal_address_failure")
    with op.batch_alter_table("portal_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_access_partner_case_id"))
        batch_op.drop_index(batch_op.f("ix_portal_access_clinic_id"))

    op.drop_table("portal_access")
    with op.batch_alter_table("portal_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_invitation_partner_case_id"))
        batch_op.drop_index(batch_op.f("ix_portal_invitation_clinic_id"))

    op.drop_table("portal_invitation")

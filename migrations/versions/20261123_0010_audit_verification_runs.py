"""Add a record of each run of the audit log's verification

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from partnercontact.audit.ddl import VERIFICATION_TABLE, protect_audit_table, unprotect_audit_table

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("rows_checked", sa.BigInteger(), nullable=False),
        sa.Column("first_bad_seq", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("night", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "trigger IN ('nightly', 'command')", name=op.f("ck_audit_verification_trigger")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verification")),
        sa.UniqueConstraint("night", name=op.f("uq_audit_verification_night")),
    )
    with op.batch_alter_table("audit_verification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_verification_started_at"), ["started_at"], unique=False
        )
    protect_audit_table(op, VERIFICATION_TABLE)


def downgrade() -> None:
    unprotect_audit_table(op, VERIFICATION_TABLE)
    with op.batch_alter_table("audit_verification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_verification_started_at"))

    op.drop_table("audit_verification")

"""Staff come and go: the last login of each account, the single-use recovery codes of a
second factor, a manager's moves of clients and partner cases, and when a treater counts as
away

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
    # An account that logged in before knows it from the audit log: its newest successful
    # login there.
    op.execute(
        "UPDATE user_account SET last_login_at = ("
        " SELECT max(audit_event.at) FROM audit_event"
        " WHERE audit_event.actor_id = user_account.id"
        " AND audit_event.action = 'auth.login_succeeded')"
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_recovery_code_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_code_code_hash")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_code_user_id"), ["user_id"], unique=False)
    op.add_column(
        "clinic",
        sa.Column("treater_absent_days", sa.Integer(), server_default="21", nullable=False),
    )
    op.create_table(
        "reassignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("partner_case_id", sa.Uuid(), nullable=True),
        sa.Column("from_user_id", sa.Integer(), nullable=True),
        sa.Column("to_user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(side = 'client' AND client_id IS NOT NULL AND partner_case_id IS NULL)"
            " OR (side = 'partner' AND partner_case_id IS NOT NULL AND client_id IS NULL)",
            name=op.f("ck_reassignment_one_subject"),
        ),
        sa.CheckConstraint(
            "reason IN ('left', 'absence', 'workload', 'conflict', 'back')",
            name=op.f("ck_reassignment_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_reassignment_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_reassignment_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_reassignment_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"],
            ["user_account.id"],
            name=op.f("fk_reassignment_from_user_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_reassignment_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"],
            ["user_account.id"],
            name=op.f("fk_reassignment_to_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reassignment")),
    )
    with op.batch_alter_table("reassignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reassignment_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reassignment_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_reassignment_partner_case_id"), ["partner_case_id"], unique=False
        )
        batch_op.create_index("ix_reassignment_to_user", ["to_user_id", "decided_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reassignment", schema=None) as batch_op:
        batch_op.drop_index("ix_reassignment_to_user")
        batch_op.drop_index(batch_op.f("ix_reassignment_partner_case_id"))
        batch_op.drop_index(batch_op.f("ix_reassignment_clinic_id"))
        batch_op.drop_index(batch_op.f("ix_reassignment_client_id"))
    op.drop_table("reassignment")
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("treater_absent_days")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_user_id"))
    op.drop_table("recovery_code")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("last_login_at")

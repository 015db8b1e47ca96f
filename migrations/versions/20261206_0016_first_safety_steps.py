"""Add the first safety steps: first-contact hours and the duplicate interval of a clinic, how
a contact attempt was made, managers' safety overrides, and rejected threat warnings

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from datetime import time

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: a batch rebuild of clinic or threat_warning would
    # drop them under the foreign keys that point at them.
    op.add_column(
        "clinic",
        sa.Column(
            "first_contact_days", sa.String(length=7), server_default="12345", nullable=False
        ),
    )
    op.add_column(
        "clinic",
        sa.Column(
            "first_contact_from", sa.Time(), server_default=sa.literal(time(9, 0)), nullable=False
        ),
    )
    op.add_column(
        "clinic",
        sa.Column(
            "first_contact_until", sa.Time(), server_default=sa.literal(time(17, 0)), nullable=False
        ),
    )
    op.add_column(
        "clinic",
        sa.Column("duplicate_message_minutes", sa.Integer(), server_default="60", nullable=False),
    )
    op.add_column(
        "contact_attempt",
        sa.Column("called_in", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("contact_attempt", sa.Column("safe_to_talk", sa.Boolean(), nullable=True))
    op.add_column(
        "sms_message",
        sa.Column("under_override", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference only inline, never as a separate constraint.
        op.execute(
            "ALTER TABLE threat_warning ADD COLUMN rejected_by_id INTEGER "
            "CONSTRAINT fk_threat_warning_rejected_by_id_user_account "
            "REFERENCES user_account (id)"
        )
    else:
        op.add_column("threat_warning", sa.Column("rejected_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_threat_warning_rejected_by_id_user_account",
            "threat_warning",
            "user_account",
            ["rejected_by_id"],
            ["id"],
        )
    op.add_column(
        "threat_warning", sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "threat_warning", sa.Column("rejection_reason", sa.String(length=32), nullable=True)
    )
    op.create_table(
        "safety_override",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_safety_override_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_safety_override_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["used_by_id"],
            ["user_account.id"],
            name=op.f("fk_safety_override_used_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_override")),
    )
    with op.batch_alter_table("safety_override", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_override_partner_case_id"), ["partner_case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("safety_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_override_partner_case_id"))
    op.drop_table("safety_override")
    # Plain DROP COLUMN (SQLite 3.35 and later), not a batch rebuild (see upgrade).
    op.drop_column("threat_warning", "rejection_reason")
    op.drop_column("threat_warning", "rejected_at")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(
            "fk_threat_warning_rejected_by_id_user_account", "threat_warning", type_="foreignkey"
        )
    op.drop_column("threat_warning", "rejected_by_id")
    op.drop_column("sms_message", "under_override")
    op.drop_column("contact_attempt", "safe_to_talk")
    op.drop_column("contact_attempt", "called_in")
    op.drop_column("clinic", "duplicate_message_minutes")
    op.drop_column("clinic", "first_contact_until")
    op.drop_column("clinic", "first_contact_from")
    op.drop_column("clinic", "first_contact_days")

"""Her plan as she sees it, and a safer number or address of her own

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _record_columns(table: str) -> list[Any]:
    """The columns and constraints every record of a partner case carries."""
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f(f"fk_{table}_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f(f"fk_{table}_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f(f"fk_{table}_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("seal_id", name=op.f(f"uq_{table}_seal_id")),
    ]


def upgrade() -> None:
    op.create_table(
        "plan_proposal",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("based_on_version", sa.Integer(), nullable=True),
        sa.Column("phone_allowed", sa.Boolean(), nullable=False),
        sa.Column("sms_allowed", sa.Boolean(), nullable=False),
        sa.Column("letter_allowed", sa.Boolean(), nullable=False),
        sa.Column("safe_days", sa.String(length=7), nullable=False),
        sa.Column("safe_from", sa.Time(), nullable=True),
        sa.Column("safe_until", sa.Time(), nullable=True),
        sa.Column("voicemail_allowed", sa.Boolean(), nullable=False),
        sa.Column("letters_safe_at_address", sa.Boolean(), nullable=False),
        sa.Column("sender_name_ct", sa.LargeBinary(), nullable=True),
        sa.Column("opener_ct", sa.LargeBinary(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_plan_proposal_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["safe_contact_plan.id"],
            name=op.f("fk_plan_proposal_plan_id_safe_contact_plan"),
        ),
        *_record_columns("plan_proposal"),
    )
    with op.batch_alter_table("plan_proposal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_proposal_partner_case_id"), ["partner_case_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_plan_proposal_state"), ["state"], unique=False)

    op.create_table(
        "own_contact_details",
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("phone_ct", sa.LargeBinary(), nullable=True),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("address_ct", sa.LargeBinary(), nullable=True),
        *_record_columns("own_contact_details"),
    )
    with op.batch_alter_table("own_contact_details", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_own_contact_details_partner_case_id"),
            ["partner_case_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_own_contact_details_phone_index"), ["phone_index"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("own_contact_details", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_own_contact_details_phone_index"))
        batch_op.drop_index(batch_op.f("ix_own_contact_details_partner_case_id"))
    op.drop_table("own_contact_details")
    with op.batch_alter_table("plan_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_proposal_state"))
        batch_op.drop_index(batch_op.f("ix_plan_proposal_partner_case_id"))
    op.drop_table("plan_proposal")

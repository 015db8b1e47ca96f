"""A text from a number no case knows keeps its sender, sealed, and waits for an
administrator to give it to a partner-contact treater, who places it on her case

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_sms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_ct", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("triage_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("given_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("given_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("triage_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_check_constraint(
            op.f("ck_inbound_sms_triage_state"),
            "triage_state IS NULL OR triage_state IN ('waiting', 'given', 'placed', 'discarded')",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_inbound_sms_given_to_id_user_account"),
            "user_account",
            ["given_to_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_sms_triage_state"), ["triage_state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_inbound_sms_given_to_id"), ["given_to_id"], unique=False
        )
    # Every text kept so far without a case waits for the administrators; its sender was
    # never kept, so it shows as unknown.
    op.execute("UPDATE inbound_sms SET triage_state = 'waiting' WHERE partner_case_id IS NULL")


def downgrade() -> None:
    # A text placed on a case stays there (it is an ordinary reply of hers by then); one
    # given to a treater or destroyed goes back to having no case, as before.
    with op.batch_alter_table("inbound_sms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_sms_given_to_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_sms_triage_state"))
        batch_op.drop_constraint(
            batch_op.f("fk_inbound_sms_given_to_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_constraint(op.f("ck_inbound_sms_triage_state"), type_="check")
        batch_op.drop_column("triage_changed_at")
        batch_op.drop_column("given_at")
        batch_op.drop_column("given_to_id")
        batch_op.drop_column("triage_state")
        batch_op.drop_column("sender_ct")

"""Marks of what a partner-contact treater has seen: her text replies, a correction of her
details from the client side, and a manager's decision on a threat warning

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARKS = (
    ("inbound_sms", "seen_at", "received_at"),
    ("partner_handover", "seen_at", "recorded_at"),
    ("threat_warning", "decision_seen_at", "coalesce(confirmed_at, rejected_at)"),
)


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch copy: on SQLite a copied table would carry its foreign
    # keys into its definition, where an earlier revision's downgrade cannot drop them.
    for table, column, _ in _MARKS:
        op.add_column(table, sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    # What came before the marks existed was read where it was shown: it counts as seen, so
    # the first worklist after the upgrade is not years of old replies.
    for table, column, moment in _MARKS:
        op.execute(f"UPDATE {table} SET {column} = {moment}")  # noqa: S608 - constant names


def downgrade() -> None:
    for table, column, _ in reversed(_MARKS):
        op.drop_column(table, column)

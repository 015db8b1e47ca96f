"""Indexes that keep the managers' pages bounded by their own rows at national scale

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns). Plain CREATE INDEX, not batch mode: batch mode may copy a table on
# SQLite, and the audit log must never be copied and replaced.
INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    # The access log: one clinic's rows newest first, whole, by period or by actor.
    ("ix_audit_event_clinic_at_seq", "audit_event", ["clinic_id", "at", "seq"]),
    (
        "ix_audit_event_clinic_actor_at_seq",
        "audit_event",
        ["clinic_id", "actor_id", "at", "seq"],
    ),
    # A person's open reminders, without reading those marked done over the years.
    ("ix_staff_reminder_user_open", "staff_reminder", ["user_id", "done_at"]),
)
# Made redundant by ix_audit_event_clinic_at_seq, which starts with the same column.
REPLACED = ("ix_audit_event_clinic_id", "audit_event", ["clinic_id"])


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    op.drop_index(REPLACED[0], table_name=REPLACED[1])


def downgrade() -> None:
    op.create_index(REPLACED[0], REPLACED[1], REPLACED[2], unique=False)
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)

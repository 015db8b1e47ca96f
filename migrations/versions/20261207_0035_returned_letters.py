"""A letter that came back: the day it was returned, and when that was recorded

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE: a batch copy on SQLite would carry the foreign keys into the table's
    # definition, where an earlier revision's downgrade could not drop them. Who recorded it
    # is in the audit log.
    op.add_column("sent_letter", sa.Column("returned_on", sa.Date(), nullable=True))
    op.add_column(
        "sent_letter", sa.Column("returned_recorded_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("sent_letter", "returned_recorded_at")
    op.drop_column("sent_letter", "returned_on")

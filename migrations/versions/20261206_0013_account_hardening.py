"""Bind API tokens to their owner's second-factor enrolment and mark one-time passwords

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (see downgrade for why not a batch rebuild).
    op.add_column("api_token", sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True))
    # Tokens made before this revision were made under their owner's present enrolment as
    # far as anyone can tell: they keep working until the next change ends them.
    op.execute(
        "UPDATE api_token SET enrolled_at = (SELECT user_account.totp_enrolled_at "
        "FROM user_account WHERE user_account.id = api_token.user_id)"
    )
    op.add_column(
        "user_account",
        sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a batch rebuild:
    # rebuilding user_account would drop the table under foreign keys that point at it,
    # deleting every session and token by cascade and failing on every other reference.
    op.drop_column("user_account", "must_change_password")
    op.drop_column("api_token", "enrolled_at")

"""A colleague's time-limited cover of an absent treater's cases

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user_account.id"], name=op.f(f"fk_cover_{column}_user_account")
    )


def upgrade() -> None:
    op.create_table(
        "cover",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("absent_user_id", sa.Integer(), nullable=False),
        sa.Column("cover_user_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_early_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_cover_dates_in_order")),
        sa.CheckConstraint("absent_user_id <> cover_user_id", name=op.f("ck_cover_someone_else")),
        sa.CheckConstraint(
            "reason IN ('illness', 'holiday', 'parental', 'training', 'other')",
            name=op.f("ck_cover_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_cover_clinic_id_clinic")
        ),
        _user("absent_user_id"),
        _user("cover_user_id"),
        _user("granted_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cover")),
    )
    with op.batch_alter_table("cover", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cover_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cover_absent_user_id"), ["absent_user_id"], unique=False
        )
        batch_op.create_index("ix_cover_cover_user", ["cover_user_id", "ends_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cover", schema=None) as batch_op:
        batch_op.drop_index("ix_cover_cover_user")
        batch_op.drop_index(batch_op.f("ix_cover_absent_user_id"))
        batch_op.drop_index(batch_op.f("ix_cover_clinic_id"))
    op.drop_table("cover")

"""Add the relay (its events and the partner side's outcomes), the clinic's setting for missed
sessions, and the closing of a partner contact

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "relay_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('treatment_started', 'session_missed', 'dropped_out', "
            "'treatment_completed', 'ended_by_clinic', 'consent_withdrawn')",
            name=op.f("ck_relay_event_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["treatment_episode.id"],
            name=op.f("fk_relay_event_episode_id_treatment_episode"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_relay_event_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_event")),
        sa.UniqueConstraint(
            "episode_id", "kind", "occurred_on", name=op.f("uq_relay_event_episode_id")
        ),
    )
    with op.batch_alter_table("relay_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relay_event_episode_id"), ["episode_id"], unique=False)

    op.create_table(
        "relay_outcome",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("outcome_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('informed_phone', 'informed_sms', 'informed_letter', "
            "'informed_session', 'not_wanted', 'unreachable')",
            name=op.f("ck_relay_outcome_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["relay_event.id"], name=op.f("fk_relay_outcome_event_id_relay_event")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_relay_outcome_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_relay_outcome_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_outcome")),
    )
    with op.batch_alter_table("relay_outcome", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_relay_outcome_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_relay_outcome_partner_case_id"), ["partner_case_id"], unique=False
        )

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("missed_sessions_to_relay", sa.Integer(), nullable=False, server_default="1")
        )

    with op.batch_alter_table("partner_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closing_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closing_outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("own_treatment_since", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner_case", schema=None) as batch_op:
        batch_op.drop_column("own_treatment_since")
        batch_op.drop_column("closed_on")
        batch_op.drop_column("closing_outcome")
        batch_op.drop_column("closing_since")

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("missed_sessions_to_relay")

    with op.batch_alter_table("relay_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relay_outcome_partner_case_id"))
        batch_op.drop_index(batch_op.f("ix_relay_outcome_event_id"))

    op.drop_table("relay_outcome")
    with op.batch_alter_table("relay_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relay_event_episode_id"))

    op.drop_table("relay_event")

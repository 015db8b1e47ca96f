"""Risk signals: the client's treater asks the partner side to act on a raised risk; the time
the partner side has to act on relayed events and urgent tasks

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = (
    "treatment_started",
    "session_missed",
    "dropped_out",
    "treatment_completed",
    "ended_by_clinic",
    "consent_withdrawn",
)
KINDS = (*KINDS_BEFORE, "risk_signal")
REASONS = (
    "threats",
    "escalating_control",
    "separation",
    "children_concern",
    "weapons",
    "new_violence",
    "other_serious",
)
URGENCIES = ("urgent", "soon")
OUTCOMES_BEFORE = (
    "informed_phone",
    "informed_sms",
    "informed_letter",
    "informed_session",
    "not_wanted",
    "unreachable",
)
OUTCOMES = (*OUTCOMES_BEFORE, "consulted", "safety_reviewed")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    with op.batch_alter_table("relay_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("urgency", sa.String(length=8), nullable=True))
        batch_op.drop_constraint(op.f("ck_relay_event_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_relay_event_kind"), _one_of("kind", KINDS))
        batch_op.create_check_constraint(
            op.f("ck_relay_event_risk_signal"),
            "(kind = 'risk_signal' AND reason IS NOT NULL AND urgency IS NOT NULL"
            f" AND {_one_of('reason', REASONS)}"
            f" AND {_one_of('urgency', URGENCIES)})"
            " OR (kind <> 'risk_signal' AND reason IS NULL AND urgency IS NULL)",
        )
    with op.batch_alter_table("relay_outcome", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_relay_outcome_outcome"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_relay_outcome_outcome"), _one_of("outcome", OUTCOMES)
        )
    # How long a risk signal may wait on the partner side before the managers are told.
    op.add_column(
        "clinic",
        sa.Column("risk_signal_urgent_hours", sa.Integer(), server_default="4", nullable=False),
    )
    op.add_column(
        "clinic",
        sa.Column("risk_signal_soon_hours", sa.Integer(), server_default="72", nullable=False),
    )
    # ... and a relay task ("inform her if she wishes") or an urgent task.
    op.add_column(
        "clinic",
        sa.Column("relay_task_hours", sa.Integer(), server_default="72", nullable=False),
    )
    op.add_column(
        "clinic",
        sa.Column("urgent_task_hours", sa.Integer(), server_default="24", nullable=False),
    )
    # An escalation the service raises itself, at a risk signal's deadline, names no raiser.
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.alter_column("raised_by_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM escalation WHERE raised_by_id IS NULL")
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.alter_column("raised_by_id", existing_type=sa.Integer(), nullable=False)
    op.drop_column("clinic", "urgent_task_hours")
    op.drop_column("clinic", "relay_task_hours")
    op.drop_column("clinic", "risk_signal_soon_hours")
    op.drop_column("clinic", "risk_signal_urgent_hours")
    # What was done with a risk signal goes with the signals.
    op.execute(
        "DELETE FROM relay_outcome WHERE event_id IN"
        " (SELECT id FROM relay_event WHERE kind = 'risk_signal')"
        " OR outcome IN ('consulted', 'safety_reviewed')"
    )
    op.execute("DELETE FROM relay_event WHERE kind = 'risk_signal'")
    with op.batch_alter_table("relay_outcome", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_relay_outcome_outcome"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_relay_outcome_outcome"), _one_of("outcome", OUTCOMES_BEFORE)
        )
    with op.batch_alter_table("relay_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_relay_event_risk_signal"), type_="check")
        batch_op.drop_constraint(op.f("ck_relay_event_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_relay_event_kind"), _one_of("kind", KINDS_BEFORE))
        batch_op.drop_column("urgency")
        batch_op.drop_column("reason")

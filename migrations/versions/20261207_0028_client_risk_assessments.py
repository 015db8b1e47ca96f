"""Risk assessments item by item on both sides, client-side concern reports, and the risk
signal a high client-side assessment sends

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS_BEFORE = (
    "threats",
    "escalating_control",
    "separation",
    "children_concern",
    "weapons",
    "new_violence",
    "other_serious",
)
REASONS = (*REASONS_BEFORE, "high_assessment")
URGENCIES = ("urgent", "soon")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _risk_signal_check(reasons: Sequence[str]) -> str:
    return (
        "(kind = 'risk_signal' AND reason IS NOT NULL AND urgency IS NOT NULL"
        f" AND {_one_of('reason', reasons)}"
        f" AND {_one_of('urgency', URGENCIES)})"
        " OR (kind <> 'risk_signal' AND reason IS NULL AND urgency IS NULL)"
    )


def _replace_risk_signal_check(reasons: Sequence[str]) -> None:
    with op.batch_alter_table("relay_event", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_relay_event_risk_signal"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_relay_event_risk_signal"), _risk_signal_check(reasons)
        )


def upgrade() -> None:
    _replace_risk_signal_check(REASONS)
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instrument_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ratings_ct", sa.LargeBinary(), nullable=True))

    op.create_table(
        "client_risk_assessment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("instrument", sa.String(length=32), nullable=False),
        sa.Column("instrument_version", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("risk_signal_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ratings_ct", sa.LargeBinary(), nullable=True),
        sa.Column("notes_ct", sa.LargeBinary(), nullable=True),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_client_risk_assessment_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"],
            ["data_key.id"],
            name=op.f("fk_client_risk_assessment_data_key_id_data_key"),
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["treatment_episode.id"],
            name=op.f("fk_client_risk_assessment_episode_id_treatment_episode"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_client_risk_assessment_recorded_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["risk_signal_id"],
            ["relay_event.id"],
            name=op.f("fk_client_risk_assessment_risk_signal_id_relay_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_risk_assessment")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_client_risk_assessment_seal_id")),
    )
    with op.batch_alter_table("client_risk_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_risk_assessment_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "client_concern_report",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("board", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["client.id"], name=op.f("fk_client_concern_report_client_id_client")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_client_concern_report_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_client_concern_report_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_concern_report")),
    )
    with op.batch_alter_table("client_concern_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_client_concern_report_client_id"), ["client_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_client_concern_report_clinic_id"), ["clinic_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("client_concern_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_concern_report_clinic_id"))
        batch_op.drop_index(batch_op.f("ix_client_concern_report_client_id"))
    op.drop_table("client_concern_report")
    with op.batch_alter_table("client_risk_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_risk_assessment_client_id"))
    op.drop_table("client_risk_assessment")
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.drop_column("ratings_ct")
        batch_op.drop_column("instrument_version")
    # Signals sent by a high assessment have no reason in the older list: they become the
    # nearest one it has.
    op.execute("UPDATE relay_event SET reason = 'other_serious' WHERE reason = 'high_assessment'")
    _replace_risk_signal_check(REASONS_BEFORE)

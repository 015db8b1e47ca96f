"""Add contact sessions, the scheduled-task queue, reminders to staff, private calendar feeds,
the clinic's contact plan and reminder settings, and an expiry for a queued text message

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_calendar_feed_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_feed_user_id"), ["user_id"], unique=False)

    op.create_table(
        "contact_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note_ct", sa.LargeBinary(), nullable=True),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "state IN ('to_book', 'booked', 'held', 'cancelled', 'no_show')",
            name=op.f("ck_contact_session_state"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["user_account.id"],
            name=op.f("fk_contact_session_changed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_contact_session_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_contact_session_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_contact_session_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_session")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_contact_session_seal_id")),
    )
    with op.batch_alter_table("contact_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_session_partner_case_id"), ["partner_case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_session_starts_at"), ["starts_at"], unique=False
        )

    op.create_table(
        "scheduled_task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=120), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("partner_case_id", sa.Uuid(), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'done', 'failed', 'cancelled')",
            name=op.f("ck_scheduled_task_state"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_scheduled_task_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_scheduled_task_partner_case_id_partner_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_task")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_scheduled_task_idempotency_key")),
    )
    with op.batch_alter_table("scheduled_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduled_task_clinic_id"), ["clinic_id"], unique=False
        )
        batch_op.create_index("ix_scheduled_task_due", ["state", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_scheduled_task_partner_case_id"), ["partner_case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_scheduled_task_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "staff_reminder",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("task_id", sa.Uuid(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_staff_reminder_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_staff_reminder_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["contact_session.id"],
            name=op.f("fk_staff_reminder_session_id_contact_session"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["scheduled_task.id"],
            name=op.f("fk_staff_reminder_task_id_scheduled_task"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_staff_reminder_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_reminder")),
    )
    with op.batch_alter_table("staff_reminder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_reminder_clinic_id"), ["clinic_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_staff_reminder_partner_case_id"), ["partner_case_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_staff_reminder_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_reminder_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("plan_first_contact_days", sa.Integer(), nullable=False, server_default="5")
        )
        batch_op.add_column(
            sa.Column(
                "plan_letter_follow_up_days", sa.Integer(), nullable=False, server_default="7"
            )
        )
        batch_op.add_column(
            sa.Column("plan_session_count", sa.Integer(), nullable=False, server_default="3")
        )
        batch_op.add_column(
            sa.Column(
                "plan_session_interval_weeks", sa.Integer(), nullable=False, server_default="4"
            )
        )
        batch_op.add_column(
            sa.Column(
                "plan_closing_session", sa.Boolean(), nullable=False, server_default=sa.true()
            )
        )
        batch_op.add_column(
            sa.Column("plan_follow_up_months", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("reminder_days_before", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column("reminder_time", sa.Time(), nullable=False, server_default="09:00:00")
        )

    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_before", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.drop_column("send_before")

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("reminder_time")
        batch_op.drop_column("reminder_days_before")
        batch_op.drop_column("plan_follow_up_months")
        batch_op.drop_column("plan_closing_session")
        batch_op.drop_column("plan_session_interval_weeks")
        batch_op.drop_column("plan_session_count")
        batch_op.drop_column("plan_letter_follow_up_days")
        batch_op.drop_column("plan_first_contact_days")

    with op.batch_alter_table("staff_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_reminder_user_id"))
        batch_op.drop_index(batch_op.f("ix_staff_reminder_task_id"))
        batch_op.drop_index(batch_op.f("ix_staff_reminder_partner_case_id"))
        batch_op.drop_index(batch_op.f("ix_staff_reminder_clinic_id"))

    op.drop_table("staff_reminder")
    with op.batch_alter_table("scheduled_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_task_subject_id"))
        batch_op.drop_index(batch_op.f("ix_scheduled_task_partner_case_id"))
        batch_op.drop_index("ix_scheduled_task_due")
        batch_op.drop_index(batch_op.f("ix_scheduled_task_clinic_id"))

    op.drop_table("scheduled_task")
    with op.batch_alter_table("contact_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_session_starts_at"))
        batch_op.drop_index(batch_op.f("ix_contact_session_partner_case_id"))

    op.drop_table("contact_session")
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feed_user_id"))

    op.drop_table("calendar_feed")

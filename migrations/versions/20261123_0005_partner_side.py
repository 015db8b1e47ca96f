"""Add the partner side: partner cases, her answer and consent, safe-contact plans, attempts,
risk assessments, urgent tasks, children, safety plans, concern reports and logged decisions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "urgent_tasks_to_manager", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "partner_case",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("treater_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("protected_identity", sa.Boolean(), nullable=False),
        sa.Column("contact_ended_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_partner_case_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_partner_case_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["treatment_episode.id"],
            name=op.f("fk_partner_case_episode_id_treatment_episode"),
        ),
        sa.ForeignKeyConstraint(
            ["treater_id"],
            ["user_account.id"],
            name=op.f("fk_partner_case_treater_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_case")),
        sa.UniqueConstraint("episode_id", name=op.f("uq_partner_case_episode_id")),
    )
    with op.batch_alter_table("partner_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_case_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_partner_case_treater_id"), ["treater_id"], unique=False
        )

    op.create_table(
        "treater_exception",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason_ct", sa.LargeBinary(), nullable=True),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_treater_exception_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_treater_exception_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"],
            ["treatment_episode.id"],
            name=op.f("fk_treater_exception_episode_id_treatment_episode"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_treater_exception_recorded_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_treater_exception_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treater_exception")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_treater_exception_seal_id")),
    )
    with op.batch_alter_table("treater_exception", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treater_exception_clinic_id"), ["clinic_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_treater_exception_episode_id"), ["episode_id"], unique=False
        )

    op.create_table(
        "child",
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("lives_with_client", sa.Boolean(), nullable=False),
        sa.Column("regular_contact_with_client", sa.Boolean(), nullable=False),
        sa.Column("label_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_child_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_child_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_child_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_child_seal_id")),
    )
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_child_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "contact_attempt",
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_contact_attempt_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_contact_attempt_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_contact_attempt_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attempt")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_contact_attempt_seal_id")),
    )
    with op.batch_alter_table("contact_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_attempt_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "partner_answer",
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_partner_answer_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_partner_answer_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_partner_answer_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_answer")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_partner_answer_seal_id")),
    )
    with op.batch_alter_table("partner_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_answer_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "partner_consent",
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("contact_phone", sa.Boolean(), nullable=False),
        sa.Column("contact_sms", sa.Boolean(), nullable=False),
        sa.Column("contact_letter", sa.Boolean(), nullable=False),
        sa.Column("sms_reminders", sa.Boolean(), nullable=False),
        sa.Column("told_when_ended", sa.Boolean(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_partner_consent_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_partner_consent_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_partner_consent_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_consent")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_partner_consent_seal_id")),
    )
    with op.batch_alter_table("partner_consent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_consent_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "protected_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["user_account.id"],
            name=op.f("fk_protected_access_granted_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_protected_access_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_protected_access_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protected_access")),
        sa.UniqueConstraint(
            "partner_case_id", "user_id", name=op.f("uq_protected_access_partner_case_id")
        ),
    )
    with op.batch_alter_table("protected_access", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_protected_access_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "risk_assessment",
        sa.Column("instrument", sa.String(length=32), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("notes_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_risk_assessment_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_risk_assessment_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_risk_assessment_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessment")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_risk_assessment_seal_id")),
    )
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_assessment_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "safe_contact_plan",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("phone_allowed", sa.Boolean(), nullable=False),
        sa.Column("sms_allowed", sa.Boolean(), nullable=False),
        sa.Column("letter_allowed", sa.Boolean(), nullable=False),
        sa.Column("safe_days", sa.String(length=7), nullable=False),
        sa.Column("safe_from", sa.Time(), nullable=True),
        sa.Column("safe_until", sa.Time(), nullable=True),
        sa.Column("voicemail_allowed", sa.Boolean(), nullable=False),
        sa.Column("letters_safe_at_address", sa.Boolean(), nullable=False),
        sa.Column("sender_name_ct", sa.LargeBinary(), nullable=True),
        sa.Column("opener_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_safe_contact_plan_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_safe_contact_plan_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_safe_contact_plan_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safe_contact_plan")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_safe_contact_plan_seal_id")),
    )
    with op.batch_alter_table("safe_contact_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safe_contact_plan_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "send_decision",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_send_decision_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_send_decision_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_send_decision_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_decision")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_send_decision_seal_id")),
    )
    with op.batch_alter_table("send_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_send_decision_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "suitability_decision",
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("note_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"],
            ["data_key.id"],
            name=op.f("fk_suitability_decision_data_key_id_data_key"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_suitability_decision_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_suitability_decision_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suitability_decision")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_suitability_decision_seal_id")),
    )
    with op.batch_alter_table("suitability_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_suitability_decision_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "threat_warning",
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["user_account.id"],
            name=op.f("fk_threat_warning_confirmed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_threat_warning_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_threat_warning_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_threat_warning_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threat_warning")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_threat_warning_seal_id")),
    )
    with op.batch_alter_table("threat_warning", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_threat_warning_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "concern_report",
        sa.Column("child_id", sa.Uuid(), nullable=True),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("board", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_concern_report_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_concern_report_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_concern_report_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_concern_report_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_report")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_concern_report_seal_id")),
    )
    with op.batch_alter_table("concern_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_concern_report_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "safety_plan",
        sa.Column("child_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["child.id"], name=op.f("fk_safety_plan_child_id_child")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_safety_plan_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_safety_plan_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_safety_plan_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_plan")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_safety_plan_seal_id")),
    )
    with op.batch_alter_table("safety_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_plan_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "urgent_task",
        sa.Column("risk_assessment_id", sa.Uuid(), nullable=False),
        sa.Column("for_role", sa.String(length=32), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("handling_ct", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_urgent_task_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["user_account.id"],
            name=op.f("fk_urgent_task_handled_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_urgent_task_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_urgent_task_recorded_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["risk_assessment_id"],
            ["risk_assessment.id"],
            name=op.f("fk_urgent_task_risk_assessment_id_risk_assessment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urgent_task")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_urgent_task_seal_id")),
    )
    with op.batch_alter_table("urgent_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_urgent_task_partner_case_id"), ["partner_case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("urgent_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_urgent_task_partner_case_id"))

    op.drop_table("urgent_task")
    with op.batch_alter_table("safety_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_plan_partner_case_id"))

    op.drop_table("safety_plan")
    with op.batch_alter_table("concern_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_report_partner_case_id"))

    op.drop_table("concern_report")
    with op.batch_alter_table("threat_warning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_threat_warning_partner_case_id"))

    op.drop_table("threat_warning")
    with op.batch_alter_table("suitability_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suitability_decision_partner_case_id"))

    op.drop_table("suitability_decision")
    with op.batch_alter_table("send_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_send_decision_partner_case_id"))

    op.drop_table("send_decision")
    with op.batch_alter_table("safe_contact_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safe_contact_plan_partner_case_id"))

    op.drop_table("safe_contact_plan")
    with op.batch_alter_table("risk_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_assessment_partner_case_id"))

    op.drop_table("risk_assessment")
    with op.batch_alter_table("protected_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protected_access_partner_case_id"))

    op.drop_table("protected_access")
    with op.batch_alter_table("partner_consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_consent_partner_case_id"))

    op.drop_table("partner_consent")
    with op.batch_alter_table("partner_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_answer_partner_case_id"))

    op.drop_table("partner_answer")
    with op.batch_alter_table("contact_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_attempt_partner_case_id"))

    op.drop_table("contact_attempt")
    with op.batch_alter_table("child", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_partner_case_id"))

    op.drop_table("child")
    with op.batch_alter_table("treater_exception", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treater_exception_episode_id"))
        batch_op.drop_index(batch_op.f("ix_treater_exception_clinic_id"))

    op.drop_table("treater_exception")
    with op.batch_alter_table("partner_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_case_treater_id"))
        batch_op.drop_index(batch_op.f("ix_partner_case_clinic_id"))

    op.drop_table("partner_case")
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("urgent_tasks_to_manager")

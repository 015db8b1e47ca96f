"""Add letters and text messages to partners: the SMS outbox and its states, replies, opt-outs,
sent letters, the clinic's stop switch, the clinic's return address, phone and letter
signatory, and a blind index of the handed-over phone number

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_index", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_opt_out")),
        sa.UniqueConstraint("phone_index", name=op.f("uq_sms_opt_out_phone_index")),
    )
    op.create_table(
        "outbound_halt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("halted_by_id", sa.Integer(), nullable=False),
        sa.Column("halted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_by_id", sa.Integer(), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_outbound_halt_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["halted_by_id"],
            ["user_account.id"],
            name=op.f("fk_outbound_halt_halted_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["lifted_by_id"],
            ["user_account.id"],
            name=op.f("fk_outbound_halt_lifted_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_halt")),
    )
    with op.batch_alter_table("outbound_halt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbound_halt_clinic_id"), ["clinic_id"], unique=False)

    op.create_table(
        "inbound_sms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=True),
        sa.Column("partner_case_id", sa.Uuid(), nullable=True),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("provider_sid", sa.String(length=64), nullable=False),
        sa.Column("from_index", sa.String(length=64), nullable=False),
        sa.Column("is_stop", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body_ct", sa.LargeBinary(), nullable=True),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_inbound_sms_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_inbound_sms_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_inbound_sms_partner_case_id_partner_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_sms")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_inbound_sms_provider_sid")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_inbound_sms_seal_id")),
    )
    with op.batch_alter_table("inbound_sms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_sms_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_sms_from_index"), ["from_index"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inbound_sms_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "sent_letter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("template_version", sa.String(length=16), nullable=False),
        sa.Column("relay_event_id", sa.Uuid(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("document_ct", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_sent_letter_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_sent_letter_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_sent_letter_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["relay_event_id"],
            ["relay_event.id"],
            name=op.f("fk_sent_letter_relay_event_id_relay_event"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["user_account.id"], name=op.f("fk_sent_letter_sent_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_letter")),
    )
    with op.batch_alter_table("sent_letter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sent_letter_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sent_letter_partner_case_id"), ["partner_case_id"], unique=False
        )

    op.create_table(
        "sms_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("partner_case_id", sa.Uuid(), nullable=False),
        sa.Column("data_key_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("template_version", sa.String(length=16), nullable=False),
        sa.Column("relay_event_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("to_index", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("to_number_ct", sa.LargeBinary(), nullable=True),
        sa.Column("body_ct", sa.LargeBinary(), nullable=True),
        sa.Column("seal_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "state IN ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', "
            "'cancelled')",
            name=op.f("ck_sms_message_state"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_sms_message_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_sms_message_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_key.id"], name=op.f("fk_sms_message_data_key_id_data_key")
        ),
        sa.ForeignKeyConstraint(
            ["partner_case_id"],
            ["partner_case.id"],
            name=op.f("fk_sms_message_partner_case_id_partner_case"),
        ),
        sa.ForeignKeyConstraint(
            ["relay_event_id"],
            ["relay_event.id"],
            name=op.f("fk_sms_message_relay_event_id_relay_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_message")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sms_message_idempotency_key")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_sms_message_provider_sid")),
        sa.UniqueConstraint("seal_id", name=op.f("uq_sms_message_seal_id")),
    )
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_message_clinic_id"), ["clinic_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sms_message_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sms_message_partner_case_id"), ["partner_case_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sms_message_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_message_to_index"), ["to_index"], unique=False)

    op.create_table(
        "sms_status_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sms_message_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sms_message_id"],
            ["sms_message.id"],
            name=op.f("fk_sms_status_event_sms_message_id_sms_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_status_event")),
        sa.UniqueConstraint(
            "sms_message_id", "status", name=op.f("uq_sms_status_event_sms_message_id")
        ),
    )
    with op.batch_alter_table("sms_status_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sms_status_event_sms_message_id"), ["sms_message_id"], unique=False
        )

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("postal_address", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("phone", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("letter_signatory", sa.String(length=200), nullable=False, server_default="")
        )

    with op.batch_alter_table("partner_handover", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_index", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_partner_handover_phone_index"), ["phone_index"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("letter_signatory")
        batch_op.drop_column("phone")
        batch_op.drop_column("postal_address")

    with op.batch_alter_table("partner_handover", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_handover_phone_index"))
        batch_op.drop_column("phone_index")

    with op.batch_alter_table("sms_status_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_status_event_sms_message_id"))

    op.drop_table("sms_status_event")
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_message_to_index"))
        batch_op.drop_index(batch_op.f("ix_sms_message_state"))
        batch_op.drop_index(batch_op.f("ix_sms_message_partner_case_id"))
        batch_op.drop_index(batch_op.f("ix_sms_message_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_sms_message_clinic_id"))

    op.drop_table("sms_message")
    with op.batch_alter_table("sent_letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sent_letter_partner_case_id"))
        batch_op.drop_index(batch_op.f("ix_sent_letter_clinic_id"))

    op.drop_table("sent_letter")
    with op.batch_alter_table("inbound_sms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_sms_partner_case_id"))
        batch_op.drop_index(batch_op.f("ix_inbound_sms_from_index"))
        batch_op.drop_index(batch_op.f("ix_inbound_sms_clinic_id"))

    op.drop_table("inbound_sms")
    with op.batch_alter_table("outbound_halt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_halt_clinic_id"))

    op.drop_table("outbound_halt")
    op.drop_table("sms_opt_out")

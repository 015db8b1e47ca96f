"""The development outbox: text messages the embedded transport "sent", as their recipients
would have received them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.policy import Permission, can
from partnercontact.transports.transport import OUTBOX_PREFIX

PAGE_SIZE = 50


@dataclass(frozen=True)
class OutboxEntry:
    sent_at: datetime | None
    to: str
    body: str
    state: str


def outbox_messages(actor: User, *, page: int = 1) -> list[OutboxEntry]:
    """The clinic's text messages that went to the outbox, newest first. Audited as a read."""
    if not can(actor, Permission.OUTBOX_VIEW):
        return []
    rows = db.session.scalars(
        select(SmsMessage)
        .where(
            SmsMessage.clinic_id == actor.clinic_id,
            SmsMessage.provider_sid.startswith(OUTBOX_PREFIX),
        )
        .order_by(SmsMessage.sent_at.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    entries = [
        OutboxEntry(row.sent_at, row.to_number or "", row.body or "", row.state) for row in rows
    ]
    record_event(
        AuditAction.OUTBOX_VIEWED,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="clinic",
        resource_id=str(actor.clinic_id),
    )
    return entries

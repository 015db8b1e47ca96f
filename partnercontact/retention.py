"""The retention purge, run daily by the worker.

It reaches into both sides (the client side's consent copies, the partner side's texts), so it
sits beside the worker that composes the application, in neither tree.

- Signed consent copies of ended episodes are destroyed at the end of the treatment contact;
  the purge destroys any such copy still there (an episode ended by a path that failed
  half-way, a copy uploaded late), so the rule holds even when one path did not apply it.
- The text of a text message is erased ``retention.sms_body_days`` after the message reached
  a final state; who sent it, when and what came of it stay.
- A reply from a number that matched no partner is deleted after
  ``retention.unmatched_reply_days``, its data key destroyed with it.
- The text of a message in her own channel is emptied after the clinic's
  ``portal_message_days``; that it was written, when and whether it was read stay. A photo
  or PDF with it is emptied at the same time.

Each part records one audit entry with no content when it purged anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import CursorResult, delete, select, update

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.consent.documents import destroy_signed_copies
from partnercontact.client_side.consent.models import Consent
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import shred_data_key
from partnercontact.db import db
from partnercontact.partner_side import portal_access, portal_attachments, portal_messages
from partnercontact.partner_side.messaging.models import FINAL_SMS_STATES, InboundSms, SmsMessage
from partnercontact.partner_side.scheduling import kinds
from partnercontact.portal import sessions as portal_sessions
from partnercontact.runtime import current_runtime
from partnercontact.tasks.models import ScheduledTask
from partnercontact.tasks.queue import handles, schedule


@dataclass(frozen=True)
class PurgeReport:
    consent_copies: int
    sms_bodies: int
    unmatched_replies: int
    portal_sessions: int = 0
    portal_address_failures: int = 0
    portal_message_bodies: int = 0
    portal_attachments: int = 0


def _audit(resource_type: str) -> None:
    record_event(AuditAction.RETENTION_PURGED, actor_id=None, resource_type=resource_type)


def _consent_copies() -> int:
    episodes = db.session.scalars(
        select(TreatmentEpisode)
        .where(
            TreatmentEpisode.ended_on.is_not(None),
            TreatmentEpisode.id.in_(
                select(Consent.episode_id).where(
                    Consent.document_key_id.is_not(None),
                    Consent.document_destroyed_at.is_(None),
                )
            ),
        )
        .order_by(TreatmentEpisode.id)
    ).all()
    return sum(destroy_signed_copies(episode, actor_id=None) for episode in episodes)


def _sms_bodies(now: datetime, days: int) -> int:
    # Core UPDATE: the body is cleared without unsealing it (its case key may be destroyed).
    result = db.session.execute(
        update(SmsMessage)
        .where(
            SmsMessage.state.in_(FINAL_SMS_STATES),
            SmsMessage.state_changed_at < now - timedelta(days=days),
            SmsMessage.body_ct.is_not(None),
        )
        .values(body_ct=None)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount or 0


def _unmatched_replies(now: datetime, days: int) -> int:
    rows = db.session.execute(
        select(InboundSms.id, InboundSms.data_key_id).where(
            InboundSms.partner_case_id.is_(None),
            InboundSms.received_at < now - timedelta(days=days),
        )
    ).all()
    clock = current_runtime().clock
    deleted = 0
    for reply_id, data_key_id in rows:
        # Still without a case: a partner-contact treater may have placed it on hers since it
        # was read above, and then it is her reply, re-sealed under her case's key.
        result = db.session.execute(
            delete(InboundSms).where(
                InboundSms.id == reply_id, InboundSms.partner_case_id.is_(None)
            )
        )
        assert isinstance(result, CursorResult)
        if not result.rowcount:
            continue
        deleted += 1
        data_key = db.session.get(DataKey, data_key_id)
        if data_key is not None:
            shred_data_key(data_key, clock=clock)
    return deleted


def purge_expired(now: datetime) -> PurgeReport:
    """Apply every retention rule once; flushes, the caller commits."""
    settings = current_runtime().config.retention
    report = PurgeReport(
        consent_copies=_consent_copies(),
        sms_bodies=_sms_bodies(now, settings.sms_body_days),
        unmatched_replies=_unmatched_replies(now, settings.unmatched_reply_days),
        # Her portal: sessions past their lifetimes, and failed logins past the window they
        # are counted in (no content: a keyed hash of an address and a time).
        portal_sessions=portal_sessions.purge_expired(now),
        portal_address_failures=portal_access.purge_address_failures(now),
        portal_message_bodies=portal_messages.purge_expired_bodies(now),
        # Her files go with their message's text: after the line above, in one transaction.
        portal_attachments=portal_attachments.purge_with_bodies(now),
    )
    if report.sms_bodies:
        _audit("sms_message")
    if report.unmatched_replies:
        _audit("inbound_sms")
    if report.portal_message_bodies:
        _audit("portal_message")
    if report.portal_attachments:
        _audit("portal_attachment")
    db.session.flush()
    return report


@handles(kinds.RETENTION_PURGE)
def retention_purge(task: ScheduledTask, now: datetime) -> str:
    purge_expired(now)
    return "purged"


def schedule_daily_duties() -> None:
    """Make sure today's retention purge exists (due at 02:00 UTC, so at once when the
    worker starts later than that). A worker that was down for days schedules only today's:
    the purge covers everything that expired meanwhile. The worker's duty; commits."""
    now = current_runtime().clock.now()
    today = now.date()
    schedule(
        kinds.RETENTION_PURGE,
        datetime.combine(today, time(2, 0), tzinfo=UTC),
        f"{kinds.RETENTION_PURGE}:{today.isoformat()}",
    )
    db.session.commit()

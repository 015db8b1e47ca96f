"""What each kind of scheduled task does when it falls due.

Every handler looks again at the case before acting: the situation may have changed since the
task was scheduled (she answered, the session moved, a newer assessment was made), and then
the task ends "not needed". A handler writes only rows in the dispatcher's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.clinics.clock import clinic_zone
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side.messaging.models import SentLetter
from partnercontact.partner_side.messaging.sms import queue_session_reminder
from partnercontact.partner_side.models import ContactAttempt, PartnerCase, RiskAssessment
from partnercontact.partner_side.rules import MessageRefused, latest_plan
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.localtime import next_safe_moment
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.scheduling.plan import on_closing
from partnercontact.partner_side.scheduling.reminders import raise_reminder
from partnercontact.partner_side.scheduling.sessions import wants_sms_reminders
from partnercontact.partner_side.service import clinic_of
from partnercontact.tasks.models import ScheduledTask
from partnercontact.tasks.queue import Later, handles

# A reminder refused only for now (the stop switch) is looked at again this often.
RECHECK = timedelta(minutes=15)


def _case(task: ScheduledTask) -> PartnerCase:
    partner_case = db.session.get(PartnerCase, task.partner_case_id)
    assert partner_case is not None  # a foreign key
    return partner_case


def _closed(partner_case: PartnerCase) -> bool:
    return partner_case.contact_ended_on is not None or partner_case.closed_on is not None


def _reached_since(partner_case: PartnerCase, since: datetime | None) -> bool:
    query = select(ContactAttempt.id).where(
        ContactAttempt.partner_case_id == partner_case.id, ContactAttempt.outcome == "reached"
    )
    if since is not None:
        query = query.where(ContactAttempt.attempted_at >= since)
    return bool(db.session.scalar(select(exists(query))))


@handles(kinds.SESSION_TO_BOOK)
def session_to_book(task: ScheduledTask, now: datetime) -> str:
    session = db.session.get(ContactSession, task.subject_id)
    partner_case = _case(task)
    if session is None or session.state != "to_book" or _closed(partner_case):
        return "not_needed"
    return raise_reminder(task, partner_case, now, session_id=session.id)


@handles(kinds.FIRST_CONTACT_DUE)
def first_contact_due(task: ScheduledTask, now: datetime) -> str:
    partner_case = _case(task)
    if partner_case.answer != "pending" or _closed(partner_case):
        return "not_needed"
    if _reached_since(partner_case, None):
        return "not_needed"
    return raise_reminder(task, partner_case, now)


@handles(kinds.LETTER_FOLLOW_UP)
def letter_follow_up(task: ScheduledTask, now: datetime) -> str:
    partner_case = _case(task)
    letter = db.session.get(SentLetter, task.subject_id)
    if letter is None or partner_case.answer == "declined" or _closed(partner_case):
        return "not_needed"
    if _reached_since(partner_case, letter.sent_at):
        return "not_needed"
    return raise_reminder(task, partner_case, now)


@handles(kinds.RISK_REVIEW_DUE)
def risk_review_due(task: ScheduledTask, now: datetime) -> str:
    partner_case = _case(task)
    assessment = db.session.get(RiskAssessment, task.subject_id)
    if assessment is None or _closed(partner_case):
        return "not_needed"
    newer = select(RiskAssessment.id).where(
        RiskAssessment.partner_case_id == partner_case.id,
        RiskAssessment.recorded_at > assessment.recorded_at,
    )
    if db.session.scalar(select(exists(newer))):
        return "not_needed"
    return raise_reminder(task, partner_case, now)


@handles(kinds.FIRST_CONTACT_UNANSWERED)
def first_contact_unanswered(task: ScheduledTask, now: datetime) -> str:
    partner_case = _case(task)
    if partner_case.answer in ("accepted", "declined") or _closed(partner_case):
        return "not_needed"
    return raise_reminder(task, partner_case, now, managers_too=True)


@handles(kinds.SESSION_REMINDER_SMS)
def session_reminder_sms(task: ScheduledTask, now: datetime) -> str | Later:
    """Queue the text reminding her of a session, at the first safe moment before it."""
    partner_case = _case(task)
    session = db.session.get(ContactSession, task.subject_id)
    if session is None or session.state != "booked" or session.starts_at is None:
        return "not_needed"
    if session.starts_at <= now:
        return "not_needed"
    if not wants_sms_reminders(partner_case):
        return "not_wanted"
    zone = clinic_zone(clinic_of(partner_case))
    moment = next_safe_moment(latest_plan(partner_case), zone, now, session.starts_at)
    if moment is None:
        return "no_safe_time"
    if moment > now:
        return Later(moment)
    try:
        queue_session_reminder(partner_case, key=task.id.hex, starts_at=session.starts_at, now=now)
    except MessageRefused as exc:
        if exc.rule == "halted":
            return Later(now + RECHECK)
        return "refused"
    except DomainError:
        return "refused"
    return "sms_queued"


@handles(kinds.CLOSING_PLAN)
def closing_plan(task: ScheduledTask, now: datetime) -> str:
    partner_case = _case(task)
    if partner_case.closing_since is None:
        return "not_needed"
    if not on_closing(partner_case, partner_case.closing_since):
        return "not_needed"
    record_event(
        AuditAction.CONTACT_SESSION_ADDED,
        actor_id=None,
        clinic_id=partner_case.clinic_id,
        resource_type="partner_case",
        resource_id=str(partner_case.id),
    )
    return "planned"

"""What each kind of scheduled task does when it falls due.

Every handler looks again at the case before acting: the situation may have changed since the
task was scheduled (she answered, the session moved, a newer assessment was made), and then
the task ends "not needed". A handler writes only rows in the dispatcher's transaction.

The worker runs a batch's tasks of one kind together (:func:`~partnercontact.tasks.queue.
handles_batch`): the batch forms below load what all of them read in a few queries, then
decide for each task exactly as its handler does. A text reminder still passes every safety
rule, one send at a time; only the rows it reads are loaded beforehand.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.clinics.clock import clinic_zone
from partnercontact.clinics.models import Clinic
from partnercontact.crypto.service import load_data_keys
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side.escalations import (
    escalate_unanswered_relay_event,
    escalate_unhandled_urgent_task,
)
from partnercontact.partner_side.messaging.models import SentLetter
from partnercontact.partner_side.messaging.sms import queue_session_reminder
from partnercontact.partner_side.models import ContactAttempt, PartnerCase, RiskAssessment
from partnercontact.partner_side.rules import MessageRefused, latest_plan
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.localtime import next_safe_moment
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.scheduling.plan import on_closing
from partnercontact.partner_side.scheduling.reminders import (
    REMINDED,
    ReminderWanted,
    raise_reminder,
    raise_reminders,
)
from partnercontact.partner_side.scheduling.sessions import wants_sms_reminders
from partnercontact.partner_side.service import clinic_of
from partnercontact.remembered import remembering
from partnercontact.tasks.models import ScheduledTask
from partnercontact.tasks.queue import Later, each, handles, handles_batch

# A reminder refused only for now (the stop switch) is looked at again this often.
RECHECK = timedelta(minutes=15)


def _case(task: ScheduledTask) -> PartnerCase:
    partner_case = db.session.get(PartnerCase, task.partner_case_id)
    assert partner_case is not None  # a foreign key
    return partner_case


def _closed(partner_case: PartnerCase) -> bool:
    return partner_case.contact_ended_on is not None or partner_case.closed_on is not None


def _cases(tasks: Sequence[ScheduledTask]) -> dict[uuid.UUID, PartnerCase]:
    """The cases of ``tasks`` in one query, by id. While the caller holds the answer, the
    session finds them again without a query (its identity map holds only what is referred
    to)."""
    ids = {task.partner_case_id for task in tasks}
    return {
        partner_case.id: partner_case
        for partner_case in db.session.scalars(select(PartnerCase).where(PartnerCase.id.in_(ids)))
    }


def _reached_among(case_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Which of the cases have a contact attempt that reached her, in one query."""
    if not case_ids:
        return set()
    return set(
        db.session.scalars(
            select(ContactAttempt.partner_case_id)
            .where(
                ContactAttempt.partner_case_id.in_(case_ids), ContactAttempt.outcome == "reached"
            )
            .distinct()
        )
    )


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


@handles(kinds.RELAY_DEADLINE)
def relay_deadline(task: ScheduledTask, now: datetime) -> str:
    """The partner side has not acted on a relayed event (a risk signal, or "inform her if
    she wishes") by its time: the managers are told, once."""
    if task.subject_id is None or task.partner_case_id is None:
        return "not_needed"
    escalated = escalate_unanswered_relay_event(task.subject_id, task.partner_case_id)
    return "escalated" if escalated else "not_needed"


@handles(kinds.URGENT_TASK_DEADLINE)
def urgent_task_deadline(task: ScheduledTask, now: datetime) -> str:
    """An urgent task is not handled by its time: the managers are told, once."""
    if task.subject_id is None:
        return "not_needed"
    return "escalated" if escalate_unhandled_urgent_task(task.subject_id) else "not_needed"


@handles(kinds.FIRST_CONTACT_DUE)
def first_contact_due(task: ScheduledTask, now: datetime) -> str:
    partner_case = _case(task)
    if partner_case.answer != "pending" or _closed(partner_case):
        return "not_needed"
    if _reached_since(partner_case, None):
        return "not_needed"
    return raise_reminder(task, partner_case, now)


def _still_pending(partner_case: PartnerCase) -> bool:
    return partner_case.answer == "pending" and not _closed(partner_case)


@handles_batch(kinds.FIRST_CONTACT_DUE)
def first_contact_due_together(
    tasks: Sequence[ScheduledTask], now: datetime
) -> dict[uuid.UUID, str]:
    """:func:`first_contact_due` of many tasks: their cases and who was reached in two
    queries, every reminder in one insert."""
    cases = _cases(tasks)
    open_cases = [case.id for case in cases.values() if _still_pending(case)]
    reached = _reached_among(open_cases)
    results: dict[uuid.UUID, str] = {}
    wanted: list[ReminderWanted] = []
    for task in tasks:
        partner_case = cases[task.partner_case_id]  # type: ignore[index]  # a foreign key
        if not _still_pending(partner_case) or partner_case.id in reached:
            results[task.id] = "not_needed"
            continue
        wanted.append(ReminderWanted(task, partner_case))
        results[task.id] = REMINDED
    raise_reminders(wanted, now)
    return results


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


@handles_batch(kinds.FIRST_CONTACT_UNANSWERED)
def first_contact_unanswered_together(
    tasks: Sequence[ScheduledTask], now: datetime
) -> dict[uuid.UUID, str]:
    """:func:`first_contact_unanswered` of many tasks: their cases in one query, every
    reminder in one insert."""
    cases = _cases(tasks)
    results: dict[uuid.UUID, str] = {}
    wanted: list[ReminderWanted] = []
    for task in tasks:
        partner_case = cases[task.partner_case_id]  # type: ignore[index]  # a foreign key
        if partner_case.answer in ("accepted", "declined") or _closed(partner_case):
            results[task.id] = "not_needed"
            continue
        wanted.append(ReminderWanted(task, partner_case, managers_too=True))
        results[task.id] = REMINDED
    raise_reminders(wanted, now)
    return results


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


@handles_batch(kinds.SESSION_REMINDER_SMS)
def session_reminders_sms_together(
    tasks: Sequence[ScheduledTask], now: datetime
) -> dict[uuid.UUID, str | Later]:
    """:func:`session_reminder_sms` of many tasks, each through every rule as alone: the
    cases, sessions, clinics and data keys they read are loaded first in four queries and held
    while they run.

    Each reminder asks its questions (her plan, her consent, the stop switch...) inside its own
    :func:`~partnercontact.remembered.remembering`, as a page does: a question asked twice by
    the rules of one send is read once, until that send writes anything. Nothing is remembered
    from one reminder to the next, so every send reads her rules afresh."""
    cases = _cases(tasks)
    sessions = db.session.scalars(
        select(ContactSession).where(ContactSession.id.in_({task.subject_id for task in tasks}))
    ).all()
    clinics = db.session.scalars(
        select(Clinic).where(Clinic.id.in_({case.clinic_id for case in cases.values()}))
    ).all()
    load_data_keys(case.data_key_id for case in cases.values() if case.data_key_id is not None)
    # Held by this frame while the tasks run (the identity map keeps only what is referred
    # to), so each send finds its rows without a query.
    preloaded = (cases, sessions, clinics)
    results: dict[uuid.UUID, str | Later] = {}
    for task in tasks:
        with remembering():
            results.update(each([task], now))
    del preloaded
    return results


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

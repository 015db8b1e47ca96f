"""Contact sessions on a partner case: add, book, move, cancel and record them.

Only the treater holding the case does any of it (:func:`held_case_for`). Every input is
checked before anything changes; a bad input raises :class:`SessionInvalid` naming the form
field. Functions flush, never commit, and write their audit entry in the caller's transaction.

Booking a session (or moving it) schedules the text message that reminds her of it, when she
asked for reminders by text: ``reminder_days_before`` days before the session's day, at the
clinic's ``reminder_time``, or at the first moment after it inside her safe days and hours
(the moment the worker would send it); none at all when her plan leaves no safe moment before
the session. A move or a cancellation cancels the reminder not yet sent.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, func, select

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_instant, clinic_zone, local_date, reminder_moment
from partnercontact.db import db
from partnercontact.errors import Conflict, DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.rules import (
    Contact,
    ContactNotAllowed,
    check_contact,
    current_partner_consent,
    latest_plan,
    refused_on,
)
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.localtime import next_safe_moment
from partnercontact.partner_side.scheduling.models import FINAL_SESSION_STATES, ContactSession
from partnercontact.partner_side.scheduling.plan import SESSION_TASK_KINDS, new_session
from partnercontact.partner_side.service import audit, clinic_of, held_case_for, not_on_case
from partnercontact.runtime import current_runtime
from partnercontact.tasks.models import ScheduledTask
from partnercontact.tasks.queue import cancel_pending, schedule

SESSION_CHANNELS = {
    "meeting": _l("Meeting at the clinic"),
    "phone": _l("Phone"),
    "video": _l("Video"),
}
# What a booked session came to.
RECORDED_STATES = {
    "held": _l("Held"),
    "no_show": _l("She did not come"),
    "cancelled": _l("Cancelled"),
}
SESSION_STATES = {"to_book": _l("To book"), "booked": _l("Booked"), **RECORDED_STATES}
MINUTES_MIN, MINUTES_MAX = 15, 240
NOTE_MAX = 2000
_REMINDER_KINDS = (kinds.SESSION_REMINDER_SMS,)


class SessionInvalid(DomainError):
    """Input for a contact session is not acceptable; ``field`` names the form field."""


def _now() -> datetime:
    return current_runtime().clock.now()


def _session_of(partner_case: PartnerCase, session_id: uuid.UUID) -> ContactSession:
    session = db.session.get(ContactSession, session_id)
    if session is None or session.partner_case_id != partner_case.id:
        # The same answer as for a case that is not one's own: the page must not tell which.
        raise not_on_case()
    return session


def _contact_open(partner_case: PartnerCase) -> None:
    if (
        partner_case.answer != "accepted"
        or partner_case.contact_ended_on is not None
        or (partner_case.closed_on is not None and partner_case.own_treatment_since is None)
    ):
        raise Conflict(
            _l("Sessions are booked only while she has accepted contact and it is open."),
            field="session",
        )


def _not_final(session: ContactSession) -> None:
    if session.state in FINAL_SESSION_STATES:
        raise Conflict(_l("This session is already recorded."), field="session")


# Built once: the case page runs them on every view.
@functools.cache
def _sessions_of_case() -> Select[ContactSession]:
    return select(ContactSession).where(ContactSession.partner_case_id == bindparam("case_id"))


@functools.cache
def _pending_reminders() -> Select[uuid.UUID | None, datetime, datetime | None]:
    return (
        select(ScheduledTask.subject_id, func.min(ScheduledTask.due_at), ContactSession.starts_at)
        .join(ContactSession, ContactSession.id == ScheduledTask.subject_id)
        .where(
            ScheduledTask.partner_case_id == bindparam("case_id"),
            ScheduledTask.kind.in_(_REMINDER_KINDS),
            ScheduledTask.state == "pending",
        )
        .group_by(ScheduledTask.subject_id, ContactSession.starts_at)
    )


def sessions_of(actor: User, partner_case: PartnerCase) -> list[ContactSession]:
    """The case's sessions: booked ones by time, then those to book by target day."""
    rows = db.session.scalars(_sessions_of_case(), {"case_id": partner_case.id}).all()
    audit(AuditAction.CONTACT_SESSIONS_VIEWED, actor, partner_case)
    zone = clinic_zone(clinic_of(partner_case))
    return sorted(rows, key=lambda session: _when(session, zone))


def _when(session: ContactSession, zone: ZoneInfo) -> tuple[date, datetime, datetime]:
    """By the clinic's day (a booked session's, or the target day of one to book), then by
    time, then by when it was planned."""
    if session.starts_at is not None:
        return (session.starts_at.astimezone(zone).date(), session.starts_at, session.recorded_at)
    return (session.due_on or date.max, datetime.max.replace(tzinfo=UTC), session.recorded_at)


def session_for(actor: User, case_id: uuid.UUID, session_id: uuid.UUID) -> ContactSession:
    partner_case = held_case_for(actor, case_id, audited=False)
    session = _session_of(partner_case, session_id)
    audit(AuditAction.CONTACT_SESSIONS_VIEWED, actor, partner_case)
    return session


def add_session(actor: User, case_id: uuid.UUID, *, due_on: date | None) -> ContactSession:
    """A session beyond the plan, to book near ``due_on``."""
    partner_case = held_case_for(actor, case_id)
    _contact_open(partner_case)
    if due_on is None:
        raise SessionInvalid(_l("Enter the day it should be near."), field="due_on")
    now = _now()
    if due_on < local_date(now, clinic_of(partner_case)):
        raise SessionInvalid(_l("The day has passed."), field="due_on")
    session = new_session(partner_case, "extra", due_on, actor_id=actor.id, now=now)
    audit(AuditAction.CONTACT_SESSION_ADDED, actor, partner_case)
    return session


# How far ahead a session can be booked: far beyond any treatment, and far from the ends of
# the calendar, where a day cannot even be put on the clock of every time zone.
BOOKING_HORIZON = timedelta(days=3 * 366)


def check_bookable_day(day: date, today: date) -> None:
    """Refuse, on the ``day`` field, a day before ``today`` or beyond the booking horizon."""
    if day < today:
        raise SessionInvalid(_l("That time has passed."), field="day")
    if day > today + BOOKING_HORIZON:
        raise SessionInvalid(_l("Book a session at most three years ahead."), field="day")


def _starts_at(partner_case: PartnerCase, day: date | None, at: time | None) -> datetime:
    if day is None:
        raise SessionInvalid(_l("Enter the day."), field="day")
    if at is None:
        raise SessionInvalid(_l("Enter the time."), field="time")
    clinic = clinic_of(partner_case)
    check_bookable_day(day, local_date(_now(), clinic))
    starts_at = clinic_instant(clinic, day, at)
    if starts_at <= _now():
        today = day == local_date(_now(), clinic)
        raise SessionInvalid(_l("That time has passed."), field="time" if today else "day")
    return starts_at


def _checked_channel(
    actor: User, partner_case: PartnerCase, channel: str | None, starts_at: datetime
) -> str:
    if channel not in SESSION_CHANNELS:
        raise SessionInvalid(_l("Choose how you will meet."), field="channel")
    # A booking is a contact with her: it needs the safety steps and must fit her plan. A call
    # reaches her at its own moment, so her safe days and hours apply to it; a meeting's
    # moment is agreed with her.
    contact = Contact(
        kind="session",
        channel="phone" if channel == "phone" else None,
        at=starts_at if channel == "phone" else None,
    )
    try:
        check_contact(actor, partner_case, contact)
    except ContactNotAllowed as exc:
        raise refused_on("time" if exc.field == "at" else "channel", exc) from None
    return channel


def _checked_minutes(minutes: int | None) -> int:
    if minutes is None or not MINUTES_MIN <= minutes <= MINUTES_MAX:
        raise SessionInvalid(
            _l(
                "Enter a length between %(low)d and %(high)d minutes.",
                low=MINUTES_MIN,
                high=MINUTES_MAX,
            ),
            field="minutes",
        )
    return minutes


def wants_sms_reminders(partner_case: PartnerCase) -> bool:
    consent = current_partner_consent(partner_case)
    return bool(consent and consent.sms_reminders and consent.withdrawn_on is None)


def _reminder_key(session: ContactSession) -> str:
    assert session.starts_at is not None
    return f"{kinds.SESSION_REMINDER_SMS}:{session.id}:{session.starts_at:%Y%m%dT%H%MZ}"


def _schedule_reminder(partner_case: PartnerCase, session: ContactSession, now: datetime) -> None:
    if session.starts_at is None or not wants_sms_reminders(partner_case):
        return
    clinic = clinic_of(partner_case)
    day = local_date(session.starts_at, clinic) - timedelta(days=clinic.reminder_days_before)
    wanted = max(reminder_moment(clinic, day), now)
    # Due when the worker would send it (jobs.session_reminder_sms): the first moment inside
    # her safe days and hours. None before the session: no reminder at all.
    due = next_safe_moment(
        latest_plan(partner_case), clinic_zone(clinic), wanted, session.starts_at
    )
    if due is None:
        return
    task = schedule(
        kinds.SESSION_REMINDER_SMS,
        due,
        _reminder_key(session),
        clinic_id=partner_case.clinic_id,
        partner_case_id=partner_case.id,
        subject_id=session.id,
    )
    if task.state == "cancelled":
        # Moved away and back to the same time: the same reminder is wanted again.
        task.state, task.due_at, task.finished_at = "pending", due, None


def _change(session: ContactSession, state: str, actor: User, now: datetime) -> None:
    """Put ``session`` in ``state``; whatever it had scheduled and not yet run is cancelled
    (a booking schedules its reminder afresh)."""
    cancel_pending(session.id, SESSION_TASK_KINDS)
    session.state = state
    session.changed_by_id = actor.id
    session.changed_at = now
    db.session.flush()


def book_session(
    actor: User,
    case_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    day: date | None,
    at: time | None,
    minutes: int | None,
    channel: str | None,
) -> ContactSession:
    """Agree a time (or a new time) for a session. ``day`` and ``at`` are the clinic's."""
    partner_case = held_case_for(actor, case_id)
    session = _session_of(partner_case, session_id)
    _not_final(session)
    _contact_open(partner_case)
    starts_at = _starts_at(partner_case, day, at)
    channel = _checked_channel(actor, partner_case, channel, starts_at)
    minutes = _checked_minutes(minutes)
    now = _now()
    session.starts_at, session.minutes, session.channel = starts_at, minutes, channel
    _change(session, "booked", actor, now)
    _schedule_reminder(partner_case, session, now)
    audit(AuditAction.CONTACT_SESSION_BOOKED, actor, partner_case)
    return session


def cancel_session(actor: User, case_id: uuid.UUID, session_id: uuid.UUID) -> ContactSession:
    """Cancel a session not yet recorded, with the reminders not yet sent."""
    partner_case = held_case_for(actor, case_id)
    session = _session_of(partner_case, session_id)
    _not_final(session)
    _change(session, "cancelled", actor, _now())
    audit(AuditAction.CONTACT_SESSION_CANCELLED, actor, partner_case)
    return session


def record_session(
    actor: User,
    case_id: uuid.UUID,
    session_id: uuid.UUID,
    *,
    outcome: str | None,
    note: str | None,
) -> ContactSession:
    """Record what came of a booked session: held, she did not come, or cancelled."""
    partner_case = held_case_for(actor, case_id)
    session = _session_of(partner_case, session_id)
    _not_final(session)
    if outcome not in RECORDED_STATES:
        raise SessionInvalid(_l("Choose what came of the session."), field="outcome")
    now = _now()
    if outcome != "cancelled" and (session.starts_at is None or session.starts_at > now):
        raise SessionInvalid(
            _l("A session is recorded as held or missed only once its time has come."),
            field="outcome",
        )
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise SessionInvalid(
            _l("Keep the note under %(limit)d characters.", limit=NOTE_MAX), field="note"
        )
    session.note = text or None
    _change(session, outcome, actor, now)
    audit(AuditAction.CONTACT_SESSION_RECORDED, actor, partner_case)
    return session


def pending_reminder_times(partner_case: PartnerCase) -> dict[uuid.UUID, datetime | None]:
    """When the text reminding her of each session goes out, for the sessions that have one
    waiting (the case page shows it): the moment the worker would send it given her current
    safe-contact plan, the first safe moment at or after the task's due time (or now, once that
    has passed). ``None`` for a session whose reminder waits but whose plan leaves no safe
    moment before it: the worker will not send that one. Sessions with none waiting are absent.
    """
    rows = db.session.execute(_pending_reminders(), {"case_id": partner_case.id}).all()
    if not rows:
        return {}
    plan = latest_plan(partner_case)
    zone = clinic_zone(clinic_of(partner_case))
    now = _now()
    return {
        session_id: (
            None if starts_at is None else next_safe_moment(plan, zone, max(due_at, now), starts_at)
        )
        for session_id, due_at, starts_at in rows
        if session_id is not None
    }

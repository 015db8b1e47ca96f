"""The clinic's contact plan: which sessions and follow-ups a partner case gets, and when.

The plan is a clinic setting (the ``plan_*`` columns of :class:`Clinic`). What it schedules:

- at hand-over: a reminder that the first contact is due within ``plan_first_contact_days``;
- after an information letter: a reminder of the follow-up call ``plan_letter_follow_up_days``
  later;
- when she accepts contact: ``plan_session_count`` sessions, one every
  ``plan_session_interval_weeks`` weeks, each to be booked by her treater;
- when his treatment ends: a closing session, and a follow-up session
  ``plan_follow_up_months`` months later if the clinic offers one.

Everything here runs in the caller's transaction, as part of the work that triggers it.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from partnercontact.clinics.clock import local_date, reminder_moment
from partnercontact.db import db
from partnercontact.i18n import _l
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.service import clinic_of
from partnercontact.runtime import current_runtime
from partnercontact.tasks.queue import cancel_pending, schedule

PURPOSES = {
    "regular": _l("Contact session"),
    "closing": _l("Closing session"),
    "follow_up": _l("Follow-up session"),
    "extra": _l("Extra session"),
}
# A session to book is brought to her treater's attention this long before its target day.
BOOKING_NOTICE = timedelta(days=7)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _remind_on(
    kind: str,
    partner_case: PartnerCase,
    day: date,
    now: datetime,
    *,
    about: uuid.UUID | None = None,
) -> None:
    """Schedule ``kind`` for the clinic's reminder time on ``day`` (at once if that has
    passed), once per case, or per record ``about``."""
    clinic = clinic_of(partner_case)
    schedule(
        kind,
        max(reminder_moment(clinic, day), now),
        f"{kind}:{about or partner_case.id}",
        clinic_id=clinic.id,
        partner_case_id=partner_case.id,
        subject_id=about,
    )


def new_session(
    partner_case: PartnerCase,
    purpose: str,
    due_on: date | None,
    *,
    actor_id: int | None,
    now: datetime,
) -> ContactSession:
    """Add a session to book, with the reminder to book it."""
    session = ContactSession(
        id=uuid.uuid4(),
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        purpose=purpose,
        due_on=due_on,
        state="to_book",
        recorded_by_id=actor_id,
        recorded_at=now,
    )
    db.session.add(session)
    db.session.flush()
    if due_on is not None:
        _remind_on(
            kinds.SESSION_TO_BOOK, partner_case, due_on - BOOKING_NOTICE, now, about=session.id
        )
    return session


FOLLOW_UP = "follow_up"
# What a planned session has scheduled: its booking reminder and, once booked, her text reminder.
SESSION_TASK_KINDS = (kinds.SESSION_REMINDER_SMS, kinds.SESSION_TO_BOOK)
OPEN_SESSION_STATES = ("to_book", "booked")


def cancel_open_sessions(
    partner_case: PartnerCase, *, actor_id: int, now: datetime, keep: tuple[str, ...] = ()
) -> list[ContactSession]:
    """Cancel every session of the case not yet held (except those whose purpose is in
    ``keep``), with the reminders they had scheduled and not yet run. The sessions stay in the
    history as cancelled; the caller audits. Returns the sessions cancelled."""
    open_sessions = list(
        db.session.scalars(
            select(ContactSession)
            .where(
                ContactSession.partner_case_id == partner_case.id,
                ContactSession.state.in_(OPEN_SESSION_STATES),
                ContactSession.purpose.not_in(keep),
            )
            .order_by(ContactSession.recorded_at, ContactSession.id)
            .with_for_update()
        )
    )
    for session in open_sessions:
        cancel_pending(session.id, SESSION_TASK_KINDS)
        session.state = "cancelled"
        session.changed_by_id = actor_id
        session.changed_at = now
    db.session.flush()
    return open_sessions


def _has_sessions(partner_case: PartnerCase, purposes: tuple[str, ...]) -> bool:
    count = db.session.scalar(
        select(func.count())
        .select_from(ContactSession)
        .where(
            ContactSession.partner_case_id == partner_case.id,
            ContactSession.purpose.in_(purposes),
        )
    )
    return bool(count)


def on_handed_over(partner_case: PartnerCase, handed_over_on: date) -> None:
    """The first contact is due ``plan_first_contact_days`` after the hand-over."""
    days = max(0, clinic_of(partner_case).plan_first_contact_days)
    _remind_on(
        kinds.FIRST_CONTACT_DUE,
        partner_case,
        handed_over_on + timedelta(days=days),
        current_runtime().clock.now(),
    )


def on_accepted(partner_case: PartnerCase, accepted_on: date, *, actor_id: int | None) -> None:
    """She accepted contact: the plan's sessions, once (a re-opened offer keeps those it has)."""
    if _has_sessions(partner_case, ("regular",)):
        return
    clinic = clinic_of(partner_case)
    now = current_runtime().clock.now()
    interval = timedelta(weeks=max(1, clinic.plan_session_interval_weeks))
    for number in range(max(0, clinic.plan_session_count)):
        new_session(
            partner_case, "regular", accepted_on + interval * number, actor_id=actor_id, now=now
        )


def on_letter_sent(partner_case: PartnerCase, letter_id: uuid.UUID, sent_at: datetime) -> None:
    """The follow-up call after an information letter."""
    clinic = clinic_of(partner_case)
    day = local_date(sent_at, clinic) + timedelta(days=max(0, clinic.plan_letter_follow_up_days))
    _remind_on(kinds.LETTER_FOLLOW_UP, partner_case, day, sent_at, about=letter_id)


def on_risk_assessed(
    partner_case: PartnerCase, assessment_id: uuid.UUID, next_review_on: date | None
) -> None:
    """A reassessment is due on ``next_review_on``; a newer assessment makes it moot."""
    if next_review_on is None:
        return
    _remind_on(
        kinds.RISK_REVIEW_DUE,
        partner_case,
        next_review_on,
        current_runtime().clock.now(),
        about=assessment_id,
    )


def on_unanswered(partner_case: PartnerCase, first_attempt_id: uuid.UUID) -> None:
    """The first contact went unanswered as many times as the clinic requires: escalate now,
    once per series of attempts."""
    now = current_runtime().clock.now()
    schedule(
        kinds.FIRST_CONTACT_UNANSWERED,
        now,
        f"{kinds.FIRST_CONTACT_UNANSWERED}:{first_attempt_id}",
        clinic_id=partner_case.clinic_id,
        partner_case_id=partner_case.id,
    )


def on_closing(partner_case: PartnerCase, ended_on: date) -> bool:
    """His treatment ended: a closing session, and the follow-up if the clinic offers one.
    Only for a partner who accepted contact; the closing itself is the relay's work. Returns
    whether anything was planned."""
    if partner_case.answer != "accepted" or _has_sessions(partner_case, ("closing",)):
        return False
    clinic = clinic_of(partner_case)
    now = current_runtime().clock.now()
    if clinic.plan_closing_session:
        new_session(partner_case, "closing", ended_on, actor_id=None, now=now)
    if clinic.plan_follow_up_months > 0:
        new_session(
            partner_case,
            FOLLOW_UP,
            add_months(ended_on, clinic.plan_follow_up_months),
            actor_id=None,
            now=now,
        )
    return clinic.plan_closing_session or clinic.plan_follow_up_months > 0

"""Building blocks for the scheduling tests: a held case whose partner accepted contact."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from partnercontact.db import db
from partnercontact.partner_side.contact import (
    SafeContactPlanIn,
    record_answer,
    save_safe_contact_plan,
)
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.scheduling.sessions import book_session
from partnercontact.tasks.models import ScheduledTask
from tests.messaging.sending import Held, held_for_sms

SCOPES_WITH_REMINDERS = ["contact_phone", "contact_sms", "sms_reminders"]


def accepted(
    factory, clock, *, scopes: list[str] | None = None, on: date | None = None, **kwargs
) -> Held:
    """A case picked up by a partner treater, in a clinic with a phone number, whose partner
    accepted contact (by default with reminders by text) and agreed her plan: phone and text,
    every day from 07 to 21 (a test that needs other hours saves another plan)."""
    held = held_for_sms(factory, clock, **kwargs)
    save_safe_contact_plan(
        held.holder.user,
        held.case.id,
        SafeContactPlanIn(
            channels=["phone", "sms"],
            safe_days=[str(day) for day in range(1, 8)],
            safe_from=time(7),
            safe_until=time(21),
        ),
    )
    record_answer(
        held.holder.user,
        held.case.id,
        answer="accepted",
        answered_on=on or clock.now().date(),
        scopes=SCOPES_WITH_REMINDERS if scopes is None else scopes,
    )
    db.session.commit()
    return held


def sessions(held: Held) -> list[ContactSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(ContactSession)
            .where(ContactSession.partner_case_id == held.case.id)
            .order_by(ContactSession.due_on, ContactSession.recorded_at)
        )
    )


def book(held: Held, session: ContactSession, day: date, at: time, channel: str = "meeting"):
    booked = book_session(
        held.holder.user,
        held.case.id,
        session.id,
        day=day,
        at=at,
        minutes=60,
        channel=channel,
    )
    db.session.commit()
    return booked


def tasks_of(kind: str, **where: object) -> list[ScheduledTask]:
    db.session.expire_all()
    query = select(ScheduledTask).where(ScheduledTask.kind == kind)
    for name, value in where.items():
        query = query.where(getattr(ScheduledTask, name) == value)
    return list(db.session.scalars(query.order_by(ScheduledTask.due_at)))


def utc(*args: int) -> datetime:
    from datetime import UTC

    return datetime(*args, tzinfo=UTC)

"""Her withdrawal, her ending the contact and the closing of the contact cancel the sessions
still planned, with their reminders; they stay in the history as cancelled, and each is
audited."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.ending import end_episode
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side.contact import end_contact, withdraw_partner_consent
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.relay_inbox import record_closing
from partnercontact.partner_side.scheduling import kinds
from partnercontact.tasks.queue import dispatch_due
from tests.scheduling.building import accepted, book, sessions, tasks_of, utc


def _cancellations() -> int:
    db.session.expire_all()
    return len(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.CONTACT_SESSION_CANCELLED.value
            )
        ).all()
    )


def _booked_and_planned(factory, clock):
    clock.set(utc(2026, 3, 20, 9))
    held = accepted(factory, clock)
    planned = sessions(held)
    assert [s.state for s in planned] == ["to_book"] * 3
    book(held, planned[0], date(2026, 3, 31), time(10, 0))
    assert [t.state for t in tasks_of(kinds.SESSION_REMINDER_SMS)] == ["pending"]
    return held


@pytest.mark.parametrize("how", ["withdraws her consent", "ends the contact"])
def test_her_withdrawal_or_ending_cancels_every_planned_session_and_reminder(
    app, factory, clock, how: str
) -> None:
    held = _booked_and_planned(factory, clock)
    if how == "withdraws her consent":
        withdraw_partner_consent(held.holder.user, held.case.id, withdrawn_on=date(2026, 3, 20))
    else:
        end_contact(held.holder.user, held.case.id, ended_on=date(2026, 3, 20))
    db.session.commit()

    # Kept in the history, cancelled, each audited.
    assert [s.state for s in sessions(held)] == ["cancelled"] * 3
    assert _cancellations() == 3
    assert {t.state for t in tasks_of(kinds.SESSION_REMINDER_SMS)} == {"cancelled"}
    assert {t.state for t in tasks_of(kinds.SESSION_TO_BOOK)} == {"cancelled"}

    # The worker sends her nothing about them, then or later.
    clock.set(utc(2026, 3, 30, 7))
    dispatch_due()
    send_due_sms()
    db.session.expire_all()
    texts = db.session.scalars(
        select(SmsMessage).where(SmsMessage.partner_case_id == held.case.id)
    ).all()
    assert texts == []


def test_closing_the_contact_cancels_what_was_planned_but_the_follow_up(
    app, factory, clock
) -> None:
    clinic = factory.default_clinic
    clinic.plan_follow_up_months = 6
    db.session.commit()
    held = _booked_and_planned(factory, clock)
    episode = db.session.get(TreatmentEpisode, held.case.episode_id)
    clock.set(utc(2026, 3, 26, 9))
    end_episode(
        held.client_treater.user,
        episode.client_id,
        ended_on=date(2026, 3, 25),
        outcome="dropped_out",
    )
    db.session.commit()
    dispatch_due()  # the worker plans the closing and the follow-up session
    record_closing(held.holder.user, held.case.id, outcome="held", closed_on=date(2026, 3, 26))
    db.session.commit()

    states = {(s.purpose, s.state) for s in sessions(held)}
    assert states == {("regular", "cancelled"), ("closing", "cancelled"), ("follow_up", "to_book")}
    assert _cancellations() == 4

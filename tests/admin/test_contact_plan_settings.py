"""The clinic's contact plan and reminder settings: what an administrator saves is what the
plan and the reminders use; a value out of bounds, left empty or not a number is refused on
its field and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.clinics.errors import ClinicSettingsInvalid
from partnercontact.clinics.models import Clinic
from partnercontact.clinics.service import update_settings
from partnercontact.db import db
from partnercontact.partner_side.contact import record_answer
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.scheduling.sessions import book_session
from partnercontact.tasks.models import ScheduledTask
from tests.admin.test_accounts_and_settings import SETTINGS
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of
from tests.messaging.sending import held_for_sms

PLAN_FIELDS = (
    "plan_first_contact_days",
    "plan_letter_follow_up_days",
    "plan_session_count",
    "plan_session_interval_weeks",
    "plan_closing_session",
    "plan_follow_up_months",
    "reminder_days_before",
    "reminder_time",
)
PLAN = {
    "plan_first_contact_days": "3",
    "plan_letter_follow_up_days": "10",
    "plan_session_count": "2",
    "plan_session_interval_weeks": "2",
    "plan_closing_session": "y",
    "plan_follow_up_months": "6",
    "reminder_days_before": "2",
    "reminder_time": "08:15",
}


def _plan_of(clinic_id: int) -> tuple[object, ...]:
    db.session.expire_all()
    clinic = db.session.get(Clinic, clinic_id)
    return tuple(getattr(clinic, name) for name in PLAN_FIELDS)


def _settings_saved() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "clinic.settings_updated")
    )


def test_the_page_shows_the_plan_with_the_clinics_values(client, factory: Factory, clock) -> None:
    log_in(client, factory.admin(), clock)
    page = text_of(client.get("/admin/clinic"))
    for name in PLAN_FIELDS:
        assert f'name="{name}"' in page, name
    # The defaults: three sessions four weeks apart, reminders a day before at 09:00.
    assert 'id="plan_session_count" name="plan_session_count" type="number" value="3"' in page
    assert 'value="09:00"' in page
    assert 'id="contact-plan"' in page and 'id="reminders"' in page


def test_saved_values_are_what_the_plan_and_the_reminders_use(
    client, factory: Factory, clock
) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    response = submit(client, "/admin/clinic", {**SETTINGS, **PLAN})
    assert response.status_code == 302, text_of(response)
    assert _plan_of(admin.user.clinic_id) == (3, 10, 2, 2, True, 6, 2, time(8, 15))
    page = text_of(client.get("/admin/clinic"))
    assert 'value="08:15"' in page and 'value="6"' in page

    # A partner of that clinic accepts contact: two sessions, two weeks apart.
    held = held_for_sms(factory, clock)
    assert held.case.clinic_id == admin.user.clinic_id
    first_steps_taken(held.holder.user, held.case.id, clock)  # her plan: every day 08 to 20
    accepted_on = date(2026, 1, 15)
    record_answer(
        held.holder.user,
        held.case.id,
        answer="accepted",
        answered_on=accepted_on,
        scopes=["contact_phone", "sms_reminders"],
    )
    db.session.commit()
    planned = list(
        db.session.scalars(
            select(ContactSession)
            .where(ContactSession.partner_case_id == held.case.id)
            .order_by(ContactSession.due_on)
        )
    )
    assert [(s.purpose, s.due_on) for s in planned] == [
        ("regular", accepted_on),
        ("regular", accepted_on + timedelta(weeks=2)),
    ]

    # Booked for Friday 2026-01-30 at 13:00: her text reminder two days before, at 08:15
    # Stockholm time (07:15 UTC in winter).
    book_session(
        held.holder.user,
        held.case.id,
        planned[1].id,
        day=date(2026, 1, 30),
        at=time(13, 0),
        minutes=60,
        channel="meeting",
    )
    db.session.commit()
    reminder = db.session.scalar(
        select(ScheduledTask).where(
            ScheduledTask.subject_id == planned[1].id,
            ScheduledTask.kind == kinds.SESSION_REMINDER_SMS,
            ScheduledTask.state == "pending",
        )
    )
    assert reminder is not None
    assert reminder.due_at == datetime(2026, 1, 28, 7, 15, tzinfo=UTC)


def test_no_sessions_are_planned_when_the_count_is_zero(client, factory: Factory, clock) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    response = submit(client, "/admin/clinic", {**SETTINGS, **PLAN, "plan_session_count": "0"})
    assert response.status_code == 302
    held = held_for_sms(factory, clock)
    record_answer(
        held.holder.user,
        held.case.id,
        answer="accepted",
        answered_on=date(2026, 1, 15),
        scopes=["contact_phone"],
    )
    db.session.commit()
    count = db.session.scalar(
        select(func.count())
        .select_from(ContactSession)
        .where(ContactSession.partner_case_id == held.case.id)
    )
    assert count == 0


def test_the_closing_session_is_switched_off_by_leaving_it_unticked(
    client, factory: Factory, clock
) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    plan = {name: value for name, value in PLAN.items() if name != "plan_closing_session"}
    response = submit(client, "/admin/clinic", {**SETTINGS, **plan})
    assert response.status_code == 302
    assert _plan_of(admin.user.clinic_id)[PLAN_FIELDS.index("plan_closing_session")] is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("plan_first_contact_days", "-1"),
        ("plan_first_contact_days", "61"),
        ("plan_letter_follow_up_days", "61"),
        ("plan_session_count", "21"),
        ("plan_session_count", ""),
        ("plan_session_count", "två"),
        ("plan_session_interval_weeks", "0"),
        ("plan_session_interval_weeks", "27"),
        ("plan_follow_up_months", "25"),
        ("reminder_days_before", "15"),
        ("reminder_days_before", "1.5"),
        ("reminder_time", ""),
        ("reminder_time", "25:00"),
        ("reminder_time", "nio"),
        # At night: a text message then is more likely to be seen by someone other than her.
        ("reminder_time", "03:00"),
        ("reminder_time", "21:30"),
    ],
)
def test_a_bad_value_is_refused_on_its_field_and_changes_nothing(
    client, factory: Factory, clock, field: str, value: str
) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    before = _plan_of(admin.user.clinic_id)
    response = submit(client, "/admin/clinic", {**SETTINGS, **PLAN, field: value})
    assert response.status_code == 400
    page = text_of(response)
    assert f'id="{field}-error"' in page
    assert f'value="{value}"' in page or value == ""  # what was typed is kept
    assert _plan_of(admin.user.clinic_id) == before
    assert _settings_saved() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("plan_session_count", 50),
        ("plan_session_count", None),
        ("plan_session_count", "2"),
        ("plan_session_count", True),
        ("plan_session_interval_weeks", 0),
        ("plan_follow_up_months", -1),
        ("reminder_days_before", 30),
        ("plan_closing_session", "yes"),
        ("reminder_time", "09:00"),
        ("reminder_time", None),
        ("reminder_time", time(6, 59)),
    ],
)
def test_the_service_refuses_by_field_and_keeps_the_old_values(
    factory: Factory, field: str, value: object
) -> None:
    admin = factory.admin().user
    clinic = admin.clinic
    before = _plan_of(clinic.id)
    with pytest.raises(ClinicSettingsInvalid) as caught:
        update_settings(admin, clinic, {"plan_session_count": 4, field: value})
    assert caught.value.field == field
    db.session.rollback()
    assert _plan_of(clinic.id) == before


def test_the_reminder_time_is_kept_in_whole_minutes(factory: Factory) -> None:
    admin = factory.admin().user
    update_settings(admin, admin.clinic, {"reminder_time": time(7, 0, 30)})
    db.session.commit()
    assert _plan_of(admin.clinic_id)[-1] == time(7, 0)


def test_the_first_call_hours_and_the_duplicate_interval_are_saved(
    client, factory: Factory, clock
) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    page = text_of(client.get("/admin/clinic"))
    assert 'id="first-contact"' in page and 'name="duplicate_message_minutes"' in page
    values = {
        **SETTINGS,
        "first_contact_days": ["1", "2", "3", "4", "5", "6"],
        "first_contact_from": "08:00",
        "first_contact_until": "18:30",
        "duplicate_message_minutes": "120",
    }
    response = submit(client, "/admin/clinic", values)
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    assert (clinic.first_contact_days, clinic.first_contact_from, clinic.first_contact_until) == (
        "123456",
        time(8),
        time(18, 30),
    )
    assert clinic.duplicate_message_minutes == 120


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_contact_days": []}, "first_contact_days"),
        ({"first_contact_from": "03:00"}, "first_contact_from"),
        ({"first_contact_from": "16:00", "first_contact_until": "09:00"}, "first_contact_until"),
        ({"duplicate_message_minutes": "0"}, "duplicate_message_minutes"),
    ],
)
def test_bad_first_call_hours_name_their_field_and_change_nothing(
    client, factory: Factory, clock, changes: dict, field: str
) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    response = submit(client, "/admin/clinic", {**SETTINGS, **changes})
    assert response.status_code == 400
    assert f'id="{field}-error"' in text_of(response)
    db.session.expire_all()
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    assert (clinic.first_contact_days, clinic.first_contact_from) == ("12345", time(9))

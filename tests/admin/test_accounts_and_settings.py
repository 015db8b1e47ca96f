"""Administrators manage accounts and clinic settings; bad input names its field."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import User
from partnercontact.clinics.errors import ClinicSettingsInvalid
from partnercontact.clinics.models import Clinic
from partnercontact.clinics.service import update_settings
from partnercontact.db import db
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_an_admin_creates_an_account(client, factory: Factory, clock) -> None:
    log_in(client, factory.admin(), clock)
    response = submit(
        client,
        "/admin/users",
        {
            "username": "Nora.Vik",
            "display_name": "Nora Vik",
            "role": "partner_treater",
            "password": "a long initial secret",
        },
    )
    assert response.status_code == 302
    created = db.session.scalar(select(User).where(User.username == "nora.vik"))
    assert created is not None and created.role == "partner_treater"
    assert created.password_hash.startswith("$argon2")
    assert "Nora Vik" in text_of(client.get("/admin/users"))


def test_bad_account_input_names_the_field_and_writes_nothing(
    client, factory: Factory, clock
) -> None:
    log_in(client, factory.admin(), clock)
    before = _users()
    cases = [
        (
            {"username": "ok.name", "display_name": "X", "role": "boss", "password": "p" * 12},
            "role",
        ),
        (
            {
                "username": "no spaces!",
                "display_name": "X",
                "role": "manager",
                "password": "p" * 12,
            },
            "username",
        ),
        (
            {"username": "short.pw", "display_name": "X", "role": "manager", "password": "short"},
            "password",
        ),
        (
            {"username": "no.name", "display_name": "", "role": "manager", "password": "p" * 12},
            "display_name",
        ),
    ]
    for data, field in cases:
        response = submit(client, "/admin/users", data)
        assert response.status_code == 400, field
        assert f'id="{field}-error"' in text_of(response), field
        # What was typed is still there (except the password).
        if data["display_name"]:
            assert f'value="{data["display_name"]}"' in text_of(response)
    assert _users() == before


def test_a_taken_username_is_refused(client, factory: Factory, clock) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    response = submit(
        client,
        "/admin/users",
        {"username": admin.username, "display_name": "Y", "role": "manager", "password": "p" * 12},
    )
    assert response.status_code == 409
    assert 'id="username-error"' in text_of(response)


def test_an_admin_cannot_see_another_clinics_accounts(client, factory: Factory, clock) -> None:
    log_in(client, factory.admin(), clock)
    elsewhere = factory.client_treater(clinic=factory.clinic("Annan mottagning"))
    assert client.get(f"/admin/users/{elsewhere.user.id}").status_code == 404
    assert elsewhere.username not in text_of(client.get("/admin/users"))
    response = submit(
        client, "/admin/users", {}, action=f"/admin/users/{elsewhere.user.id}/disable"
    )
    assert response.status_code == 404
    db.session.refresh(elsewhere.user)
    assert elsewhere.user.is_active


def test_clinic_settings_are_saved(client, factory: Factory, clock) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    response = submit(
        client,
        "/admin/clinic",
        {
            "name": "Mottagningen Tallbo",
            "neutral_sender_name": "Tallbo samtal",
            "letterhead": "Box 1",
            "timezone": "Europe/Stockholm",
            "contact_attempts_required": "4",
            "contact_attempt_window_days": "10",
            "small_count_threshold": "5",
            "missed_sessions_to_relay": "1",
            "first_contact_days": ["1", "2", "3", "4", "5"],
        },
    )
    assert response.status_code == 302
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    db.session.refresh(clinic)
    assert (clinic.name, clinic.contact_attempts_required) == ("Mottagningen Tallbo", 4)


def test_a_revealing_sender_name_is_refused_and_nothing_changes(
    client, factory: Factory, clock
) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    name_before = clinic.name
    response = submit(
        client,
        "/admin/clinic",
        {
            "name": "Nytt namn",
            "neutral_sender_name": "Våldsmottagningen",
            "timezone": "Europe/Stockholm",
            "contact_attempts_required": "3",
            "contact_attempt_window_days": "7",
            "small_count_threshold": "5",
            "missed_sessions_to_relay": "1",
            "first_contact_days": ["1", "2", "3", "4", "5"],
        },
    )
    assert response.status_code == 400
    assert 'id="neutral_sender_name-error"' in text_of(response)
    assert 'value="Nytt namn"' in text_of(response)
    db.session.expire_all()
    assert db.session.get(Clinic, admin.user.clinic_id).name == name_before


def test_an_out_of_range_setting_names_its_field(client, factory: Factory, clock) -> None:
    log_in(client, factory.admin(), clock)
    response = submit(
        client,
        "/admin/clinic",
        {
            "name": "X",
            "neutral_sender_name": "Tallbo samtal",
            "timezone": "Europe/Stockholm",
            "contact_attempts_required": "0",
            "contact_attempt_window_days": "7",
            "small_count_threshold": "5",
            "missed_sessions_to_relay": "1",
            "first_contact_days": ["1", "2", "3", "4", "5"],
        },
    )
    assert response.status_code == 400
    assert 'id="contact_attempts_required-error"' in text_of(response)


SETTINGS = {
    "name": "Mottagningen Tallbo",
    "neutral_sender_name": "Tallbo samtal",
    "timezone": "Europe/Stockholm",
    "contact_attempts_required": "3",
    "contact_attempt_window_days": "7",
    "small_count_threshold": "5",
    "missed_sessions_to_relay": "1",
    "first_contact_days": ["1", "2", "3", "4", "5"],
}


def test_urgent_tasks_to_the_manager_is_switched_on_and_off(
    client, factory: Factory, clock
) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    assert clinic.urgent_tasks_to_manager is False  # off by default
    assert 'id="urgent_tasks_to_manager"' in text_of(client.get("/admin/clinic"))

    response = submit(client, "/admin/clinic", {**SETTINGS, "urgent_tasks_to_manager": "y"})
    assert response.status_code == 302
    db.session.refresh(clinic)
    assert clinic.urgent_tasks_to_manager is True
    page = text_of(client.get("/admin/clinic"))
    assert re.search(r'<input[^>]*checked[^>]*id="urgent_tasks_to_manager"', page) or re.search(
        r'<input[^>]*id="urgent_tasks_to_manager"[^>]*checked', page
    )
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "clinic.settings_updated")
    ).all()
    assert len(events) == 1

    response = submit(client, "/admin/clinic", SETTINGS)  # an unticked box is not sent
    assert response.status_code == 302
    db.session.refresh(clinic)
    assert clinic.urgent_tasks_to_manager is False


def test_a_bad_input_keeps_the_urgent_tasks_setting_unchanged(
    client, factory: Factory, clock
) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    response = submit(
        client,
        "/admin/clinic",
        {**SETTINGS, "urgent_tasks_to_manager": "y", "small_count_threshold": "0"},
    )
    assert response.status_code == 400
    assert 'id="small_count_threshold-error"' in text_of(response)
    db.session.expire_all()
    assert db.session.get(Clinic, admin.user.clinic_id).urgent_tasks_to_manager is False


def test_the_settings_service_accepts_only_on_or_off(factory: Factory) -> None:
    admin = factory.admin().user
    clinic = admin.clinic
    with pytest.raises(ClinicSettingsInvalid) as caught:
        update_settings(admin, clinic, {"urgent_tasks_to_manager": "yes"})
    assert caught.value.field == "urgent_tasks_to_manager"
    assert clinic.urgent_tasks_to_manager is False  # put back: all or nothing
    update_settings(admin, clinic, {"urgent_tasks_to_manager": True})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Clinic, clinic.id).urgent_tasks_to_manager is True


def test_the_run_of_missed_sessions_to_relay_is_set_and_checked(
    client, factory: Factory, clock
) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    assert clinic.missed_sessions_to_relay == 1  # every missed session, by default
    response = submit(client, "/admin/clinic", {**SETTINGS, "missed_sessions_to_relay": "3"})
    assert response.status_code == 302
    db.session.refresh(clinic)
    assert clinic.missed_sessions_to_relay == 3
    response = submit(client, "/admin/clinic", {**SETTINGS, "missed_sessions_to_relay": "0"})
    assert response.status_code == 400
    assert 'id="missed_sessions_to_relay-error"' in text_of(response)
    db.session.expire_all()
    assert db.session.get(Clinic, admin.user.clinic_id).missed_sessions_to_relay == 3


def test_the_hours_to_act_are_set_and_checked(client, factory: Factory, clock) -> None:
    admin = factory.admin()
    log_in(client, admin, clock)
    clinic = db.session.get(Clinic, admin.user.clinic_id)
    assert (clinic.risk_signal_urgent_hours, clinic.risk_signal_soon_hours) == (4, 72)
    assert (clinic.relay_task_hours, clinic.urgent_task_hours) == (72, 24)
    assert 'id="risk_signal_urgent_hours"' in text_of(client.get("/admin/clinic"))
    hours = {
        "risk_signal_urgent_hours": "2",
        "risk_signal_soon_hours": "48",
        "relay_task_hours": "96",
        "urgent_task_hours": "12",
    }
    assert submit(client, "/admin/clinic", {**SETTINGS, **hours}).status_code == 302
    db.session.refresh(clinic)
    assert (clinic.risk_signal_urgent_hours, clinic.risk_signal_soon_hours) == (2, 48)
    assert (clinic.relay_task_hours, clinic.urgent_task_hours) == (96, 12)
    too_long = {**hours, "risk_signal_urgent_hours": "73"}
    response = submit(client, "/admin/clinic", {**SETTINGS, **too_long})
    assert response.status_code == 400
    assert 'id="risk_signal_urgent_hours-error"' in text_of(response)
    db.session.expire_all()
    assert db.session.get(Clinic, admin.user.clinic_id).risk_signal_urgent_hours == 2

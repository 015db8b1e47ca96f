"""Clinic settings. Administrators edit them; every change is audited."""

from __future__ import annotations

import re
from datetime import time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.clinics.errors import ClinicSettingsInvalid
from partnercontact.clinics.models import Clinic
from partnercontact.db import db
from partnercontact.i18n import _l
from partnercontact.identifiers import normalise_phone
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User

# Words that must never reach an envelope or an SMS sender line (docs/domain.md, "Neutral
# sender"): the sender name is read by whoever picks up her post or phone.
REVEALING_WORDS = (
    "våld",
    "behandling",
    "kris",
    "violence",
    "treatment",
    "abuse",
    "misshandel",
    "partnerkontakt",
)

SETTING_LIMITS: dict[str, tuple[int, int]] = {
    "contact_attempts_required": (1, 20),
    "contact_attempt_window_days": (1, 60),
    "small_count_threshold": (1, 50),
    "missed_sessions_to_relay": (1, 10),
    # Hours a risk signal may wait for the partner side before the managers are told.
    "risk_signal_urgent_hours": (1, 72),
    "risk_signal_soon_hours": (1, 336),
    # Hours a relay task and an urgent task may wait before the managers are told.
    "relay_task_hours": (1, 336),
    "urgent_task_hours": (1, 168),
    "treater_absent_days": (3, 365),
    # The contact plan (scheduling.plan) and the reminders of a session.
    "plan_first_contact_days": (0, 60),
    "plan_letter_follow_up_days": (0, 60),
    "plan_session_count": (0, 20),
    "plan_session_interval_weeks": (1, 26),
    "plan_follow_up_months": (0, 24),
    "reminder_days_before": (0, 14),
    # A second identical letter or text to her within this many minutes asks to be confirmed.
    "duplicate_message_minutes": (1, 10080),
    # The text of a message in her own channel is kept this many days, then emptied.
    "portal_message_days": (1, 365),
}

# On/off switches: stored as booleans, so anything else is refused before it reaches the column.
BOOLEAN_SETTINGS = ("verbal_consent_allowed", "urgent_tasks_to_manager", "plan_closing_session")

# Reminders (to staff, and by text to her when she asked for them) go out at the clinic's
# reminder time. A text message at night is more likely to be seen by someone else than by
# her, and her safe hours are not always known: the time must be in the day. The bounds also
# keep it clear of the night hour a change to or from summer time skips or repeats.
REMINDER_TIME_EARLIEST = time(7, 0)
REMINDER_TIME_LATEST = time(21, 0)


# What goes on letters: the return address under the neutral sender name, the number she may
# call, who signs. Empty until an administrator fills them in; no letter goes out before.
POSTAL_ADDRESS_MAX = 300
POSTAL_ADDRESS_LINES = 5
LETTER_SIGNATORY_MAX = 200
LETTER_SETTINGS = ("postal_address", "phone", "letter_signatory")

DEFAULT_SETTINGS: dict[str, Any] = {
    "letterhead": "",
    "postal_address": "",
    "phone": "",
    "letter_signatory": "",
    "timezone": "Europe/Stockholm",
    "verbal_consent_allowed": False,
    "contact_attempts_required": 3,
    "contact_attempt_window_days": 7,
    "small_count_threshold": 5,
    "urgent_tasks_to_manager": False,
    "missed_sessions_to_relay": 1,
    "risk_signal_urgent_hours": 4,
    "risk_signal_soon_hours": 72,
    "relay_task_hours": 72,
    "urgent_task_hours": 24,
    "treater_absent_days": 21,
    "plan_first_contact_days": 5,
    "plan_letter_follow_up_days": 7,
    "plan_session_count": 3,
    "plan_session_interval_weeks": 4,
    "plan_closing_session": True,
    "plan_follow_up_months": 0,
    "reminder_days_before": 1,
    "reminder_time": time(9, 0),
    "first_contact_days": "12345",
    "first_contact_from": time(9, 0),
    "first_contact_until": time(17, 0),
    "duplicate_message_minutes": 60,
    "portal_message_days": 30,
}
FIRST_CONTACT_SETTINGS = ("first_contact_days", "first_contact_from", "first_contact_until")


def create_clinic(name: str, neutral_sender_name: str, **settings: Any) -> Clinic:
    clinic = Clinic(
        name=name,
        neutral_sender_name=neutral_sender_name,
        created_at=current_runtime().clock.now(),
        **{**DEFAULT_SETTINGS, **settings},
    )
    _validate(clinic)
    db.session.add(clinic)
    db.session.flush()
    return clinic


def reveals_what_it_does(text: str) -> bool:
    """Whether ``text`` (for an envelope or an SMS sender line) names what the clinic does."""
    lowered = text.lower()
    return any(word in lowered for word in REVEALING_WORDS)


def names_the_clinic(text: str, clinic_name: str) -> bool:
    """Whether ``text`` holds the clinic's real name (as a whole, not inside another word:
    "Box 12" does not name a clinic called "X")."""
    name = clinic_name.strip()
    return bool(name) and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I) is not None


def reveals_the_clinic(text: str, clinic_name: str) -> bool:
    """Whether ``text`` must stay off an envelope: it names what the clinic does, or the clinic
    itself by its real name."""
    return reveals_what_it_does(text) or names_the_clinic(text, clinic_name)


def _validate(clinic: Clinic) -> None:
    if not (clinic.name or "").strip():
        raise ClinicSettingsInvalid(_l("Enter the clinic's name."), field="name")
    sender = (clinic.neutral_sender_name or "").strip()
    if not sender:
        raise ClinicSettingsInvalid(_l("Enter a neutral sender name."), field="neutral_sender_name")
    if reveals_what_it_does(sender):
        raise ClinicSettingsInvalid(
            _l(
                "The sender name must not reveal what the clinic does "
                "(for example violence or treatment)."
            ),
            field="neutral_sender_name",
        )
    if names_the_clinic(sender, clinic.name):
        raise ClinicSettingsInvalid(
            _l("The sender name must not contain the clinic's name."),
            field="neutral_sender_name",
        )
    _validate_letter_settings(clinic)
    try:
        ZoneInfo(clinic.timezone or "")
    except (ZoneInfoNotFoundError, ValueError):
        raise ClinicSettingsInvalid(_l("Unknown time zone."), field="timezone") from None
    for field in BOOLEAN_SETTINGS:
        if not isinstance(getattr(clinic, field), bool):
            raise ClinicSettingsInvalid(_l("Choose on or off."), field=field)
    for field, (low, high) in SETTING_LIMITS.items():
        value = getattr(clinic, field)
        # A number left empty would reach a NOT NULL column: refused here, by name.
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            raise ClinicSettingsInvalid(
                _l("Enter a whole number between %(low)d and %(high)d.", low=low, high=high),
                field=field,
            )
        if not low <= value <= high:
            raise ClinicSettingsInvalid(
                _l("The value must be between %(low)d and %(high)d.", low=low, high=high),
                field=field,
            )
    _validate_reminder_time(clinic)
    _validate_first_contact_hours(clinic)


def _validate_first_contact_hours(clinic: Clinic) -> None:
    """The days and hours a first call to her may be made before her plan is agreed: some day
    of the week, and a span of whole minutes within the day's bounds."""
    days = clinic.first_contact_days
    if isinstance(days, list | tuple):
        days = "".join(str(day) for day in days)
    if not isinstance(days, str) or not days or any(day not in "1234567" for day in days):
        raise ClinicSettingsInvalid(
            _l("Choose at least one day for first calls."), field="first_contact_days"
        )
    clinic.first_contact_days = "".join(sorted(set(days)))
    for field in ("first_contact_from", "first_contact_until"):
        _validate_day_time(
            clinic,
            field,
            _l(
                "Choose a time between %(earliest)s and %(latest)s: a call at night is "
                "more likely to be answered by someone other than her.",
                earliest=REMINDER_TIME_EARLIEST.strftime("%H:%M"),
                latest=REMINDER_TIME_LATEST.strftime("%H:%M"),
            ),
        )
    if clinic.first_contact_from >= clinic.first_contact_until:
        raise ClinicSettingsInvalid(
            _l("The first-call hours must end after they begin."), field="first_contact_until"
        )


def _validate_reminder_time(clinic: Clinic) -> None:
    """The clinic's reminder time: a clock time (whole minutes) within the day's bounds."""
    _validate_day_time(
        clinic,
        "reminder_time",
        _l(
            "Choose a time between %(earliest)s and %(latest)s: a text message at night is "
            "more likely to be seen by someone other than her.",
            earliest=REMINDER_TIME_EARLIEST.strftime("%H:%M"),
            latest=REMINDER_TIME_LATEST.strftime("%H:%M"),
        ),
    )


def _validate_day_time(clinic: Clinic, field: str, outside_the_day: Any) -> None:
    """A clock time of the clinic's day: whole minutes within the day's bounds, else refused
    with ``outside_the_day``."""
    value = getattr(clinic, field)
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ClinicSettingsInvalid(
            _l("Enter the time as hours and minutes, for example 09:00."), field=field
        )
    if not REMINDER_TIME_EARLIEST <= value <= REMINDER_TIME_LATEST:
        raise ClinicSettingsInvalid(outside_the_day, field=field)
    # Stored in whole minutes: a reminder is "at 09:00", not at a second past.
    setattr(clinic, field, value.replace(second=0, microsecond=0))


def _validate_letter_settings(clinic: Clinic) -> None:
    """The return address, phone and signatory of letters; each may be left empty here (a
    letter refuses to go out without an address and a phone), and is stored stripped."""
    address = "\n".join(
        line.strip() for line in (clinic.postal_address or "").strip().splitlines() if line.strip()
    )
    if len(address) > POSTAL_ADDRESS_MAX or len(address.splitlines()) > POSTAL_ADDRESS_LINES:
        raise ClinicSettingsInvalid(
            _l("The postal address is too long (at most 5 lines and 300 characters)."),
            field="postal_address",
        )
    # The return address is printed under the neutral sender name, where whoever picks up her
    # post reads it: the same words are refused as in the sender name.
    if reveals_the_clinic(address, clinic.name or ""):
        raise ClinicSettingsInvalid(
            _l(
                "The postal address is printed on envelopes: it must not contain the clinic's "
                "name or reveal what the clinic does (for example violence or treatment)."
            ),
            field="postal_address",
        )
    phone = (clinic.phone or "").strip()
    if len(phone) > 32:
        raise ClinicSettingsInvalid(
            _l("The phone number is too long (at most 32 characters)."), field="phone"
        )
    if phone:
        try:
            normalise_phone(phone)
        except ValueError:
            raise ClinicSettingsInvalid(
                _l("Write the phone number as 08-123 456 78, or starting with +."),
                field="phone",
            ) from None
    signatory = (clinic.letter_signatory or "").strip()
    if len(signatory) > LETTER_SIGNATORY_MAX:
        raise ClinicSettingsInvalid(
            _l("Who signs letters is too long (at most 200 characters)."),
            field="letter_signatory",
        )
    # Stored tidied, the phone number as typed: letters print it the way the clinic writes it.
    clinic.postal_address = address
    clinic.phone = phone
    clinic.letter_signatory = signatory


def update_settings(actor: User, clinic: Clinic, values: dict[str, Any]) -> Clinic:
    """Apply ``values`` to the actor's own clinic, all or nothing."""
    if actor.clinic_id != clinic.id:
        raise ClinicSettingsInvalid(_l("You can only change your own clinic."), field="clinic")
    allowed = {
        "name",
        "neutral_sender_name",
        "letterhead",
        "timezone",
        "reminder_time",
        *FIRST_CONTACT_SETTINGS,
        *LETTER_SETTINGS,
        *BOOLEAN_SETTINGS,
        *SETTING_LIMITS,
    }
    unknown = set(values) - allowed
    if unknown:
        raise ClinicSettingsInvalid(_l("Unknown setting."), field=sorted(unknown)[0])
    previous = {field: getattr(clinic, field) for field in values}
    for field, value in values.items():
        setattr(clinic, field, value)
    try:
        _validate(clinic)
    except ClinicSettingsInvalid:
        for field, value in previous.items():
            setattr(clinic, field, value)
        raise
    db.session.flush()
    record_event(
        AuditAction.CLINIC_SETTINGS_UPDATED,
        actor_id=actor.id,
        clinic_id=clinic.id,
        resource_type="clinic",
        resource_id=str(clinic.id),
    )
    return clinic


def clinic_by_name(name: str) -> Clinic | None:
    return db.session.scalar(select(Clinic).where(Clinic.name == name))

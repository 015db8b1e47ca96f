"""Clinic settings. Administrators edit them; every change is audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.clinics.errors import ClinicSettingsInvalid
from partnercontact.clinics.models import Clinic
from partnercontact.db import db
from partnercontact.i18n import _l
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User

# Words that must never reach an envelope or an SMS sender line (DOMAIN.md, "Messages to a
# partner are dangerous"): the sender name is read by whoever picks up her post or phone.
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
}

# On/off switches: stored as booleans, so anything else is refused before it reaches the column.
BOOLEAN_SETTINGS = ("verbal_consent_allowed", "urgent_tasks_to_manager")


DEFAULT_SETTINGS: dict[str, Any] = {
    "letterhead": "",
    "timezone": "Europe/Stockholm",
    "verbal_consent_allowed": False,
    "contact_attempts_required": 3,
    "contact_attempt_window_days": 7,
    "small_count_threshold": 5,
    "urgent_tasks_to_manager": False,
    "missed_sessions_to_relay": 1,
}


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


def _validate(clinic: Clinic) -> None:
    if not (clinic.name or "").strip():
        raise ClinicSettingsInvalid(_l("Enter the clinic's name."), field="name")
    sender = (clinic.neutral_sender_name or "").strip()
    if not sender:
        raise ClinicSettingsInvalid(_l("Enter a neutral sender name."), field="neutral_sender_name")
    lowered = sender.lower()
    if any(word in lowered for word in REVEALING_WORDS):
        raise ClinicSettingsInvalid(
            _l(
                "The sender name must not reveal what the clinic does "
                "(for example violence or treatment)."
            ),
            field="neutral_sender_name",
        )
    try:
        ZoneInfo(clinic.timezone or "")
    except (ZoneInfoNotFoundError, ValueError):
        raise ClinicSettingsInvalid(_l("Unknown time zone."), field="timezone") from None
    for field in BOOLEAN_SETTINGS:
        if not isinstance(getattr(clinic, field), bool):
            raise ClinicSettingsInvalid(_l("Choose on or off."), field=field)
    for field, (low, high) in SETTING_LIMITS.items():
        value = getattr(clinic, field)
        if value is not None and not low <= value <= high:
            raise ClinicSettingsInvalid(
                _l("The value must be between %(low)d and %(high)d.", low=low, high=high),
                field=field,
            )


def update_settings(actor: User, clinic: Clinic, values: dict[str, Any]) -> Clinic:
    """Apply ``values`` to the actor's own clinic, all or nothing."""
    if actor.clinic_id != clinic.id:
        raise ClinicSettingsInvalid(_l("You can only change your own clinic."), field="clinic")
    allowed = {
        "name",
        "neutral_sender_name",
        "letterhead",
        "timezone",
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

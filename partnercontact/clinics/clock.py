"""The clinic's clock: its zone, its today, and the wall-clock instants of its days.

Moments are stored in UTC and shown and scheduled in the clinic's zone. A reminder "at 09:00"
means 09:00 on the clinic's clocks that day, whatever the offset is that day: the instant is
computed for that very date, never by adding 24-hour days to an instant (which drifts an hour
across a daylight-saving change). Today is the injected clock's, so a date typed just after
midnight in Sweden is not "in the future" because UTC is still on the day before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from partnercontact.clinics.models import Clinic
from partnercontact.runtime import current_runtime

DEFAULT_ZONE = "Europe/Stockholm"
DEFAULT_REMINDER_TIME = time(9, 0)


def clinic_zone(clinic: Clinic) -> ZoneInfo:
    """The clinic's time zone; Stockholm if the setting is somehow unknown (the settings page
    refuses unknown zones)."""
    try:
        return ZoneInfo(clinic.timezone or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def wall_clock(moment: datetime, clinic: Clinic) -> str:
    """``moment`` as the clinic's clocks show it, to the minute ("2026-03-02 00:30"): how a
    stored moment is written on a page or in an export, never as UTC."""
    return moment.astimezone(clinic_zone(clinic)).strftime("%Y-%m-%d %H:%M")


def now() -> datetime:
    return current_runtime().clock.now()


def local_date(moment: datetime, clinic: Clinic) -> date:
    """The date of ``moment`` on the clinic's clocks."""
    return moment.astimezone(clinic_zone(clinic)).date()


def clinic_today(clinic: Clinic) -> date:
    return local_date(now(), clinic)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the clocks in ``zone`` show ``at`` on ``day``.

    In the spring gap (a time the clocks skip) the instant falls after the gap, as the clocks
    would show it: 02:30 on the last Sunday of March in Stockholm is 03:30 summer time. In the
    autumn hour that repeats, the first of the two counts.
    """
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def clinic_instant(clinic: Clinic, day: date, at: time) -> datetime:
    return local_instant(day, at, clinic_zone(clinic))


def reminder_moment(clinic: Clinic, day: date) -> datetime:
    """The clinic's reminder time (``reminder_time``, 09:00 by default) on ``day``."""
    return clinic_instant(clinic, day, clinic.reminder_time or DEFAULT_REMINDER_TIME)

"""The clinic's wall clock: stored in UTC, shown and scheduled in the clinic's zone.

A reminder "at 09:00" means 09:00 on the clinic's clocks that day, whatever the offset is
that day: the instant is computed for that very date, never by adding 24-hour days to an
instant (which drifts an hour across a daylight-saving change).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from partnercontact.clinics.models import Clinic
from partnercontact.partner_side.contact import clinic_zone
from partnercontact.partner_side.models import SafeContactPlan


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the clocks in ``zone`` show ``at`` on ``day``.

    In the spring gap (a time the clocks skip) the instant falls after the gap, as the clocks
    would show it: 02:30 on the last Sunday of March in Stockholm is 03:30 summer time. In the
    autumn hour that repeats, the first of the two counts.
    """
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def clinic_instant(clinic: Clinic, day: date, at: time) -> datetime:
    return local_instant(day, at, clinic_zone(clinic))


def local_date(moment: datetime, clinic: Clinic) -> date:
    return moment.astimezone(clinic_zone(clinic)).date()


def reminder_moment(clinic: Clinic, day: date) -> datetime:
    """The clinic's reminder time (``reminder_time``, 09:00 by default) on ``day``."""
    return clinic_instant(clinic, day, clinic.reminder_time or time(9, 0))


def next_safe_moment(
    plan: SafeContactPlan | None, zone: ZoneInfo, after: datetime, before: datetime
) -> datetime | None:
    """The first moment at or after ``after`` inside her safe days and hours, if there is one
    before ``before``; ``after`` itself when she has no plan or the plan sets no hours.

    Her days and hours are read on the clinic's clocks, as the contact rules read them.
    """
    if plan is None:
        return after if after < before else None
    local = after.astimezone(zone)
    for offset in range(0, 15):
        day = local.date() + timedelta(days=offset)
        if str(day.isoweekday()) not in plan.safe_days:
            continue
        if plan.safe_from is None or plan.safe_until is None:
            start = local_instant(day, time(0, 0), zone)
            end = local_instant(day + timedelta(days=1), time(0, 0), zone)
        else:
            start = local_instant(day, plan.safe_from, zone)
            end = local_instant(day, plan.safe_until, zone)
        candidate = max(start, after)
        if candidate < end:
            return candidate if candidate < before else None
        if start >= before:
            return None
    return None

"""Her safe moments, read on the clinic's clocks (:mod:`partnercontact.clinics.clock`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from partnercontact.clinics.clock import local_instant
from partnercontact.partner_side.models import SafeContactPlan


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

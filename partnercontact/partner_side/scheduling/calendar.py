"""One's own calendar: booked sessions, sessions to book and due reminders, by day.

Days and times are the clinic's: a week runs from Monday 00:00 to Sunday 24:00 on the clinic's
clocks, whatever the offset is on each of those days, so a week that contains the change to or
from summer time is 167 or 169 hours long and every session still falls on the day its own
clocks show.

What is loaded is the actor's alone: sessions of the cases the actor holds
(:func:`partnercontact.partner_side.service.held_cases`, the wall's own scope, is the query's base,
so another treater's case is never read) and the reminders addressed to the actor. Of a session
only its time, length, channel, purpose and case are read, never its sealed note.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_

from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_today, clinic_zone, local_instant
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.scheduling.reminders import open_reminders
from partnercontact.partner_side.service import held_cases, reference_of

# What an entry is.
SESSION = "session"  # a session with an agreed time
TO_BOOK = "to_book"  # a session of the plan whose target day this is, no time agreed yet
REMINDER = "reminder"  # a reminder to the actor, not yet marked done

# A session whose time was agreed: booked, or recorded since (a cancelled one is not shown).
TIMED_STATES = ("booked", "held", "no_show")
# The list view: this many weeks from today, after whatever is overdue.
LIST_WEEKS = 8
# How far the week view's previous and next links reach from the current week. Sessions
# further away are on their case's page; the bound also keeps a crawler from walking forever.
WEEKS_BACK = 26
WEEKS_AHEAD = 52


class WeekInvalid(DomainError):
    """A week that is not written as ISO ``YYYY-Www``."""


@dataclass(frozen=True)
class CalendarEntry:
    kind: str
    # The session's or the reminder's id.
    id: uuid.UUID
    # The day on the clinic's clocks: the session's, the target day, the reminder's due day.
    day: date
    # The moment on the clinic's clocks (an aware datetime in the clinic's zone): when the
    # session starts or the reminder fell due; None for a session to book.
    at: datetime | None
    case_id: uuid.UUID | None
    reference: str | None
    # Whether the actor holds the case, so may open it from here.
    holds_case: bool
    purpose: str | None = None
    state: str | None = None
    minutes: int | None = None
    channel: str | None = None
    # A reminder's kind (scheduling.kinds.REMINDERS).
    reminder_kind: str | None = None

    @property
    def ends_at(self) -> datetime | None:
        if self.at is None or self.minutes is None:
            return None
        return self.at + timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class CalendarDay:
    day: date
    entries: list[CalendarEntry]
    is_today: bool


@dataclass(frozen=True)
class Week:
    monday: date
    days: list[CalendarDay]
    # The ISO names ("2026-W14") of the weeks before and after, when the view reaches them.
    previous: str | None
    next: str | None
    current: str
    is_current: bool

    @property
    def name(self) -> str:
        return week_name(self.monday)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


@dataclass(frozen=True)
class Upcoming:
    today: date
    last: date
    # Booked sessions whose time has passed without an outcome, sessions to book whose
    # target day has passed, reminders that are due: oldest first.
    overdue: list[CalendarEntry]
    days: list[CalendarDay]


def _zone(actor: User) -> ZoneInfo:
    return clinic_zone(actor.clinic)


def today_for(actor: User) -> date:
    return clinic_today(actor.clinic)


def week_name(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(text: str) -> date:
    """The Monday of an ISO week written ``YYYY-Www`` (as ``<input type="week">`` sends it)."""
    value = text.strip()
    try:
        year_text, week_text = value.upper().split("-W")
        if len(year_text) != 4 or len(week_text) != 2:
            raise ValueError(value)
        return date.fromisocalendar(int(year_text), int(week_text), 1)
    except ValueError:
        raise WeekInvalid(
            _l("Write the week as year and week, like 2026-W14."), field="week"
        ) from None


def _session_entries(
    actor: User, zone: ZoneInfo, *conditions: ColumnElement[bool]
) -> list[CalendarEntry]:
    """Sessions of the cases the actor holds that meet any of ``conditions``, as entries."""
    # held_cases is the base: the query cannot reach a case the actor does not hold. Of the
    # session only the columns shown are selected, so no sealed note is read, let alone
    # decrypted.
    query = (
        held_cases(actor)
        .join(ContactSession, ContactSession.partner_case_id == PartnerCase.id)
        .add_columns(
            ContactSession.id,
            ContactSession.purpose,
            ContactSession.state,
            ContactSession.due_on,
            ContactSession.starts_at,
            ContactSession.minutes,
            ContactSession.channel,
        )
        .where(or_(*conditions))
    )
    entries = []
    rows: Iterable[tuple[PartnerCase, *tuple[Any, ...]]] = db.session.execute(query)
    for partner_case, *columns in rows:
        session_id, purpose, state, due_on, starts_at, minutes, channel = columns
        timed = state != "to_book"
        at = starts_at.astimezone(zone) if timed else None
        entries.append(
            CalendarEntry(
                kind=SESSION if timed else TO_BOOK,
                id=session_id,
                day=at.date() if at else due_on,
                at=at,
                case_id=partner_case.id,
                reference=reference_of(partner_case),
                holds_case=True,
                purpose=purpose,
                state=state,
                minutes=minutes if timed else None,
                channel=channel if timed else None,
            )
        )
    return entries


def _in_days(first: date, last: date, zone: ZoneInfo) -> tuple[ColumnElement[bool], ...]:
    """Timed sessions starting within ``first``..``last`` (clinic days, inclusive) and
    sessions to book whose target day falls there."""
    start = local_instant(first, time(0, 0), zone)
    end = local_instant(last + timedelta(days=1), time(0, 0), zone)
    return (
        and_(
            ContactSession.state.in_(TIMED_STATES),
            ContactSession.starts_at >= start,
            ContactSession.starts_at < end,
        ),
        and_(
            ContactSession.state == "to_book",
            ContactSession.due_on >= first,
            ContactSession.due_on <= last,
        ),
    )


def _overdue_before(today: date, zone: ZoneInfo) -> tuple[ColumnElement[bool], ...]:
    """What should have happened before ``today``: a booked session whose outcome was not
    recorded, a session to book whose target day has passed."""
    start = local_instant(today, time(0, 0), zone)
    return (
        and_(ContactSession.state == "booked", ContactSession.starts_at < start),
        and_(ContactSession.state == "to_book", ContactSession.due_on < today),
    )


def _reminders(actor: User, zone: ZoneInfo) -> list[CalendarEntry]:
    """The actor's open reminders, each on the clinic day it fell due."""
    entries = []
    for reminder in open_reminders(actor):
        at = reminder.due_at.astimezone(zone)
        entries.append(
            CalendarEntry(
                kind=REMINDER,
                id=reminder.id,
                day=at.date(),
                at=at,
                case_id=reminder.case_id,
                reference=reminder.reference,
                holds_case=reminder.holds_case,
                reminder_kind=reminder.kind,
            )
        )
    return entries


def entries_between(actor: User, first: date, last: date) -> list[CalendarEntry]:
    """Everything on the actor's calendar from ``first`` to ``last`` (clinic days,
    inclusive), in order."""
    zone = _zone(actor)
    entries = _session_entries(actor, zone, *_in_days(first, last, zone)) + [
        entry for entry in _reminders(actor, zone) if first <= entry.day <= last
    ]
    return sorted(entries, key=_order)


def _order(entry: CalendarEntry) -> tuple[date, int, str, str]:
    # On each day: timed entries by their clock time, then the sessions to book.
    clock = entry.at.strftime("%H:%M:%S") if entry.at else ""
    return (entry.day, 0 if entry.at else 1, clock, str(entry.id))


def _by_day(
    entries: list[CalendarEntry], first: date, last: date, today: date
) -> list[CalendarDay]:
    days = []
    day = first
    while day <= last:
        days.append(
            CalendarDay(day, [entry for entry in entries if entry.day == day], day == today)
        )
        day += timedelta(days=1)
    return days


def week_of(actor: User, week: str | None = None) -> Week:
    """The actor's week named ``week`` (``YYYY-Www``), the current one when None."""
    today = today_for(actor)
    this_monday = monday_of(today)
    monday = parse_week(week) if week else this_monday
    sunday = monday + timedelta(days=6)
    entries = entries_between(actor, monday, sunday)
    earliest = this_monday - timedelta(weeks=WEEKS_BACK)
    latest = this_monday + timedelta(weeks=WEEKS_AHEAD)
    before, after = monday - timedelta(weeks=1), monday + timedelta(weeks=1)
    return Week(
        monday=monday,
        days=_by_day(entries, monday, sunday, today),
        previous=week_name(before) if earliest <= before <= latest else None,
        next=week_name(after) if earliest <= after <= latest else None,
        current=week_name(this_monday),
        is_current=monday == this_monday,
    )


def upcoming(actor: User, weeks: int = LIST_WEEKS) -> Upcoming:
    """What is overdue, then every day from today for ``weeks`` weeks that has something.

    The sessions of both parts are one query and the reminders another: each day's entries
    are sorted out of them, not asked for again."""
    zone = _zone(actor)
    today = today_for(actor)
    last = today + timedelta(weeks=weeks) - timedelta(days=1)
    entries = _session_entries(
        actor, zone, *_in_days(today, last, zone), *_overdue_before(today, zone)
    ) + [entry for entry in _reminders(actor, zone) if entry.day <= last]
    # The two parts' conditions do not overlap: before today on the clinic's clocks is
    # overdue, from today on is upcoming.
    overdue = sorted((entry for entry in entries if entry.day < today), key=_order)
    ahead = sorted((entry for entry in entries if entry.day >= today), key=_order)
    days = [day for day in _by_day(ahead, today, last, today) if day.entries]
    return Upcoming(today, last, overdue, days)

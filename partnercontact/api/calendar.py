"""One's own schedule: what is upcoming and overdue, as the calendar's list page shows it, and
the reminders addressed to oneself, with marking one done.

Nothing here names a case in its path: the services load the caller's own sessions (of the
cases the caller holds) and reminders (addressed to the caller) and nothing else. The private
iCalendar address is not offered here: its secret is shown once, on its own page.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from partnercontact.api.errors import DENIED, NOT_FOUND, answers
from partnercontact.db import db
from partnercontact.partner_side.scheduling import calendar
from partnercontact.partner_side.scheduling import reminders as staff_reminders
from partnercontact.partner_side.scheduling.kinds import REMINDERS
from partnercontact.partner_side.scheduling.plan import PURPOSES
from partnercontact.partner_side.scheduling.sessions import SESSION_CHANNELS, SESSION_STATES
from partnercontact.policy import Permission, requires

blp = Blueprint(
    "api_calendar",
    __name__,
    url_prefix="/api/v1/calendar",
    description="One's own calendar of contact sessions, and reminders",
)

_CASE_ID = "The case, when you hold it; null otherwise (the reference still names it)"


class EntryOut(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf([calendar.SESSION, calendar.TO_BOOK, calendar.REMINDER]),
        metadata={"description": "A booked or recorded session, a session to book, a reminder"},
    )
    id = fields.UUID(required=True, metadata={"description": "The session's or reminder's id"})
    day = fields.Date(required=True, metadata={"description": "The day on the clinic's clocks"})
    at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When it starts or fell due; null for a session to book"},
    )
    ends_at = fields.DateTime(required=True, allow_none=True)
    case_id = fields.UUID(required=True, allow_none=True, metadata={"description": _CASE_ID})
    reference = fields.String(required=True, allow_none=True)
    holds_case = fields.Boolean(required=True)
    purpose = fields.String(required=True, allow_none=True, validate=validate.OneOf(list(PURPOSES)))
    state = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(list(SESSION_STATES))
    )
    minutes = fields.Integer(required=True, allow_none=True)
    channel = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(list(SESSION_CHANNELS))
    )
    reminder_kind = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(list(REMINDERS))
    )


class DayOut(Schema):
    day = fields.Date(required=True)
    is_today = fields.Boolean(required=True)
    entries = fields.List(fields.Nested(EntryOut), required=True)


class UpcomingOut(Schema):
    today = fields.Date(required=True, metadata={"description": "Today on the clinic's clocks"})
    last = fields.Date(required=True, metadata={"description": "The last day the list covers"})
    overdue = fields.List(
        fields.Nested(EntryOut),
        required=True,
        metadata={
            "description": "Booked sessions whose outcome is not recorded, sessions to book "
            "whose day has passed, reminders not marked done: oldest first"
        },
    )
    days = fields.List(
        fields.Nested(DayOut),
        required=True,
        metadata={"description": "Each day from today that has something on it"},
    )


class ReminderOut(Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(REMINDERS)))
    due_at = fields.DateTime(required=True)
    case_id = fields.UUID(required=True, allow_none=True, metadata={"description": _CASE_ID})
    reference = fields.String(required=True, allow_none=True)
    holds_case = fields.Boolean(required=True)


class ReminderDoneOut(Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(REMINDERS)))
    due_at = fields.DateTime(required=True)
    done_at = fields.DateTime(required=True)


def _utc(moment: datetime | None) -> datetime | None:
    """The service gives moments on the clinic's clocks; the API speaks UTC."""
    return moment.astimezone(UTC) if moment is not None else None


def _entry(entry: calendar.CalendarEntry) -> dict[str, object]:
    return {
        "kind": entry.kind,
        "id": entry.id,
        "day": entry.day,
        "at": _utc(entry.at),
        "ends_at": _utc(entry.ends_at),
        # As on the page: a case is linked only for its holder; a manager reminded of a case
        # nobody holds learns its reference and nothing more.
        "case_id": entry.case_id if entry.holds_case else None,
        "reference": entry.reference,
        "holds_case": entry.holds_case,
        "purpose": entry.purpose,
        "state": entry.state,
        "minutes": entry.minutes,
        "channel": entry.channel,
        "reminder_kind": entry.reminder_kind,
    }


@blp.route("", methods=["GET"])
@requires(Permission.CALENDAR_VIEW)
@blp.response(200, UpcomingOut)
@answers(blp, DENIED)
def upcoming() -> dict[str, object]:
    """What is overdue, then each day of the coming weeks with your sessions and reminders."""
    listing = calendar.upcoming(current_user)
    answer = {
        "today": listing.today,
        "last": listing.last,
        "overdue": [_entry(entry) for entry in listing.overdue],
        "days": [
            {
                "day": day.day,
                "is_today": day.is_today,
                "entries": [_entry(entry) for entry in day.entries],
            }
            for day in listing.days
        ],
    }
    db.session.commit()
    return answer


@blp.route("/reminders", methods=["GET"])
@requires(Permission.REMINDERS_VIEW)
@blp.response(200, ReminderOut(many=True))
@answers(blp, DENIED)
def reminders() -> list[dict[str, object]]:
    """The reminders addressed to you and not yet marked done, oldest first."""
    answer: list[dict[str, object]] = [
        {
            "id": reminder.id,
            "kind": reminder.kind,
            "due_at": _utc(reminder.due_at),
            "case_id": reminder.case_id if reminder.holds_case else None,
            "reference": reminder.reference,
            "holds_case": reminder.holds_case,
        }
        for reminder in staff_reminders.open_reminders(current_user)
    ]
    db.session.commit()
    return answer


@blp.route("/reminders/<uuid:reminder_id>/done", methods=["POST"])
@requires(Permission.REMINDERS_VIEW)
@blp.response(200, ReminderDoneOut)
@answers(blp, NOT_FOUND)
def mark_done(reminder_id: uuid.UUID) -> dict[str, object]:
    """Mark one of your reminders done; it leaves the list. Anyone else's: 404."""
    reminder = staff_reminders.mark_done(current_user, reminder_id)
    answer = {
        "id": reminder.id,
        "kind": reminder.kind,
        "due_at": _utc(reminder.due_at),
        "done_at": _utc(reminder.done_at),
    }
    db.session.commit()
    return answer

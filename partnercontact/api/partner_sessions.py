"""Contact sessions with her (kontakttillfällen) on a partner case: the list the case page
shows, and adding, booking or moving, cancelling and recording one.

Only the treater holding the case reaches any of it, through the same services as the pages
(:mod:`partnercontact.scheduling.sessions`), which check every rule and name the field at fault.
The input schemas only parse types: every field is optional here so that a case or session that
is not the caller's answers 404 whatever the body holds, before any field is judged.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from flask_login import current_user
from marshmallow import Schema, fields, validate

from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.fields import Text
from partnercontact.api.partner_cases import blp
from partnercontact.db import db
from partnercontact.partners.models import PartnerCase
from partnercontact.partners.service import held_case_for
from partnercontact.policy import Permission, requires
from partnercontact.scheduling import sessions as contact_sessions
from partnercontact.scheduling.models import FINAL_SESSION_STATES, ContactSession
from partnercontact.scheduling.plan import PURPOSES


class SessionOut(Schema):
    id = fields.UUID(required=True)
    purpose = fields.String(required=True, validate=validate.OneOf(list(PURPOSES)))
    state = fields.String(
        required=True, validate=validate.OneOf(list(contact_sessions.SESSION_STATES))
    )
    due_on = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The plan's target day, near which a time is booked"},
    )
    starts_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "Null until a time is booked"}
    )
    minutes = fields.Integer(required=True, allow_none=True)
    channel = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(list(contact_sessions.SESSION_CHANNELS)),
    )
    note = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "What was written when the outcome was recorded"},
    )
    reminder_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the text message reminding her goes out, if one waits"},
    )


class SessionsOut(Schema):
    sms_reminders = fields.Boolean(
        required=True,
        metadata={"description": "Whether she asked for reminders by text: a booking sends one"},
    )
    sessions = fields.List(fields.Nested(SessionOut), required=True)


class AddSessionIn(Schema):
    due_on = fields.Date(
        load_default=None,
        metadata={"description": "Required: the day to book it near, today or later"},
    )


class BookSessionIn(Schema):
    # The clinic's own day and clock time, as on the page: the service turns them into the
    # stored instant, so a booking lands where the clinic's clocks say across summer time.
    day = fields.Date(load_default=None, metadata={"description": "Required: the clinic's day"})
    time = fields.Time(
        load_default=None,
        metadata={"description": "Required: the clinic's clock time, HH:MM", "example": "14:30"},
    )
    minutes = fields.Integer(
        strict=True,
        load_default=None,
        validate=validate.Range(contact_sessions.MINUTES_MIN, contact_sessions.MINUTES_MAX),
        metadata={"description": "Required: the length"},
    )
    channel = fields.String(
        load_default=None,
        validate=validate.OneOf(list(contact_sessions.SESSION_CHANNELS)),
        metadata={"description": "Required: how you will meet; a call must fall in her safe hours"},
    )


class RecordSessionIn(Schema):
    outcome = fields.String(
        load_default=None,
        validate=validate.OneOf(list(contact_sessions.RECORDED_STATES)),
        metadata={"description": "Required: held or no_show once its time has come; cancelled"},
    )
    note = Text(
        load_default=None, allow_none=True, max_length=contact_sessions.NOTE_MAX, multiline=True
    )


def _session_out(session: ContactSession, reminder_at: datetime | None) -> dict[str, object]:
    return {
        "id": session.id,
        "purpose": session.purpose,
        "state": session.state,
        "due_on": session.due_on,
        "starts_at": session.starts_at,
        "minutes": session.minutes,
        "channel": session.channel,
        # As on the case page: the note belongs to the recorded outcome.
        "note": session.note if session.state in FINAL_SESSION_STATES else None,
        "reminder_at": reminder_at,
    }


def _answer(session: ContactSession) -> dict[str, object]:
    """The session as the list shows it, built before the commit expires it."""
    # The service has just checked that the caller holds this case.
    partner_case = db.session.get(PartnerCase, session.partner_case_id)
    assert partner_case is not None
    reminder_at = contact_sessions.pending_reminder_times(partner_case).get(session.id)
    answer = _session_out(session, reminder_at)
    db.session.commit()
    return answer


@blp.route("/<uuid:case_id>/sessions", methods=["GET"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.response(200, SessionsOut)
@answers(blp, NOT_FOUND)
def list_sessions(case_id: uuid.UUID) -> dict[str, object]:
    """The case's contact sessions: booked ones by time, then those to book by target day."""
    partner_case = held_case_for(current_user, case_id, audited=False)
    reminder_times = contact_sessions.pending_reminder_times(partner_case)
    answer = {
        "sms_reminders": contact_sessions.wants_sms_reminders(partner_case),
        "sessions": [
            _session_out(session, reminder_times.get(session.id))
            for session in contact_sessions.sessions_of(current_user, partner_case)
        ],
    }
    db.session.commit()  # the audit entry of the read
    return answer


@blp.route("/<uuid:case_id>/sessions", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(AddSessionIn)
@blp.response(201, SessionOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def add_session(body: dict[str, date | None], case_id: uuid.UUID) -> dict[str, object]:
    """Add a session beyond the plan, to book near a day, while she has accepted contact."""
    session = contact_sessions.add_session(current_user, case_id, due_on=body["due_on"])
    return _answer(session)


@blp.route("/<uuid:case_id>/sessions/<uuid:session_id>/book", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(BookSessionIn)
@blp.response(200, SessionOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def book_session(
    body: dict[str, Any], case_id: uuid.UUID, session_id: uuid.UUID
) -> dict[str, object]:
    """Book a time for a session on the clinic's clocks, or move a booked one."""
    session = contact_sessions.book_session(
        current_user,
        case_id,
        session_id,
        day=body["day"],
        at=body["time"],
        minutes=body["minutes"],
        channel=body["channel"],
    )
    return _answer(session)


@blp.route("/<uuid:case_id>/sessions/<uuid:session_id>/cancel", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.response(200, SessionOut)
@answers(blp, NOT_FOUND)
def cancel_session(case_id: uuid.UUID, session_id: uuid.UUID) -> dict[str, object]:
    """Cancel a session not yet recorded, with the text reminder not yet sent."""
    session = contact_sessions.cancel_session(current_user, case_id, session_id)
    return _answer(session)


@blp.route("/<uuid:case_id>/sessions/<uuid:session_id>/record", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(RecordSessionIn)
@blp.response(200, SessionOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_session(
    body: dict[str, str | None], case_id: uuid.UUID, session_id: uuid.UUID
) -> dict[str, object]:
    """Record what came of a session: held, she did not come, or cancelled."""
    session = contact_sessions.record_session(
        current_user, case_id, session_id, outcome=body["outcome"], note=body["note"]
    )
    return _answer(session)

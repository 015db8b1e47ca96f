"""Contact sessions with her (kontakttillfällen) on a partner case: the list the case page
shows, and adding, booking or moving, cancelling and recording one.

Only the treater holding the case reaches any of it, through the same services as the pages
(:mod:`partnercontact.partner_side.scheduling.sessions`), which check every rule and name the
field at fault.
The input schemas only parse types: every field is optional here so that a case or session that
is not the caller's answers 404 whatever the body holds, before any field is judged.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask_login import current_user

from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.output import Shown, commits
from partnercontact.api.partner import blp
from partnercontact.api.partner.schemas import (
    AddSessionIn,
    BookSessionIn,
    RecordSessionIn,
    SessionOut,
    SessionsOut,
)
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling import sessions as contact_sessions
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.service import held_case_for
from partnercontact.policy import Permission, requires


def _with_reminder(session: ContactSession) -> Shown:
    """The session as the list shows it, with the time of the reminder waiting for it."""
    # The service has just checked that the caller holds this case.
    partner_case = db.session.get(PartnerCase, session.partner_case_id)
    assert partner_case is not None
    reminder_at = contact_sessions.pending_reminder_times(partner_case).get(session.id)
    return Shown(session, reminder_at=reminder_at)


@blp.route("/<uuid:case_id>/sessions", methods=["GET"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.response(200, SessionsOut)
@answers(blp, NOT_FOUND)
def list_sessions(case_id: uuid.UUID) -> Shown:
    """The case's contact sessions: booked ones by time, then those to book by target day."""
    partner_case = held_case_for(current_user, case_id, audited=False)
    reminder_times = contact_sessions.pending_reminder_times(partner_case)
    return Shown(
        sms_reminders=contact_sessions.wants_sms_reminders(partner_case),
        sessions=[
            Shown(session, reminder_at=reminder_times.get(session.id))
            for session in contact_sessions.sessions_of(current_user, partner_case)
        ],
    )


@blp.route("/<uuid:case_id>/sessions", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(AddSessionIn)
@blp.response(201, SessionOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def add_session(body: dict[str, date | None], case_id: uuid.UUID) -> Shown:
    """Add a session beyond the plan, to book near a day, while she has accepted contact."""
    session = contact_sessions.add_session(current_user, case_id, due_on=body["due_on"])
    return _with_reminder(session)


@blp.route("/<uuid:case_id>/sessions/<uuid:session_id>/book", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(BookSessionIn)
@blp.response(200, SessionOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def book_session(body: dict[str, Any], case_id: uuid.UUID, session_id: uuid.UUID) -> Shown:
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
    return _with_reminder(session)


@blp.route("/<uuid:case_id>/sessions/<uuid:session_id>/cancel", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.response(200, SessionOut)
@answers(blp, NOT_FOUND)
def cancel_session(case_id: uuid.UUID, session_id: uuid.UUID) -> Shown:
    """Cancel a session not yet recorded, with the text reminder not yet sent."""
    session = contact_sessions.cancel_session(current_user, case_id, session_id)
    return _with_reminder(session)


@blp.route("/<uuid:case_id>/sessions/<uuid:session_id>/record", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(RecordSessionIn)
@blp.response(200, SessionOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_session(body: dict[str, str | None], case_id: uuid.UUID, session_id: uuid.UUID) -> Shown:
    """Record what came of a session: held, she did not come, or cancelled."""
    session = contact_sessions.record_session(
        current_user, case_id, session_id, outcome=body["outcome"], note=body["note"]
    )
    return _with_reminder(session)

"""Contact sessions with her (kontakttillfällen): the case page's list, and the pages that add a
session, book or move one, cancel one (after a confirmation) and record what came of one.

The forms parse types only; every rule (a time that has passed, her safe hours for a call, the
length, the channel, recording before the time) is
:mod:`partnercontact.partner_side.scheduling.sessions`'s, whose refusal comes back on the
field it names with what was typed kept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, IntegerField, SelectField, TextAreaField, TimeField
from wtforms.validators import Optional

from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_zone
from partnercontact.errors import DomainError
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.outcomes import outcomes_of
from partnercontact.partner_side.scheduling import sessions as contact_sessions
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.scheduling.plan import PURPOSES
from partnercontact.policy import Permission, requires
from partnercontact.web.partner_side.pages import case_form, choices, form_page, form_refused
from partnercontact.web.partner_side.sections import case_section
from partnercontact.web.partner_side.views import back_to_case, bp

ADD_TEMPLATE = "partner_side/sessions/add.html"
BOOK_TEMPLATE = "partner_side/sessions/book.html"
CANCEL_TEMPLATE = "partner_side/sessions/cancel.html"
RECORD_TEMPLATE = "partner_side/sessions/record.html"
ANCHOR = "sessions"
DEFAULT_MINUTES = 60


class AddSessionForm(FlaskForm):
    due_on = DateField(_l("Book it near"), validators=[Optional()])


class BookSessionForm(FlaskForm):
    # The clinic's own date and clock time; the service turns them into the stored instant.
    day = DateField(_l("Day"), validators=[Optional()])
    time = TimeField(_l("Time"), format=["%H:%M", "%H:%M:%S"], validators=[Optional()])
    minutes = IntegerField(_l("Length in minutes"), validators=[Optional()])
    # The service checks the choice and names the field in its own words.
    channel = SelectField(
        _l("How you will meet"),
        choices=choices(contact_sessions.SESSION_CHANNELS),
        validate_choice=False,
    )


class CancelSessionForm(FlaskForm):
    """Nothing but the CSRF token: the confirmation of the cancellation."""


class RecordSessionForm(FlaskForm):
    outcome = SelectField(
        _l("What came of it"),
        choices=choices(contact_sessions.RECORDED_STATES),
        validate_choice=False,
    )
    note = TextAreaField(_l("Note (optional)"))


@bp.context_processor
def _session_labels() -> dict[str, object]:
    return {
        "session_purpose_labels": PURPOSES,
        "session_channel_labels": contact_sessions.SESSION_CHANNELS,
        "session_state_labels": contact_sessions.SESSION_STATES,
    }


# --- the case page's section --------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    session: ContactSession
    # When the text message reminding her goes out, if one is waiting and her safe-contact
    # plan leaves a safe moment for it before the session; None otherwise.
    reminder_at: datetime | None
    # A reminder is waiting but her plan leaves it no safe moment: the worker will not send it.
    reminder_without_safe_time: bool = False

    @property
    def open(self) -> bool:
        return self.session.state in ("to_book", "booked")


@case_section(
    ANCHOR,
    order=18,
    template="partner_side/sections/sessions.html",
    view="sessions",
    anchors=("contact-sessions",),
)
def _sessions(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    reminder_times = contact_sessions.pending_reminder_times(partner_case)
    rows = [
        SessionRow(
            session,
            reminder_times.get(session.id),
            session.id in reminder_times and reminder_times[session.id] is None,
        )
        for session in contact_sessions.sessions_of(actor, partner_case)
    ]
    return {
        "rows": rows,
        "sms_reminders": contact_sessions.wants_sms_reminders(partner_case),
        "answers": outcomes_of(partner_case),
    }


# --- the pages ----------------------------------------------------------------------------------


def _session(case_id: uuid.UUID, session_id: uuid.UUID) -> ContactSession:
    """The session, for its case's holder only (anyone else, or another case's session: not
    found). The service audits the read."""
    return contact_sessions.session_for(current_user, case_id, session_id)


@bp.route("/cases/<uuid:case_id>/sessions/new", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def add_session(case_id: uuid.UUID) -> Response | tuple[str, int]:
    form = AddSessionForm()
    return case_form(
        ADD_TEMPLATE,
        form,
        case_id,
        lambda: contact_sessions.add_session(current_user, case_id, due_on=form.due_on.data),
        done=_("The session was added. Book a time with her."),
        anchor=ANCHOR,
        today_field="due_on",
    )


def _fill_from_session(form: BookSessionForm, session: ContactSession) -> None:
    """A booked session's time on the clinic's clocks; one to book opens on its target day."""
    form.minutes.data = session.minutes or DEFAULT_MINUTES
    form.channel.data = session.channel or ""
    if session.starts_at is None:
        form.day.data = session.due_on
        return
    local = session.starts_at.astimezone(clinic_zone(current_user.clinic))
    form.day.data = local.date()
    form.time.data = local.time().replace(second=0, microsecond=0)


@bp.route("/cases/<uuid:case_id>/sessions/<uuid:session_id>/book", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def book_session(case_id: uuid.UUID, session_id: uuid.UUID) -> Response | tuple[str, int]:
    """Book a time for a session, or move a booked one."""
    session = _session(case_id, session_id)
    moving = session.state == "booked"
    form = BookSessionForm()
    if not form.is_submitted():
        _fill_from_session(form, session)
    extra: dict[str, Any] = {"session": session, "moving": moving}
    return case_form(
        BOOK_TEMPLATE,
        form,
        case_id,
        lambda: contact_sessions.book_session(
            current_user,
            case_id,
            session_id,
            day=form.day.data,
            at=form.time.data,
            minutes=form.minutes.data,
            channel=form.channel.data or None,
        ),
        done=_("The session was moved.") if moving else _("The session was booked."),
        anchor=ANCHOR,
        **extra,
    )


@bp.route("/cases/<uuid:case_id>/sessions/<uuid:session_id>/cancel", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def cancel_session(case_id: uuid.UUID, session_id: uuid.UUID) -> Response | tuple[str, int]:
    """A confirmation page (GET) before the session is cancelled (POST)."""
    session = _session(case_id, session_id)
    form = CancelSessionForm()
    if not form.is_submitted():
        return form_page(CANCEL_TEMPLATE, form, case_id, session=session)
    if not form.validate():
        return form_page(CANCEL_TEMPLATE, form, case_id, 400, session=session)
    try:
        contact_sessions.cancel_session(current_user, case_id, session_id)
    except DomainError as exc:
        return form_refused(CANCEL_TEMPLATE, form, case_id, exc, session=session)
    return back_to_case(case_id, _("The session was cancelled."), ANCHOR)


@bp.route("/cases/<uuid:case_id>/sessions/<uuid:session_id>/record", methods=["GET", "POST"])
@requires(Permission.PARTNER_CASES_WORK)
def record_session(case_id: uuid.UUID, session_id: uuid.UUID) -> Response | tuple[str, int]:
    session = _session(case_id, session_id)
    form = RecordSessionForm()
    return case_form(
        RECORD_TEMPLATE,
        form,
        case_id,
        lambda: contact_sessions.record_session(
            current_user,
            case_id,
            session_id,
            outcome=form.outcome.data or None,
            note=form.note.data,
        ),
        done=_("What came of the session was recorded."),
        anchor=ANCHOR,
        session=session,
    )

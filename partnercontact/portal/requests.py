"""Her requests to the clinic: "call me" with a time window, new violence or threats (after a
confirmation, since it alerts the clinic at once), confirming or asking to move a booked
session, and asking to be told when his treatment ends. Each is a task for her treater
(:mod:`partnercontact.partner_side.portal_requests`); her page lists what she sent and when
it was seen to. A session is named by its id in the form she sends, never in an address."""

from __future__ import annotations

import uuid
from datetime import date, time

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side import portal_requests
from partnercontact.partner_side.portal_access import PortalIdentity
from partnercontact.portal import sessions
from partnercontact.portal.views import bp, refused

REQUESTS = "portal/requests.html"
REPORT = "portal/report.html"
MOVE = "portal/move_session.html"

_TIME = {"type": "time", "autocomplete": "off", "inputmode": "numeric", "placeholder": "hh:mm"}


class WindowForm(FlaskForm):
    """A day from a list and two times of day, parsed by :func:`_window` (what she typed is
    kept as typed when it is refused)."""

    day = SelectField(_l("Day"), validate_choice=False)
    from_time = StringField(_l("From"), render_kw=_TIME)
    until_time = StringField(_l("Until"), render_kw=_TIME)


class MoveForm(WindowForm):
    session_id = HiddenField()
    # "choose" when she opens the form from her list of sessions; absent when she sends it.
    step = HiddenField()


class SessionForm(FlaskForm):
    """The session she confirms, named in the form, never in the address."""

    session_id = HiddenField()


class ReportForm(FlaskForm):
    words = TextAreaField(
        _l("A few words, if you want (only your contact at the clinic reads them)"),
        render_kw={"rows": 4, "maxlength": portal_requests.MAX_WORDS, "autocomplete": "off"},
    )


class TellMeForm(FlaskForm):
    """Nothing but the form token."""


def _day_choices(identity: PortalIdentity, days: int) -> list[tuple[str, str]]:
    choices = [("", _("Choose a day"))]
    for index, day in enumerate(portal_requests.days_ahead(identity, days)):
        label = format_date(day, "EEEE d MMMM")
        if index == 0:
            label = _("Today, %(day)s", day=label)
        elif index == 1:
            label = _("Tomorrow, %(day)s", day=label)
        choices.append((day.isoformat(), label))
    return choices


def _parsed_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _parsed_time(value: str | None) -> time | None:
    text = (value or "").strip()
    if len(text) not in (4, 5, 8):  # 9:30, 09:30, or 09:30:00 as some browsers send it
        return None
    try:
        return time.fromisoformat(text.zfill(5) if len(text) == 4 else text)
    except ValueError:
        return None


def _window(form: WindowForm) -> tuple[date | None, time | None, time | None]:
    """The day and the two times as typed, each None when it cannot be read (the service then
    refuses it on its field)."""
    return (
        _parsed_day(form.day.data),
        _parsed_time(form.from_time.data),
        _parsed_time(form.until_time.data),
    )


def _session_id(form: SessionForm | MoveForm) -> uuid.UUID:
    try:
        return uuid.UUID(form.session_id.data or "")
    except ValueError:
        abort(404)


def _page(
    identity: PortalIdentity,
    call_form: WindowForm | None = None,
    status: int = 200,
    error: str | None = None,
) -> tuple[str, int]:
    """Her requests page; commits the audit entry of the read."""
    if call_form is None:
        call_form = WindowForm(formdata=None)
    call_form.day.choices = _day_choices(identity, portal_requests.CALL_DAYS)
    page = render_template(
        REQUESTS,
        requests_page=portal_requests.requests_for_her(identity),
        call_form=call_form,
        error=error,
    )
    db.session.commit()
    return page, status


@bp.route("/requests")
def requests() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    return _page(identity)


@bp.route("/requests/call-me", methods=["GET", "POST"])
def ask_to_be_called() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = WindowForm()
    if not form.is_submitted():
        return redirect(url_for("portal.requests"))
    if not form.validate():
        return _page(identity, form, 400)
    try:
        day, from_time, until_time = _window(form)
        portal_requests.ask_to_be_called(
            identity, day=day, from_time=from_time, until_time=until_time
        )
    except DomainError as exc:
        db.session.rollback()
        error = refused(form, exc)
        return _page(identity, form, exc.status, error)
    db.session.commit()
    flash(_("Your contact at the clinic has your request to be called."))
    return redirect(url_for("portal.requests", _anchor="sent"))


@bp.route("/report", methods=["GET", "POST"])
def report_violence() -> Response | tuple[str, int]:
    """The confirmation page comes first: nothing is sent until she presses its button."""
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = ReportForm()
    if not form.is_submitted():
        return render_template(REPORT, form=form), 200
    if not form.validate():
        return render_template(REPORT, form=form), 400
    try:
        portal_requests.report_new_violence(identity, form.words.data)
    except DomainError as exc:
        db.session.rollback()
        error = refused(form, exc)
        return render_template(REPORT, form=form, error=error), exc.status
    db.session.commit()
    flash(_("Your contact at the clinic has been told. If you are in danger, call 112."))
    return redirect(url_for("portal.requests", _anchor="sent"))


@bp.route("/requests/session/confirm", methods=["GET", "POST"])
def confirm_session() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = SessionForm()
    if not form.is_submitted():
        return redirect(url_for("portal.requests"))
    if not form.validate():
        return _page(identity, status=400)
    try:
        portal_requests.confirm_session(identity, _session_id(form))
    except portal_requests.PortalRequestNotFound:
        # Missing, another case's, past or not booked: one answer for all.
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("You confirmed the session."))
    return redirect(url_for("portal.requests", _anchor="sessions"))


@bp.route("/requests/session/move", methods=["GET", "POST"])
def move_session() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = MoveForm()
    if not form.is_submitted():
        return redirect(url_for("portal.requests"))
    form.day.choices = _day_choices(identity, portal_requests.MOVE_DAYS)
    session_id = _session_id(form)
    try:
        session = portal_requests.session_of_hers(identity, session_id)
    except portal_requests.PortalRequestNotFound:
        db.session.rollback()
        abort(404)
    if not form.validate():
        return render_template(MOVE, form=form, session=session), 400
    if form.step.data == "choose":
        form.step.data = ""
        return render_template(MOVE, form=form, session=session), 200
    try:
        day, from_time, until_time = _window(form)
        portal_requests.ask_to_move_session(
            identity, session_id, day=day, from_time=from_time, until_time=until_time
        )
    except DomainError as exc:
        db.session.rollback()
        error = refused(form, exc)
        return render_template(MOVE, form=form, session=session, error=error), exc.status
    db.session.commit()
    flash(_("Your contact at the clinic has your request to move the session."))
    return redirect(url_for("portal.requests", _anchor="sessions"))


@bp.route("/requests/told-when-ended", methods=["GET", "POST"])
def ask_to_be_told() -> Response | tuple[str, int]:
    identity = sessions.current()
    if identity is None:
        return redirect(url_for("portal.log_in"))
    form = TellMeForm()
    if not form.is_submitted():
        return redirect(url_for("portal.requests"))
    if not form.validate():
        return _page(identity, status=400)
    portal_requests.ask_to_be_told_when_ended(identity)
    db.session.commit()
    flash(_("Your contact at the clinic has your request."))
    return redirect(url_for("portal.requests", _anchor="told-when-ended"))

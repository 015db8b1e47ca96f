"""Starting the treatment and recording its sessions."""

from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.client_side.cases.attendance import record_session
from partnercontact.client_side.cases.ending import start_treatment
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.policy import Permission, requires
from partnercontact.runtime import current_runtime
from partnercontact.web.client_side.forms import SessionForm, StartTreatmentForm
from partnercontact.web.client_side.views import back_to_client, bp, page_about_client
from partnercontact.web.form_errors import show_on_form


@bp.route("/<uuid:client_id>/episode/start", methods=["GET", "POST"])
@requires(Permission.EPISODES_END)
def start(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = StartTreatmentForm()
    template = "client_side/treatment_start.html"
    if not form.is_submitted():
        form.started_on.data = current_runtime().clock.now().date()
        return page_about_client(template, form, client_id)
    if not form.validate():
        return page_about_client(template, form, client_id, 400)
    try:
        start_treatment(current_user, client_id, started_on=form.started_on.data)
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return page_about_client(template, form, client_id, exc.status, error=error)
    return back_to_client(client_id, _("The treatment has started."))


@bp.route("/<uuid:client_id>/sessions/new", methods=["GET", "POST"])
@requires(Permission.EPISODES_END)
def new_session(client_id: uuid.UUID) -> Response | tuple[str, int]:
    form = SessionForm()
    template = "client_side/session_new.html"
    if not form.is_submitted():
        form.held_on.data = current_runtime().clock.now().date()
        return page_about_client(template, form, client_id)
    if not form.validate():
        return page_about_client(template, form, client_id, 400)
    try:
        record_session(
            current_user,
            client_id,
            held_on=form.held_on.data,
            attendance=form.attendance.data or "",
        )
    except DomainError as exc:
        db.session.rollback()
        error = show_on_form(form, exc)
        return page_about_client(template, form, client_id, exc.status, error=error)
    return back_to_client(client_id, _("The session was recorded."))
